# SPDX-License-Identifier: GPL-2.0
# kmtrace stat: a workload with a known number of kmallocs (SysV msgsnd of S
# bytes = one kmalloc of 48+S bytes in load_msg/alloc_msg, kfree'd by msgrcv)
# shows up with at least that many hits in --alloc (its size class) and
# --caller (the ipc call site, also all freed again); totals are consistent;
# usage errors exit 2 with one "kmtrace: " line.
. tests/lib.sh
K=${KMTRACE:-build/kmtrace}
S=1000        # msgsnd size: kmalloc(1048) → kmalloc-2k
N=20000       # messages
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The workload: build/kstorm when there, else a tiny helper built here.
storm() {
	if [ -x build/kstorm ]; then
		build/kstorm -m msg -s "$S" -n "$N"
		return
	fi
	if [ ! -x build/stat-msgload ]; then
		cat >"$tmp/msgload.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
int main(int argc, char **argv)
{
	int s = atoi(argv[1]), n = atoi(argv[2]), q = msgget(IPC_PRIVATE, 0600);
	struct { long t; char b[4096]; } m = {1, {0}};
	if (q < 0 || s < 1 || s > 4000)
		return 1;
	for (int i = 0; i < n; i++)
		if (msgsnd(q, &m, s, 0) || msgrcv(q, &m, sizeof(m.b), 0, 0) != s)
			return 1;
	msgctl(q, IPC_RMID, NULL);
	printf("mode=msg size=%d kmalloc_bytes=%d expected_kmallocs=%d\n", s, 48 + s, n);
	return 0;
}
C
		cc -O2 -o build/stat-msgload "$tmp/msgload.c" || return 1
	fi
	build/stat-msgload "$S" "$N"
}

# Wait until PID has attached its BPF links (at least 2), up to 10 s.
attached() {
	for _ in $(seq 100); do
		n=$(grep -ls '^link_type:' /proc/"$1"/fdinfo/* 2>/dev/null | wc -l)
		[ "$n" -ge 2 ] && return 0
		sleep 0.1
	done
	return 1
}

"$K" stat --alloc --json -l 0 >"$tmp/alloc.json" 2>"$tmp/alloc.err" &
pa=$!
"$K" stat --caller --json -l 0 -d 30 >"$tmp/caller.json" 2>"$tmp/caller.err" &
pc=$!
attached $pa && attached $pc
eq "stat --alloc and --caller attach" "$?" 0
storm >"$tmp/storm.out"
eq "workload ran" "$?" 0
B=$(sed -n 's/.*kmalloc_bytes=\([0-9]*\).*/\1/p' "$tmp/storm.out")
E=$(sed -n 's/.*expected_kmallocs=\([0-9]*\).*/\1/p' "$tmp/storm.out")
kill -INT $pa $pc
wait $pa
eq "stat --alloc ends on SIGINT with exit 0" "$?" 0
wait $pc
eq "stat --caller ends on SIGINT (before -d) with exit 0" "$?" 0

# Checks on JSON lines, in python3: prints "ok"/"not ok" lines itself.
python3 - "$tmp/alloc.json" "$tmp/caller.json" "$B" "$E" <<'PY'
import json, re, sys
alloc_f, caller_f, B, E = sys.argv[1], sys.argv[2], int(sys.argv[3] or 0), int(sys.argv[4] or 0)
def res(name, good, why=""):
    print(("ok - " if good else "not ok - ") + name + ("" if good else " # " + why))
def load(p):
    try:
        return [json.loads(l) for l in open(p) if l.strip()]
    except Exception as e:
        res("output of " + p + " is JSON lines", False, str(e))
        return []
# kmalloc size classes: the smallest that fits B.
cls = next(c for c in (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192) if c >= B) if B else 0
for mode, f in (("alloc", alloc_f), ("caller", caller_f)):
    L = load(f)
    rows = [o for o in L if o.get("type") == mode]
    tots = [o for o in L if o.get("type") == "totals"]
    res(f"{mode}: rows and one totals line, totals last", len(rows) > 0 and len(tots) == 1 and L[-1] is tots[0], f"{len(rows)} rows, {len(tots)} totals")
    if not tots:
        continue
    t = tots[0]
    res(f"{mode}: totals allocated >= requested", t["bytes_alloc"] >= t["bytes_req"], str(t))
    res(f"{mode}: totals wasted = allocated - requested", t["wasted"] == t["bytes_alloc"] - t["bytes_req"], str(t))
    exp = 100.0 * (1 - t["bytes_req"] / t["bytes_alloc"]) if t["bytes_alloc"] else 0
    res(f"{mode}: totals frag% in [0,100) and = 1 - req/alloc", 0 <= t["frag_pct"] < 100 and abs(t["frag_pct"] - exp) < 0.01, str(t))
    res(f"{mode}: totals allocs >= {E}, matched frees <= frees", t["allocs"] >= E and t["frees_matched"] <= t["frees"], str(t))
    res(f"{mode}: totals outstanding <= allocated", t["outstanding"] <= t["bytes_alloc"], str(t))
    for r in rows:
        if not (r["bytes_alloc"] >= r["bytes_req"] and 0 <= r["frag_pct"] < 100 and r["outstanding"] <= r["bytes_alloc"]):
            res(f"{mode}: every row consistent", False, str(r)); break
    else:
        res(f"{mode}: every row consistent", True)
    if mode == "alloc":
        hit = [r for r in rows if r["size"] == cls]
        res(f"alloc: size {cls} row has >= {E} hits (workload kmalloc({B}))", bool(hit) and hit[0]["hits"] >= E and hit[0]["bytes_req"] >= E * B, str(hit))
        res("alloc: sizes are unique", len({r["size"] for r in rows}) == len(rows), "")
    else:
        ipc = [r for r in rows if re.match(r"(alloc_msg|load_msg)[.\w]*\+0x[0-9a-f]+$", r["sym"])]
        res(f"caller: alloc_msg/load_msg call site has >= {E} hits of {cls} bytes", len(ipc) == 1 and ipc[0]["hits"] >= E and ipc[0]["bytes_alloc"] >= E * cls, str(ipc))
        res(f"caller: ... and its messages were all freed (frees >= {E})", len(ipc) == 1 and ipc[0]["frees"] >= E, str(ipc))
        res("caller: call_site is hex and sym is symbolized", all(re.match(r"0x[0-9a-f]+$", r["call_site"]) for r in rows) and any("+0x" in r["sym"] for r in rows), "")
PY

# The classic-tracepoint fallback (what a kernel without raw_tp would use).
KMTRACE_NO_RAW_TP=1 "$K" stat --caller --json -l 0 >"$tmp/tp.json" 2>"$tmp/err" &
pt=$!
attached $pt
storm >/dev/null
kill -INT $pt
wait $pt
eq "stat with classic tracepoints (KMTRACE_NO_RAW_TP=1) exits 0" "$?" 0
python3 - "$tmp/tp.json" "$E" <<'PY'
import json, re, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
E = int(sys.argv[2] or 0)
ipc = [r for r in L if r.get("type") == "caller" and re.match(r"(alloc_msg|load_msg)[.\w]*\+", r["sym"])]
ok = len(ipc) == 1 and ipc[0]["hits"] >= E and ipc[0]["frees"] >= E
print(("ok - " if ok else "not ok - ") + f"classic tracepoints: msgsnd call site has >= {E} hits and frees" + ("" if ok else " # " + str(ipc)))
PY

# Text output, -d, --page, -l.
"$K" stat -d 0.5 -l 3 >"$tmp/text" 2>"$tmp/err"
eq "stat -d 0.5 exits 0" "$?" 0
# this host refuses fentry: bulk frees off (the VM tests see them on)
has "stat: one ready line naming the attach type and bulk frees" "$tmp/err" \
	'^kmtrace: ready: stat: kmalloc via raw_tp, bulk frees (via fentry|off)$'
has "stat text: header" "$tmp/text" '^CALLSITE +HITS +BYTES_REQ +BYTES_ALLOC +FRAG% +OUTSTANDING +FREES$'
has "stat text: summary" "$tmp/text" '^Internal fragmentation: +[0-9]+\.[0-9]{2}%$'
rows=$(sed -n '2,/^$/p' "$tmp/text" | grep -c .)
if [ "$rows" -le 3 ]; then ok "stat -l 3: at most 3 rows"; else not_ok "stat -l 3: at most 3 rows" "$rows rows"; fi
"$K" stat --page --json -d 0.5 >"$tmp/page" 2>"$tmp/err"
eq "stat --page exits 0" "$?" 0
has "stat --page: ready line" "$tmp/err" '^kmtrace: ready: stat: page via tracepoint$'
has "stat --page: totals line" "$tmp/page" '^\{"type":"totals","mode":"page",'
"$K" stat --page -d 0.5 --sort hits >"$tmp/page" 2>"$tmp/err"
has "stat --page text: header" "$tmp/page" '^ORDER +GFP +HITS +PAGES +FAILS +GFP_FLAGS$'

for bad in "--bogus" "--sort size" "-l x" "-d 0" "-d" "--alloc --page" "--page --sort frag" \
	"--max-tracked 0" "extra" "-p 0" "-p x" "-p -3" "-p 1 -c bash" "-c" "-c 0123456789abcdef"; do
	# shellcheck disable=SC2086
	"$K" stat $bad >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^kmtrace: ' "$tmp/err"; then
		ok "stat $bad: one 'kmtrace: ' line, exit 2"
	else
		not_ok "stat $bad: one 'kmtrace: ' line, exit 2" "rc=$rc err=$(head -c 200 "$tmp/err")"
	fi
done
"$K" stat --help >"$tmp/out"
eq "stat --help exits 0" "$?" 0
has "stat --help prints usage" "$tmp/out" '^usage: kmtrace stat '

# Pointer table overflow is reported, never silent: with room for 1 live
# allocation (held by the pipes below) the msgsnd allocations are untracked.
"$K" stat --caller --json -l 0 --max-tracked 1 >"$tmp/ovf.json" 2>"$tmp/err" &
po=$!
attached $po
for _ in 1 2 3; do sleep 3 | sleep 3 & done
sleep 0.3
storm >/dev/null
kill -INT $po
wait $po
eq "stat --max-tracked 1 exits 0" "$?" 0
python3 - "$tmp/ovf.json" <<'PY'
import json, re, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = L[-1]
ipc = [r for r in L if r.get("type") == "caller" and re.match(r"(alloc_msg|load_msg)[.\w]*\+", r["sym"])]
ok = t["type"] == "totals" and t["untracked"] > 0 and t["exact"] is False
print(("ok - " if ok else "not ok - ") + "overflow: totals untracked > 0 and exact false" + ("" if ok else " # " + str(t)))
ok = len(ipc) == 1 and ipc[0]["untracked"] > 0 and ipc[0]["outstanding"] <= ipc[0]["bytes_alloc"]
print(("ok - " if ok else "not ok - ") + "overflow: the msgsnd row counts its untracked allocations" + ("" if ok else " # " + str(ipc)))
PY
wait

# --- -c / -p: only those tasks' allocations -----------------------------------------
if [ -x build/kstorm ]; then
	# -c kstorm: exactly kstorm's 1000 msgsnd kmallocs (1234 + 48 bytes, kmalloc-2k) at
	# one call site, all freed by its msgrcv
	"$K" stat -c kstorm --caller --json -l 0 >"$tmp/cf.json" 2>"$tmp/cf.err" &
	pf=$!
	attached $pf
	build/kstorm -m msg -s 1234 -n 1000 >/dev/null
	kill -INT $pf
	wait $pf
	eq "stat -c kstorm: exit 0" "$?" 0
	has "stat -c kstorm: one row of exactly 1000 kmallocs of 1282 bytes, all freed" "$tmp/cf.json" \
		'^\{"type":"caller",.*"hits":1000,"bytes_req":1282000,"bytes_alloc":2048000,.*"outstanding":0,"frees":1000,'
	has "stat -c kstorm: totals name the scope" "$tmp/cf.json" \
		'^\{"type":"totals","mode":"caller","scope":"comm kstorm",'
	# -p: one of two kstorms (1282- and 148-byte kmallocs): the other's size class
	# (kmalloc-192) stays nearly empty
	build/kstorm -m msg -s 1234 -d 3 >/dev/null &
	k1=$!
	build/kstorm -m msg -s 100 -d 3 >/dev/null &
	k2=$!
	sleep 0.3
	"$K" stat -p $k1 --alloc --json -l 0 -d 1 >"$tmp/pf.json" 2>"$tmp/pf.err"
	eq "stat -p PID -d 1: exit 0" "$?" 0
	wait $k1 $k2
	python3 - "$tmp/pf.json" "$k1" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = {r["size"]: r for r in L if r.get("type") == "alloc"}
t = L[-1]
mine = rows.get(2048, {}).get("hits", 0)
other = rows.get(192, {}).get("hits", 0)
ok = mine > 1000 and other < 100 and t.get("scope") == "pid " + sys.argv[2]
print(("ok - " if ok else "not ok - ") + "stat -p: the process's 2048-byte kmallocs counted, the other kstorm's 192-byte ones not"
      + ("" if ok else " # 2048: %d, 192: %d, scope %s" % (mine, other, t.get("scope"))))
PY
	"$K" stat -p 4194303 -d 1 >/dev/null 2>"$tmp/np.err"
	eq "stat -p <no such pid>: exit 1" "$?" 1
	has "stat -p <no such pid>: says so" "$tmp/np.err" '^kmtrace: no such process: 4194303$'
else
	not_ok "stat -c / -p" "no build/kstorm (make all)"
fi

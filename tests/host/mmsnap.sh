# SPDX-License-Identifier: GPL-2.0
# kmtrace mm (snapshot): build/threads -n 4 shows up with mm_users 5 and
# threads 5; rows are sorted by pid, every mm_users >= 1, and for single-mm
# processes mm_users agrees with /proc/<pid>/status Threads.
. tests/lib.sh
K=${KMTRACE:-build/kmtrace}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

build/threads -n 4 -s 5 >"$tmp/threads.out" &
bg=$!
for _ in $(seq 50); do [ -s "$tmp/threads.out" ] && break; sleep 0.1; done
pid=$(sed -n 's/^PID: \([0-9]*\)$/\1/p' "$tmp/threads.out")
eq "threads started" "$pid" "$bg"
# Wait until all 4 threads run.
for _ in $(seq 50); do
	[ "$(awk '/^Threads:/ {print $2}' /proc/"$bg"/status 2>/dev/null)" = 5 ] && break
	sleep 0.1
done

"$K" mm --json >"$tmp/json" 2>"$tmp/err"
eq "mm --json exits 0" "$?" 0
"$K" mm >"$tmp/text" 2>"$tmp/err"
eq "mm exits 0" "$?" 0
# /proc view right after, for the comparisons below.
for p in /proc/[0-9]*; do
	t=$(awk '/^Threads:/ {print $2}' "$p/status" 2>/dev/null)
	[ -n "$t" ] && echo "${p#/proc/} $t"
done >"$tmp/proc"

python3 - "$tmp/json" "$tmp/proc" "$pid" <<'PY'
import json, sys
def res(name, good, why=""):
    print(("ok - " if good else "not ok - ") + name + ("" if good else " # " + why))
try:
    L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
except Exception as e:
    L = []
    res("mm --json prints JSON lines", False, str(e))
proc = dict(map(int, l.split()) for l in open(sys.argv[2]))
pid = int(sys.argv[3] or 0)
keys = {"type", "pid", "comm", "mm_users", "mm_count", "threads"}
res("mm --json: rows with pid, comm, mm_users, mm_count, threads", len(L) > 1 and all(set(o) == keys and o["type"] == "mm_snapshot" for o in L), str(L[:1]))
pids = [o["pid"] for o in L]
res("mm --json: sorted by pid, one row per process", pids == sorted(set(pids)), "")
t = [o for o in L if o["pid"] == pid]
res("mm: threads -n 4 has mm_users 5 and threads 5", len(t) == 1 and t[0]["mm_users"] == 5 and t[0]["threads"] == 5 and t[0]["comm"] == "threads", str(t))
res("mm: threads' mm_count >= 1", len(t) == 1 and t[0]["mm_count"] >= 1, str(t))
res("mm: every row has mm_users >= 1 and threads >= 1", all(o["mm_users"] >= 1 and o["threads"] >= 1 for o in L), str([o for o in L if o["mm_users"] < 1][:3]))
# Processes that are still there with the same thread count: mm_users counts
# one per thread (plus transient mmget()s, a vfork child...; minus a thread
# in the middle of exiting), so most, not all, must agree.
same = [o for o in L if proc.get(o["pid"]) == o["threads"]]
res("mm: most processes also appear in /proc with the same thread count", len(same) >= len(L) // 2, f"{len(same)} of {len(L)}")
eqn = [o for o in same if o["mm_users"] == o["threads"]]
res("mm: mm_users == /proc Threads for most processes", len(eqn) >= len(same) * 0.8, f"{len(eqn)} of {len(same)}")
PY

has "mm text: header" "$tmp/text" '^ +PID COMM +MM_USERS MM_COUNT THREADS$'
has "mm text: the threads row" "$tmp/text" "^ *$pid threads +5 +[0-9]+ +5\$"
wait "$bg"

"$K" mm --bogus >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q '^kmtrace: ' "$tmp/err"; then
	ok "mm --bogus: one 'kmtrace: ' line, exit 2"
else
	not_ok "mm --bogus: one 'kmtrace: ' line, exit 2" "rc=$rc"
fi
"$K" mm --help >"$tmp/out"
eq "mm --help exits 0" "$?" 0
has "mm --help prints usage" "$tmp/out" '^usage: kmtrace mm'

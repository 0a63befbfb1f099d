# SPDX-License-Identifier: GPL-2.0
# --perfetto FILE of `kmtrace trace` and `kmtrace mm`: the file parses as JSON
# (Chrome trace-event format), every event has the keys its phase needs, the
# tracks are there (process/thread names, mm_users and outstanding_bytes
# counters), 100 kmalloc instants of 1282 bytes for kstorm -n 100, mm_users up
# to 5 for threads -n 4; closed on SIGINT; unwritable file: exit 1 up front.
. tests/lib.sh
K=${KMTRACE:-build/kmtrace}
T=build/threads
S=build/kstorm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check_file NAME FILE PID CHECKS: python3 assertions on the parsed file; CHECKS
# is python code with `ev` (the events), `pid` and `d` (the whole object).
check_file() {
	if python3 - "$2" "$3" "$4" >"$tmp/py.out" 2>&1 <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
pid = int(sys.argv[2] or 0)
ev = d["traceEvents"]
assert d["displayTimeUnit"] == "ns"
assert isinstance(ev, list) and ev
for e in ev:
    for k in ("ph", "ts", "pid", "tid", "name"):
        assert k in e, f"no {k}: {e}"
    assert isinstance(e["pid"], int) and isinstance(e["tid"], int), e
    assert isinstance(e["ts"], (int, float)), e
    assert e["ph"] in ("M", "i", "C"), e
    if e["ph"] == "C":
        assert e["args"] and all(isinstance(v, (int, float)) for v in e["args"].values()), e
    if e["ph"] == "i":
        assert e["s"] in ("t", "p", "g"), e
    if e["ph"] == "M":
        assert e["name"] in ("process_name", "thread_name") and e["args"]["name"], e
exec(sys.argv[3])
PY
		ok "$1"
	else
		not_ok "$1" "$(tail -n 1 "$tmp/py.out")"
	fi
}

# --- trace --perfetto -- kstorm -----------------------------------------------------
if [ -x "$S" ]; then
	"$K" trace --perfetto "$tmp/ks.json" -- "$S" -m msg -s 1234 -n 100 >"$tmp/ks.out" 2>"$tmp/ks.err"
	eq "trace --perfetto -- kstorm: exit 0" "$?" 0
	pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p;s/^PID: \([0-9]*\)$/\1/p' "$tmp/ks.out" | head -n 1)
	[ -n "$pid" ] || pid=$(grep -m1 ' kstorm ' "$tmp/ks.out" | awk '{print $3}')
	check_file "trace: valid trace-event JSON, required keys per phase" "$tmp/ks.json" "$pid" ''
	check_file "trace: exactly 100 kmalloc instants of 1282 bytes, on kstorm's threads" \
		"$tmp/ks.json" "$pid" '
k = [e for e in ev if e["ph"] == "i" and e["name"] == "kmalloc" and e["args"]["bytes"] == 1282]
assert len(k) == 100, len(k)
assert all(e["pid"] == pid and e["s"] == "t" and e["args"]["ptr"].startswith("0x") for e in k), k[0]
assert all(e["args"].get("sym", "").startswith("load_msg+") for e in k), k[0]'
	check_file "trace: each of them freed (kfree instants with the same ptrs)" "$tmp/ks.json" "$pid" '
k = {e["args"]["ptr"] for e in ev if e["ph"] == "i" and e["name"] == "kmalloc" and e["args"]["bytes"] == 1282}
f = {e["args"]["ptr"] for e in ev if e["ph"] == "i" and e["name"] == "kfree" and e["args"]["tracked"]}
assert k <= f, len(k - f)'
	check_file "trace: process_name and thread_name kstorm" "$tmp/ks.json" "$pid" '
m = [e for e in ev if e["ph"] == "M" and e["pid"] == pid]
assert {"process_name", "thread_name"} <= {e["name"] for e in m}, m
assert any(e["args"]["name"] == "kstorm" for e in m), m'
	check_file "trace: counter tracks mm_users and outstanding_bytes for kstorm" \
		"$tmp/ks.json" "$pid" '
c = {e["name"] for e in ev if e["ph"] == "C" and e["pid"] == pid}
assert {"mm_users", "outstanding_bytes"} <= c, c
ob = [e["args"]["outstanding_bytes"] for e in ev if e["ph"] == "C" and e["name"] == "outstanding_bytes" and e["pid"] == pid]
assert max(ob) >= 2048 and min(ob) >= 0, (max(ob), min(ob))'
	check_file "trace: timestamps in microseconds (the run spans 0..60 s)" "$tmp/ks.json" "$pid" '
ts = [e["ts"] for e in ev if e["ph"] != "M"]
assert 0 < max(ts) - min(ts) < 60e6, max(ts) - min(ts)'
else
	not_ok "trace --perfetto -- kstorm" "no $S (make all)"
fi

# --- mm --perfetto -- threads --------------------------------------------------------
"$K" mm --perfetto "$tmp/mm.json" -- "$T" -n 4 -s 1 --stagger 100 >"$tmp/mm.out" 2>"$tmp/mm.err"
eq "mm --perfetto -- threads: exit 0" "$?" 0
pid=$(sed -n 's/^PID: \([0-9]*\)$/\1/p' "$tmp/mm.out")
check_file "mm: valid trace-event JSON, required keys per phase" "$tmp/mm.json" "$pid" ''
check_file "mm: mm_users counter of the threads pid climbs 1..5 and ends at 0" \
	"$tmp/mm.json" "$pid" '
v = [e["args"]["mm_users"] for e in ev if e["ph"] == "C" and e["name"] == "mm_users" and e["pid"] == pid]
assert v == [1, 2, 3, 4, 5, 4, 3, 2, 1, 0], v'
check_file "mm: 4 thread_start instants with thread names" "$tmp/mm.json" "$pid" '
s = [e for e in ev if e["ph"] == "i" and e["name"] == "thread_start" and e["pid"] == pid]
assert len(s) == 4, len(s)
names = {e["tid"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == pid}
assert {e["tid"] for e in s} <= names, names'

# --- SIGINT closes the file -------------------------------------------------------------
"$K" trace --perfetto "$tmp/int.json" -c kstorm >/dev/null 2>"$tmp/int.err" &
kt=$!
for _ in $(seq 100); do grep -q '^kmtrace: ready' "$tmp/int.err" && break; sleep 0.1; done
"$S" -m msg -s 1234 -n 10 >/dev/null
sleep 0.3
kill -INT $kt
wait $kt
eq "trace --perfetto: exit 0 on SIGINT" "$?" 0
check_file "trace --perfetto after SIGINT: complete JSON with the 10 kmallocs" "$tmp/int.json" 0 '
assert len([e for e in ev if e["ph"] == "i" and e["name"] == "kmalloc" and e["args"]["bytes"] == 1282]) == 10'
"$K" trace --perfetto "$tmp/term.json" -c kstorm >/dev/null 2>"$tmp/term.err" &
kt=$!
for _ in $(seq 100); do grep -q '^kmtrace: ready' "$tmp/term.err" && break; sleep 0.1; done
kill -TERM $kt
wait $kt
eq "trace --perfetto: exit 0 on SIGTERM" "$?" 0
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/term.json" 2>/dev/null; then
	ok "trace --perfetto after SIGTERM: the file parses"
else
	not_ok "trace --perfetto after SIGTERM: the file parses" "$(tail -c 100 "$tmp/term.json")"
fi

# --- errors -------------------------------------------------------------------------
"$K" trace --perfetto /nonexistent/dir/f.json -- "$T" -n 1 -s 0 >"$tmp/e.out" 2>"$tmp/e.err"
rc=$?
if [ $rc -eq 1 ] && grep -q '^kmtrace: cannot create --perfetto /nonexistent/dir/f.json: No such file' "$tmp/e.err" &&
	! grep -q '^PID:' "$tmp/e.out"; then
	ok "trace --perfetto <unwritable>: exit 1 before the command runs"
else
	not_ok "trace --perfetto <unwritable>: exit 1 before the command runs" "rc=$rc $(cat "$tmp/e.err")"
fi
"$K" trace --perfetto >/dev/null 2>"$tmp/e.err"
eq "trace --perfetto without FILE: exit 2" "$?" 2
"$K" trace --help | grep -q -- '--perfetto FILE'
eq "trace --help mentions --perfetto" "$?" 0

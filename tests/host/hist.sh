# SPDX-License-Identifier: GPL-2.0
# kmtrace hist on the host: exact counts in the right bucket for a workload
# with known kmallocs (kstorm msgsnd of 1234 bytes = one kmalloc of 1282
# requested, 2048 allocated, by load_msg) under -- CMD, -p PID and -c COMM,
# for --field req and alloc, log2 and --linear; --by keys; interval mode;
# the classic-tracepoint fallback; text format; usage and runtime errors.
. tests/lib.sh
K=build/kmtrace
S=build/kstorm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# -c tests: kstorm under a comm of its own (other kstorm runs may be going on)
C=hk$$
cp "$S" "$tmp/$C"

# bucket NAME FILE LO COUNT [KEYJSON]: the histogram (with that key, else the
# first) has exactly COUNT in the bucket starting at LO; every line is JSON.
bucket() {
	if python3 - "$2" "$3" "$4" "${5:-}" >"$tmp/py" 2>&1 <<'PY'; then ok "$1"; else not_ok "$1" "$(tail -n 1 "$tmp/py")"; fi
import json, sys
f, lo, want, key = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
H = [json.loads(l) for l in open(f) if l.strip()]
if key:
    k = json.loads(key)
    H = [h for h in H if h["key"] and all(h["key"].get(a) == b for a, b in k.items())]
assert H, "no histogram" + (" with key " + key if key else "")
got = [b["count"] for b in H[0]["buckets"] if b["lo"] == lo]
assert got == [want], f"bucket lo={lo}: {got}, want [{want}]; {H[0]}"
assert all(b["count"] > 0 and b["lo"] < b["hi"] for h in H for b in h["buckets"]), "empty or bad bucket"
assert all(h["total"] == sum(b["count"] for b in h["buckets"]) for h in H), "total != sum"
PY
}

# --- -- CMD: exact, --field req, linear 1 and log2 ------------------------------
"$K" hist --json --field req --linear 1 -- "$S" -m msg -s 1234 -n 1000 -t 2 >"$tmp/lin.out" 2>"$tmp/lin.err"
eq "hist --linear 1 -- kstorm: exit 0" "$?" 0
exp=$(sed -n 's/.*expected_kmallocs=\([0-9]*\).*/\1/p' "$tmp/lin.out")
eq "kstorm -n 1000 -t 2 says 2000 kmallocs of 1282 bytes" \
	"$exp $(sed -n 's/.*kmalloc_bytes=\([0-9]*\).*/\1/p' "$tmp/lin.out")" "2000 1282"
grep '^{' "$tmp/lin.out" >"$tmp/lin.json"
count_is "-- CMD without --by: one histogram" "$tmp/lin.json" '^\{"hist":"bytes_req","key":null,' 1
bucket "-- CMD --field req --linear 1: [1282, 1283) holds exactly 2000" "$tmp/lin.json" 1282 2000
has "linear JSON says scale linear, step 1" "$tmp/lin.json" '"scale":"linear","step":1,'
has "ready line on stderr" "$tmp/lin.err" '^kmtrace: ready: hist of bytes_req: kmalloc via raw_tp, threads via raw_tp$'
# below 1024 a linear bucket is counted in the per-CPU array (bpf/hist.h), from
# 1024 on in the hash (1282 above): both exact, in one histogram
"$K" hist --json --linear 1 -- sh -c "$S -m msg -s 900 -n 300; $S -m msg -s 1234 -n 200" \
	>"$tmp/lx.out" 2>/dev/null
grep '^{' "$tmp/lx.out" >"$tmp/lx.json"
bucket "--linear 1, array slot: [948, 949) holds exactly 300" "$tmp/lx.json" 948 300
bucket "--linear 1, hash slot in the same histogram: [1282, 1283) holds exactly 200" "$tmp/lx.json" 1282 200

"$K" hist --json --min-size 1282 --max-size 1282 -- "$S" -m msg -s 1234 -n 700 >"$tmp/l2.out" 2>/dev/null
grep '^{' "$tmp/l2.out" >"$tmp/l2.json"
bucket "-- CMD log2, req 1282..1282: [1024, 2048) holds exactly 700" "$tmp/l2.json" 1024 700
has "log2: only that bucket, total 700" "$tmp/l2.json" \
	'"buckets":\[\{"lo":1024,"hi":2048,"count":700\}\],"total":700,"scale":"log2"'

# --- --field alloc: 1282 requested -> 2048 allocated --------------------------------
"$K" hist --json --field alloc --min-size 1282 --max-size 1282 -- "$S" -m msg -s 1234 -n 600 \
	>"$tmp/al.out" 2>/dev/null
grep '^{' "$tmp/al.out" >"$tmp/al.json"
has "--field alloc: hist is bytes_alloc" "$tmp/al.json" '^\{"hist":"bytes_alloc",'
bucket "--field alloc log2: [2048, 4096) holds exactly 600" "$tmp/al.json" 2048 600
"$K" hist --json --field alloc --linear 1 --min-size 1282 --max-size 1282 -- "$S" -m msg -s 1234 -n 600 \
	>"$tmp/al1.out" 2>/dev/null
grep '^{' "$tmp/al1.out" >"$tmp/al1.json"
bucket "--field alloc --linear 1: [2048, 2049) holds exactly 600" "$tmp/al1.json" 2048 600

# --- -p PID: a process that waits for a go file, then execs kstorm -----------------------
sh -c 'while [ ! -e "$1" ]; do sleep 0.02; done; exec "$2" -m msg -s 1234 -n 800' sh "$tmp/go" "$S" \
	>"$tmp/p.ks" &
wp=$!
"$K" hist --json --field alloc -p $wp -d 30 --min-size 1282 --max-size 1282 >"$tmp/p.out" 2>"$tmp/p.err" &
kp=$!
if wait_ready "$tmp/p.err"; then ok "-p: ready"; else not_ok "-p: ready" "$(cat "$tmp/p.err")"; fi
touch "$tmp/go"
wait $wp
wait $kp
eq "-p PID: hist exits 0 when the process exits" "$?" 0
bucket "-p PID --field alloc: [2048, 4096) holds exactly 800" "$tmp/p.out" 2048 800
has "-p PID: no --by, key null" "$tmp/p.out" '^\{"hist":"bytes_alloc","key":null,'

# --- -c COMM --by comm, ended by SIGINT --------------------------------------------------
"$K" hist --json --by comm -c $C --linear 1 >"$tmp/c.out" 2>"$tmp/c.err" &
kc=$!
wait_ready "$tmp/c.err"
"$tmp/$C" -m msg -s 1234 -n 300 >/dev/null
sleep 0.2
kill -INT $kc
wait $kc
eq "-c COMM: exit 0 on SIGINT" "$?" 0
bucket "--by comm: key {comm: COMM}, [1282, 1283) holds exactly 300" "$tmp/c.out" 1282 300 "{\"comm\":\"$C\"}"
count_is "-c COMM --by comm: one histogram" "$tmp/c.out" '^\{"hist"' 1

# --- --by caller and --by pid -------------------------------------------------------------
"$K" hist --json --by caller --field alloc -- "$S" -m msg -s 1234 -n 400 >"$tmp/cl.out" 2>/dev/null
grep '^{' "$tmp/cl.out" >"$tmp/cl.json"
if python3 - "$tmp/cl.json" >"$tmp/py" 2>&1 <<'PY'; then ok "--by caller: load_msg/alloc_msg key has exactly 400 in [2048, 4096)"; else not_ok "--by caller: load_msg key" "$(tail -n 1 "$tmp/py")"; fi
import json, re, sys
H = [json.loads(l) for l in open(sys.argv[1])]
assert all(re.match(r"0x[0-9a-f]+$", h["key"]["call_site"]) for h in H), "call_site not hex"
ipc = [h for h in H if h["key"]["sym"] and re.match(r"(alloc_msg|load_msg)[.\w]*\+0x[0-9a-f]+$", h["key"]["sym"])]
assert len(ipc) == 1, [h["key"] for h in H]
assert ipc[0]["buckets"] == [{"lo": 2048, "hi": 4096, "count": 400}], ipc[0]
assert H[0] is ipc[0], "largest histogram not first"
PY
"$K" hist --by caller -- "$S" -m msg -s 1234 -n 400 >"$tmp/clt.out" 2>/dev/null
has "--by caller text: @bytes_req[caller load_msg+0x…]:" "$tmp/clt.out" '^@bytes_req\[caller (alloc_msg|load_msg)[.a-z_0-9]*\+0x[0-9a-f]+\]:$'

"$K" hist --json --by pid --linear 1 -- sh -c "$S -m msg -s 1234 -n 50; true" >"$tmp/pid.out" 2>/dev/null
grep '^{' "$tmp/pid.out" >"$tmp/pid.json"
bucket "--by pid, forked child followed: kstorm's key has exactly 50 in [1282, 1283)" "$tmp/pid.json" \
	1282 50 '{"comm":"kstorm"}'
has "--by pid: key has pid and comm" "$tmp/pid.json" '"key":\{"pid":[0-9]+,"comm":"sh"\}'

"$K" hist --json --by gfp -- "$S" -m msg -s 1234 -n 10 >"$tmp/gfp.out" 2>/dev/null
has "--by gfp: GFP_KERNEL_ACCOUNT key (msg_msg)" "$tmp/gfp.out" '"key":\{"gfp":"GFP_KERNEL_ACCOUNT","gfp_flags":"0x[0-9a-f]+"\}'

# --- text format ------------------------------------------------------------------------------
"$K" hist --min-size 1282 --max-size 1282 -- "$S" -m msg -s 1234 -n 100 >"$tmp/txt.out" 2>/dev/null
eq "text mode: exit 0" "$?" 0
has "text header" "$tmp/txt.out" '^@bytes_req \(kmalloc, build/kstorm and its children, req 1282\.\.1282\):$'
has "text bucket line with a full bar" "$tmp/txt.out" '^\[1024, 2048\) +100 \|@{52}\|$'

# --- interval mode: COUNT reports, then exit ------------------------------------------------
start=$(date +%s%N)
"$K" hist --json -c no-such-comm 0.2 3 >"$tmp/iv.out" 2>/dev/null
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
eq "INTERVAL COUNT: exit 0 by itself" "$rc" 0
count_is "0.2 3: exactly 3 JSON lines" "$tmp/iv.out" '^\{' 3
eq "0.2 3: intervals 1 2 3" "$(sed -n 's/.*"interval":\([0-9]*\)}$/\1/p' "$tmp/iv.out" | tr '\n' ' ')" "1 2 3 "
has "empty interval: buckets [] total 0" "$tmp/iv.out" '"key":null,"buckets":\[\],"total":0,'
if [ "$ms" -ge 550 ] && [ "$ms" -lt 5000 ]; then ok "0.2 3 took ~0.6 s (${ms} ms)"; else not_ok "0.2 3 took ~0.6 s" "${ms} ms"; fi
"$K" hist -c no-such-comm 0.1 2 >"$tmp/ivt.out" 2>/dev/null
count_is "text interval: 2 time lines" "$tmp/ivt.out" '^[0-9]{2}:[0-9]{2}:[0-9]{2}$' 2
count_is "text interval: 2 no-events lines" "$tmp/ivt.out" '^@bytes_req \(kmalloc, comm no-such-comm\): no events$' 2

# intervals reset: the workload's kmallocs are counted in one interval only
"$K" hist --json --linear 1 -c $C 0.5 4 >"$tmp/ivk.out" 2>"$tmp/ivk.err" &
ki=$!
wait_ready "$tmp/ivk.err"
"$tmp/$C" -m msg -s 1234 -n 250 >/dev/null
wait $ki
if python3 - "$tmp/ivk.out" >"$tmp/py" 2>&1 <<'PY'; then ok "intervals reset: 250 kmallocs of 1282 counted once over 4 intervals"; else not_ok "intervals reset" "$(tail -n 1 "$tmp/py")"; fi
import json, sys
H = [json.loads(l) for l in open(sys.argv[1])]
assert [h["interval"] for h in H] == [1, 2, 3, 4], [h["interval"] for h in H]
n = sum(b["count"] for h in H for b in h["buckets"] if b["lo"] == 1282)
assert n == 250, n
PY

# --- classic tracepoints ------------------------------------------------------------------------
KMTRACE_NO_RAW_TP=1 "$K" hist --json --linear 1 -- "$S" -m msg -s 1234 -n 500 >"$tmp/tp.out" 2>"$tmp/tp.err"
eq "KMTRACE_NO_RAW_TP=1: exit 0" "$?" 0
has "classic tracepoints: ready line says so" "$tmp/tp.err" '^kmtrace: ready: hist of bytes_req: kmalloc via tracepoint, threads off$'
grep '^{' "$tmp/tp.out" >"$tmp/tp.json"
bucket "classic tracepoints: [1282, 1283) holds exactly 500" "$tmp/tp.json" 1282 500

# --- errors ----------------------------------------------------------------------------------------
for bad in "--by size" "--field bytes" "--linear 0" "--linear 1k" "--linear" "x" "0" "1s" "1 0" \
	"1 x" "1 2 3" "--perfetto /tmp/x.json" "-p 1 -- true" "--bogus" "--" "--min-size 10 --max-size 5"; do
	# shellcheck disable=SC2086
	exits_with "hist $bad: one 'kmtrace:' line, exit 2" 2 '^kmtrace: ' "$K" hist $bad
done
"$K" hist --help | grep -q '^usage: kmtrace hist'
eq "hist --help: usage on stdout, exit 0" "$?" 0
"$K" --help | grep -Eq '^  hist +histograms'
eq "kmtrace --help lists hist" "$?" 0
exits_with "hist -p <no such pid>: exit 1" 1 '^kmtrace: no such process' "$K" hist -p 4000000
"$K" hist -- /nonexistent/cmd >/dev/null 2>"$tmp/e.err"
rc=$?
if [ $rc -eq 1 ] && grep -q '^kmtrace: cannot run /nonexistent/cmd' "$tmp/e.err"; then
	ok "hist -- <missing command>: exit 1"
else
	not_ok "hist -- <missing command>: exit 1" "rc=$rc $(cat "$tmp/e.err")"
fi

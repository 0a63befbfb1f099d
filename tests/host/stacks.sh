# SPDX-License-Identifier: GPL-2.0
# Kernel stacks: trace --stacks (text and JSON), the outstanding report
# grouped by stack, --folded on trace and stat (bytes and count weights),
# what cannot be stored counted and said, files 0600, usage errors.
# The truths kmtrace did not compute: kstorm's msg mode makes exactly N
# kmallocs of 48+S bytes from do_msgsnd -> load_msg (kmalloc-1k for S = 952:
# 1024 bytes each); the kernel's own stack of the same events (a tracefs
# stacktrace trigger on kmem:kmalloc, offsets on) and bpftrace's kstack
# (when bpftrace is installed) must equal the stacks kmtrace prints.
. tests/lib.sh
K=${KMTRACE:-build/kmtrace}
N=1000
S=952
REQ=$((48 + S)) # bytes_req of each message's kmalloc
CLS=1024        # its slab: kmalloc-1k
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# strict_folded FILE: every line "frame;frame;... WEIGHT" (frames root first:
# non-empty, no ';', no leading/trailing/double space, printable ASCII; a
# single space, then a decimal weight > 0), the lines sorted and unique.
# Prints "ok"/"not ok" lines; sets nothing.
strict_folded() {
	python3 - "$1" <<'PY'
import re, sys
p = sys.argv[1]
lines = open(p, "rb").read().decode("ascii", "replace").split("\n")
res = lambda n, g, w="": print(("ok - " if g else "not ok - ") + n + ("" if g else " # " + w))
res(f"folded {p}: ends with a newline, not empty", lines[-1] == "" and len(lines) > 1, repr(lines[-2:]))
frame = r"[!-:<-~]+(?: [!-:<-~]+)*"  # printable ASCII but ';' and space; single inner spaces
line_re = re.compile(rf"^{frame}(?:;{frame})* [1-9][0-9]*$")
bad = [l for l in lines[:-1] if not line_re.match(l)]
res(f"folded {p}: every line is frame;frame;... WEIGHT (strict)", not bad, repr(bad[:3]))
stacks = [l.rsplit(" ", 1)[0] for l in lines[:-1]]
res(f"folded {p}: stacks sorted and unique (equal stacks merged)",
    stacks == sorted(set(stacks)), "")
PY
}

# kstorm ARGS: as the traced command, its own output to $tmp/ks.out (a line
# of it in the middle of kmtrace's buffered JSON would split an object);
# the same pid.
# shellcheck disable=SC2016
KS=(sh -c 'o=$1; shift; exec "$@" >"$o"' sh "$tmp/ks.out" build/kstorm)

# weight FILE REGEX: the weights of the folded lines whose stack matches REGEX, summed.
weight() { awk -v re="$2" '{ w = $NF; s = $0; sub(/ [0-9]+$/, "", s); if (s ~ re) t += w } END { print t + 0 }' "$1"; }
total() { awk '{ t += $NF } END { print t + 0 }' "$1"; }
# The msg path, root first: do_msgsnd, then load_msg, then the allocator.
MSGPATH='(^|;)do_msgsnd;(.*;)?load_msg;'

# --- trace --stacks --json --folded --------------------------------------------------
"$K" trace --stacks --json -l 0 --folded "$tmp/a.folded" -- "${KS[@]}" -n $N -s $S \
	>"$tmp/a.json" 2>"$tmp/a.err"
eq "trace --stacks --json --folded -- kstorm -n $N: exit 0" "$?" 0
has "trace --stacks: kstorm ran ($N messages of $REQ bytes)" "$tmp/ks.out" \
	"^mode=msg threads=1 ops=$N size=$S kmalloc_bytes=$REQ expected_kmallocs=$N "
python3 - "$tmp/a.json" "$N" "$REQ" "$tmp/kmt.stacks" "$tmp/a.total" <<'PY'
import json, re, sys
f, N, REQ, out, tot = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
res = lambda n, g, w="": print(("ok - " if g else "not ok - ") + n + ("" if g else " # " + w))
L = [json.loads(l) for l in open(f) if l.startswith("{")]
allocs = [o for o in L if o["event"] in ("kmalloc", "cache_alloc", "page_alloc", "vmalloc", "percpu_alloc")]
res("trace --stacks --json: every allocation has a stack array", allocs and all(isinstance(o.get("stack"), list) for o in allocs), "")
res("trace --stacks --json: no free or other event has one", not [o for o in L if "stack" in o and o not in allocs and o["event"] != "outstanding_stack"], "")
lost = [o for o in allocs if not o["stack"]]
# kstorm's own allocations all have their stacks; another process's (the
# shell's exec, a rare bpf_get_stackid failure) may not, but then it says why
res("trace --stacks --json: every kstorm allocation got its stack", not [o for o in lost if o.get("comm") == "kstorm"], repr(lost[:2]))
res("trace --stacks --json: an allocation without a stack says why (stack_error)", all(o.get("stack_error") for o in lost), repr(lost[:2]))
msgs = [o for o in allocs if o["event"] == "kmalloc" and o["bytes_req"] == REQ]
res(f"trace --stacks --json: exactly {N} kmallocs of {REQ} bytes (kstorm's messages)", len(msgs) == N, str(len(msgs)))
def path_ok(st):
    fn = [re.sub(r"\+0x[0-9a-f]+$", "", s) for s in st]
    return "load_msg" in fn and "do_msgsnd" in fn and fn.index("load_msg") < fn.index("do_msgsnd") \
        and fn[0].startswith(("__kmalloc", "kmalloc")) and all(re.match(r"^[\w.]+\+0x[0-9a-f]+$", s) for s in st)
bad = [o["stack"] for o in msgs if not path_ok(o["stack"])]
res("trace --stacks: each message's stack is the allocator, then load_msg, then do_msgsnd (innermost first, func+0xoff)", msgs and not bad, repr(bad[:1]))
with open(out, "w") as o:
    for s in sorted({";".join(m["stack"]) for m in msgs}):
        print(s, file=o)
with open(tot, "w") as o:
    print(sum(a["bytes_alloc"] for a in allocs), len(allocs), file=o)
# the outstanding report: what the events left allocated, grouped by stack
live = {}
for o in L:
    e = o["event"]
    if o in allocs:
        k = ("p", o["pfn"]) if e == "page_alloc" else (e == "percpu_alloc", o["ptr"])
        if e == "page_alloc" or int(o["ptr"], 16) >= 4096:
            live[k] = o
    elif e in ("kfree", "cache_free", "page_free", "vfree", "percpu_free") and o.get("tracked"):
        live.pop(("p", o["pfn"]) if e == "page_free" else (e == "percpu_free", o["ptr"]), None)
G = [o for o in L if o["event"] == "outstanding_stack"]
sm = [o for o in L if o["event"] == "summary"]
res("trace --stacks --json: outstanding_stack objects, then the summary last",
    G and sm and L[-1] is sm[0] and L.index(G[-1]) < L.index(sm[0]), "")
res("trace --stacks -l 0: ranks 1..n, bytes never growing",
    [g["rank"] for g in G] == list(range(1, len(G) + 1)) and all(G[i]["bytes"] >= G[i + 1]["bytes"] for i in range(len(G) - 1)), "")
res("trace --stacks: the groups hold exactly the allocations the events left outstanding",
    sum(g["allocations"] for g in G) == len(live) and sum(g["bytes"] for g in G) == sum(a["bytes_alloc"] for a in live.values()),
    f'{sum(g["allocations"] for g in G)} allocations / {sum(g["bytes"] for g in G)} bytes vs {len(live)} / {sum(a["bytes_alloc"] for a in live.values())}')
# (allocations without a stack group by why: a collision, no stack at all)
key = lambda o: ";".join(o["stack"]) + "|" + o.get("stack_error", "")
by = {}
for a in live.values():
    by.setdefault(key(a), []).append(a["bytes_alloc"])
A = sorted((key(g), g["allocations"], g["bytes"]) for g in G)
B = sorted((k, len(v), sum(v)) for k, v in by.items())
res("trace --stacks: each group's stack, count and bytes are those of its allocations",
    A == B, f"groups only: {[x for x in A if x not in B][:2]}, events only: {[x for x in B if x not in A][:2]}")
PY

# --- the kernel's own stacks of the same events (tracefs) ------------------------------
# ftrace_stacks OUT CMD...: CMD under a private tracefs instance with a
# stacktrace trigger on kmem:kmalloc of REQ bytes by CMD and its threads; the distinct
# stacks (func+0xoff, innermost first, ftrace's own frames dropped) to OUT,
# their count to OUT.n.
ftrace_stacks() {
	_o=$1
	shift
	_t=/sys/kernel/tracing
	[ -d $_t/events ] || mount -t tracefs nodev $_t 2>/dev/null
	_i=$_t/instances/kmt_stacks_$$
	mkdir $_i || return 1
	echo 4096 >$_i/buffer_size_kb
	echo 1 >$_i/options/sym-offset
	echo 1 >$_i/options/event-fork # kstorm's worker threads too
	echo "bytes_req == $REQ" >$_i/events/kmem/kmalloc/filter
	echo "stacktrace if bytes_req == $REQ" >$_i/events/kmem/kmalloc/trigger
	# shellcheck disable=SC2016
	sh -c 'echo $$ >"$1/set_event_pid" && echo 1 >"$1/events/kmem/kmalloc/enable" &&
		shift && exec "$@"' sh $_i "$@" >/dev/null
	echo 0 >$_i/events/kmem/kmalloc/enable
	# A conditional trigger also fires for tasks set_event_pid leaves out
	# (other kstorms on this machine): only the stacks of the tasks whose
	# kmalloc events were recorded (ours) count.
	awk 'NR == FNR { if ($0 ~ / kmalloc: /) ours[$1] = 1; next }
		/<stack trace>/ { if (s != "") print s; s = ""; on = ($1 in ours); next }
		on && /^ => / { f = $2; sub(/\/0x[0-9a-f]+$/, "", f)
			if (s == "" && f ~ /^(trace_event_raw_event_|__traceiter_|perf_trace_|trace_)/) next
			s = s (s == "" ? "" : ";") f; next }
		{ if (s != "") print s; s = ""; on = 0 }
		END { if (s != "") print s }' $_i/trace $_i/trace >"$_o.all"
	sort -u "$_o.all" >"$_o"
	wc -l <"$_o.all" | tr -d ' ' >"$_o.n"
	echo "!stacktrace if bytes_req == $REQ" >$_i/events/kmem/kmalloc/trigger
	rmdir $_i
}
ftrace_stacks "$tmp/ft.stacks" build/kstorm -n $N -s $S
eq "tracefs: the kernel's stacktrace trigger saw $N kmallocs of $REQ bytes by kstorm" \
	"$(cat "$tmp/ft.stacks.n" 2>/dev/null)" "$N"
if [ -s "$tmp/ft.stacks" ] && cmp -s "$tmp/ft.stacks" "$tmp/kmt.stacks"; then
	ok "trace --stacks: the stacks equal the kernel's own (tracefs stacktrace, func+0xoff): $(head -c 200 "$tmp/kmt.stacks")"
else
	not_ok "trace --stacks: the stacks equal the kernel's own (tracefs stacktrace)" \
		"kmtrace: $(tr '\n' '|' <"$tmp/kmt.stacks") tracefs: $(tr '\n' '|' <"$tmp/ft.stacks")"
fi
if command -v bpftrace >/dev/null; then
	# bpftrace prints "    func+DECIMAL" per frame, its own tracing frames first
	# shellcheck disable=SC2016
	bpftrace -e "tracepoint:kmem:kmalloc /pid == cpid && args->bytes_req == $REQ/ { @[kstack] = count(); }" \
		-c "build/kstorm -n $N -s $S" >"$tmp/bt.out" 2>"$tmp/bt.err"
	bt_total=$(python3 - "$tmp/bt.out" "$tmp/bt.stacks" <<'PY'
import re, sys
stacks, total, cur = set(), 0, None
for l in open(sys.argv[1]):
    if l.startswith("@["):
        cur = []
    elif cur is not None and re.match(r"^\s+\S+\+\d+$", l):
        f, off = l.strip().rsplit("+", 1)
        if not cur and re.match(r"(trace_event_raw_event_|__traceiter_|perf_trace_|trace_|bpf_)", f):
            continue
        cur.append(f"{f}+{int(off):#x}")
    elif cur is not None and (m := re.match(r"^\]: (\d+)$", l)):
        stacks.add(";".join(cur))
        total += int(m.group(1))
        cur = None
with open(sys.argv[2], "w") as o:
    for s in sorted(stacks):
        print(s, file=o)
print(total)
PY
)
	eq "bpftrace: kstack on kmem:kmalloc saw $N kmallocs of $REQ bytes by kstorm" "$bt_total" "$N"
	if [ -s "$tmp/bt.stacks" ] && cmp -s "$tmp/bt.stacks" "$tmp/kmt.stacks"; then
		ok "trace --stacks: the stacks equal bpftrace's kstack of the same tracepoint"
	else
		not_ok "trace --stacks: the stacks equal bpftrace's kstack" \
			"kmtrace: $(tr '\n' '|' <"$tmp/kmt.stacks") bpftrace: $(tr '\n' '|' <"$tmp/bt.stacks")"
	fi
else
	echo "# bpftrace not installed: stacks compared with tracefs only"
fi

# --- the folded file of that run --------------------------------------------------------
eq "--folded: the file is created 0600" "$(stat -c %a "$tmp/a.folded")" 600
strict_folded "$tmp/a.folded"
eq "--folded (bytes): the stacks through do_msgsnd -> load_msg weigh $N x $CLS bytes" \
	"$(weight "$tmp/a.folded" "$MSGPATH")" $((N * CLS))
read -r tbytes _ <"$tmp/a.total"
eq "--folded (bytes): all lines weigh what the run's allocation events allocated" \
	"$(total "$tmp/a.folded")" "$tbytes"
has "--folded: frames are names without offsets, root first" "$tmp/a.folded" \
	'^entry_SYSCALL_64[^;]*;(.*;)?do_msgsnd;(.*;)?load_msg;[^;+]+ [0-9]+$'

# --folded-weight count (trace); an existing file loses its group/other bits
echo old >"$tmp/c.folded"
chmod 644 "$tmp/c.folded"
"$K" trace --folded "$tmp/c.folded" --folded-weight count --json -- "${KS[@]}" -n $N -s $S \
	>"$tmp/c.json" 2>"$tmp/c.err"
eq "trace --folded --folded-weight count: exit 0" "$?" 0
eq "--folded: an existing file is made 0600" "$(stat -c %a "$tmp/c.folded")" 600
strict_folded "$tmp/c.folded"
eq "--folded-weight count: the stacks through do_msgsnd -> load_msg weigh $N" \
	"$(weight "$tmp/c.folded" "$MSGPATH")" $N
eq "--folded-weight count: all lines weigh the run's allocation events" "$(total "$tmp/c.folded")" \
	"$(grep -cE '"event":"(kmalloc|cache_alloc|page_alloc|vmalloc|percpu_alloc)"' "$tmp/c.json")"
if grep -q '"stack"' "$tmp/c.json"; then
	not_ok "--folded without --stacks: no stack in the JSON events" "$(grep -m1 '"stack"' "$tmp/c.json")"
else
	ok "--folded without --stacks: no stack in the JSON events"
fi

# A folded-stack renderer, when one is installed (flamegraph.pl, inferno):
# it reads the file and draws the msg path.
for r in flamegraph.pl inferno-flamegraph; do
	command -v $r >/dev/null || continue
	$r "$tmp/a.folded" >"$tmp/a.svg" 2>"$tmp/r.err"
	eq "$r renders the folded file (exit 0)" "$?" 0
	has "$r: the SVG draws load_msg" "$tmp/a.svg" 'load_msg'
done

# --- text ------------------------------------------------------------------------------
"$K" trace --stacks -- "${KS[@]}" -n 200 -s $S >"$tmp/t.out" 2>"$tmp/t.err"
eq "trace --stacks (text): exit 0" "$?" 0
awk -v req=$REQ '
	/^[0-9]+\.[0-9]+ / { if (msg) n += ok; msg = ($5 == "kmalloc" && $6 == req && $2 == "kstorm"); ok = 0; a = 0; next }
	msg && /^    load_msg\+0x[0-9a-f]+$/ { a = 1; next }
	msg && /^    do_msgsnd\+0x[0-9a-f]+$/ { if (a) ok = 1; next }
	/^    / { next }
	{ if (msg) n += ok; msg = 0 }
	END { if (msg) n += ok; print n + 0 }' "$tmp/t.out" >"$tmp/t.n"
eq "trace --stacks (text): each of the 200 messages' events is followed by its frames, load_msg then do_msgsnd" \
	"$(cat "$tmp/t.n")" 200
has "trace --stacks (text): the outstanding report's title" "$tmp/t.out" \
	'^--- outstanding at the end by kernel stack: [0-9]+ allocations? \([0-9]+ bytes\) in [0-9]+ stacks?(, the top 10)? ---$'
has "trace --stacks (text): a group line, its frames under it" "$tmp/t.out" \
	'^[0-9]+ bytes in [0-9]+ allocations? from stack:$'
n=$(awk '/^--- outstanding at the end by kernel stack/ {f = 1; next} f && /from stack:$/ {n++} /^--- kmtrace summary/ {f = 0} END {print n + 0}' "$tmp/t.out")
if [ "$n" -ge 1 ] && [ "$n" -le 10 ]; then ok "trace --stacks: at most 10 groups by default ($n)"; else
	not_ok "trace --stacks: at most 10 groups by default" "$n"; fi
"$K" trace --stacks -l 2 -- "${KS[@]}" -n 10 >"$tmp/l.out" 2>/dev/null
eq "trace --stacks -l 2: two groups" \
	"$(awk '/^--- outstanding at the end/ {f = 1} f && /from stack:$/ {n++} END {print n + 0}' "$tmp/l.out")" 2

# --- stat --folded ----------------------------------------------------------------------
# stat_folded OUT WEIGHT: stat -p on a shell that, once stat is attached,
# execs kstorm (same pid: only its allocations are counted); $src: stat's
# exit status (the ready line is waited for up to 2 minutes: this machine is
# shared, and a load took more than wait_ready's 30 s).
stat_folded() {
	rm -f "$tmp/go"
	mkfifo "$tmp/go"
	sh -c 'read -r _ <"$1"; exec build/kstorm -n "$2" -s "$3" >/dev/null' sh "$tmp/go" $N $S &
	w=$!
	"$K" stat -p $w --folded "$1" --folded-weight "$2" >"$tmp/stat.out" 2>"$tmp/stat.err" &
	st=$!
	for _ in $(seq 1200); do
		grep -q '^kmtrace: ready' "$tmp/stat.err" && break
		kill -0 $st 2>/dev/null || break
		sleep 0.1
	done
	echo go >"$tmp/go"
	wait $w
	kill -INT $st
	wait $st
	src=$?
	eq "stat -p --folded --folded-weight $2: exit 0 ($(grep -v '^kmtrace: ready' "$tmp/stat.err" | tr '\n' '|'))" \
		"$src" 0
}
stat_folded "$tmp/sb.folded" bytes
eq "stat --folded: the file is 0600" "$(stat -c %a "$tmp/sb.folded")" 600
strict_folded "$tmp/sb.folded"
eq "stat --folded (bytes): the msg path weighs $N x $CLS bytes" "$(weight "$tmp/sb.folded" "$MSGPATH")" \
	$((N * CLS))
eq "stat --folded (bytes): all stacks weigh the totals' bytes allocated" "$(total "$tmp/sb.folded")" \
	"$(sed -n 's/^Total bytes allocated: *\([0-9]*\)$/\1/p' "$tmp/stat.out")"
stat_folded "$tmp/sc.folded" count
eq "stat --folded --folded-weight count: the msg path weighs $N" "$(weight "$tmp/sc.folded" "$MSGPATH")" $N
eq "stat --folded (count): all stacks weigh the allocations counted" "$(total "$tmp/sc.folded")" \
	"$(sed -n 's/^Allocations: *\([0-9]*\).*/\1/p' "$tmp/stat.out")"

# --- what does not fit is counted and said -----------------------------------------------
# Two entries for many stacks: collisions and a full map, on purpose.
"$K" trace --stacks --json --folded "$tmp/x.folded" --folded-weight count --stack-storage 2 \
	-- "${KS[@]}" -m pipe -n 50 >"$tmp/x.json" 2>"$tmp/x.err"
eq "trace --stack-storage 2: exit 0" "$?" 0
nost=$(grep -E '"event":"(kmalloc|cache_alloc|page_alloc|vmalloc|percpu_alloc)"' "$tmp/x.json" |
	grep -cE '"stack":\[\],"stack_error":"(hash collision in the stack map|stack map full)"')
said=$(sed -n 's/^kmtrace: --folded: \([0-9]*\) allocations without a stack (.*/\1/p' "$tmp/x.err")
if [ "$nost" -gt 0 ] && [ "$said" = "$nost" ]; then
	ok "--stack-storage 2: $nost allocations without a stack, each said so in JSON, counted on stderr"
else
	not_ok "--stack-storage 2: allocations without a stack counted" \
		"JSON: $nost, stderr: '$said' ($(tr '\n' '|' <"$tmp/x.err"))"
fi
eq "--stack-storage 2: they weigh under [no_stack] in the folded file" \
	"$(sed -n 's/^\[no_stack\] \([0-9]*\)$/\1/p' "$tmp/x.folded")" "$nost"
eq "--stack-storage 2: the folded total is still every allocation" "$(total "$tmp/x.folded")" \
	"$(grep -cE '"event":"(kmalloc|cache_alloc|page_alloc|vmalloc|percpu_alloc)"' "$tmp/x.json")"
strict_folded "$tmp/x.folded"

# A small map (4 buckets a stack: collisions likely, room left): stacks that
# collide are taken again without the tracing frames (raw_tp); they must name
# the same frames as in a roomy map.  pipe mode: one 640-byte kcalloc (the
# pipe_buffer array) per op.
"$K" trace --stacks --json -- "${KS[@]}" -m pipe -n 200 >"$tmp/p1.json" 2>/dev/null
u=$(grep -o '"stack":\[[^]]*' "$tmp/p1.json" | sort -u | wc -l)
"$K" trace --stacks --json --stack-storage $((4 * u)) -- "${KS[@]}" -m pipe -n 200 \
	>"$tmp/p2.json" 2>"$tmp/p2.err"
echo "# --stack-storage $((4 * u)): $(grep 'without a stack' "$tmp/p2.err" || echo 'no stack lost')"
python3 - "$tmp/p1.json" "$tmp/p2.json" <<'PY'
import json, re, sys
res = lambda n, g, w="": print(("ok - " if g else "not ok - ") + n + ("" if g else " # " + w))
def load(p):
    return [o for o in (json.loads(l) for l in open(p) if l.startswith("{")) if "stack" in o and "rank" not in o]
a, b = load(sys.argv[1]), load(sys.argv[2])
ref = {";".join(o["stack"]) for o in a if o["event"] == "kmalloc" and o["bytes_req"] == 640}
got = {";".join(o["stack"]) for o in b if o["event"] == "kmalloc" and o["bytes_req"] == 640 and o["stack"]}
res("a small --stack-storage: the pipe buffers' stacks that found room are the roomy map's", len(ref) == 1 and got <= ref, f"{ref} / {got}")
trc = re.compile(r"^(bpf_trace_run|__bpf_trace_|__traceiter_|perf_trace_|trace_event_raw_event_|_einittext)")
bad = [o["stack"][:2] for o in a + b if o["stack"] and (trc.match(o["stack"][0]) or o["stack"][0].startswith("0x"))]
res("--stacks: no stack starts with a tracing frame or an unnamed one", not bad, repr(bad[:3]))
PY

# --- usage and runtime errors --------------------------------------------------------------
exits_with "trace --folded-weight without --folded: usage error" 2 \
	'^kmtrace: trace: --folded-weight needs --folded FILE' "$K" trace --folded-weight count -- true
exits_with "trace -l without --stacks: usage error" 2 '^kmtrace: trace: -l/--lines needs --stacks' \
	"$K" trace -l 3 -- true
exits_with "stat --stack-storage without --folded: usage error" 2 \
	'^kmtrace: stat: --stack-storage needs --stacks or --folded FILE' "$K" stat --stack-storage 64
exits_with "trace --folded-weight bogus: usage error" 2 '^kmtrace: trace: .*folded-weight' \
	"$K" trace --folded x --folded-weight bogus -- true
exits_with "trace --stack-storage 0: usage error" 2 '^kmtrace: trace: .*stack-storage' \
	"$K" trace --stacks --stack-storage 0 -- true
exits_with "trace --folded in a missing directory: one line, exit 1" 1 \
	'^kmtrace: cannot create --folded /nonexistent/x.folded: No such file or directory$' \
	"$K" trace --folded /nonexistent/x.folded -- true
exits_with "stat --folded in a missing directory: one line, exit 1" 1 \
	'^kmtrace: cannot create --folded /nonexistent/x.folded: No such file or directory$' \
	"$K" stat --folded /nonexistent/x.folded -d 1

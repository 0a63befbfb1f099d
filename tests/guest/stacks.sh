# SPDX-License-Identifier: GPL-2.0
# vm-checks: 22
# Kernel stacks of a module's allocations, in the VM (busybox sh, as root,
# cwd /kmtrace): `kmtrace trace -m kmdemo --stacks --folded` while kmdemo is
# loaded with leak=1 and unloaded.  The stacks of kmdemo's kmalloc and page
# allocation name kmdemo's __init function (from the .ko: its text is freed
# after init) and equal, frame by frame, the kernel's own stacks of the same
# events (a tracefs stacktrace trigger); the leak report's group by stack
# names kmdemo_init after the module is gone; the folded file weighs what
# kmdemo printed it allocated.  The last line is "# stacks guest: done".
. /kmtrace/tests/lib.sh

# --- the kernel's stacks: a trace instance, stacktrace triggers on kmdemo's
# two allocations (the only kmalloc of 4096 bytes and the only order-1 page
# allocation modprobe makes), offsets on.  The instance is left behind (the VM
# is thrown away; 6.1's rmdir of an instance soft-locked under TCG).
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T
I=$T/instances/kmt_stacks
mkdir $I
echo 1 >$I/options/sym-offset
KM='comm == "modprobe" && bytes_req == 4096'
PG='comm == "modprobe" && order == 1'
echo "$KM" >$I/events/kmem/kmalloc/filter
echo "stacktrace if $KM" >$I/events/kmem/kmalloc/trigger
echo "$PG" >$I/events/kmem/mm_page_alloc/filter
echo "stacktrace if $PG" >$I/events/kmem/mm_page_alloc/trigger
echo 1 >$I/events/kmem/kmalloc/enable
echo 1 >$I/events/kmem/mm_page_alloc/enable

start_kmtrace /tmp/st.out /tmp/st.err trace --json -m kmdemo --stacks -l 0 --folded /tmp/st.folded
has "trace -m kmdemo --stacks: ready" /tmp/st.err '^kmtrace: ready'
dmesg -c >/dev/null
modprobe kmdemo size=4096 order=1 leak=1
eq "modprobe kmdemo size=4096 order=1 leak=1" "$?" 0
rmmod kmdemo
eq "rmmod kmdemo" "$?" 0
dmesg >/tmp/st.dmesg
stop_kmtrace "--stacks"
echo 0 >$I/tracing_on
grep '^{' /tmp/st.out >/tmp/st.json
echo "# stderr: $(tr '\n' '|' </tmp/st.err)"
grep -E '"event":"(kmalloc|page_alloc|leak_stack)"' /tmp/st.json | sed 's/^/#   /'

# stack_of FILE REGEX: the "stack" array (the last key) of the first line
# matching REGEX, one frame a line.
stack_of() {
	grep -E -- "$2" "$1" | head -n 1 | sed -n 's/.*"stack":\[\(.*\)\]}$/\1/p' |
		sed 's/^"//; s/"$//; s/","/\n/g'
}
# ftrace_stack: the stack the kernel printed for kmdemo's allocation of
# EVENT: the one through do_one_initcall (modprobe also reads files with
# 4096-byte buffers), ftrace's own frames dropped, "/0xsize" cut: one frame a
# line.
ftrace_stack() {
	awk -v ev=" $1: " 'function flush() { if (s ~ /\ndo_one_initcall\+/ && !done) { printf "%s", s; done = 1 } s = ""; on = 0 }
		on && !/^ => / { flush() }
		index($0, ev) { want = 1; next }
		want && /<stack trace>/ { on = 1; want = 0; s = ""; next }
		on { f = $2; sub(/\/0x[0-9a-f]+$/, "", f)
			if (s == "" && f ~ /^(trace_event_raw_event_|__traceiter_|perf_trace_|trace_)/) next
			if (NF > 2) f = f " " $3
			s = s f "\n"; next }
		END { flush() }' $I/trace
}
# same_stack NAME KMT FTRACE EVENT-REGEX: the two stacks (files, a frame a
# line) have the same frames; where the kernel (reading its trace after the
# unload) shows an address, kmtrace shows a kmdemo function, and the event's
# own call site (its "sym" and "call_site") is that very address.
same_stack() {
	_ev=$(grep -E -- "$4" /tmp/st.json | head -n 1)
	_sym=$(echo "$_ev" | sed -n 's/.*"sym":"\([^"]*\)".*/\1/p')
	_cs=$(echo "$_ev" | sed -n 's/.*"call_site":"\(0x[0-9a-f]*\)".*/\1/p')
	if [ -s "$2" ] && [ "$(wc -l <"$2")" = "$(wc -l <"$3")" ] &&
		paste -d '|' "$2" "$3" | awk -F'|' -v sym="$_sym" -v cs="$_cs" '
			$1 == $2 { next }
			$2 ~ /^0x[0-9a-f]+$/ && $1 ~ / \[kmdemo\]$/ && ($1 != sym || $2 == cs) { addr++; next }
			{ bad = 1 }
			END { exit bad || !addr }'; then
		ok "$1: equals the kernel's stack (tracefs stacktrace), frame by frame, $_sym at $_cs"
	else
		not_ok "$1: equals the kernel's stack (tracefs stacktrace)" \
			"kmtrace: $(tr '\n' '|' <"$2") tracefs: $(tr '\n' '|' <"$3") event: $_sym $_cs"
	fi
}

stack_of /tmp/st.json '"event":"kmalloc",.*"bytes_req":4096,' >/tmp/km.kmt
ftrace_stack kmalloc >/tmp/km.ft
sed 's/^/#   kmalloc kmtrace: /' /tmp/km.kmt
sed 's/^/#   kmalloc tracefs: /' /tmp/km.ft
has "kmalloc 4096: its stack names kmdemo's __init function" /tmp/km.kmt '^kmdemo_init\+0x[0-9a-f]+ \[kmdemo\]$'
has "kmalloc 4096: ... called by do_one_initcall" /tmp/km.kmt '^do_one_initcall\+0x[0-9a-f]+$'
has "kmalloc 4096: the stack starts in the allocator" /tmp/km.kmt '^_*kmalloc'
same_stack "kmalloc 4096" /tmp/km.kmt /tmp/km.ft '"event":"kmalloc",.*"bytes_req":4096,'

stack_of /tmp/st.json '"event":"page_alloc",.*"order":1,' >/tmp/pg.kmt
ftrace_stack mm_page_alloc >/tmp/pg.ft
sed 's/^/#   page_alloc kmtrace: /' /tmp/pg.kmt
has "page_alloc order 1: its stack names kmdemo_init" /tmp/pg.kmt '^kmdemo_init\+0x[0-9a-f]+ \[kmdemo\]$'
same_stack "page_alloc order 1" /tmp/pg.kmt /tmp/pg.ft '"event":"page_alloc",.*"order":1,'

# --- the leak, grouped by stack after the module is gone ------------------------------
count_is "leak=1: one leak_stack group" /tmp/st.json '^\{"event":"leak_stack",' 1
has "leak=1: the group is kmdemo's, 1 allocation of 4096 bytes" /tmp/st.json \
	'^\{"event":"leak_stack","module":"kmdemo","rank":1,"allocations":1,"bytes":4096,"stack":\['
stack_of /tmp/st.json '^\{"event":"leak_stack",' >/tmp/lk.kmt
if [ -s /tmp/lk.kmt ] && cmp -s /tmp/lk.kmt /tmp/km.kmt; then
	ok "leak=1: its stack is the kmalloc's, kmdemo_init named after the unload"
else
	not_ok "leak=1: its stack is the kmalloc's" "$(tr '\n' '|' </tmp/lk.kmt)"
fi

count_is "the outstanding report at the end: one group" /tmp/st.json '^\{"event":"outstanding_stack",' 1
has "... the leak, still outstanding (as the summary says)" /tmp/st.json \
	'^\{"event":"outstanding_stack","rank":1,"allocations":1,"bytes":4096,"stack":\["[^"]*","kmdemo_init\+0x[0-9a-f]+ \[kmdemo\]"'

# --- folded: what kmdemo printed it allocated ----------------------------------------
want=$(sed -n -e 's/.*family kmalloc: 1 x \([0-9]*\) bytes.*/\1/p' \
	-e 's/.*family pages: 1 x \([0-9]*\) bytes.*/\1/p' /tmp/st.dmesg |
	awk '{ s += $1 } END { print s + 0 }')
got=$(awk '{ s += $NF } END { print s + 0 }' /tmp/st.folded)
eq "--folded: the stacks weigh what kmdemo printed it allocated (kmalloc + pages)" "$got" "$want"
bad=$(awk '!/^[!-:<-~]+( [!-:<-~]+)*(;[!-:<-~]+( [!-:<-~]+)*)* [1-9][0-9]*$/' /tmp/st.folded | head -n 3)
eq "--folded: every line is frame;frame;... WEIGHT (strict)" "$bad" ""
count_is "--folded: every stack passes through kmdemo_init [kmdemo]" /tmp/st.folded \
	';kmdemo_init \[kmdemo\];' "$(wc -l </tmp/st.folded)"
if grep -qE 'without a stack|without a symbol' /tmp/st.err; then
	not_ok "--stacks: every stack stored and named" "$(grep -E 'without' /tmp/st.err)"
else
	ok "--stacks: every stack stored and named (nothing said lost)"
fi
# --- a vmap area: raw_tp on 6.12, fexit on 6.1 (the BPF trampoline's frames,
# which have no symbol, are left out too) -----------------------------------------
start_kmtrace /tmp/vm.out /tmp/vm.err trace --json -m kmdemo --stacks --family vmalloc
modprobe kmdemo vmalloc=100000 && rmmod kmdemo
eq "modprobe/rmmod kmdemo vmalloc=100000" "$?" 0
stop_kmtrace "--family vmalloc --stacks"
grep '"event":"vmalloc"' /tmp/vm.out | head -n 1 | sed 's/^/#   /'
stack_of /tmp/vm.out '"event":"vmalloc",.*"module":"kmdemo"' >/tmp/vm.kmt
has "vmalloc: the stack names kmdemo_init" /tmp/vm.kmt '^kmdemo_init\+0x[0-9a-f]+ \[kmdemo\]$'
if [ -s /tmp/vm.kmt ] && head -n 1 /tmp/vm.kmt | grep -qE '^[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+$' &&
	head -n 1 /tmp/vm.kmt | grep -qvE '^(bpf_|__bpf_|__traceiter_|trace_)'; then
	ok "vmalloc: the stack starts in vmalloc's own code ($(head -n 1 /tmp/vm.kmt)), no tracing frame"
else
	not_ok "vmalloc: the stack starts in vmalloc's own code" "$(tr '\n' '|' </tmp/vm.kmt)"
fi
echo "# stacks guest: done"

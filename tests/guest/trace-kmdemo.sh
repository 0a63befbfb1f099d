# SPDX-License-Identifier: GPL-2.0
# vm-checks: 25
# kmtrace trace -m kmdemo in the VM (busybox sh, as root, cwd /kmtrace): the
# kmalloc in kmdemo's __init code is named and attributed, the order-1 page
# allocation is attributed by stack, both are freed on rmmod (same ptr/pfn),
# nothing is outstanding, and the tracer's mm_users for the threads process
# agrees with what the module printed.  Run in a VM by tests/run.sh; the last
# line is the marker "# trace-kmdemo guest: done".
. /kmtrace/tests/lib.sh

out=/tmp/trace.json
err=/tmp/trace.err
ev=/tmp/trace.events

start_kmtrace "$out" "$err" trace --json -m kmdemo
has "kmtrace -m kmdemo: ready line on stderr" "$err" '^kmtrace: ready'
# -m shows only the thread events of processes that allocated for the module:
# the threads process's own are seen by a second kmtrace, -c threads
kmtrace trace --json -c threads >/tmp/thr.json 2>/tmp/thr.err &
kc=$!
wait_ready /tmp/thr.err $kc

threads -n 4 -s 60 >/tmp/threads.out &
th=$!
i=0
while [ $i -lt 100 ] && ! grep -q '^PID:' /tmp/threads.out; do
	sleep 0.1
	i=$((i + 1))
done
i=0
while [ $i -lt 100 ] && [ "$(awk '/^Threads:/ {print $2}' /proc/$th/status)" != 5 ]; do
	sleep 0.1
	i=$((i + 1))
done
dmesg -c >/dev/null
modprobe kmdemo size=4096 order=1 pid=$th
eq "modprobe kmdemo size=4096 order=1 pid=<threads>" "$?" 0
rmmod kmdemo
eq "rmmod kmdemo" "$?" 0
dmesg >/tmp/dmesg.txt
sleep 1
kill -INT $kt
wait $kt
eq "kmtrace exits 0 on SIGINT" "$?" 0
kill $th 2>/dev/null
wait $th 2>/dev/null
kill -INT $kc
wait $kc

grep '^{' "$out" >"$ev"
echo "# stderr: $(tr '\n' '|' <"$err")"
echo "# kmdemo events:"
grep -E 'kmdemo' "$ev" | sed 's/^/#   /'

km=$(grep '"event":"kmalloc"' "$ev" | grep '"bytes_req":4096,' | grep '"module":"kmdemo"' |
	grep '"sym":"kmdemo_init+0x[0-9a-f]* \[kmdemo\]"' | head -n 1)
if [ -n "$km" ]; then ok "kmalloc 4096 from kmdemo_init, module kmdemo"; else
	not_ok "kmalloc 4096 from kmdemo_init, module kmdemo" "no such event in $out"
fi
ptr=$(echo "$km" | sed -n 's/.*"ptr":"\(0x[0-9a-f]*\)".*/\1/p')
has "kmalloc reports gfp GFP_KERNEL|__GFP_NOWARN (kmdemo's user-sized kmalloc)" "$ev" '"event":"kmalloc".*"bytes_req":4096,.*"gfp":"GFP_KERNEL\|__GFP_NOWARN"'
count_is "the 4096-byte buffer is kfree'd (same ptr, tracked)" "$ev" \
	"\"event\":\"kfree\".*\"ptr\":\"${ptr:-none}\".*\"tracked\":true" 1

has "the kfree on rmmod is named in kmdemo (sym and module)" "$ev" \
	"\"event\":\"kfree\".*\"ptr\":\"${ptr:-none}\".*\"sym\":\"kmdemo_[a-z_]*\\+0x[0-9a-f]* \\[kmdemo\\]\",\"module\":\"kmdemo\""

pa=$(grep '"event":"page_alloc"' "$ev" | grep '"order":1,' | grep '"module":"kmdemo"' | head -n 1)
if [ -n "$pa" ]; then ok "page_alloc order 1 attributed to kmdemo"; else
	not_ok "page_alloc order 1 attributed to kmdemo" "no such event"
fi
pfn=$(echo "$pa" | sed -n 's/.*"pfn":\([0-9]*\),.*/\1/p')
count_is "the order-1 pages are freed (same pfn, tracked)" "$ev" \
	"\"event\":\"page_free\",.*\"pfn\":${pfn:-none},\"order\":1,.*\"tracked\":true" 1
has "module_load event for kmdemo" "$ev" '"event":"module_load".*"module":"kmdemo"'
has "module_free event for kmdemo" "$ev" '"event":"module_free".*"module":"kmdemo"'
has "summary line" "$ev" '^\{"event":"summary"'
has "summary: outstanding 0" "$ev" '^\{"event":"summary".*"outstanding":0,'
has "summary: lost 0" "$ev" '^\{"event":"summary".*"lost":0,'

kmod_users=$(sed -n 's/.*kmdemo: mm_users: \([0-9]*\).*/\1/p' /tmp/dmesg.txt | head -n 1)
eq "kmdemo printed mm_users: 5" "$kmod_users" 5
trace_users=$(grep "\"event\":\"thread_start\",\"pid\":$th,.*\"ppid\":$th," /tmp/thr.json |
	sed -n 's/.*"mm_users":\([0-9-]*\)}.*/\1/p' | sort -n | tail -n 1)
eq "tracer's mm_users for threads (last thread_start) agrees with kmdemo" \
	"$trace_users" "$kmod_users"
count_is "4 thread_start events for the threads pid (ppid = pid)" /tmp/thr.json \
	"\"event\":\"thread_start\",\"pid\":$th,.*\"ppid\":$th," 4

# --- exact kmalloc count, raw_tp and the classic-tracepoint fallback -----------
for mode in raw_tp tracepoint; do
	if [ $mode = tracepoint ]; then export KMTRACE_NO_RAW_TP=1; fi
	kmtrace trace --json -- kstorm -m msg -s 1234 -n 200 >/tmp/ks.out 2>/tmp/ks.err
	eq "$mode: trace -- kstorm exits 0" "$?" 0
	has "$mode: ready line names the attach type" /tmp/ks.err "^kmtrace: ready: trace: kmalloc via $mode, "
	count_is "$mode: exactly 200 kmallocs of 48+1234 bytes" /tmp/ks.out \
		'"event":"kmalloc".*"bytes_req":1282,' 200
	unset KMTRACE_NO_RAW_TP
done

# --- -m for a module loaded before kmtrace started -----------------------------
modprobe kmdemo size=2000 order=0
start_kmtrace /tmp/pre.out /tmp/pre.err trace --json -m kmdemo
rmmod kmdemo
sleep 1
kill -INT $kt
wait $kt
eq "preloaded -m kmdemo: exit 0" "$?" 0
has "preloaded -m kmdemo: noticed it is loaded" /tmp/pre.err '^kmtrace: module kmdemo already loaded'
has "preloaded -m kmdemo: kfree on rmmod named in kmdemo" /tmp/pre.out \
	'"event":"kfree".*"sym":"kmdemo_[a-z_]*\+0x[0-9a-f]* \[kmdemo\]","module":"kmdemo"'
has "preloaded -m kmdemo: module_free" /tmp/pre.out '"event":"module_free".*"module":"kmdemo"'
echo "# trace-kmdemo guest: done"

# SPDX-License-Identifier: GPL-2.0
# vm-checks: 30
# vm-show: ^# [0-9]+ cycles in
# kmdemo leaves nothing allocated, as kmtrace itself sees it (busybox sh in
# the VM, as root, cwd /kmtrace):
#  - every bad parameter is refused with a kernel log line, and a
#    `kmtrace trace --json -m kmdemo` running across that modprobe ends with
#    outstanding 0 (the refusals that allocate first — no such pid, a kernel
#    thread — show their kmalloc and page allocation freed again);
#  - KMT_CYCLES (200) load/unload cycles under one kmtrace -m kmdemo: the
#    summary has outstanding 0, lost 0, and exactly KMT_CYCLES kmallocs and
#    kfrees (and page allocs and frees).
# Run in a VM by tests/run.sh; the last line is "# kmdemo-cycles guest: done".
. /kmtrace/tests/lib.sh

K=kmdemo
N=${KMT_CYCLES:-200}
out=/tmp/cy.json
err=/tmp/cy.err

# start: kmtrace trace --json -m kmdemo in the background, until ready
start() {
	start_kmtrace "$out" "$err" trace --json -m $K
}
# stop: SIGINT it; $sum gets its summary line, $krc its exit status
stop() {
	kill -INT $kt
	wait $kt
	krc=$?
	sum=$(grep '^{"event":"summary"' "$out" | tail -n 1)
}
# field NAME: a number of the summary ("events" counts included)
field() { echo "$sum" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n 1; }

norders=$(awk 'NR == 1 { print NF - 4 }' /proc/buddyinfo)
kmalloc_max=$((4096 << (norders - 1)))
nopid=$(($(cat /proc/sys/kernel/pid_max) - 1))
[ -d /proc/$nopid ] && nopid=$((nopid - 1))

# --- bad parameters ------------------------------------------------------------
# bad NAME LOGREGEX ALLOCS PARAMS...: refused, logged, nothing outstanding,
# as many kfrees as kmallocs; ALLOCS 1: the refusal comes after the kmalloc,
# so kmtrace must see at least one (busybox modprobe may try the load twice:
# finit_module, then init_module), ALLOCS 0: none.
bad() {
	b_n=$1 b_re=$2 b_a=$3
	shift 3
	if ! start; then
		not_ok "$b_n: kmtrace ready" "$(tr '\n' '|' <"$err")"
		kill $kt 2>/dev/null
		return
	fi
	dmesg -c >/dev/null
	modprobe $K "$@" >/dev/null 2>&1
	mrc=$?
	sleep 0.2
	stop
	if [ $mrc -ne 0 ] && dmesg | grep 'kmdemo: ' | grep -Eq "$b_re" &&
		! grep -q "^$K " /proc/modules; then
		ok "$b_n: refused with a log line, not loaded"
	else
		not_ok "$b_n: refused with a log line, not loaded" "rc=$mrc $(dmesg | tail -n 2 | tr '\n' '|')"
	fi
	b_km=$(field kmalloc)
	if [ $krc -eq 0 ] && [ "$(field outstanding)" = 0 ] && [ "$(field lost)" = 0 ] &&
		[ -n "$b_km" ] && [ "$(field kfree)" = "$b_km" ] &&
		{ { [ "$b_a" = 0 ] && [ "$b_km" = 0 ]; } || { [ "$b_a" = 1 ] && [ "$b_km" -ge 1 ]; }; }; then
		ok "$b_n: kmtrace -m kmdemo: outstanding 0, $b_km kmalloc(s), as many kfrees"
	else
		not_ok "$b_n: kmtrace -m kmdemo: outstanding 0, kmallocs all freed" "rc=$krc $sum"
	fi
}
bad "size=0" 'size=0: must be' 0 size=0
bad "size=-1" 'size=-1: must be' 0 size=-1
bad "size=KMALLOC_MAX_SIZE+1" "size=$((kmalloc_max + 1)): must be" 0 size=$((kmalloc_max + 1))
bad "order=$norders" "order=$norders: must be" 0 order=$norders
bad "order=-1" 'order=-1: must be' 0 order=-1
bad "pid=-1" 'pid=-1: must not be negative' 0 pid=-1
bad "pid=$nopid (no such process)" "pid $nopid: no such process" 1 size=4096 order=1 pid=$nopid
has "pid=$nopid: the order-1 pages were seen and freed" "$out" \
	'"event":"page_free",.*"order":1,.*"tracked":true'
bad "pid=2 (kthreadd, no mm)" 'pid 2 \(kthreadd\) has no mm' 1 order=1 pid=2
bad "size=abc" "invalid for parameter .size'" 0 size=abc

# --- load/unload cycles -------------------------------------------------------------
if start; then ok "cycles: kmtrace ready"; else not_ok "cycles: kmtrace ready" "$(tr '\n' '|' <"$err")"; fi
fails=0
i=0
t0=$(date +%s)
while [ $i -lt "$N" ]; do
	modprobe $K size=4096 || fails=$((fails + 1))
	rmmod $K || fails=$((fails + 1))
	i=$((i + 1))
done
t1=$(date +%s)
sleep 0.3
stop
echo "# $N cycles in $((t1 - t0)) s; summary: $sum"
eq "cycles: $N modprobe/rmmod all succeeded" "$fails" 0
eq "cycles: kmtrace exits 0" "$krc" 0
eq "cycles: summary outstanding 0" "$(field outstanding)" 0
eq "cycles: summary lost 0" "$(field lost)" 0
eq "cycles: kmalloc count == $N" "$(field kmalloc)" "$N"
eq "cycles: kfree count == $N" "$(field kfree)" "$N"
eq "cycles: page_alloc count == page_free count == $N" "$(field page_alloc) $(field page_free)" "$N $N"
eq "cycles: module_load == module_free == $N" "$(field module_load) $(field module_free)" "$N $N"
count_is "cycles: $N kmallocs of 4096 bytes from kmdemo_init" "$out" \
	'"event":"kmalloc".*"sym":"kmdemo_init\+0x[0-9a-f]* \[kmdemo\]","module":"kmdemo".*"bytes_req":4096,' "$N"
if grep -q "^$K " /proc/modules; then not_ok "cycles: kmdemo unloaded at the end" "still loaded"; else
	ok "cycles: kmdemo unloaded at the end"
fi
echo "# kmdemo-cycles guest: done"

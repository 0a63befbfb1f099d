# SPDX-License-Identifier: GPL-2.0
# vm-checks: 150
# kmdemo in the VM (busybox sh, as root, cwd /kmtrace): the seed transcript,
# dump=1 (bounded), every bad parameter refused with the right errno and
# nothing left loaded, the failed loads' allocations freed (per the kernel's
# tracefs events, with no "Released" line), the page-order and
# KMALLOC_MAX_SIZE limits, leak=1.  The families and fail=N:
# kmdemo-families.sh.
# Run in a VM by tests/run.sh (scripts/vm.sh); the last line is the marker
# "# kmdemo guest: done" that the host side checks for.
. /kmtrace/tests/lib.sh
. /kmtrace/tests/guest/lib/kmdemo-tracefs.sh
. /kmtrace/tests/guest/lib/kmdemo-kmsg.sh

log=/tmp/kmdemo.log
err=/tmp/kmdemo.err
tpid=

# load ARGS...: modprobe kmdemo ARGS; $log gets the module's new kernel
# messages (kmsg_since), $err modprobe's output, $rc its exit status.
load() {
	kmsg_mark
	modprobe "$K" "$@" >"$err" 2>&1
	rc=$?
	kmsg_since "$log"
}
unload() {
	kmsg_mark
	rmmod "$K" >"$err" 2>&1
	rc=$?
	kmsg_since "$log"
}
# values: the integers the module printed between "Printing…" and "Done!",
# run-length lines ("V (xN)") expanded, one per line.
values() {
	awk '/^Done!$/ { p = 0 }
		p { n = 1; if (match($0, /\(x[0-9]+\)$/)) n = substr($0, RSTART + 2, RLENGTH - 3) + 0
		    for (i = 0; i < n; i++) print $1 }
		/^Printing the contents of the memory segment interpreted as 4byte integers$/ { p = 1 }' "$log"
}

# The first invalid page order is the number of free-list columns per zone in
# /proc/buddyinfo (orders 0..limit), on 6.1 (MAX_ORDER=11, exclusive) and 6.12
# (MAX_PAGE_ORDER=10, inclusive) alike.
norders=$(awk 'NR == 1 { print NF - 4 }' /proc/buddyinfo)
maxorder=$((norders - 1))
kmalloc_max=$((4096 << maxorder))

# --- the seed scenario -----------------------------------------------------------
threads -n 4 -s 120 >/tmp/threads.out &
tpid=$!
i=0
while [ $i -lt 50 ]; do
	[ "$(awk '/^Threads:/ {print $2}' /proc/$tpid/status 2>/dev/null)" = 5 ] && break
	sleep 0.1
	i=$((i + 1))
done
pid=$(sed -n 's/^PID: \([0-9]*\)$/\1/p' /tmp/threads.out)
eq "threads -n 4 runs with 5 threads" "$(awk '/^Threads:/ {print $2}' /proc/$tpid/status)" 5

load size=4096 order=1 pid="$pid"
eq "modprobe kmdemo size=4096 order=1 pid=<threads> exits 0" "$rc" 0
check "kmdemo is listed in /proc/modules after load" loaded
has "load: Allocated 4096 bytes!" "$log" '^Allocated 4096 bytes!$'
has "load: Printing the contents… line" "$log" \
	'^Printing the contents of the memory segment interpreted as 4byte integers$'
eq "load: the value at int index 1 is 55" "$(values | sed -n 2p)" 55
eq "load: the run-length lines cover 1024 integers" "$(values | wc -l)" 1024
# Debian kernels run with init_on_alloc=1, so the rest of the buffer is zero.
count_is "load: compact form is 3 lines (0, 55, 0 (x1022))" "$log" '^-?[0-9]+( \(x[0-9]+\))?$' 3
has "load: Done!" "$log" '^Done!$'
has "load: Got 2 pages (8192 bytes) at order 1" "$log" '^Got 2 pages \(8192 bytes\) at order 1$'
has "load: pid: <pid>, name: threads" "$log" "^pid: $pid, name: threads\$"
has "load: mm_users: 5 for threads -n 4 (as in the seed)" "$log" '^mm_users: 5$'
has "load: mm_count line" "$log" '^mm_count: [0-9]+'
has "load: threads: 5" "$log" '^threads: 5$'
count_is "load: no error lines" "$log" 'rror|ailed|WARN' 0
unload
eq "rmmod kmdemo exits 0" "$rc" 0
has "unload: Released 4096 bytes!" "$log" '^Released 4096 bytes!$'
has "unload: Released 2 pages (order 1)" "$log" '^Released 2 pages \(order 1\)$'
not_loaded "kmdemo is gone from /proc/modules and /sys/module after rmmod"
kill "$tpid" 2>/dev/null
wait "$tpid" 2>/dev/null

# --- parameters shown by modinfo --------------------------------------------------
modinfo "$K" >/tmp/modinfo.out 2>&1
for p in size order pid dump leak bulk cache vmalloc percpu helper fail; do
	has "modinfo documents parameter $p" /tmp/modinfo.out "parm:[[:space:]]+$p:.+"
done
has "modinfo: license GPL" /tmp/modinfo.out '^license:[[:space:]]+GPL'
has "modinfo: dump=1 says it is bounded" /tmp/modinfo.out 'parm:[[:space:]]+dump:.*at most 1024 lines'

# --- defaults, dump=1 ----------------------------------------------------------------
load
eq "modprobe kmdemo (defaults) exits 0" "$rc" 0
has "defaults: Allocated 4096 bytes!" "$log" '^Allocated 4096 bytes!$'
has "defaults: Got 1 page (4096 bytes) at order 0" "$log" '^Got 1 page \(4096 bytes\) at order 0$'
count_is "defaults: no pid lines without pid=" "$log" '^(pid|mm_users|mm_count|threads):' 0
unload
has "defaults: unload releases the buffer" "$log" '^Released 4096 bytes!$'
has "defaults: unload releases the page" "$log" '^Released 1 page \(order 0\)$'

load dump=1
eq "modprobe kmdemo dump=1 exits 0" "$rc" 0
eq "dump=1 prints 1024 values" "$(values | wc -l)" 1024
count_is "dump=1 prints one integer per line (1024 lines)" "$log" '^-?[0-9]+$' 1024
eq "dump=1: the second value is 55" "$(values | sed -n 2p)" 55
unload
not_loaded "dump=1: unloaded cleanly"

load size=8192 dump=1
eq "size=8192 dump=1 loads" "$rc" 0
count_is "size=8192 dump=1: at most 1024 integer lines" "$log" '^-?[0-9]+$' 1024
has "size=8192 dump=1: says how many were left out" "$log" '^\(1024 more values not printed: at most 1024 lines\)$'
unload

load size=6
eq "size=6 (too small for index 1) loads" "$rc" 0
has "size=6: says it cannot store 55" "$log" 'too small to store 55'
unload
has "size=6: Released 6 bytes!" "$log" '^Released 6 bytes!$'

# --- limits computed from /proc/buddyinfo ---------------------------------------
load order="$maxorder"
eq "order=$maxorder (the highest valid order) loads" "$rc" 0
has "order=$maxorder: Got $((1 << maxorder)) pages" "$log" \
	"^Got $((1 << maxorder)) pages \\($((4096 << maxorder)) bytes\\) at order $maxorder\$"
unload
has "order=$maxorder: pages released" "$log" "^Released $((1 << maxorder)) pages \\(order $maxorder\\)\$"

load size="$kmalloc_max"
eq "size=$kmalloc_max (KMALLOC_MAX_SIZE) loads" "$rc" 0
eq "size=$kmalloc_max: the run-length lines cover every integer" "$(values | wc -l)" $((kmalloc_max / 4))
unload
has "size=$kmalloc_max: released" "$log" "^Released $kmalloc_max bytes!\$"

# --- bad parameters: refused, errno, pr_err line, nothing left loaded ----------
# bad NAME ERRTEXT LOGREGEX PARAMS...
bad() {
	_name=$1 _errtext=$2 _re=$3
	shift 3
	load "$@"
	if [ "$rc" -ne 0 ]; then ok "$_name: modprobe fails"; else not_ok "$_name: modprobe fails" "rc=0"; fi
	has "$_name: errno is '$_errtext'" "$err" "$_errtext"
	has "$_name: kernel log explains" "$log" "$_re"
	not_loaded "$_name: module not left loaded"
}
bad "size=0" "Invalid argument" '^size=0: must be 1\.\.' size=0
bad "size=-1" "Invalid argument" '^size=-1: must be 1\.\.' size=-1
bad "size=KMALLOC_MAX_SIZE+1" "Invalid argument" "^size=$((kmalloc_max + 1)): must be 1\\.\\.$kmalloc_max " \
	size=$((kmalloc_max + 1))
bad "order=$norders (first invalid)" "Invalid argument" "^order=$norders: must be 0\\.\\.$maxorder " order="$norders"
bad "order=-1" "Invalid argument" '^order=-1: must be 0\.\.' order=-1
bad "pid=-1" "Invalid argument" '^pid=-1: must not be negative' pid=-1
nopid=$(($(cat /proc/sys/kernel/pid_max) - 1))
[ -d /proc/$nopid ] && nopid=$((nopid - 1))
# busybox modprobe's moderror() words ESRCH as "module has wrong symbol
# version" (kmod's modprobe says "No such process"); the kernel log line names it.
# traced_bad NAME ERRTEXT LOGREGEX PARAMS...: bad, with the kernel's tracefs
# events around the load (tests/guest/lib/kmdemo-tracefs.sh) in $S.
S=/tmp/kmdemo.kt
traced_bad() {
	kt_start
	bad "$@"
	sleep 0.3
	kt_stop $S
	count_is "$1: no Released line on a failed load" "$log" '^Released' 0
}
# freed_on_error NAME FAMILY N: per load attempt (busybox modprobe makes two),
# N allocations of FAMILY were traced, and all of them freed.
freed_on_error() {
	_l=$(sed -n 's/^loads //p' $S)
	_c=$(sed -n 's/^complete //p' $S)
	_a=$(kt_get $S "$2" allocs)
	_f=$(kt_get $S "$2" freed)
	if [ "$_c" = yes ] && [ "${_l:-0}" -ge 1 ] && [ "$_a" = $((${_l:-0} * $3)) ] && [ "$_f" = "$_a" ]; then
		ok "$1: tracefs: $3 $2 allocation(s) per load attempt, freed on the error path"
	else
		not_ok "$1: tracefs: $3 $2 allocation(s) per load attempt, freed on the error path" \
			"loads $_l, allocs $_a, freed $_f, trace complete: $_c"
	fi
}
traced_bad "pid=$nopid (no such process)" "No such process|module has wrong symbol version" "^pid $nopid: no such process" size=4096 order=1 pid=$nopid
freed_on_error "pid=$nopid: the buffer allocated before the lookup" kmalloc 1
freed_on_error "pid=$nopid: the pages allocated before the lookup" pages 1
traced_bad "pid=2 (kthreadd, no mm)" "Invalid argument" '^pid 2 \(kthreadd\) has no mm' order=1 pid=2
freed_on_error "pid=2: the buffer allocated before the lookup" kmalloc 1
freed_on_error "pid=2: the pages allocated before the lookup" pages 1
bad "size=abc" "Invalid argument" "invalid for parameter .size'" size=abc
bad "bulk=-1" "Invalid argument" '^bulk=-1: must be 0\.\.64$' bulk=-1
bad "bulk=65" "Invalid argument" '^bulk=65: must be 0\.\.64$' bulk=65
traced_bad "pid=2 with bulk=64 (error after the bulk kmallocs)" "Invalid argument" '^pid 2 \(kthreadd\) has no mm' bulk=64 pid=2
freed_on_error "pid=2 bulk=64: the 64 objects (kfree_bulk on the error path)" bulk 64
bad "cache=-1" "Invalid argument" '^cache=-1: must be 0\.\.1024$' cache=-1
bad "cache=1025" "Invalid argument" '^cache=1025: must be 0\.\.1024$' cache=1025
bad "percpu=32769 (over PCPU_MIN_UNIT_SIZE)" "Invalid argument" '^percpu=32769: must be 0\.\.32768 ' percpu=32769
bad "fail=-1" "Invalid argument" '^fail=-1: must not be negative$' fail=-1
bad "vmalloc=abc" "Invalid argument" "invalid for parameter .vmalloc'" vmalloc=abc
traced_bad "pid=2 with every family (error after all of them)" "Invalid argument" '^pid 2 \(kthreadd\) has no mm' \
	bulk=2 cache=3 vmalloc=20000 percpu=64 helper=1 pid=2
freed_on_error "pid=2, every family: kmdemo_obj objects" cache 3
freed_on_error "pid=2, every family: percpu" percpu 1
freed_on_error "pid=2, every family: kstrdup" kstrdup 1
if grep -q '^outstanding ' $S; then
	not_ok "pid=2, every family: tracefs: everything with kmdemo on its stack freed" "$(grep '^outstanding ' $S | head -n 2 | cut -c1-300)"
else
	ok "pid=2, every family: tracefs: everything with kmdemo on its stack freed"
fi
# A vmalloc that cannot succeed: -ENOMEM, and no allocation-failure splat
# (__GFP_NOWARN: the load's failure is the report).
load vmalloc=1099511627776
if [ "$rc" -ne 0 ] && grep -q 'Cannot allocate memory' "$err"; then ok "vmalloc=1 TiB: modprobe fails with ENOMEM"; else
	not_ok "vmalloc=1 TiB: modprobe fails with ENOMEM" "rc=$rc $(tr '\n' '|' <"$err")"
fi
dmesg | sed -n "/$mark\$/,\$p" >/tmp/kmdemo.dmesg
count_is "vmalloc=1 TiB: no allocation-failure warning in the kernel log" /tmp/kmdemo.dmesg \
	'allocation failure|vmalloc error|warn_alloc|Call Trace' 0
count_is "vmalloc=1 TiB: no out-of-memory message from kmdemo" "$log" 'rror|ailed|[Oo]ut of memory|alloc.* fail|vmalloc' 0
not_loaded "vmalloc=1 TiB: module not left loaded"

# --- bulk=N: N extra objects, freed with one kfree_bulk() ------------------------
load bulk=64
eq "bulk=64 loads" "$rc" 0
has "bulk=64: allocated" "$log" '^Allocated 64 objects of 64 bytes$'
unload
has "bulk=64: released with kfree_bulk()" "$log" '^Released 64 objects of 64 bytes with kfree_bulk\(\)$'
not_loaded "bulk=64: module unloaded"

# --- a clean cycle after all that -------------------------------------------------
load size=4096 order=1
l1=$rc
unload
if [ "$l1" -eq 0 ] && [ "$rc" -eq 0 ] && grep -q '^Released 4096 bytes!$' "$log" &&
	grep -q '^Released 2 pages (order 1)$' "$log" && ! loaded && [ ! -d /sys/module/$K ]; then
	ok "clean load/unload cycle leaves nothing behind"
else
	not_ok "clean load/unload cycle leaves nothing behind" "load rc=$l1, unload rc=$rc"
fi

# --- leak=1 (last: it really leaks 4096 bytes) -----------------------------------
load leak=1
eq "leak=1 loads" "$rc" 0
unload
eq "leak=1 unloads" "$rc" 0
has "leak=1: loud warning on unload" "$log" '^leak=1: NOT freeing the 4096-byte buffer'
count_is "leak=1: the buffer is not released" "$log" '^Released 4096 bytes!$' 0
has "leak=1: the page is still released" "$log" '^Released 1 page \(order 0\)$'
not_loaded "leak=1: module unloaded"

echo "# kmdemo guest: done"

# SPDX-License-Identifier: GPL-2.0
# vm-checks: 280
# kmdemo's allocator families and fail=N, checked against the kernel's own
# tracefs events (tests/guest/lib/kmdemo-tracefs.sh), in the VM (busybox sh, as
# root, cwd /kmtrace):
#  - each family parameter alone (cache=, vmalloc=, percpu=, helper=1, bulk=)
#    loads, prints its "family" line, unloads with its "Released" line; the
#    trace shows exactly the allocations the parameter asks for, at the
#    address the module printed, and every allocation made with kmdemo on the
#    stack freed again;
#  - with every family on (13 allocations), fail=1..13 each fail the load with
#    ENOMEM after allocating exactly the first K (per load attempt: busybox
#    modprobe tries finit_module, then init_module), all freed, with no
#    "Released" line; fail=14 loads.
#  - `kmtrace trace -m kmdemo`, running across each of the two parts, reports
#    no leak at any of the unloads (failed loads included), outstanding 0,
#    lost 0, and saw as many module loads and kmallocs as tracefs did.
# Run in a VM by tests/run.sh; the last line is
# "# kmdemo-families guest: done".
. /kmtrace/tests/lib.sh
. /kmtrace/tests/guest/lib/kmdemo-tracefs.sh
. /kmtrace/tests/guest/lib/kmdemo-kmsg.sh

S=/tmp/kt.sum
log=/tmp/kmf.log
err=/tmp/kmf.err
vmalloc_events=0
[ -d $KT/events/vmalloc ] && vmalloc_events=1

# fam_eq NAME FAMILY N: the trace has exactly N allocations of FAMILY, all freed.
fam_eq() {
	_a=$(kt_get $S "$2" allocs)
	_f=$(kt_get $S "$2" freed)
	if [ "$_a" = "$3" ] && [ "$_f" = "$3" ]; then ok "$1: tracefs: $3 $2 allocation(s), all freed"; else
		not_ok "$1: tracefs: $3 $2 allocation(s), all freed" "allocs $_a, freed $_f"
	fi
}
# fam_some NAME FAMILY yes|no: the trace has (yes) or has not (no) allocations of FAMILY.
fam_some() {
	_a=$(kt_get $S "$2" allocs)
	if { [ "$3" = yes ] && [ "$_a" -gt 0 ]; } || { [ "$3" = no ] && [ "$_a" -eq 0 ]; }; then
		ok "$1: tracefs: $2 allocations: $3 ($_a)"
	else
		not_ok "$1: tracefs: $2 allocations: $3" "$_a"
	fi
}
# none_outstanding NAME: every allocation made with kmdemo on the stack was
# freed (the slab allocator's own pages aside).
none_outstanding() {
	eq "$1: tracefs: the trace is complete (entries-in-buffer = entries-written)" \
		"$(sed -n 's/^complete //p' $S)" yes
	if grep -q '^outstanding ' $S; then
		not_ok "$1: tracefs: every allocation with kmdemo on its stack freed" \
			"$(grep '^outstanding ' $S | head -n 3 | cut -c1-400 | tr '\n' '|')"
	else
		ok "$1: tracefs: every allocation with kmdemo on its stack freed ($(awk '$1 == "family" { n += $4 } END { print n + 0 }' $S) seen)"
	fi
}
# addr_is NAME FAMILY KEY: the module's printed address is one of FAMILY's traced allocations.
addr_is() {
	if grep -qx "alloc $2 $3" $S; then ok "$1: the printed address is a traced $2 allocation ($3)"; else
		not_ok "$1: the printed address is a traced $2 allocation" "$3 not in: $(grep "^alloc $2 " $S | head -n 3 | tr '\n' ' ')"
	fi
}
# family_addr LOGFILE NAME: the hex address of NAME's "family" line, leading zeros stripped.
family_addr() {
	sed -n "s/^family $2: [0-9]* x [0-9]* bytes at \\([0-9a-f]*\\).*/\\1/p" "$1" | head -n 1 | sed 's/^0*//'
}

# kmtrace_start: `kmtrace trace --json --direct -m kmdemo` in the background, until
# ready (--direct: kmallocs by call site, as the tracefs counts here; the
# attribution by stack: trace-families.sh).
kout=/tmp/kmf.json
kerr=/tmp/kmf.kerr
kmtrace_start() {
	start_kmtrace "$kout" "$kerr" trace --json --direct -m $K
	has "$1: kmtrace -m kmdemo ready" "$kerr" '^kmtrace: ready'
}
# kmtrace_check NAME LOADS KMALLOCS: SIGINT it; it saw LOADS module loads and
# as many frees, KMALLOCS kmallocs from kmdemo, and reports outstanding 0,
# no leak at any of the module_free events, lost 0.
kmtrace_check() {
	kill -INT $kt
	wait $kt
	krc=$?
	sum=$(grep '^{"event":"summary"' "$kout" | tail -n 1)
	echo "# $1: kmtrace summary: $sum"
	if [ $krc -eq 0 ] && echo "$sum" | grep -q '"outstanding":0,' && echo "$sum" | grep -q '"lost":0,' &&
		echo "$sum" | grep -q '"leaks":0' && ! grep -q '^{"event":"leak"' "$kout"; then
		ok "$1: kmtrace -m kmdemo: outstanding 0, no leak at any unload, lost 0"
	else
		not_ok "$1: kmtrace -m kmdemo: outstanding 0, no leak at any unload, lost 0" \
			"rc=$krc $sum $(grep '^{"event":"leak"' "$kout" | head -n 2)"
	fi
	eq "$1: kmtrace saw $2 module_load and module_free events (as tracefs)" \
		"$(grep -c '"event":"module_load"' "$kout") $(grep -c '"event":"module_free"' "$kout")" "$2 $2"
	eq "$1: kmtrace saw $3 kmallocs from kmdemo (tracefs: kmalloc + bulk + kstrdup)" \
		"$(grep '"event":"kmalloc"' "$kout" | grep -c '"module":"kmdemo"')" "$3"
}
# tally SUMMARY: add its loads and kmdemo kmallocs to $tl and $tk.
tl=0
tk=0
tally() {
	tl=$((tl + $(sed -n 's/^loads //p' "$1")))
	tk=$((tk + $(kt_get "$1" kmalloc allocs) + $(kt_get "$1" bulk allocs) + $(kt_get "$1" kstrdup allocs)))
}

# --- each family alone ---------------------------------------------------------------
# one NAME PARAMS: load with PARAMS (size=4096 order=0 implied), unload, traced.
one() {
	_n=$1
	shift
	kt_start
	kmsg_mark
	modprobe $K size=4096 "$@" >"$err" 2>&1
	_lrc=$?
	kmsg_since /tmp/kmf.load
	[ "$_n" = helper ] && cat /sys/kernel/debug/kmdemo/helper >/tmp/kmf.debugfs 2>&1
	kmsg_mark
	rmmod $K >"$err" 2>&1
	_urc=$?
	kmsg_since /tmp/kmf.unload
	sleep 0.5 # RCU-deferred frees (dentries, inodes)
	kt_stop $S
	tally $S
	eq "$_n: modprobe kmdemo $* exits 0" "$_lrc" 0
	eq "$_n: rmmod exits 0" "$_urc" 0
	if loaded; then not_ok "$_n: unloaded" "still in /proc/modules"; else ok "$_n: unloaded"; fi
	eq "$_n: tracefs: one module_load" "$(sed -n 's/^loads //p' $S)" 1
	fam_eq "$_n" kmalloc 1
	fam_eq "$_n" pages 1
	addr_is "$_n: kmalloc" kmalloc "S$(family_addr /tmp/kmf.load kmalloc)"
	pfn=$(sed -n 's/^family pages: .*(pfn 0x\([0-9a-f]*\), order 0)$/\1/p' /tmp/kmf.load)
	addr_is "$_n: pages" pages "P${pfn:-none}"
	none_outstanding "$_n"
}

kmtrace_start "families"
one cache cache=5
has "cache=5: family line" /tmp/kmf.load '^family cache: 5 x 64 bytes at [0-9a-f]{16} \(kmdemo_obj\)$'
fam_eq "cache=5" cache 5
addr_is "cache=5" cache "S$(family_addr /tmp/kmf.load cache)"
fam_some "cache=5" cache_create yes
if grep -q 'kmem_cache_free: .* name=[^ ]' $S.trace; then
	eq "cache=5: tracefs: 5 kmem_cache_free events name kmdemo_obj" "$(sed -n 's/^kmdemo_obj_frees //p' $S)" 5
else
	echo "# kmem:kmem_cache_free prints an empty name= on $(uname -r): no check by cache name"
fi
has "cache=5: Released line" /tmp/kmf.unload '^Released 5 objects and the kmdemo_obj cache$'
if [ -d /sys/kernel/slab/kmdemo_obj ]; then not_ok "cache=5: cache destroyed" "/sys/kernel/slab/kmdemo_obj exists"; else
	ok "cache=5: cache destroyed (no /sys/kernel/slab/kmdemo_obj)"
fi

one vmalloc vmalloc=100000
has "vmalloc=100000: family line" /tmp/kmf.load '^family vmalloc: 1 x 100000 bytes at [0-9a-f]{16}$'
if [ $vmalloc_events = 1 ]; then
	fam_eq "vmalloc=100000" vmalloc 1
	addr_is "vmalloc=100000" vmalloc "V$(family_addr /tmp/kmf.load vmalloc)"
	has "vmalloc=100000: tracefs: the vmap area is 100000 bytes rounded up to pages, plus the guard page" \
		$S.trace "alloc_vmap_area: va_start: [0-9]+ size=$(((100000 + 4095) / 4096 * 4096 + 4096)) "
else
	echo "# no vmalloc:* events on $(uname -r): the vmalloc's own kmallocs stand for it"
fi
fam_some "vmalloc=100000" vmalloc_internal yes
has "vmalloc=100000: Released line" /tmp/kmf.unload '^Released 100000 vmalloc bytes$'

one percpu percpu=256
has "percpu=256: family line" /tmp/kmf.load '^family percpu: 1 x 256 bytes at [0-9a-f]{16}$'
fam_eq "percpu=256" percpu 1
addr_is "percpu=256" percpu "C$(family_addr /tmp/kmf.load percpu)"
has "percpu=256: tracefs: a 256-byte percpu_alloc_percpu from kmdemo" $S.trace \
	'percpu_alloc_percpu: call_site=0xffffffff[a-f][0-9a-f]+ .*size=256 align=8 '

has "percpu=256: Released line" /tmp/kmf.unload '^Released 256 per-CPU bytes$'

one helper helper=1
has "helper=1: family line" /tmp/kmf.load '^family helper: 1 x 32 bytes at [0-9a-f]{16} \(kstrdup, debugfs kmdemo/helper\)$'
has "helper=1: debugfs kmdemo/helper reads back the string" /tmp/kmf.debugfs '^kmdemo: allocated by kstrdup\(\)$'
fam_eq "helper=1" kstrdup 1
addr_is "helper=1" kstrdup "S$(family_addr /tmp/kmf.load helper)"
fam_some "helper=1" debugfs_dir yes
fam_some "helper=1" debugfs_file yes
has "helper=1: Released line" /tmp/kmf.unload '^Released the kstrdup\(\) string and debugfs kmdemo/$'
if [ -e /sys/kernel/debug/kmdemo ]; then not_ok "helper=1: debugfs directory removed" "still there"; else
	ok "helper=1: debugfs directory removed"
fi

one bulk bulk=3
fam_eq "bulk=3" bulk 3
addr_is "bulk=3" bulk "S$(family_addr /tmp/kmf.load bulk)"
kmtrace_check "families" $tl $tk

# --- every family, fail=1..14 ----------------------------------------------------
ALL="size=4096 order=1 bulk=2 cache=3 vmalloc=20000 percpu=64 helper=1"
NALL=13
# the family each allocation number belongs to (the order in kmdemo.c's header)
what_of() {
	case $1 in
	1) echo kmalloc ;; 2) echo __get_free_pages ;; 3 | 4) echo "bulk kmalloc" ;;
	5) echo kmem_cache_create ;; 6 | 7 | 8) echo kmem_cache_alloc ;; 9) echo vmalloc ;;
	10) echo alloc_percpu ;; 11) echo kstrdup ;; 12) echo debugfs_create_dir ;;
	13) echo debugfs_create_blob ;;
	esac
}
# clamp V LO HI
clamp() {
	if [ "$1" -lt "$2" ]; then echo "$2"; elif [ "$1" -gt "$3" ]; then echo "$3"; else echo "$1"; fi
}
yesno() { if [ "$1" -ge "$2" ]; then echo yes; else echo no; fi; }

tl=0
tk=0
kmtrace_start "fail=1..$((NALL + 1))"
f=1
while [ $f -le $((NALL + 1)) ]; do
	n=$f
	[ $n -gt $NALL ] && n=$NALL
	N="fail=$f"
	kt_start
	kmsg_mark
	# shellcheck disable=SC2086 # $ALL is a word list
	modprobe $K $ALL fail=$f >"$err" 2>&1
	rc=$?
	kmsg_since "$log"
	if [ $f -gt $NALL ]; then
		eq "$N: loads (past the last of $NALL allocations)" "$rc" 0
		count_is "$N: a family line for each of the 6 families + kmalloc" "$log" '^family [a-z]+: ' 7
		rmmod $K
		eq "$N: rmmod" "$?" 0
	else
		if [ $rc -ne 0 ] && grep -q 'Cannot allocate memory' "$err"; then
			ok "$N: modprobe fails with ENOMEM"
		else
			not_ok "$N: modprobe fails with ENOMEM" "rc=$rc $(tr '\n' '|' <"$err")"
		fi
		has "$N: the log names allocation $f ($(what_of $f))" "$log" \
			"^fail=$f: allocation $f \\($(what_of $f)\\) fails on purpose\$"
		count_is "$N: no Released line on a failed load" "$log" '^Released' 0
		if loaded; then not_ok "$N: not loaded" "in /proc/modules"; else ok "$N: not loaded"; fi
	fi
	sleep 0.5
	kt_stop $S
	tally $S
	loads=$(sed -n 's/^loads //p' $S)
	echo "# $N: $(grep '^family' $S | awk '$4 > 0 { printf "%s %s/%s ", $2, $4, $6 }')loads $loads"
	if [ "${loads:-0}" -ge 1 ]; then ok "$N: tracefs: $loads module_load(s)"; else not_ok "$N: tracefs: module_load" "none"; fi
	L=${loads:-1}
	fam_eq "$N" kmalloc $L
	fam_eq "$N" pages $((L * $(clamp $((n - 1)) 0 1)))
	fam_eq "$N" bulk $((L * $(clamp $((n - 2)) 0 2)))
	fam_some "$N" cache_create "$(yesno $n 5)"
	fam_eq "$N" cache $((L * $(clamp $((n - 5)) 0 3)))
	[ $vmalloc_events = 1 ] && fam_eq "$N" vmalloc $((L * $(clamp $((n - 8)) 0 1)))
	fam_some "$N" vmalloc_internal "$(yesno $n 9)"
	fam_eq "$N" percpu $((L * $(clamp $((n - 9)) 0 1)))
	fam_eq "$N" kstrdup $((L * $(clamp $((n - 10)) 0 1)))
	fam_some "$N" debugfs_dir "$(yesno $n 12)"
	fam_some "$N" debugfs_file "$(yesno $n 13)"
	none_outstanding "$N"
	f=$((f + 1))
done
kmtrace_check "fail=1..$((NALL + 1))" $tl $tk
echo "# kmdemo-families guest: done"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC3060 # ${v//-/_}: busybox ash has it
# kmtruth.sh: what a module allocated, from the kernel's own tracepoints
# (tracefs, stacktrace triggers) — a ground truth that owes nothing to kmtrace.
# Busybox sh + awk, as root, in the VM.
#   kmtruth.sh start MODULE      arm tracing (before the module is loaded)
#   kmtruth.sh loaded MODULE     right after loading it: read its section
#                                addresses and mark the end of its __init
#                                code in the trace (without it, raw
#                                addresses cannot be placed: "unresolved")
#   kmtruth.sh stop MODULE       stop, analyse, print the report
#   kmtruth.sh MODULE -- CMD...  start, run CMD (load, exercise, unload), stop;
#                                the addresses are read by a poll of
#                                /sys/module/MODULE/initstate (every 0.05 s):
#                                a module unloaded before the poll saw it
#                                live leaves its raw addresses unplaced
# Events: kmem:kmalloc, kmem:kfree, kmem:kmem_cache_alloc, kmem:kmem_cache_free,
# kmem:mm_page_alloc, kmem:mm_page_free, kmem:mm_page_free_batched,
# percpu:percpu_alloc_percpu, percpu:percpu_free_percpu, vmalloc:alloc_vmap_area
# and vmalloc:free_vmap_area_noflush (where the kernel has them), module:*, and
# a kprobe on kvfree_call_rcu (kfree_rcu() frees in batches, with no kfree
# event per object); without vmalloc events (6.1), a kretprobe on
# alloc_vmap_area and a kprobe on free_vmap_area_noflush. An allocation is the module's when its kernel stack has
# a frame in the module: symbolised "func+0x…/0x… [MODULE]", or a raw address
# inside the module's executable sections (read from /sys/module/MODULE/
# sections while it is loaded, sized from the .ko's ELF section headers) —
# after the module is unloaded, and for its __init code, tracefs can only
# print raw addresses. Report format: docs/stock-modules.md.
# Environment: KMTRUTH_DIR (state and the raw trace, default /tmp/kmtruth),
# KMTRUTH_BUFFER_KB (per-CPU trace buffer, default 16384), KMTRUTH_SETTLE
# (seconds to keep tracing after CMD/before stop for RCU-deferred frees,
# default 1), KMTRUTH_RAW=1 (also keep the unfiltered trace in $D/trace.raw),
# KMTRUTH_LIST=1 (the report lists every attributed allocation: "alloc …" lines).
set -u

T=/sys/kernel/tracing
D=${KMTRUTH_DIR:-/tmp/kmtruth}
# (shell built-ins where the trace is armed: every fork and exec of kmtruth's
# own adds allocation events to the trace it must read)
LIB=${0%/*}
[ "$LIB" = "$0" ] && LIB=.
me=kmtruth

die() {
	echo "$me: $*" >&2
	exit 1
}

EVENTS="kmem/kmalloc kmem/kfree kmem/kmem_cache_alloc kmem/kmem_cache_free
kmem/mm_page_alloc kmem/mm_page_free kmem/mm_page_free_batched
percpu/percpu_alloc_percpu percpu/percpu_free_percpu
vmalloc/alloc_vmap_area vmalloc/free_vmap_area_noflush
module/module_load module/module_free"

# ko_of MODULE: the module's .ko path from modules.dep (dashes = underscores).
ko_of() {
	_dir=/lib/modules/$(uname -r)
	[ -f "$_dir/modules.dep" ] || return 0
	_p=$(awk -F: -v n="$1" '{ b = $1; sub(/.*\//, "", b); sub(/\.ko(\.xz|\.gz|\.zst)?$/, "", b);
		gsub(/-/, "_", b); if (b == n) { print $1; exit } }' "$_dir/modules.dep")
	[ -n "$_p" ] && echo "$_dir/$_p"
}

# elf_text FILE: "NAME SIZE" of every allocated, executable section (SHF_ALLOC
# | SHF_EXECINSTR) of an ELF64 little-endian file, read with od.
elf_text() {
	_f=$1
	# e_shoff (8 bytes at 0x28), e_shnum (2 at 0x3c), e_shstrndx (2 at 0x3e)
	# shellcheck disable=SC2046 # (three numbers)
	set -- $(od -An -v -tu1 -j 40 -N 24 "$_f" | awk '{ for (i = 1; i <= NF; i++) b[n++] = $i }
		END { o = 0; for (i = 7; i >= 0; i--) o = o * 256 + b[i];
		print o, b[20] + 256 * b[21], b[22] + 256 * b[23] }')
	_shoff=$1 _shnum=$2 _strndx=$3
	[ "$_shnum" -gt 0 ] 2>/dev/null || return 1
	od -An -v -tu1 -j "$_shoff" -N $((_shnum * 64)) "$_f" | awk -v strndx="$_strndx" '
		{ for (i = 1; i <= NF; i++) b[n++] = $i }
		function u(off, len, i, v) { v = 0; for (i = len - 1; i >= 0; i--) v = v * 256 + b[off + i]; return v }
		END {
			for (s = 0; s * 64 < n; s++) {
				h = s * 64
				printf "%d %d %d %d %d\n", s, u(h, 4), u(h + 8, 8), u(h + 24, 8), u(h + 32, 8)
			}
		}' >"$D/shdr"
	# columns: index name-offset flags file-offset size
	# shellcheck disable=SC2046 # (two numbers)
	set -- $(awk -v i="$_strndx" '$1 == i { print $4, $5 }' "$D/shdr")
	od -An -v -tu1 -j "$1" -N "$2" "$_f" | awk '
		{ for (i = 1; i <= NF; i++) b[n++] = $i }
		END { for (i = 0; i < n; i++) printf "%d %d\n", i, b[i] }' >"$D/strtab"
	awk 'FNR == NR { c[$1] = $2; next }
		{ if (int($3 / 2) % 2 == 1 && int($3 / 4) % 2 == 1 && $5 > 0) {
			name = ""; for (o = $2; c[o] != 0 && o in c; o++) name = name sprintf("%c", c[o]);
			print name, $5 } }' "$D/strtab" "$D/shdr"
}

# live_ranges MODULE: "core|init NAME ADDR SIZE" for each of $D/textsecs,
# the addresses read from sysfs by one cat (a section file must be read whole
# at once: the shell's byte-wise read gets an error after the first byte).
live_ranges() {
	_files=
	: >"$D/textsecs.live"
	while read -r _name _size; do
		[ -r "/sys/module/$1/sections/$_name" ] || continue
		_files="$_files /sys/module/$1/sections/$_name"
		echo "$_name $_size" >>"$D/textsecs.live"
	done <"$D/textsecs"
	[ -n "$_files" ] || return 0
	# shellcheck disable=SC2086 # (a list of paths without blanks)
	cat $_files >"$D/addrs" || return 0
	exec 3<"$D/addrs"
	while read -r _name _size; do
		read -r _addr <&3 || break
		case $_name in
		.init*) echo "init $_name $_addr $_size" ;;
		*) echo "core $_name $_addr $_size" ;;
		esac
	done <"$D/textsecs.live"
	exec 3<&-
}

# others MODULE: every other loaded module's [base, base+size) as "other".
others() {
	while read -r _n _s _r _d _st _a _rest; do
		[ "$_n" = "$1" ] || echo "other $_n $_a $_s"
	done </proc/modules
}

ALLOCS="kmem/kmalloc kmem/kmem_cache_alloc kmem/mm_page_alloc percpu/percpu_alloc_percpu vmalloc/alloc_vmap_area"

start() {
	m=${1//-/_}
	[ -d $T/events ] || mount -t tracefs tracefs $T 2>/dev/null || die "no tracefs at $T"
	[ -d $T/events/kmem ] || die "no kmem events in $T"
	rm -rf "$D"
	mkdir -p "$D" || die "cannot create $D"
	echo "$m" >"$D/module"
	# The module's executable sections, sized from its .ko (before tracing).
	: >"$D/textsecs"
	ko=$(ko_of "$m")
	if [ -n "$ko" ]; then
		case $ko in
		*.xz) unxz -c "$ko" >"$D/mod.ko" && ko=$D/mod.ko ;;
		esac
		elf_text "$ko" >"$D/textsecs" || echo "$me: cannot read the sections of $ko" >&2
	else
		echo "$me: no .ko for $m in modules.dep: its raw addresses cannot be placed" >&2
	fi
	echo 0 >$T/tracing_on
	echo 0 >$T/events/enable
	echo nop >$T/current_tracer
	echo >$T/trace
	cat $T/buffer_size_kb >"$D/old_buffer_kb"
	echo "${KMTRUTH_BUFFER_KB:-16384}" >$T/buffer_size_kb || die "cannot set buffer_size_kb"
	# Real pointers (hash-ptr off) where tracefs prints them right: 6.1's
	# printer loses every field after a %p rewritten to %px (gfp_flags= and
	# module_load: come out empty). Tested on a kmalloc event; where it fails
	# pointers stay hashed: the same pointer, the same hash, so frees still
	# match (a 32-bit hash: a false match is possible, if unlikely).
	hashed=1
	if [ -f $T/options/hash-ptr ]; then
		echo 0 >$T/options/hash-ptr
		echo 1 >$T/events/kmem/kmalloc/enable
		echo 1 >$T/tracing_on
		cat /proc/self/status /proc/self/maps >/dev/null
		echo 0 >$T/tracing_on
		echo 0 >$T/events/kmem/kmalloc/enable
		if grep -m1 ' kmalloc: ' $T/trace | grep -q ' gfp_flags=[^ ]'; then
			hashed=0
		else
			echo 1 >$T/options/hash-ptr
		fi
		echo >$T/trace
	fi
	echo "$hashed" >"$D/hashed"
	: >"$D/ranges"
	for e in $EVENTS; do
		if [ -f "$T/events/$e/enable" ]; then
			echo 1 >"$T/events/$e/enable" || die "cannot enable $e"
		else
			echo "noevent ${e%%/*} $e" >>"$D/ranges"
		fi
	done
	# A kernel stack for the allocation events only (a stacktrace trigger;
	# options/stacktrace would also stack every free).
	: >"$D/triggers"
	for e in $ALLOCS; do
		[ -f "$T/events/$e/trigger" ] || continue
		echo stacktrace >"$T/events/$e/trigger" || die "cannot set a stacktrace trigger on $e"
		echo "$e" >>"$D/triggers"
	done
	# (its pointers are printed raw: useless against hashed ones)
	rcu=off
	if [ "$hashed" = 0 ] && [ -f $T/kprobe_events ] && grep -q ' kvfree_call_rcu$' /proc/kallsyms; then
		echo '-:kmtruth/kvfree_rcu' >>$T/kprobe_events 2>/dev/null
		if echo 'p:kmtruth/kvfree_rcu kvfree_call_rcu head=%di arg=%si' >>$T/kprobe_events 2>/dev/null &&
			echo 1 >$T/events/kmtruth/kvfree_rcu/enable; then
			rcu=on
		fi
	fi
	echo "$rcu" >"$D/rcu"
	# No vmalloc events (6.1): a kretprobe on alloc_vmap_area and a kprobe on
	# free_vmap_area_noflush stand in for them (struct vmap_area starts with
	# va_start, va_end; raw addresses either way).
	vmk=off
	if [ ! -f $T/events/vmalloc/alloc_vmap_area/enable ] && [ -f $T/kprobe_events ] &&
		grep -q ' alloc_vmap_area$' /proc/kallsyms && grep -q ' free_vmap_area_noflush$' /proc/kallsyms; then
		echo '-:kmtruth/alloc_vmap_area' >>$T/kprobe_events 2>/dev/null
		echo '-:kmtruth/free_vmap_area_noflush' >>$T/kprobe_events 2>/dev/null
		if echo 'r:kmtruth/alloc_vmap_area alloc_vmap_area va_start=+0($retval):x64 va_end=+8($retval):x64' \
			>>$T/kprobe_events 2>/dev/null &&
			echo 'p:kmtruth/free_vmap_area_noflush free_vmap_area_noflush va_start=+0(%di):x64' \
				>>$T/kprobe_events 2>/dev/null &&
			echo 1 >$T/events/kmtruth/alloc_vmap_area/enable &&
			echo 1 >$T/events/kmtruth/free_vmap_area_noflush/enable &&
			echo stacktrace >$T/events/kmtruth/alloc_vmap_area/trigger; then
			vmk=on
			echo kmtruth/alloc_vmap_area >>"$D/triggers"
			grep -v '^noevent vmalloc ' "$D/ranges" >"$D/ranges.new"
			mv "$D/ranges.new" "$D/ranges"
		fi
	fi
	echo "$vmk" >"$D/vmk"
	if [ -d "/sys/module/$m/sections" ]; then
		# Already loaded: its ranges now; no load will be seen.
		live_ranges "$m" >>"$D/ranges"
		echo preloaded >>"$D/ranges"
	elif [ "${2:-}" = poll ]; then
		# The ranges are read as soon as the module is live (its init text is
		# still listed then), and a marker closes the init text's window.
		(
			while :; do
				st=
				[ -r "/sys/module/$m/initstate" ] && read -r st <"/sys/module/$m/initstate"
				[ "$st" = live ] && break
				[ -f "$D/stopping" ] && exit 0
				sleep 0.05
			done
			live_ranges "$m" >"$D/ranges.live"
			echo "kmtruth_live $m" >$T/trace_marker
		) &
		echo $! >"$D/poller"
	fi
	others "$m" >>"$D/ranges"
	echo 1 >$T/tracing_on
}

# end_poll: stop the poller (after at most 2 s for a snapshot under way).
end_poll() {
	: >"$D/stopping"
	[ -f "$D/poller" ] || return 0
	read -r p <"$D/poller"
	i=0
	while [ $i -lt 40 ] && kill -0 "$p" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	kill "$p" 2>/dev/null
	rm -f "$D/poller"
}

started() {
	m=${1//-/_}
	[ -f "$D/module" ] || die "not started (no $D/module)"
	read -r _sm <"$D/module"
	[ "$_sm" = "$m" ] || die "started for $_sm, not $m"
}

loaded() {
	started "$1"
	end_poll
	[ -d "/sys/module/$m/sections" ] || die "$m is not loaded"
	live_ranges "$m" >"$D/ranges.live"
	echo "kmtruth_loaded $m" >$T/trace_marker
	# (modules loaded with it, e.g. a module that depends on it)
	others "$m" >>"$D/ranges"
}

stop() {
	started "$1"
	sleep "${KMTRUTH_SETTLE:-1}"
	end_poll
	echo 0 >$T/tracing_on
	others "$m" >>"$D/ranges"
	[ -f "$D/ranges.live" ] && cat "$D/ranges.live" >>"$D/ranges"
	overrun=0
	for s in "$T"/per_cpu/cpu*/stats; do
		o=$(awk -F': *' '$1 == "overrun" || $1 == "commit overrun" || $1 == "dropped events" { n += $2 } END { print n + 0 }' "$s")
		overrun=$((overrun + o))
	done
	t0=$(date +%s)
	[ "${KMTRUTH_RAW:-0}" = 1 ] && cat $T/trace >"$D/trace.raw"
	# Plain kernel frames matter only as allocator plumbing between an
	# allocation and the module: every other one is dropped before awk.
	grep -E -e '^([^ ]| [^=])' -e '\]$' -e '^ => 0x' \
		-e '^ => _*(kmalloc|kmem_cache_alloc|kmalloc_large|kmalloc_order|kmalloc_trace|slab_alloc|allocate_slab|new_slab|alloc_slab_page|vmalloc|vzalloc|vm_area_alloc_pages|kvmalloc|kvzalloc|alloc_percpu|pcpu_|radix_tree_preload)' \
		$T/trace >"$D/trace"
	t1=$(date +%s)
	echo 0 >$T/events/enable
	while read -r e; do echo '!stacktrace' >"$T/events/$e/trigger"; done <"$D/triggers"
	if [ "$(cat "$D/rcu")" = on ]; then
		echo 0 >$T/events/kmtruth/kvfree_rcu/enable
		echo '-:kmtruth/kvfree_rcu' >>$T/kprobe_events
	fi
	if [ "$(cat "$D/vmk")" = on ]; then
		echo 0 >$T/events/kmtruth/alloc_vmap_area/enable
		echo 0 >$T/events/kmtruth/free_vmap_area_noflush/enable
		echo '-:kmtruth/alloc_vmap_area' >>$T/kprobe_events
		echo '-:kmtruth/free_vmap_area_noflush' >>$T/kprobe_events
	fi
	[ -f $T/options/hash-ptr ] && echo 1 >$T/options/hash-ptr
	echo >$T/trace
	cat "$D/old_buffer_kb" >$T/buffer_size_kb 2>/dev/null
	echo 1 >$T/tracing_on
	awk -v mod="$m" -v ranges="$D/ranges" -v list="${KMTRUTH_LIST:-0}" -f "$LIB/kmtruth.awk" "$D/trace" >"$D/report" ||
		die "analysis failed (trace kept in $D/trace)"
	t2=$(date +%s)
	echo "read=$((t1 - t0)) analyse=$((t2 - t1))" >"$D/timing"
	sed "/^kmtruth module=/s/\$/ overrun=$overrun rcu=$(cat "$D/rcu") hashed_ptr=$(cat "$D/hashed") kernel=$(uname -r)/" "$D/report"
}

case "${1:-}" in
start)
	[ $# -eq 2 ] || die "usage: kmtruth.sh start MODULE"
	start "$2"
	;;
loaded)
	[ $# -eq 2 ] || die "usage: kmtruth.sh loaded MODULE"
	loaded "$2"
	;;
stop)
	[ $# -eq 2 ] || die "usage: kmtruth.sh stop MODULE"
	stop "$2"
	;;
"" | -h | --help)
	sed -n '4,32p' "$0" | sed 's/^# \{0,1\}//'
	;;
*)
	if [ $# -lt 3 ] || [ "$2" != -- ]; then
		die "usage: kmtruth.sh MODULE -- COMMAND [ARGS...]"
	fi
	mod=$1
	shift 2
	start "$mod" poll
	"$@"
	rc=$?
	stop "$mod"
	echo "kmtruth command_exit=$rc"
	;;
esac

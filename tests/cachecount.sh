# SPDX-License-Identifier: GPL-2.0
# Sourced by tests/host/kstorm.sh (bash) and tests/guest/kstorm.sh (busybox sh).
#
# cache_allocs name=CACHE|caller=FUNC OUT CMD [ARGS...]: runs CMD (stdout to
# OUT) and counts the kmem:kmem_cache_alloc events CMD and its threads and
# children cause from the slab cache named CACHE (the event's name field,
# 6.14+), or whose call site lies in the kernel function FUNC (its text range
# from /proc/kallsyms: for kernels whose event has no name field), with the
# kernel's own tracefs: a private trace instance, the event filtered in the
# kernel by that and by pid (set_event_pid, written by CMD's own process
# before it execs, with event-fork, which adds threads and children), enabled
# only then.  Sets ca_count (events recorded), ca_rc (CMD's exit status) and
# ca_err (empty, or why ca_count cannot be trusted: no tracefs, no name field,
# FUNC not found, the buffer overran).
cache_allocs() {
	_ca_by=$1
	_ca_out=$2
	shift 2
	ca_count="" ca_rc="" ca_err=""
	_ca_t=/sys/kernel/tracing
	[ -d $_ca_t/events ] || mount -t tracefs nodev $_ca_t 2>/dev/null
	case $_ca_by in
	name=*)
		if ! grep -q 'char\[\] name;' $_ca_t/events/kmem/kmem_cache_alloc/format 2>/dev/null; then
			ca_err="no kmem:kmem_cache_alloc event with a name field in $_ca_t"
			return
		fi
		_ca_filter="name == \"${_ca_by#name=}\""
		;;
	caller=*)
		_ca_f=${_ca_by#caller=}
		_ca_a=$(awk -v f="$_ca_f" '$3 == f && $2 ~ /^[tT]$/ {print $1; exit}' /proc/kallsyms)
		_ca_b=""
		[ -n "$_ca_a" ] && _ca_b=$(awk '{print $1}' /proc/kallsyms | sort -u |
			awk -v a="$_ca_a" '"x" $1 > "x" a {print; exit}')
		if [ -z "$_ca_a" ] || [ -z "$_ca_b" ] || [ "$_ca_a" = 0000000000000000 ]; then
			ca_err="no text range for $_ca_f in /proc/kallsyms"
			return
		fi
		_ca_filter="call_site >= 0x$_ca_a && call_site < 0x$_ca_b"
		;;
	*)
		ca_err="cache_allocs: name=CACHE or caller=FUNC, not '$_ca_by'"
		return
		;;
	esac
	_ca_n=$((${_ca_n:-0} + 1))
	_ca_i=$_ca_t/instances/kmt_cachecount_$$_$_ca_n
	if ! mkdir $_ca_i; then
		ca_err="cannot create the tracefs instance $_ca_i"
		return
	fi
	echo 4096 >$_ca_i/buffer_size_kb
	echo 1 >$_ca_i/options/event-fork
	if ! echo "$_ca_filter" >$_ca_i/events/kmem/kmem_cache_alloc/filter; then
		ca_err="tracefs refused the filter '$_ca_filter'"
		rmdir $_ca_i
		return
	fi
	# shellcheck disable=SC2016
	sh -c 'echo $$ >"$1/set_event_pid" &&
		echo 1 >"$1/events/kmem/kmem_cache_alloc/enable" && shift && exec "$@"' \
		sh $_ca_i "$@" >"$_ca_out"
	ca_rc=$?
	echo 0 >$_ca_i/events/kmem/kmem_cache_alloc/enable
	ca_count=$(grep -c ' kmem_cache_alloc: ' $_ca_i/trace)
	_ca_ov=$(cat $_ca_i/per_cpu/cpu*/stats | awk '/^overrun:/ {s += $2} END {print s + 0}')
	[ "$_ca_ov" = 0 ] || ca_err="the trace buffer overran ($_ca_ov events lost)"
	# KMT_CACHECOUNT_KEEP=1 (the throw-away VM): leave the instance; on
	# Debian 6.1 under TCG its rmdir soft-locked for minutes.
	[ "${KMT_CACHECOUNT_KEEP:-}" = 1 ] && return
	rmdir $_ca_i 2>/dev/null || sleep 0.2
	if [ -d $_ca_i ]; then rmdir $_ca_i; fi
}

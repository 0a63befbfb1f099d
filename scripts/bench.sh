#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What a tracer of the kernel's allocator events costs (make bench).
#
#   scripts/bench.sh [--rounds N] [--seconds S] [--ops N] [--threads N]
#                    [--size N] [--stats-seconds S] [--quick] [--only REGEX]
#                    [--out DIR] [--raw DIR] [--warmup]
#
# Workloads (build/kstorm): msg (SysV msgsnd+msgrcv: 1 kmalloc + 2 kfree per
# op on 6.18) for most modes; pipe (pipe2+close: kmallocs and named-cache
# allocations) for the all-families modes.  Each round runs every mode once,
# in turn (interleaved: a slow phase of the machine hits all modes alike):
# untraced; the floors (build/kmfloor: empty BPF programs; 'kmfloor raw_tp' and
# 'kmfloor tracepoint' on kmem:kmalloc+kfree, and for each kmtrace mode one
# with exactly the tracepoints that mode attaches, found by starting it once
# before the rounds); kmtrace hist/stat/trace/trace --json, trace -m with stack
# attribution, the all-families modes; the bpftrace one-liners; perf kmem
# record.  A kmtrace mode is skipped when 'build/kmtrace SUB --help' lacks it.
# A traced round starts the tracer, waits until it is attached, runs kstorm
# for --seconds (the timed run), samples the tracer's CPU time and peak RSS
# from /proc, then, for tracers holding BPF programs, runs kstorm again for
# --stats-seconds with the kernel's BPF statistics on (the statistics run),
# stops the tracer with SIGINT and picks up any lost-event count it reports.
# --warmup adds a round 0 (short runs of every mode, recorded, not counted).
# Results (scripts/bench-report.py): the kept ratios (median over rounds of
# the mode's ops/s over the same round's untraced ops/s, and the points under
# the mode's floor in the same round), and the BPF programs' own run time
# (run_time_ns/run_cnt from /proc/PID/fdinfo, sampled every KMT_STATS_WINDOW
# seconds, 0.2): ns per event, median and quartiles over all windows of all
# rounds; and x yardstick: during each statistics run a yardstick (kmfloor
# --events: empty raw_tp programs on the workload's frequent events) is
# attached next to the mode's programs and timed in the same windows, and the
# mode's ns per op over the yardstick's, per window, takes the machine's speed
# (which moves the raw figure by 10 % and more on a shared host) out.  Printed
# and written to DIR/<YYYY-MM-DD>-<kernel>.md (DIR: bench/results).
# Statistics stay off during the timed runs (they cost ~70 ns per event here
# and would lower every kept ratio); they are held on around each statistics
# run by 'build/kmfloor --attach none --stats' (sysctl
# kernel.bpf_stats_enabled if that fails, restored at exit, also on Ctrl-C).
# See bench/README.md.
#   --rounds N   rounds (default 5)          --seconds S  timed run (1.5)
#   --ops N      a fixed op count per timed run instead of --seconds
#   --threads N  kstorm threads (default 1)  --size N     msg bytes (952)
#   --stats-seconds S  length of the BPF-statistics run (default 2; 0: none)
#   --quick      1 round of 0.3 s, 0.8 s statistics runs, no warm-up (for
#                tests; explicit options still win)
#   --only RE    only modes whose name matches the extended regex RE (and the
#                untraced runs and floors they need)
#   --out DIR    where the results file goes
#   --raw DIR    also keep the raw per-round and per-window data there
#                (scripts/bench-report.py DIR makes the table again)
#   --warmup     a warm-up round first (round 0: recorded, not counted)
# Other tracers of the same events (another engineer's kmtrace, bpftrace,
# perf) slow the workload too: before each run the bench waits up to
# KMT_QUIET_WAIT seconds (default 20, 0 with --quick) until no other process
# holds tracing BPF programs or perf events, and marks the rounds it could not
# run clean (at most KMT_QUIET_BUDGET seconds of such waits in all, default
# 90); medians use the clean rounds when there are any.
# Environment: KMT_SETTLE (seconds to wait for a tracer without a ready line,
# default 2), KMT_ATTACH_TIMEOUT (seconds, default 30), KMT_QUIET_WAIT,
# KMT_QUIET_BUDGET, KMT_STATS_WINDOW.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

rounds=5 secs=1.5 ops="" threads=1 size=952 only="" out=bench/results raw=""
quiet_wait=${KMT_QUIET_WAIT:-20} stats_secs=2 stats_win=${KMT_STATS_WINDOW:-0.2} warmup=0
for a in "$@"; do [[ $a == --quick ]] && rounds=1 secs=0.3 stats_secs=0.8 quiet_wait=0; done
die() {
	echo "bench: $*" >&2
	exit 2
}
num() { [[ $2 =~ ^[0-9]+$ && $2 -ge 1 ]] || die "$1 needs a positive integer, got '$2'"; }
seconds() { [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$1 needs a number of seconds, got '$2'"; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--rounds) num "$1" "${2:-}" && rounds=$2 && shift ;;
	--seconds)
		seconds "$1" "${2:-}" && secs=$2 && shift
		awk -v s="$secs" 'BEGIN {exit !(s >= 0.05)}' || die "--seconds needs at least 0.05"
		;;
	--ops) num "$1" "${2:-}" && ops=$2 && shift ;;
	--threads) num "$1" "${2:-}" && threads=$2 && shift ;;
	--size) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--size needs a number" && size=$2 && shift ;;
	--stats-seconds) seconds "$1" "${2:-}" && stats_secs=$2 && shift ;;
	--only) [[ -n ${2:-} ]] || die "--only needs a regex" && only=$2 && shift ;;
	--out) [[ -n ${2:-} ]] || die "--out needs a directory" && out=$2 && shift ;;
	--raw) [[ -n ${2:-} ]] || die "--raw needs a directory" && raw=$2 && shift ;;
	--warmup) warmup=1 ;;
	--quick) ;;
	-h | --help)
		sed -n '3,/^set -uo/p' "$0" | sed -n 's/^# \{0,1\}//p'
		exit 0
		;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done

[[ $(id -u) -eq 0 ]] || {
	echo "bench: needs root (BPF, perf)" >&2
	exit 1
}
for p in build/kstorm build/kmfloor; do
	[[ -x $p ]] || {
		echo "bench: $p missing (run make all)" >&2
		exit 1
	}
done
if [[ ! -d /sys/kernel/tracing/events ]]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
		echo "bench: warning: could not mount tracefs on /sys/kernel/tracing" >&2
fi

settle=${KMT_SETTLE:-2}
attach_timeout=${KMT_ATTACH_TIMEOUT:-30}
hz=$(getconf CLK_TCK)
tmp=$(mktemp -d /tmp/kmbench.XXXXXX)
tpid="" spid="" ypid="" sysctl_prev=""
cleanup() {
	stats_off
	yard_stop
	# a workload still running (Ctrl-C during a run): it must not outlive us
	pkill -KILL -P $$ -x kstorm 2>/dev/null
	if [[ -n $tpid ]] && kill -0 "$tpid" 2>/dev/null; then
		kill -INT "$tpid" 2>/dev/null
		sleep 0.5
		kill -KILL "$tpid" 2>/dev/null
	fi
	rm -rf "$tmp"
}

# BPF run-time statistics on (stats_on) and back off (stats_off): a kmfloor
# holding BPF_ENABLE_STATS, which the kernel undoes when it exits (it also
# exits when this script dies); else the sysctl, set back to its previous
# value by stats_off, which the EXIT trap calls too.  stats_how says which.
stats_how=""
stats_on() {
	local i
	stats_how=""
	(
		trap - INT
		exec build/kmfloor --attach none --stats >"$tmp/s.out" 2>"$tmp/s.err"
	) &
	spid=$!
	for ((i = 0; i < 200; i++)); do
		if grep -q '^ready$' "$tmp/s.out" 2>/dev/null; then
			stats_how="BPF_ENABLE_STATS (kmfloor --stats)"
			return 0
		fi
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.01
	done
	kill -KILL "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=""
	sysctl_prev=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null) || return 1
	echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null || {
		sysctl_prev=""
		return 1
	}
	stats_how="sysctl kernel.bpf_stats_enabled"
}
stats_off() {
	if [[ -n $spid ]]; then
		kill -TERM "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		spid=""
	fi
	if [[ -n $sysctl_prev ]]; then
		echo "$sysctl_prev" >/proc/sys/kernel/bpf_stats_enabled
		sysctl_prev=""
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# workload W [SECONDS]: the kstorm command line of workload W (msg, pipe) for
# a timed run (--seconds, or --ops), or for SECONDS.
workload() {
	local w=(build/kstorm -m "$1")
	[[ $1 == msg ]] && w+=(-s "$size")
	if [[ -n ${2:-} ]]; then
		w+=(-d "$2")
	elif [[ -n $ops ]]; then
		w+=(-n "$ops")
	else
		w+=(-d "$secs")
	fi
	echo "${w[*]} -t $threads"
}

# --- modes ---------------------------------------------------------------------
# name|kind|arguments|workload|environment.  kind: none, kmfloor, kmtrace,
# bpftrace, perf.  The floors with a kmtrace mode's own tracepoints are added
# below (floor_for).
BT_HIST='tracepoint:kmem:kmalloc { @bytes = hist(args->bytes_alloc); } tracepoint:kmem:kfree { @frees = count(); }'
BT_PRINTF='tracepoint:kmem:kmalloc { printf("kmalloc %d %d %lx %d %d\n", pid, tid, args->ptr, args->bytes_req, args->bytes_alloc); } tracepoint:kmem:kfree { printf("kfree %d %d %lx\n", pid, tid, args->ptr); }'
# -m on a kernel without loadable modules (the host): KMTRACE_MODULE_TEXT
# takes the module as loaded at a range of the module area where nothing is
# (no module, no BPF image): every allocation is someone else's, as kstorm's
# are when a real module is traced, and pays the stack scan (and, with
# KMTRACE_NO_STACK_SCAN=1, the walk) -m makes it pay.
MOD_ENV="KMTRACE_MODULE_TEXT=fffffffffeff0000-ffffffffff000000"
modes=(
	"untraced|none||msg|"
	"kmfloor raw_tp|kmfloor|--attach raw_tp|msg|"
	"kmfloor tracepoint|kmfloor|--attach tracepoint|msg|"
	"kmtrace hist|kmtrace|hist|msg|"
	"kmtrace stat|kmtrace|stat|msg|"
	"kmtrace trace|kmtrace|trace|msg|"
	"kmtrace trace --json|kmtrace|trace --json|msg|"
	"kmtrace trace -m --direct|kmtrace|trace --json -m kmt_bench --direct|msg|$MOD_ENV"
	"kmtrace trace -m|kmtrace|trace --json -m kmt_bench|msg|$MOD_ENV"
	"kmtrace trace -m, walk every stack|kmtrace|trace --json -m kmt_bench|msg|$MOD_ENV KMTRACE_NO_STACK_SCAN=1"
	"bpftrace hist+count|bpftrace|$BT_HIST|msg|"
	"bpftrace printf|bpftrace|$BT_PRINTF|msg|"
	"perf kmem record|perf||msg|"
	"pipe: untraced|none||pipe|"
	"pipe: kmtrace hist --family all|kmtrace|hist --family all|pipe|"
	"pipe: kmtrace stat --cache|kmtrace|stat --cache|pipe|"
	"pipe: kmtrace trace --json|kmtrace|trace --json|pipe|"
)

# Which modes can run here: writes name|status|reason|workload|kind to
# $tmp/modes; active: their indexes.  --only keeps the untraced runs of the
# workloads the matching modes use.
active=()
: >"$tmp/modes"
declare -A used_w=()
for i in "${!modes[@]}"; do
	IFS='|' read -r name kind args w env <<<"${modes[$i]}"
	[[ -n $only && ! $name =~ $only ]] && continue
	[[ $kind != none ]] && used_w[$w]=1
done
for i in "${!modes[@]}"; do
	IFS='|' read -r name kind args w env <<<"${modes[$i]}"
	why=""
	if [[ -n $only && ! $name =~ $only && ! ($kind == none && -n ${used_w[$w]:-}) ]]; then
		continue
	fi
	case $kind in
	kmtrace)
		read -r -a sub <<<"$args"
		if [[ ! -x build/kmtrace ]]; then
			why="no build/kmtrace"
		elif ! build/kmtrace "${sub[0]}" --help >"$tmp/help" 2>&1; then
			why="'kmtrace ${sub[0]} --help' failed"
		else
			for o in "${sub[@]:1}"; do
				[[ $o == -* && $o != --json ]] || continue
				grep -q -- " ${o}[ ,]" "$tmp/help" || why="'kmtrace ${sub[0]} --help' has no $o"
			done
		fi
		;;
	bpftrace) command -v bpftrace >/dev/null || why="bpftrace not installed" ;;
	perf) perf version >/dev/null 2>&1 || why="perf not installed (or not for this kernel)" ;;
	esac
	if [[ -n $why ]]; then
		echo "$name|skipped|$why|$w|$kind" >>"$tmp/modes"
	else
		echo "$name|ok||$w|$kind" >>"$tmp/modes"
		active+=("$i")
	fi
done
[[ ${#active[@]} -gt 0 ]] || die "--only '$only' matches no mode"

# --- helpers -------------------------------------------------------------------
now() { date +%s.%N; }

cpu_ticks() { # PID: utime+stime of the whole process, in clock ticks
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || {
		echo 0
		return
	}
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $((${12} + ${13}))
}

hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# The BPF program types a process holds (from its fds): the attach type, with
# the tracepoint names of its raw_tp links.
attach_of() {
	local t n
	n=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^tp_name:/ {print $2}' | sort -u | paste -sd,)
	t=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^prog_type:/ {print $2}' | sort -u |
		while read -r pt; do
			case $pt in
			2) echo kprobe ;; 5) echo tracepoint ;; 7) echo perf_event ;;
			17) echo raw_tp ;; 26) echo fentry ;; *) echo "prog_type $pt" ;;
			esac
		done | paste -sd+)
	echo "${t:-none}${n:+ ($n)}"
}

# links_of PID: the events the process's BPF links attach to, as kmfloor
# --events wants them: raw_tp:NAME (raw tracepoint links), tracepoint:NAME
# (perf links of tracepoints), sorted, comma-separated; "" when none.
links_of() {
	grep -H '' /proc/"$1"/fdinfo/* 2>/dev/null | awk '
	function flush() {
		if (lt == "raw_tracepoint" && tp != "") print "raw_tp:" tp
		else if (lt == "perf" && et == "tracepoint" && tp != "") print "tracepoint:" tp
	}
	{
		i = index($0, ":")
		f = substr($0, 1, i - 1)
		$0 = substr($0, i + 1)
		if (f != cur) { flush(); lt = tp = et = ""; cur = f }
	}
	/^link_type:/ { lt = $2 }
	/^tp_name:/ { tp = $2 }
	/^event_type:/ { et = $2 }
	END { flush() }' | sort -u | paste -sd,
}

# prog_stats PID: one line per BPF program the process holds an fd of:
# "prog_id prog_type run_time_ns run_cnt recursion_misses tp_name" (tp_name
# from the process's link fds, '-' when it has none for that program).
# One grep, one awk: cheap enough to sample every KMT_STATS_WINDOW seconds.
prog_stats() {
	grep -H '' /proc/"$1"/fdinfo/* 2>/dev/null | awk '
	function flush() {
		if (id == "") return
		if (link) { if (tp != "") tpn[id] = tp }
		else if (rt != "") { ty[id] = t; r[id] = rt; c[id] = rc; m[id] = rm + 0 }
	}
	{
		i = index($0, ":")
		f = substr($0, 1, i - 1)
		$0 = substr($0, i + 1)
		if (f != cur) { flush(); t = id = rt = rc = rm = tp = ""; link = 0; cur = f }
	}
	/^link_type:/ { link = 1 }
	/^prog_type:/ { t = $2 }
	/^prog_id:/ { id = $2 }
	/^run_time_ns:/ { rt = $2 }
	/^run_cnt:/ { rc = $2 }
	/^recursion_misses:/ { rm = $2 }
	/^tp_name:/ { tp = $2 }
	END {
		flush()
		for (i in r) print i, ty[i], r[i], c[i], m[i], (i in tpn ? tpn[i] : "-")
	}' | sort
}

# prog_names FILE: "prog_id name" for the ids in FILE's first column (bpftool;
# the name is the kernel's, at most 15 characters; "id<N>" without bpftool).
prog_names() {
	local id n
	while read -r id _; do
		n=$(bpftool -j prog show id "$id" 2>/dev/null | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
		echo "$id ${n:-id$id}"
	done <"$1"
}

# Sum of the numbers on the lines that mention lost/dropped events.
lost_in() {
	cat "$@" 2>/dev/null | grep -aiE 'lost|dropped' |
		sed -E 's/[^0-9]*([0-9]+).*/\1/;t;d' | awk '{s += $1; n++} END {if (n) print s}'
}

# Other processes holding tracing BPF programs (kprobe, tracepoint, perf_event,
# raw_tp, tracing) or perf events: "comm(pid) ..." (ours, $tpid, excluded).
foreign_tracers() {
	local f pid t seen=" "
	find /proc/[0-9]*/fd -maxdepth 1 \( -lname 'anon_inode:bpf-prog' -o \
		-lname 'anon_inode:\[perf_event\]' \) 2>/dev/null >"$tmp/fds"
	while read -r f; do
		pid=${f#/proc/}
		pid=${pid%%/*}
		[[ $seen == *" $pid "* || $pid == "${tpid:-x}" || $pid == "$$" ]] && continue
		if [[ $(readlink "$f") == *bpf-prog* ]]; then
			t=$(awk '/^prog_type:/ {print $2}' "/proc/$pid/fdinfo/${f##*/}" 2>/dev/null)
			[[ $t =~ ^(2|5|7|17|26)$ ]] || continue
		fi
		seen+="$pid "
		printf '%s(%s) ' "$(tr -d '|' <"/proc/$pid/comm" 2>/dev/null)" "$pid"
	done <"$tmp/fds"
}

# wait_quiet: up to $quiet_wait seconds (and $quiet_left fifths of a second
# over the whole run) for foreign_tracers to go; sets quiet_dist to those left.
quiet_left=$((${KMT_QUIET_BUDGET:-90} * 5))
wait_quiet() {
	local i
	for ((i = 0; ; i++)); do
		quiet_dist=$(foreign_tracers)
		[[ -z $quiet_dist ]] && return
		((i < quiet_wait * 5 && quiet_left > 0)) || return
		quiet_left=$((quiet_left - 1))
		sleep 0.2
	done
}

# start_tracer KIND ARGS [ENV]: starts it in the background (SIGINT not
# ignored; kmtrace with the VAR=VALUE words of ENV in its environment), sets
# tpid, waits until attached.  Returns 1 (reason in $tmp/why) on failure.
start_tracer() {
	local kind=$1 args=$2 env=${3:-} ready="" t0 sub envs
	: >"$tmp/t.out"
	: >"$tmp/t.err"
	rm -f "$tmp/t.data"
	case $kind in
	kmfloor)
		# shellcheck disable=SC2086
		(
			trap - INT
			exec build/kmfloor $args >"$tmp/t.out" 2>"$tmp/t.err"
		) &
		ready='^ready$'
		;;
	kmtrace)
		read -r -a sub <<<"$args"
		read -r -a envs <<<"$env"
		local dest="$tmp/t.out"
		[[ ${sub[0]} == trace ]] && dest=/dev/null
		(
			trap - INT
			exec env "${envs[@]}" build/kmtrace "${sub[@]}" >"$dest" 2>"$tmp/t.err"
		) &
		ready='ready|attached|tracing|ctrl-c'
		;;
	bpftrace)
		(
			trap - INT
			exec bpftrace -o "$tmp/t.out" -e "$args" >"$tmp/t.err" 2>&1
		) &
		ready='^Attaching'
		;;
	perf)
		(
			trap - INT
			exec perf kmem record -o "$tmp/t.data" >"$tmp/t.out" 2>"$tmp/t.err"
		) &
		ready="" # perf says nothing when attached: settle time
		;;
	esac
	tpid=$!
	t0=$(now)
	while :; do
		if ! kill -0 "$tpid" 2>/dev/null; then
			wait "$tpid" 2>/dev/null
			{
				echo "exited early:"
				grep -av RLIMIT_MEMLOCK "$tmp/t.err" | tail -n 2
			} | paste -sd' ' | tr '|' '/' >"$tmp/why"
			tpid=""
			return 1
		fi
		if [[ -n $ready ]] && head -c 65536 "$tmp/t.out" "$tmp/t.err" 2>/dev/null |
			grep -aqiE "$ready"; then
			break
		fi
		if [[ $kind == perf || $kind == kmtrace ]] &&
			awk -v a="$t0" -v b="$(now)" -v s="$settle" 'BEGIN {exit !(b - a >= s)}'; then
			break # no ready line: settled
		fi
		if awk -v a="$t0" -v b="$(now)" -v s="$attach_timeout" 'BEGIN {exit !(b - a >= s)}'; then
			echo "not attached after ${attach_timeout}s" >"$tmp/why"
			kill -KILL "$tpid" 2>/dev/null
			wait "$tpid" 2>/dev/null
			tpid=""
			return 1
		fi
		sleep 0.05
	done
	[[ $kind == perf ]] && sleep 0.2 # let perf finish its per-CPU setup
	return 0
}

stop_tracer() {
	local i
	kill -INT "$tpid" 2>/dev/null
	for ((i = 0; i < 1200; i++)); do
		kill -0 "$tpid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$tpid" 2>/dev/null; then
		echo "bench: tracer $tpid ignored SIGINT for 60s, killing it" >&2
		kill -KILL "$tpid" 2>/dev/null
	fi
	wait "$tpid" 2>/dev/null
	tpid=""
}

# run_kstorm W: runs workload W's timed run; sets kops (its ops_per_s, "" on
# failure) and kcpu (ops per CPU-second of kstorm: its utime+stime, from the
# subshell's 'times', which counts kstorm alone; BPF programs run in kstorm's
# context).
run_kstorm() {
	local t k
	read -r -a k <<<"$(workload "$1")"
	kops="" kcpu=""
	if ! ("${k[@]}" >"$tmp/k.out" 2>"$tmp/k.err" && times >"$tmp/k.times"); then
		echo "bench: kstorm failed: $(head -n 1 "$tmp/k.err")" >&2
		return
	fi
	kops=$(sed -n 's/.* ops_per_s=\([0-9]*\).*/\1/p' "$tmp/k.out")
	t=$(sed -n '2s/\([0-9]*\)m\([0-9.]*\)s \([0-9]*\)m\([0-9.]*\)s/\1 \2 \3 \4/p' "$tmp/k.times")
	# shellcheck disable=SC2086
	kcpu=$(awk -v o="$(sed -n 's/.* ops=\([0-9]*\) .*/\1/p' "$tmp/k.out")" -v t="$t" \
		'BEGIN {split(t, a, " "); c = a[1] * 60 + a[2] + a[3] * 60 + a[4];
		        if (c > 0 && o > 0) printf "%.0f", o / c}')
}

# --- events per op of each workload: counted once with bpftrace ---------------
# calib: workload|tracepoint|events per op (kstorm's own pid, process start
# included); calib_note: workload|how.
ALLOC_TPS="kmem:kmalloc kmem:kfree kmem:kmem_cache_alloc kmem:kmem_cache_free kmem:mm_page_alloc
kmem:mm_page_free kmem:mm_page_free_batched vmalloc:alloc_vmap_area vmalloc:free_vmap_area_noflush
percpu:percpu_alloc_percpu percpu:percpu_free_percpu"
: >"$tmp/calib"
: >"$tmp/calib_note"
declare -A need_w=()
for i in "${active[@]}"; do
	IFS='|' read -r _ _ _ w _ <<<"${modes[$i]}"
	need_w[$w]=1
done
for w in msg pipe; do
	[[ -n ${need_w[$w]:-} ]] || continue
	cal_ops=100000
	[[ $w == pipe ]] && cal_ops=20000
	[[ -n $ops && $ops -lt $cal_ops ]] && cal_ops=$ops
	probes=""
	for tp in $ALLOC_TPS; do
		[[ -d /sys/kernel/tracing/events/${tp%%:*}/${tp#*:} ]] && probes+="${probes:+,}tracepoint:$tp"
	done
	kc="build/kstorm -m $w"
	[[ $w == msg ]] && kc+=" -s $size"
	kc+=" -n $cal_ops -t 1"
	if command -v bpftrace >/dev/null && [[ -n $probes ]] &&
		bpftrace -e "$probes /pid == cpid/ { @[probe] = count(); }" -c "$kc" >"$tmp/cal" 2>/dev/null; then
		sed -n 's/^@\[tracepoint:[a-z_]*:\([a-z_]*\)\]: \([0-9]*\)$/\1 \2/p' "$tmp/cal" |
			awk -v w="$w" -v n="$cal_ops" '{printf "%s|%s|%.4f\n", w, $1, $2 / n}' >>"$tmp/calib"
		echo "$w|measured with bpftrace on $cal_ops ops of \`$kc\`: the allocator events of kstorm's pid (process start included)" >>"$tmp/calib_note"
	fi
	if ! grep -q "^$w|" "$tmp/calib"; then
		case $w in
		msg) printf 'msg|kmalloc|1\nmsg|kfree|2\n' >>"$tmp/calib" ;;
		pipe) printf 'pipe|kmalloc|2\npipe|kfree|2\npipe|kmem_cache_alloc|7\npipe|kmem_cache_free|6\n' >>"$tmp/calib" ;;
		esac
		echo "$w|assumed (measured on 6.18; bpftrace not available to count them)" >>"$tmp/calib_note"
	fi
done

# --- each kmtrace mode's floor: kmfloor with the tracepoints it attaches --------
# floor_for[mode]: the floor mode's name.  A tracer is started once, its
# links read (links_of), and stopped; modes with the same set share a floor;
# the set of 'kmfloor raw_tp' (msg) is that floor.
declare -A floor_for=() floor_of_set=()
for i in "${active[@]}"; do # the fixed floors that run (--only may leave them out)
	case ${modes[$i]%%|*} in
	"kmfloor raw_tp") floor_of_set["msg|raw_tp:kfree,raw_tp:kmalloc"]="kmfloor raw_tp" ;;
	"kmfloor tracepoint") floor_of_set["msg|tracepoint:kfree,tracepoint:kmalloc"]="kmfloor tracepoint" ;;
	esac
done
extra=()
for i in "${active[@]}"; do
	IFS='|' read -r name kind args w env <<<"${modes[$i]}"
	case $kind in
	bpftrace) [[ -n ${floor_of_set["msg|tracepoint:kfree,tracepoint:kmalloc"]:-} ]] &&
		floor_for[$name]="kmfloor tracepoint" ;;
	kmtrace)
		if ! start_tracer kmtrace "$args" "$env"; then
			echo "bench: $name: cannot find its tracepoints: $(cat "$tmp/why")" >&2
			continue
		fi
		set_=$(links_of "$tpid")
		stop_tracer
		[[ -n $set_ ]] || continue
		f=${floor_of_set["$w|$set_"]:-}
		if [[ -z $f ]]; then
			f="kmfloor as ${name#pipe: }"
			[[ $w != msg ]] && f="$w: $f"
			floor_of_set["$w|$set_"]=$f
			modes+=("$f|kmfloor|--events $set_|$w|")
			extra+=("$((${#modes[@]} - 1))")
			echo "$f|ok||$w|kmfloor" >>"$tmp/modes"
		fi
		floor_for[$name]=$f
		;;
	esac
done
# The order of a round: per workload, its untraced run, the floors, the rest.
order=()
for w in msg pipe; do
	for pass in none floor rest; do
		for i in "${active[@]}" "${extra[@]}"; do
			IFS='|' read -r name kind args mw env <<<"${modes[$i]}"
			[[ $mw == "$w" ]] || continue
			case $pass in
			none) [[ $kind == none ]] && order+=("$i") ;;
			floor) [[ $kind == kmfloor ]] && order+=("$i") ;;
			rest) [[ $kind != none && $kind != kmfloor ]] && order+=("$i") ;;
			esac
		done
	done
done
# meta: mode|workload|kind|its floor|its untraced reference
: >"$tmp/meta"
for i in "${order[@]}"; do
	IFS='|' read -r name kind args w env <<<"${modes[$i]}"
	u="untraced"
	[[ $w != msg ]] && u="$w: untraced"
	echo "$name|$w|$kind|${floor_for[$name]:-}|$u|$args|$env" >>"$tmp/meta"
done

# yard_stop: the yardstick kmfloor of stats_window, if running, stopped
# (also by the EXIT trap); ypid keeps its pid until then.
yard_stop() {
	if [[ -n $ypid ]]; then
		kill -INT "$ypid" 2>/dev/null
		wait "$ypid" 2>/dev/null
	fi
}

# stats_window MODE ROUND W: with the tracer $tpid attached, runs workload W
# for $stats_secs seconds with BPF statistics on and samples the tracer's
# programs every $stats_win seconds.  Appends to $tmp/bpfstats one line per
# program for the whole run: mode|round|name|prog_type|tp_name|run_ns|
# run_cnt|recursion_misses|kstorm ops|how stats were enabled; and to
# $tmp/bpfwin one per program and window (the first and last windows, with
# kstorm's start and exit, left out): mode|round|window|name|tp_name|run_ns|
# run_cnt|seconds since the bench started.
stats_window() {
	local m=$1 r=$2 w=$3 kp o i=0 j k yev
	ypid=""
	prog_stats "$tpid" >"$tmp/p0"
	[[ -s $tmp/p0 ]] || return 0
	# the yardstick: empty raw_tp programs on the workload's frequent events,
	# attached next to the tracer's for this run only, timed in the same
	# windows
	yev=$(awk -F'|' -v w="$w" '$1 == w && $3 >= 0.05 {printf "%sraw_tp:%s", s, $2; s = ","}' "$tmp/calib")
	if [[ -n $yev ]]; then
		(
			trap - INT
			exec build/kmfloor --events "$yev" >"$tmp/y.out" 2>"$tmp/y.err"
		) &
		ypid=$!
		for ((j = 0; j < 200; j++)); do
			grep -q '^ready$' "$tmp/y.out" 2>/dev/null && break
			kill -0 "$ypid" 2>/dev/null || break
			sleep 0.01
		done
		if ! grep -q '^ready$' "$tmp/y.out" 2>/dev/null; then
			echo "bench: the yardstick (kmfloor --events $yev) did not attach: $(head -n 1 "$tmp/y.err")" >&2
			kill -KILL "$ypid" 2>/dev/null
			wait "$ypid" 2>/dev/null
			ypid=""
		fi
	fi
	if ! stats_on; then
		yard_stop
		echo "bench: cannot enable BPF statistics (BPF_ENABLE_STATS, sysctl): no BPF run time" >&2
		stats_secs=0
		return 0
	fi
	rm -f "$tmp"/w[0-9]* "$tmp"/t[0-9]* "$tmp"/y[0-9]*
	prog_stats "$tpid" >"$tmp/p0"
	[[ -n $ypid ]] && prog_stats "$ypid" >"$tmp/yp0"
	read -r -a k <<<"$(workload "$w" "$stats_secs")"
	"${k[@]}" >"$tmp/s.k" 2>&1 &
	kp=$!
	while [[ -e /proc/$kp && $(awk '{print $3}' "/proc/$kp/stat" 2>/dev/null) != Z ]]; do
		sleep "$stats_win"
		prog_stats "$tpid" >"$tmp/w$i"
		[[ -n $ypid ]] && prog_stats "$ypid" >"$tmp/y$i"
		awk -v a="$wall0" -v b="$(now)" 'BEGIN {printf "%.1f\n", b - a}' >"$tmp/t$i"
		i=$((i + 1))
	done
	wait "$kp"
	prog_stats "$tpid" >"$tmp/p1"
	[[ -n $ypid ]] && prog_stats "$ypid" >"$tmp/yp1"
	stats_off
	yard_stop
	o=$(sed -n 's/.* ops=\([0-9]*\) .*/\1/p' "$tmp/s.k")
	[[ -n $o && $o -gt 0 ]] || {
		echo "bench: kstorm failed in the statistics run: $(head -n 1 "$tmp/s.k")" >&2
		return 0
	}
	prog_names "$tmp/p1" >"$tmp/pn"
	join "$tmp/p0" "$tmp/p1" | join - "$tmp/pn" |
		awk -v m="$m" -v r="$r" -v o="$o" -v how="$stats_how" \
			'{printf "%s|%s|%s|%s|%s|%d|%d|%d|%s|%s\n", m, r, $12, $2, $6,
			  $8 - $3, $9 - $4, $10 - $5, o, how}' >>"$tmp/bpfstats"
	# windows w0-w1 ... w(i-3)-w(i-2): w(i-1) may hold kstorm's exit
	for ((j = 0; j + 2 < i; j++)); do
		join "$tmp/w$j" "$tmp/w$((j + 1))" | join - "$tmp/pn" |
			awk -v m="$m" -v r="$r" -v w="$j" -v t="$(cat "$tmp/t$((j + 1))")" \
				'{printf "%s|%s|%s|%s|%s|%d|%d|%s\n", m, r, w, $12, $6, $8 - $3, $9 - $4, t}' \
				>>"$tmp/bpfwin"
	done
	# the yardstick's windows (the same instants), by event: mode|round|window|
	# tp_name|run_ns|run_cnt
	[[ -n $ypid && -s $tmp/yp1 ]] || return 0
	for ((j = 0; j + 2 < i; j++)); do
		join "$tmp/y$j" "$tmp/y$((j + 1))" |
			awk -v m="$m" -v r="$r" -v w="$j" \
				'{printf "%s|%s|%s|%s|%d|%d\n", m, r, w, $6, $8 - $3, $9 - $4}' >>"$tmp/yardwin"
	done
}

# --- the rounds ----------------------------------------------------------------
# results: mode|round|ops_per_s|cores|rss_kib|lost|out_bytes|attach|error|disturbed|ops_per_cpu_s|
#          BPF run time counted during the timed run (ns; >0: statistics were on)
# Round 0, the warm-up (short runs of every mode), is recorded and not counted.
: >"$tmp/results"
: >"$tmp/bpfstats"
: >"$tmp/bpfwin"
: >"$tmp/yardwin"
: >"$tmp/load"
stats_prev=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
# busy jiffies of the whole machine (user nice system irq softirq steal)
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
busy0=$(busy) wall0=$(now)
echo "bench: ${#order[@]} modes x $rounds rounds$([[ $warmup == 1 ]] && echo " (and a warm-up round)")," \
	"timed runs of $([[ -n $ops ]] && echo "$ops ops" || echo "$secs s"), statistics runs of $stats_secs s" >&2
secs_set=$secs stats_set=$stats_secs
for ((r = 1 - warmup; r <= rounds; r++)); do
	secs=$secs_set stats_secs=$stats_set
	if [[ $r == 0 ]]; then
		secs=0.3
		[[ $stats_set != 0 ]] && stats_secs=0.5
	fi
	echo "$r|$(cut -d' ' -f1-3 /proc/loadavg)|$(awk -v a="$wall0" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}')" >>"$tmp/load"
	for i in "${order[@]}"; do
		IFS='|' read -r name kind args w env <<<"${modes[$i]}"
		printf 'bench: round %d/%d %-34s ' "$r" "$rounds" "$name" >&2
		wait_quiet
		dist=$quiet_dist
		if [[ $kind == none ]]; then
			run_kstorm "$w"
			o=$kops
			dist+=$(foreign_tracers)
			echo "$name|$r|$o|||||-|$([[ -z $o ]] && echo "kstorm failed")|$dist|$kcpu" >>"$tmp/results"
			echo "${o:-failed} ops/s${dist:+ (disturbed by $dist)}" >&2
			continue
		fi
		if ! start_tracer "$kind" "$args" "$env"; then
			echo "$name|$r|||||||$(cat "$tmp/why")||" >>"$tmp/results"
			echo "tracer failed: $(cat "$tmp/why")" >&2
			continue
		fi
		attach=$(attach_of "$tpid")
		[[ $kind == perf && $attach == none ]] && attach="perf_event (no BPF)"
		prog_stats "$tpid" >"$tmp/q0"
		c0=$(cpu_ticks "$tpid")
		w0=$(now)
		run_kstorm "$w"
		o=$kops
		w1=$(now)
		c1=$(cpu_ticks "$tpid")
		rss=$(hwm_kib "$tpid")
		dist+=$(foreign_tracers)
		prog_stats "$tpid" >"$tmp/q1"
		leak=$(join "$tmp/q0" "$tmp/q1" | awk '{s += $8 - $3} END {print s + 0}')
		[[ $stats_secs != 0 ]] && stats_window "$name" "$r" "$w"
		stop_tracer
		lost=$(lost_in "$tmp/t.err" "$tmp/t.out")
		outb=""
		case $kind in
		perf)
			outb=$(stat -c %s "$tmp/t.data" 2>/dev/null)
			l=$(perf report -i "$tmp/t.data" --stats 2>/dev/null |
				sed -n 's/^ *LOST events: *\([0-9]*\).*/\1/p' | head -n 1)
			lost=${l:-$lost}
			;;
		bpftrace) [[ $args == *printf* ]] && outb=$(stat -c %s "$tmp/t.out") ;;
		esac
		cores=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v w0="$w0" -v w1="$w1" \
			'BEGIN {printf "%.3f", (b - a) / hz / (w1 - w0)}')
		echo "$name|$r|$o|$cores|$rss|$lost|$outb|$attach|$([[ -z $o ]] && echo "kstorm failed")|$dist|$kcpu|$leak" \
			>>"$tmp/results"
		echo "${o:-failed} ops/s, tracer ${cores} cores, attach $attach${dist:+ (disturbed by $dist)}" >&2
		rm -f "$tmp/t.data" "$tmp/t.out"
	done
done
secs=$secs_set stats_secs=$stats_set
echo "end|$(cut -d' ' -f1-3 /proc/loadavg)|$(awk -v a="$wall0" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}')" >>"$tmp/load"

# --- the table -----------------------------------------------------------------
mkdir -p "$out" || die "cannot create $out"
file="$out/$(date -u +%F)-$(uname -r).md"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
tools=""
command -v bpftrace >/dev/null && tools+="$(bpftrace --version 2>/dev/null); "
perf version >/dev/null 2>&1 && tools+="$(perf version 2>/dev/null); "
[[ -x build/kmtrace ]] && tools+="kmtrace $(build/kmtrace --version 2>/dev/null | head -n 1); "
# Others' CPU use: the machine's busy time minus this script's and its
# children's (kstorm, the tracers, BPF programs run for kstorm's events).
times >"$tmp/times"
others=$(awk -v b0="$busy0" -v b1="$(busy)" -v w0="$wall0" -v w1="$(now)" -v hz="$hz" \
	'{for (i = 1; i <= NF; i++) {split($i, a, /[ms]/); own += a[1] * 60 + a[2]}}
	 END {printf "%.2f", ((b1 - b0) / hz - own) / (w1 - w0)}' "$tmp/times")
{
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "kernel=$(uname -r) ($(uname -m))"
	echo "machine=${cpu:-unknown CPU}, $(nproc) CPUs, $mem"
	echo "msg=$(workload msg)"
	echo "pipe=$(workload pipe)"
	echo "rounds=$rounds"
	echo "warmup=$warmup"
	echo "tools=${tools%; }"
	echo "load=$load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after"
	echo "others=$others"
	echo "wall=$(awk -v a="$wall0" -v b="$(now)" 'BEGIN {printf "%.0f", b - a}')"
	echo "stats_secs=$stats_secs"
	echo "stats_prev=${stats_prev:-unknown}"
	echo "stats_win=$stats_win"
} >"$tmp/header"
if [[ -n $raw ]]; then
	mkdir -p "$raw" || die "cannot create $raw"
	cp "$tmp"/{header,modes,meta,results,bpfstats,bpfwin,yardwin,calib,calib_note,load} "$raw/"
fi
python3 scripts/bench-report.py "$tmp" >"$tmp/table.md" || die "scripts/bench-report.py failed"
cp "$tmp/table.md" "$file"
cat "$tmp/table.md"
echo "bench: results written to $file" >&2

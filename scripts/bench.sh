#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What a kmalloc/kfree tracer costs the traced workload (make bench).
#
#   scripts/bench.sh [--rounds N] [--ops N] [--threads N] [--size N] [--quick]
#                    [--stats-seconds S] [--only REGEX] [--out DIR]
#
# Workload: build/kstorm -m msg (SysV msgsnd+msgrcv: 1 kmalloc + 2 kfree per op
# on 6.18) with a fixed op count.  Every round runs every mode once, in turn
# (interleaved, so drift hits all modes alike): untraced; the floor (build/
# kmfloor: empty BPF programs on kmem:kmalloc+kfree, raw_tp and tracepoint);
# kmtrace hist/stat/trace/trace --json (each only when 'build/kmtrace SUB
# --help' exits 0); the bpftrace one-liners; perf kmem record.  A traced round
# starts the tracer, waits until it is attached, runs kstorm, samples the
# tracer's CPU time and peak RSS from /proc, stops it with SIGINT and picks up
# any lost-event count it reports.  Result: one markdown table of medians
# (throughput kept: the median over rounds of the ratio to that round's
# untraced run; also per CPU-second of kstorm), printed and written to
# DIR/<YYYY-MM-DD>-<kernel>.md (DIR: bench/results).  Absolute numbers are
# noisy; the ratios within one run are the result.
# BPF run time: for every mode whose tracer holds BPF programs (kmfloor,
# kmtrace, bpftrace), a second kstorm run of --stats-seconds follows the timed
# one with the kernel's BPF statistics on (held by 'build/kmfloor --attach
# none --stats'; sysctl kernel.bpf_stats_enabled if that fails, restored at
# exit, also on Ctrl-C).  run_time_ns/run_cnt of the tracer's own programs
# (from /proc/PID/fdinfo), sampled every KMT_STATS_WINDOW seconds (0.2), give
# ns per event per program in each window; a round's figure is its quietest
# window (the lowest ns/event: interference from the rest of the machine only
# adds), a second table has their medians over rounds, with kmfloor's as the
# floor.  Statistics stay off during the timed runs: they cost ~70 ns per
# event here and would lower every kept ratio.  See bench/README.md.
#   --rounds N   rounds (default 5)          --ops N      ops per thread (500000)
#   --threads N  kstorm threads (default 1)  --size N     message bytes (952)
#   --quick      1 round of 20000 ops, 0.5 s statistics run (for tests;
#                explicit options still win)
#   --stats-seconds S  length of the BPF-statistics run (default 2; 0: none)
#   --only RE    only modes whose name matches the extended regex RE
#   --out DIR    where the results file goes
# Other tracers of the same events (another engineer's kmtrace, bpftrace,
# perf) slow the workload too: before each run the bench waits up to
# KMT_QUIET_WAIT seconds (default 20, 0 with --quick) until no other process
# holds tracing BPF programs or perf events, and marks the rounds it could not
# run clean (at most KMT_QUIET_BUDGET seconds of such waits in all, default
# 90); medians use the clean rounds when there are any.
# Environment: KMT_SETTLE (seconds to wait for a tracer without a ready line,
# default 2), KMT_ATTACH_TIMEOUT (seconds, default 30), KMT_QUIET_WAIT,
# KMT_QUIET_BUDGET.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

rounds=5 ops=500000 threads=1 size=952 only="" out=bench/results quiet_wait=${KMT_QUIET_WAIT:-20}
stats_secs=2 stats_win=${KMT_STATS_WINDOW:-0.2}
for a in "$@"; do [[ $a == --quick ]] && rounds=1 ops=20000 stats_secs=0.5 quiet_wait=0; done
die() {
	echo "bench: $*" >&2
	exit 2
}
num() { [[ $2 =~ ^[0-9]+$ && $2 -ge 1 ]] || die "$1 needs a positive integer, got '$2'"; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--rounds) num "$1" "${2:-}" && rounds=$2 && shift ;;
	--ops) num "$1" "${2:-}" && ops=$2 && shift ;;
	--threads) num "$1" "${2:-}" && threads=$2 && shift ;;
	--size) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--size needs a number" && size=$2 && shift ;;
	--stats-seconds)
		[[ ${2:-} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--stats-seconds needs a number of seconds"
		stats_secs=$2 && shift
		;;
	--only) [[ -n ${2:-} ]] || die "--only needs a regex" && only=$2 && shift ;;
	--out) [[ -n ${2:-} ]] || die "--out needs a directory" && out=$2 && shift ;;
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
tpid="" spid="" sysctl_prev=""
cleanup() {
	stats_off
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

kstorm=(build/kstorm -m msg -s "$size" -n "$ops" -t "$threads")

# --- modes ---------------------------------------------------------------------
# name|kind|arguments.  kind: none, kmfloor, kmtrace, bpftrace, perf.
BT_HIST='tracepoint:kmem:kmalloc { @bytes = hist(args->bytes_alloc); } tracepoint:kmem:kfree { @frees = count(); }'
BT_PRINTF='tracepoint:kmem:kmalloc { printf("kmalloc %d %d %lx %d %d\n", pid, tid, args->ptr, args->bytes_req, args->bytes_alloc); } tracepoint:kmem:kfree { printf("kfree %d %d %lx\n", pid, tid, args->ptr); }'
modes=(
	"untraced|none|"
	"kmfloor raw_tp|kmfloor|--attach raw_tp"
	"kmfloor tracepoint|kmfloor|--attach tracepoint"
	"kmtrace hist|kmtrace|hist"
	"kmtrace stat|kmtrace|stat"
	"kmtrace trace|kmtrace|trace"
	"kmtrace trace --json|kmtrace|trace --json"
	"bpftrace hist+count|bpftrace|$BT_HIST"
	"bpftrace printf|bpftrace|$BT_PRINTF"
	"perf kmem record|perf|"
)

# Which modes can run here: writes name|status|reason to $tmp/modes.
active=()
: >"$tmp/modes"
for i in "${!modes[@]}"; do
	IFS='|' read -r name kind args <<<"${modes[$i]}"
	why=""
	if [[ -n $only && ! $name =~ $only ]]; then
		continue
	fi
	case $kind in
	kmtrace)
		read -r -a sub <<<"$args"
		if [[ ! -x build/kmtrace ]]; then
			why="no build/kmtrace"
		elif ! build/kmtrace "${sub[0]}" --help >"$tmp/help" 2>&1; then
			why="'kmtrace ${sub[0]} --help' failed"
		elif [[ ${#sub[@]} -gt 1 ]] && ! grep -q -- "${sub[1]}" "$tmp/help"; then
			why="'kmtrace ${sub[0]} --help' has no ${sub[1]}"
		fi
		;;
	bpftrace) command -v bpftrace >/dev/null || why="bpftrace not installed" ;;
	perf) perf version >/dev/null 2>&1 || why="perf not installed (or not for this kernel)" ;;
	esac
	if [[ -n $why ]]; then
		echo "$name|skipped|$why" >>"$tmp/modes"
	else
		echo "$name|ok|" >>"$tmp/modes"
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

# start_tracer KIND ARGS: starts it in the background (SIGINT not ignored),
# sets tpid, waits until attached.  Returns 1 (reason in $tmp/why) on failure.
start_tracer() {
	local kind=$1 args=$2 ready="" t0 sub
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
		local dest="$tmp/t.out"
		[[ ${sub[0]} == trace ]] && dest=/dev/null
		(
			trap - INT
			exec build/kmtrace "${sub[@]}" >"$dest" 2>"$tmp/t.err"
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

# run_kstorm: runs the workload; sets kops (its ops_per_s, "" on failure) and
# kcpu (ops per CPU-second of kstorm: its utime+stime, from the subshell's
# 'times', which counts kstorm alone; BPF programs run in kstorm's context).
run_kstorm() {
	local t
	kops="" kcpu=""
	if ! ("${kstorm[@]}" >"$tmp/k.out" 2>"$tmp/k.err" && times >"$tmp/k.times"); then
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

# --- events per op (for events/s): count them once with bpftrace ---------------
ev_per_op="" ev_note="" ev_kmalloc=1 ev_kfree=2
if command -v bpftrace >/dev/null; then
	cal_ops=$((ops < 100000 ? ops : 100000))
	bpftrace -e 'tracepoint:kmem:kmalloc /pid == cpid/ { @k = count(); }
		tracepoint:kmem:kfree /pid == cpid/ { @f = count(); }' \
		-c "build/kstorm -m msg -s $size -n $cal_ops -t 1" >"$tmp/cal" 2>/dev/null
	k=$(sed -n 's/^@k: \([0-9]*\)$/\1/p' "$tmp/cal")
	f=$(sed -n 's/^@f: \([0-9]*\)$/\1/p' "$tmp/cal")
	if [[ -n $k && -n $f ]]; then
		ev_per_op=$(awk -v k="$k" -v f="$f" -v n="$cal_ops" 'BEGIN {printf "%.3f", (k + f) / n}')
		ev_kmalloc=$(awk -v k="$k" -v n="$cal_ops" 'BEGIN {printf "%.4f", k / n}')
		ev_kfree=$(awk -v f="$f" -v n="$cal_ops" 'BEGIN {printf "%.4f", f / n}')
		ev_note="measured with bpftrace on $cal_ops ops: $k kmalloc + $f kfree events of kstorm's pid (process start included)"
	fi
fi
if [[ -z $ev_per_op ]]; then
	ev_per_op=3
	ev_note="assumed: 1 kmalloc + 2 kfree per op (measured on 6.18; bpftrace not available to re-measure)"
fi

# stats_window MODE ROUND: with the tracer $tpid attached, runs kstorm for
# $stats_secs seconds with BPF statistics on and samples the tracer's
# programs every $stats_win seconds.  Appends to $tmp/bpfstats one line per
# program for the whole run: mode|round|name|prog_type|tp_name|run_ns|
# run_cnt|recursion_misses|kstorm ops|how stats were enabled; and to
# $tmp/bpfwin one per program and window (the first and last windows, with
# kstorm's start and exit, left out): mode|round|window|name|run_ns|run_cnt.
stats_window() {
	local m=$1 r=$2 kp o i=0 j
	prog_stats "$tpid" >"$tmp/p0"
	[[ -s $tmp/p0 ]] || return 0
	if ! stats_on; then
		echo "bench: cannot enable BPF statistics (BPF_ENABLE_STATS, sysctl): no BPF run time" >&2
		stats_secs=0
		return 0
	fi
	rm -f "$tmp"/w[0-9]*
	prog_stats "$tpid" >"$tmp/p0"
	build/kstorm -m msg -s "$size" -d "$stats_secs" -t "$threads" >"$tmp/s.k" 2>&1 &
	kp=$!
	while [[ -e /proc/$kp && $(awk '{print $3}' "/proc/$kp/stat" 2>/dev/null) != Z ]]; do
		sleep "$stats_win"
		prog_stats "$tpid" >"$tmp/w$i"
		i=$((i + 1))
	done
	wait "$kp"
	prog_stats "$tpid" >"$tmp/p1"
	stats_off
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
			awk -v m="$m" -v r="$r" -v w="$j" \
				'{printf "%s|%s|%s|%s|%d|%d\n", m, r, w, $12, $8 - $3, $9 - $4}' \
				>>"$tmp/bpfwin"
	done
}

# --- the rounds ----------------------------------------------------------------
# results: mode|round|ops_per_s|cores|rss_kib|lost|out_bytes|attach|error|disturbed|ops_per_cpu_s|
#          BPF run time counted during the timed run (ns; >0: statistics were on)
: >"$tmp/results"
: >"$tmp/bpfstats"
: >"$tmp/bpfwin"
stats_prev=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
# busy jiffies of the whole machine (user nice system irq softirq steal)
busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
busy0=$(busy) wall0=$(now)
echo "bench: ${#active[@]} modes x $rounds rounds of: ${kstorm[*]}" >&2
for ((r = 1; r <= rounds; r++)); do
	for i in "${active[@]}"; do
		IFS='|' read -r name kind args <<<"${modes[$i]}"
		printf 'bench: round %d/%d %-22s ' "$r" "$rounds" "$name" >&2
		wait_quiet
		dist=$quiet_dist
		if [[ $kind == none ]]; then
			run_kstorm
			o=$kops
			dist+=$(foreign_tracers)
			echo "$name|$r|$o|||||-|$([[ -z $o ]] && echo "kstorm failed")|$dist|$kcpu" >>"$tmp/results"
			echo "${o:-failed} ops/s${dist:+ (disturbed by $dist)}" >&2
			continue
		fi
		if ! start_tracer "$kind" "$args"; then
			echo "$name|$r|||||||$(cat "$tmp/why")||" >>"$tmp/results"
			echo "tracer failed: $(cat "$tmp/why")" >&2
			continue
		fi
		attach=$(attach_of "$tpid")
		[[ $kind == perf && $attach == none ]] && attach="perf_event (no BPF)"
		prog_stats "$tpid" >"$tmp/q0"
		c0=$(cpu_ticks "$tpid")
		w0=$(now)
		run_kstorm
		o=$kops
		w1=$(now)
		c1=$(cpu_ticks "$tpid")
		rss=$(hwm_kib "$tpid")
		dist+=$(foreign_tracers)
		prog_stats "$tpid" >"$tmp/q1"
		leak=$(join "$tmp/q0" "$tmp/q1" | awk '{s += $8 - $3} END {print s + 0}')
		[[ $stats_secs != 0 ]] && stats_window "$name" "$r"
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

# --- the table -----------------------------------------------------------------
mkdir -p "$out" || die "cannot create $out"
file="$out/$(date -u +%F)-$(uname -r).md"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
tools=""
command -v bpftrace >/dev/null && tools+="$(bpftrace --version 2>/dev/null); "
perf version >/dev/null 2>&1 && tools+="$(perf version 2>/dev/null); "
[[ -x build/kmtrace ]] && tools+="kmtrace $(build/kmtrace --version 2>/dev/null | head -n 1); "
export B_DATE B_KERNEL B_MACHINE B_WORKLOAD B_ROUNDS B_EVOP B_EVNOTE B_TOOLS B_LOAD \
	B_STATS_OPS B_STATS_PREV B_STATS_WORKLOAD B_EV_KMALLOC B_EV_KFREE B_STATS_WIN
B_EV_KMALLOC=$ev_kmalloc B_EV_KFREE=$ev_kfree
B_STATS_OPS=$stats_secs B_STATS_PREV=${stats_prev:-unknown} B_STATS_WIN=$stats_win
B_STATS_WORKLOAD="build/kstorm -m msg -s $size -d $stats_secs -t $threads"
B_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
B_KERNEL="$(uname -r) ($(uname -m))"
B_MACHINE="${cpu:-unknown CPU}, $(nproc) CPUs, $mem"
B_WORKLOAD="${kstorm[*]}"
B_ROUNDS=$rounds B_EVOP=$ev_per_op B_EVNOTE=$ev_note B_TOOLS=${tools%; }
B_LOAD="$load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after"
# Others' CPU use: the machine's busy time minus this script's and its
# children's (kstorm, the tracers, BPF programs run for kstorm's events).
times >"$tmp/times"
B_OTHERS=$(awk -v b0="$busy0" -v b1="$(busy)" -v w0="$wall0" -v w1="$(now)" -v hz="$hz" \
	'{for (i = 1; i <= NF; i++) {split($i, a, /[ms]/); own += a[1] * 60 + a[2]}}
	 END {printf "%.2f", ((b1 - b0) / hz - own) / (w1 - w0)}' "$tmp/times")
export B_OTHERS
python3 - "$tmp/modes" "$tmp/results" "$tmp/bpfstats" "$tmp/bpfwin" >"$tmp/table.md" <<'EOF'
import os, statistics, sys

modes = [l.rstrip("\n").split("|", 2) for l in open(sys.argv[1]) if l.strip()]
rows = {}  # mode -> {round: fields}
for l in open(sys.argv[2]):
    f = l.rstrip("\n").split("|")
    if len(f) >= 11:
        rows.setdefault(f[0], {})[int(f[1])] = f
E = os.environ
evop = float(E["B_EVOP"])
nr = int(E["B_ROUNDS"])
untr = rows.get("untraced", {})

def med(v):
    return statistics.median(v) if v else None

def num(r, k, conv=float):
    return conv(r[k]) if r[k] != "" else None

out = []
P = out.append
P(f"# kmtrace benchmark: tracer overhead, {E['B_DATE']}")
P("")
P(f"- kernel: {E['B_KERNEL']}")
P(f"- machine: {E['B_MACHINE']}; load average {E['B_LOAD']}; CPU used by other processes "
  f"during the run: {E['B_OTHERS']} cores on average")
P(f"- workload: `{E['B_WORKLOAD']}` (SysV msgsnd+msgrcv), {nr} interleaved round(s), medians")
P(f"- kmem events per op: {evop:g} ({E['B_EVNOTE']})")
if E.get("B_TOOLS"):
    P(f"- tools: {E['B_TOOLS']}")
P("")
P("| mode | attach | kept (x untraced) | kept per CPU-s | ops/s | events/s | lost events | "
  "tracer CPU (cores) | max RSS MiB | output MiB |")
P("|---|---|---|---|---|---|---|---|---|---|")
notes, left_out = [], []
for name, status, why in modes:
    if status != "ok":
        P(f"| {name} | - | skipped: {why} | - | - | - | - | - | - | - |")
        continue
    rs = rows.get(name, {})
    good = {i: r for i, r in rs.items() if r[2] != ""}
    errs = sorted({r[8] for r in rs.values() if r[8]})
    if not good:
        P(f"| {name} | - | failed: {'; '.join(errs) or 'no result'} | - | - | - | - | - | - | - |")
        continue
    if errs:
        notes.append(f"{name}: {len(rs) - len(good)} round(s) failed: {'; '.join(errs)}")
    # Per-round ratio to that round's untraced run; clean when neither run was
    # disturbed by another tracer.  Medians over the clean rounds if any.
    ratios, cratios, clean = {}, {}, set()
    for i, r in good.items():
        u = untr.get(i)
        if u and u[2]:
            ratios[i] = float(r[2]) / float(u[2])
        if u and u[10] and r[10]:
            cratios[i] = float(r[10]) / float(u[10])
        if not r[9] and not (u and u[9]):
            clean.add(i)
    use = [i for i in good if i in clean] or list(good)
    tag = "" if set(use) <= clean else " (disturbed)"
    ops = med([float(good[i][2]) for i in use])
    kept = med([ratios[i] for i in use if i in ratios])
    ckept = med([cratios[i] for i in use if i in cratios])
    cores = med([c for c in (num(good[i], 3) for i in use) if c is not None])
    rss = [v for v in (num(r, 4) for r in good.values()) if v is not None]
    lost = [v for v in (num(r, 5, int) for r in good.values()) if v is not None]
    outb = [v for v in (num(r, 6) for r in good.values()) if v is not None]
    attach = "+".join(sorted({r[7] for r in good.values()})) or "-"
    unit = " LOST records" if name.startswith("perf") and lost else ""
    P(f"| {name} | {attach} | {f'{kept:.2f}' if kept is not None else '-'}{tag} | "
      f"{f'{ckept:.2f}' if ckept is not None else '-'} | {ops:,.0f} | "
      f"{ops * evop:,.0f} | {str(max(lost)) + unit if lost else '-'} | "
      f"{f'{cores:.2f}' if cores is not None else '-'} | "
      f"{f'{max(rss) / 1024:.1f}' if rss else '-'} | "
      f"{f'{med(outb) / 1048576:.1f}' if outb else '-'} |")
    if len(use) < len(good):
        left_out.append(f"{name} {len(good) - len(use)}")
P("")
P("kept: median over rounds of (ops/s of the mode / ops/s untraced in the same round). "
  "kept per CPU-s: the same with ops per CPU-second of kstorm (its utime+stime), which "
  "ignores time kstorm spent waiting for a CPU, so other load on the machine disturbs it "
  "less; it still includes the BPF programs, which run in kstorm's context, but not "
  "the tracer's own CPU use competing for the cores. "
  "ops/s: median. events/s: kmem:kmalloc + kmem:kfree events per second the workload "
  "generated while traced (ops/s x events per op). "
  "lost: the largest count a tracer reported in one round ('-': it reports none; for perf, "
  "the number of PERF_RECORD_LOST records from 'perf report --stats', each for one or more "
  "events). tracer CPU: the tracer process's utime+stime while kstorm ran / kstorm's wall "
  "time, at 1/CLK_TCK resolution (BPF program time is charged to the workload, so it shows "
  "as lost throughput instead). max RSS: VmHWM before the tracer was stopped. output: what "
  "the tracer wrote per round (kmtrace trace goes to /dev/null). "
  "Absolute numbers are noisy; the ratios within one run are the result.")
if left_out:
    notes.append("rounds left out of the medians because another tracer ran during the mode's "
                 "run or that round's untraced run: " + ", ".join(left_out))
for n in notes:
    P("")
    P(f"- {n}")
P("")
P("Per round ops/s (* = another tracer of kmem events was running: it slows the workload too):")
P("")
P("| mode | " + " | ".join(f"round {i}" for i in range(1, nr + 1)) + " |")
P("|---|" + "---|" * nr)
dist = {}
for name, status, _ in modes:
    if status != "ok":
        continue
    cells = []
    for i in range(1, nr + 1):
        r = rows.get(name, {}).get(i)
        if not r or not r[2]:
            cells.append("failed")
            continue
        cells.append(r[2] + (" *" if r[9] else ""))
        for t in r[9].split():
            dist[t] = 1
    P(f"| {name} | " + " | ".join(cells) + " |")
if dist:
    P("")
    P("Other tracers seen: " + ", ".join(sorted(dist)) + ".")

# --- BPF run time per event (kernel BPF statistics) ---------------------------
# bpfstats: mode|round|name|prog_type|tp_name|run_ns|run_cnt|recursion_misses|ops|how
# bpfwin:   mode|round|window|name|run_ns|run_cnt
PT = {"2": "kprobe", "5": "tracepoint", "7": "perf_event", "17": "raw_tp", "26": "fentry"}
st, hows, misses, runs = {}, set(), {}, {}
for l in open(sys.argv[3]):
    f = l.rstrip("\n").split("|")
    if len(f) < 10:
        continue
    m, r, name, pt, tp = f[0], int(f[1]), f[2], f[3], f[4]
    ns, cnt, miss, kops = int(f[5]), int(f[6]), int(f[7]), int(f[8])
    st.setdefault(m, {}).setdefault(r, []).append((name, pt, tp, ns, cnt, miss, kops))
    hows.add(f[9])
    misses[(m, name)] = misses.get((m, name), 0) + miss
    runs[(m, name)] = runs.get((m, name), 0) + cnt
win = {}  # (mode, round) -> {window: {program: (run_ns, run_cnt)}}
for l in open(sys.argv[4]):
    f = l.rstrip("\n").split("|")
    if len(f) >= 6:
        win.setdefault((f[0], int(f[1])), {}).setdefault(int(f[2]), {})[f[3]] = \
            (int(f[4]), int(f[5]))
MIN_RUNS = 1000  # a window counts for a program with at least this many runs

def span(v, fmt):
    if not v:
        return "-"
    s = fmt.format(med(v))
    return s + (f" ({fmt.format(min(v))}–{fmt.format(max(v))})" if len(v) > 1 else "")

# Which kmem event a program runs on: its raw_tp/perf link's tracepoint, else
# its name (bpftrace holds no link fds).  wev: the workload's own events of
# that kind per op (calibration above); other tracepoints: none per op.
wev = {"kmalloc": float(E["B_EV_KMALLOC"]), "kfree": float(E["B_EV_KFREE"])}
n_ev = sum(wev.values())
def event_of(p):
    if p[2] != "-":
        return p[2]
    for e in ("kmalloc", "kfree"):
        if e in p[0]:
            return e
    return "?"

def prog_round(m, r, p):
    """(quietest window's ns/event, whole run's) of program p in round r."""
    v = [ws[p[0]][0] / ws[p[0]][1] for ws in win.get((m, r), {}).values()
         if ws.get(p[0], (0, 0))[1] >= MIN_RUNS]
    whole = p[3] / p[4] if p[4] else None
    return (min(v) if v else whole), whole

def mode_round(m, r, ps):
    """(quietest window's, whole run's) ns per workload op of the mode's
    kmalloc and kfree programs (each at its ns/event x the workload's events
    of that kind per op); None without such programs."""
    wl = [p for p in ps if event_of(p) in wev and p[4]]
    if not wl:
        return None, None
    whole = sum(p[3] / p[4] * wev[event_of(p)] for p in wl)
    v = [sum(ws[p[0]][0] / ws[p[0]][1] * wev[event_of(p)] for p in wl)
         for ws in win.get((m, r), {}).values()
         if all(ws.get(p[0], (0, 0))[1] >= MIN_RUNS for p in wl)]
    return (min(v) if v else whole), whole

# The floor: kmfloor's ns/event per (program type, event), medians over
# rounds; for other events the floor of that program type (both events).
floor = {}
for fm, pt in (("kmfloor raw_tp", "17"), ("kmfloor tracepoint", "5")):
    rs = st.get(fm, {})
    v = [mode_round(fm, r, ps)[0] for r, ps in rs.items()]
    v = [x / n_ev for x in v if x is not None]
    if v:
        floor[(pt, "*")] = med(v)
    for e in ("kmalloc", "kfree"):
        v = [prog_round(fm, r, p)[0] for r, ps in rs.items() for p in ps if event_of(p) == e]
        v = [x for x in v if x is not None]
        if v:
            floor[(pt, e)] = med(v)
def floor_of(p):
    return floor.get((p[1], event_of(p)), floor.get((p[1], "*")))
# The machine's speed drifts by 10-20 % over minutes on a shared host, the
# empty programs' included: the yardstick is kmfloor raw_tp's per workload
# event in the same round (else the tracepoint floor's).
yard = {}
for fm in ("kmfloor tracepoint", "kmfloor raw_tp"):
    for r, ps in st.get(fm, {}).items():
        b = mode_round(fm, r, ps)[0]
        if b:
            yard[r] = b

if st:
    P("")
    P("## BPF programs' own run time (kernel BPF statistics)")
    P("")
    P(f"A second run per mode and round, `{E['B_STATS_WORKLOAD']}`, with the kernel's BPF "
      f"statistics on ({', '.join(sorted(hows))}; kernel.bpf_stats_enabled was "
      f"{E['B_STATS_PREV']} before the bench); the tracer's programs' run_time_ns and "
      f"run_cnt (from /proc/PID/fdinfo) sampled every {E['B_STATS_WIN']} s. "
      "ns/event: each round's quietest window (its lowest ns/event among the windows "
      f"with at least {MIN_RUNS} runs of the program; the whole run for rarer programs), "
      "median over rounds (min–max over rounds); whole run: the same over the whole "
      "statistics run, interference included.")
    P("")
    P("| mode | program | attached | ns/event | over floor | whole run ns/event | "
      "events/op (all processes) | ns per workload op | x floor (same round) |")
    P("|---|---|---|---|---|---|---|---|---|")
    for name, status, _ in modes:
        rs = st.get(name)
        if status != "ok" or not rs:
            continue
        progs = {}
        for r, ps in rs.items():
            for p in ps:
                progs.setdefault(p[0], []).append((r, p))
        def key(n):
            return (-wev.get(event_of(progs[n][0][1]), 0), n)
        for pn in sorted(progs, key=key):
            rp = progs[pn]
            p0 = rp[0][1]
            pt, ev_name, fl0 = p0[1], event_of(p0), floor_of(p0)
            att = PT.get(pt, "type " + pt) + ("" if ev_name == "?" else " " + ev_name)
            both = [prog_round(name, r, p) for r, p in rp]
            best = [b for b, _ in both if b is not None]
            whole = [w for _, w in both if w is not None]
            fl = [x - fl0 for x in best] if fl0 is not None else []
            w = wev.get(ev_name)
            P(f"| {name} | {pn} | {att} | {span(best, '{:.1f}')} | {span(fl, '{:+.1f}')} | "
              f"{span(whole, '{:.1f}')} | {span([p[4] / p[6] for _, p in rp], '{:.3f}')} | "
              f"{span([x * w for x in best], '{:.1f}') if w else '-'} | - |")
        both = [mode_round(name, r, ps) for r, ps in rs.items()]
        best = [b for b, _ in both if b is not None]
        xf = [mode_round(name, r, ps)[0] / yard[r] for r, ps in rs.items()
              if r in yard and mode_round(name, r, ps)[0] is not None]
        whole = [w for _, w in both if w is not None]
        if best:
            fl = []
            wl = [p for p in next(iter(rs.values())) if event_of(p) in wev]
            if all(floor_of(p) is not None for p in wl):
                f0 = sum(floor_of(p) * wev[event_of(p)] for p in wl)
                fl = [(x - f0) / n_ev for x in best]
            P(f"| {name} | **per workload event** | kmalloc+kfree | "
              f"**{span([x / n_ev for x in best], '{:.1f}')}** | {span(fl, '{:+.1f}')} | "
              f"{span([x / n_ev for x in whole], '{:.1f}')} | {n_ev:.3f} (the workload's) | "
              f"**{span(best, '{:.0f}')}** | **{span(xf, '{:.3f}')}** |")
    P("")
    P("Per round BPF ns per workload event (quietest window / whole run):")
    P("")
    P("| mode | " + " | ".join(f"round {i}" for i in range(1, nr + 1)) + " |")
    P("|---|" + "---|" * nr)
    for name, status, _ in modes:
        rs = st.get(name)
        if status != "ok" or not rs:
            continue
        cells = []
        for i in range(1, nr + 1):
            b, w = mode_round(name, i, rs[i]) if i in rs else (None, None)
            cells.append(f"{b / n_ev:.1f} / {w / n_ev:.1f}" if b is not None else "-")
        P(f"| {name} | " + " | ".join(cells) + " |")
    P("")
    P("ns/event: run_time_ns / run_cnt of the program. The kernel times each run of a "
      "program (a clock read before and after), so this includes a clock read and "
      "excludes how the event reaches the program (the classic tracepoint's record copy, "
      "the raw_tp dispatch): those show in the kept ratios only. The programs run for every "
      "process's events, not only kstorm's (events/op: run_cnt / kstorm ops over the whole "
      "run; a busy machine adds to it), and other processes on the other CPU (their events "
      "through the same programs and maps, their cache traffic) slow a run: the quietest "
      "window is the steady figure, the whole run shows what interference added. "
      "over floor: ns/event minus kmfloor's (empty programs, same "
      "attach type and event) — the program's own work. ns per workload op: ns/event x the "
      f"workload's own events of that kind per op ({wev['kmalloc']:g} kmalloc, "
      f"{wev['kfree']:g} kfree, from the calibration above; other events do not happen per "
      "op). per workload event: the mode's kmalloc and kfree programs weighted by those "
      "counts, in the same window. x floor: that over kmfloor's in the same round (the "
      "rounds interleave the modes), median over rounds: the machine's speed drifts by "
      "10-20 % over minutes on a shared host, the empty programs' too, and this ratio "
      "takes the drift out — the figure to compare between runs and versions. "
      "Statistics are off during the timed runs (each program run costs a clock read pair "
      "more with them).")
leaked = sorted({r[0] for m in rows.values() for r in m.values()
                 if len(r) > 11 and r[11] not in ("", "0")})
if leaked:
    P("")
    P("- BPF statistics were on during the timed run of: " + ", ".join(leaked) +
      " (someone else enabled them): those kept ratios include their cost.")
ms = [f"{m} {n}: {v} of {runs[(m, n)] + v}" for (m, n), v in misses.items() if v]
if ms:
    P("")
    P("- recursion misses in the statistics runs, all rounds (runs skipped because an "
      "interrupt's event came while a program of the same kind ran on that CPU: the "
      "interrupt's events, not kstorm's): " + "; ".join(ms))
print("\n".join(out))
EOF
cp "$tmp/table.md" "$file"
cat "$tmp/table.md"
echo "bench: results written to $file" >&2

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The seed lab's scenario: a process with 4 threads, kmdemo loaded against it,
# the module's kernel messages, unload. POSIX sh: runs in the VM (busybox, as
# the default command of scripts/vm.sh) and on a host with loadable modules
# (as root, from the repo root, via scripts/demo.sh).
#   scripts/demo-scenario.sh
# Module: build/kmod/$(uname -r)/kmdemo.ko with insmod when it exists (host),
# else `modprobe kmdemo` (VM). threads: build/threads, else from PATH.
set -eu

cd "$(dirname "$0")/.."
[ -d build ] && PATH=$PWD/build:$PATH

# --- the tracer ------------------------------------------------------------------
# `kmtrace trace -m kmdemo` runs alongside: started before the module loads (so
# the kmalloc in kmdemo's __init code is seen and named), stopped with SIGINT
# after the unload, when it prints its summary. Skipped when kmtrace is missing.
tracer_pid='' tr_out='' tr_err=''
demo_tracer_available() {
	command -v kmtrace >/dev/null 2>&1 || return 1
	kmtrace trace --help 2>&1 | grep -qE -- '(^|[[:space:],[])-m([[:space:],]|$)' || return 1
}
demo_tracer_start() {
	demo_tracer_available || return 0
	tr_out=$(mktemp)
	tr_err=$(mktemp)
	ko_opt=''
	[ -f "$ko" ] && ko_opt="--ko $ko"
	echo "\$ kmtrace trace -m kmdemo${ko_opt:+ $ko_opt} &"
	# shellcheck disable=SC2086 # $ko_opt is empty or two words
	kmtrace trace -m kmdemo $ko_opt >"$tr_out" 2>"$tr_err" &
	tracer_pid=$!
	i=0
	while ! grep -q 'ready' "$tr_err" 2>/dev/null; do
		if [ "$i" -ge 100 ] || ! kill -0 "$tracer_pid" 2>/dev/null; then
			echo "demo: kmtrace did not start:" >&2
			cat "$tr_err" >&2
			tracer_pid=''
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
}
demo_tracer_stop() {
	[ -n "$tracer_pid" ] || return 0
	echo "\$ kill -INT %kmtrace    # what kmtrace saw of kmdemo:"
	kill -INT "$tracer_pid" 2>/dev/null || true
	wait "$tracer_pid" 2>/dev/null || true
	tracer_pid=''
	# The module's allocations, frees and load/unload, then the summary; the
	# thread events of other processes that -m alone also reports are left out.
	awk 'NR == 1 || / (kmalloc|kfree|page_alloc|page_free|module_load|module_free|leak) / || f; /^$/ && NR > 1 {f = 1}' "$tr_out"
}
# -----------------------------------------------------------------------------

ko=build/kmod/$(uname -r)/kmdemo.ko
if [ -f "$ko" ]; then load="insmod $ko"; else load="modprobe kmdemo"; fi
params="size=4096 order=1"

tpid='' loaded='' out=''
cleanup() {
	[ -n "$loaded" ] && rmmod kmdemo 2>/dev/null
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	[ -n "$tracer_pid" ] && kill "$tracer_pid" 2>/dev/null
	rm -f ${out:+"$out"} ${tr_out:+"$tr_out"} ${tr_err:+"$tr_err"}
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# kmsg_mark NAME writes a marker line to the kernel log and prints it (a line
# count would break on a host whose ring buffer has wrapped); show_kmsg MARK
# prints kmdemo's kernel messages after MARK, without the timestamp and
# "kmdemo: " prefix, and without the kernel's taint notices.
kmsg_mark() {
	echo "kmtrace-demo-$$-$1" >/dev/kmsg
	echo "kmtrace-demo-$$-$1"
}
show_kmsg() {
	dmesg | sed -n "/$1\$/,\$p" | sed -n 's/^\[[ 0-9.]*\] //; s/^kmdemo: //p' |
		grep -v -e 'taints kernel' -e 'tainting kernel' || true
}

out=$(mktemp)
echo "\$ threads -n 4 -s 30 &"
threads -n 4 -s 30 >"$out" &
tpid=$!
i=0
while [ "$i" -lt 50 ]; do
	[ "$(awk '/^Threads:/ {print $2}' /proc/"$tpid"/status 2>/dev/null)" = 5 ] && break
	sleep 0.1
	i=$((i + 1))
done
pid=$(sed -n 's/^PID: \([0-9]*\)$/\1/p' "$out")
[ -n "$pid" ] || {
	echo "demo: threads did not print its PID" >&2
	exit 1
}
echo "PID: $pid"

demo_tracer_start
echo "\$ $load $params pid=$pid"
n=$(kmsg_mark load)
# shellcheck disable=SC2086 # $load and $params are word lists
if ! $load $params pid="$pid"; then
	show_kmsg "$n"
	echo "demo: loading kmdemo failed" >&2
	exit 1
fi
loaded=1
show_kmsg "$n"

echo "\$ rmmod kmdemo"
n=$(kmsg_mark unload)
rmmod kmdemo
loaded=
show_kmsg "$n"
demo_tracer_stop

kill "$tpid" 2>/dev/null || true
wait "$tpid" 2>/dev/null || true
tpid=

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The kernel messages of one kmdemo load or unload, for the guest tests that
# load it (busybox sh, sourced after tests/lib.sh):
#   kmsg_mark          write a unique marker line to /dev/kmsg
#   kmsg_since FILE    kmdemo's messages since the marker, timestamp and
#                      "kmdemo: " prefix stripped, taint notices dropped
#   loaded             kmdemo is in /proc/modules
#   not_loaded NAME    a check: kmdemo is gone (else say so and rmmod it)
# (A marker, not a line count: counts break once the ring buffer wraps.)
K=kmdemo
kmsg_seq=0
kmsg_mark() {
	kmsg_seq=$((kmsg_seq + 1))
	mark="kmdemo-test-mark-$$-$kmsg_seq"
	echo "$mark" >/dev/kmsg
}
kmsg_since() {
	dmesg | sed -n "/$mark\$/,\$p" | sed -n 's/^\[[ 0-9.]*\] //; s/^kmdemo: //p' |
		grep -v -e 'taints kernel' -e 'tainting kernel' >"$1"
}
loaded() { grep -q "^$K " /proc/modules; }
not_loaded() {
	if loaded || [ -d /sys/module/$K ]; then
		not_ok "$1" "kmdemo is still loaded"
		rmmod "$K" 2>/dev/null
	else
		ok "$1"
	fi
}

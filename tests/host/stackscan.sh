# SPDX-License-Identifier: GPL-2.0
# -m's attribution by kernel stack on the host, which loads no modules:
# KMTRACE_MODULE_TEXT=LO-HI (testing) takes -m's module as loaded there.
#  - LO-HI = the text of do_msgsnd (from /proc/kallsyms): kstorm -m msg
#    allocates in load_msg, called by do_msgsnd, so each of its kmallocs has a
#    do_msgsnd frame on its stack and none at its call site: trace -m reports
#    exactly kstorm's kmallocs (its own count), each "via" do_msgsnd, once
#    with the stack scan that decides whether to walk (bpf/filter.bpf.h) and
#    once walking every stack (KMTRACE_NO_STACK_SCAN=1); with --direct (call
#    sites only), none;
#  - LO-HI where nothing is loaded: none of kstorm's kmallocs;
#  - malformed values, or no -m: one line, exit 2.
. tests/lib.sh
K=${KMTRACE:-build/kmtrace}
S=build/kstorm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# (sort reading /proc/kallsyms itself takes minutes: its large reads)
# shellcheck disable=SC2002
range=$(cat /proc/kallsyms | LC_ALL=C sort | awk '$3 == "do_msgsnd" {a = $1; getline; print a "-" $1}')
case $range in
0000000000000000-* | "") range="" ;;
esac

# run NAME ENV...: trace -m kmt_fake --json [$direct] -- kstorm (2000 msgsnd of
# 300 bytes; its own line to a file of its own, not into kmtrace's stream),
# with ENV; sets n (kstorm's kmallocs of 348 bytes reported), nvia (those via
# do_msgsnd), want (kstorm's count), rc.
run() {
	local name=$1
	shift
	# shellcheck disable=SC2086,SC2016
	env "$@" "$K" trace -m kmt_fake --json $direct -- sh -c 'o=$1; shift; exec "$@" >"$o"' sh \
		"$tmp/$name.ks" "$S" -m msg -s 300 -n 2000 >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	want=$(sed -n 's/.* expected_kmallocs=\([0-9]*\).*/\1/p' "$tmp/$name.ks")
	n=$(grep -c '"event":"kmalloc".*"comm":"kstorm".*"bytes_req":348,' "$tmp/$name.out")
	nvia=$(grep -c '"event":"kmalloc".*"comm":"kstorm".*"via_sym":"do_msgsnd+0x[0-9a-f]*".*"bytes_req":348,' \
		"$tmp/$name.out")
}

if [ -z "$range" ]; then
	not_ok "do_msgsnd's text from /proc/kallsyms" "not found or zeroed (kptr_restrict)"
else
	direct=""
	for scan in 1 0; do
		what="with the stack scan"
		[ $scan = 0 ] && what="walking every stack"
		run "scan$scan" KMTRACE_MODULE_TEXT="$range" KMTRACE_NO_STACK_SCAN=$((1 - scan))
		eq "-m, module text = do_msgsnd, $what: exit 0" "$rc" 0
		has "-m, module text = do_msgsnd, $what: the range is said" "$tmp/scan$scan.err" \
			"^kmtrace: module kmt_fake taken as loaded at 0x${range%-*}-0x${range#*-} \(KMTRACE_MODULE_TEXT, testing\)$"
		eq "-m, module text = do_msgsnd, $what: each of kstorm's $want kmallocs, via do_msgsnd" \
			"$n $nvia" "$want $want"
	done
	direct=--direct
	run direct KMTRACE_MODULE_TEXT="$range"
	eq "-m --direct, module text = do_msgsnd: none of kstorm's kmallocs (their call site is load_msg)" \
		"$rc $n" "0 0"
fi
direct=""
run none KMTRACE_MODULE_TEXT=fffffffffeff0000-ffffffffff000000
eq "-m, module text where nothing is loaded: exit 0, none of kstorm's $want kmallocs" "$rc $n" "0 0"
has "-m, module text where nothing is loaded: lost 0" "$tmp/none.err" '^kmtrace: lost events: 0$'

exits_with "KMTRACE_MODULE_TEXT=x: exit 2" 2 '^kmtrace: KMTRACE_MODULE_TEXT=x: expected LO-HI' \
	env KMTRACE_MODULE_TEXT=x "$K" trace -m kmt_fake -d 0.1
exits_with "KMTRACE_MODULE_TEXT=2-1 (LO >= HI): exit 2" 2 '^kmtrace: KMTRACE_MODULE_TEXT=2-1: ' \
	env KMTRACE_MODULE_TEXT=2-1 "$K" trace -m kmt_fake -d 0.1
exits_with "KMTRACE_MODULE_TEXT without -m: exit 2" 2 '^kmtrace: KMTRACE_MODULE_TEXT needs -m' \
	env KMTRACE_MODULE_TEXT=1-2 "$K" trace -d 0.1

# SPDX-License-Identifier: GPL-2.0
# Command-line and runtime errors of every kmtrace subcommand:
#  - a table of bad invocations: exit 2 (usage) or 1 (runtime), exactly one
#    stderr line starting with "kmtrace:", nothing on stdout, no hang;
#  - not root (setpriv to nobody): one line naming CAP_BPF/CAP_PERFMON, exit 1;
#  - the target process exits, SIGINT, SIGTERM, SIGPIPE: exit 0, and every
#    BPF program and link the kmtrace process held (read from its
#    /proc/PID/fdinfo while it ran) is gone from `bpftool prog/link show`
#    afterwards.  IDs, not names: other kmtrace runs on the machine (other
#    tests, other users) have the same program names and would make a
#    before/after name comparison flaky.
# Subcommands come from `kmtrace --help`, so new ones get the generic checks.
. tests/lib.sh
K=${KMTRACE:-build/kmtrace}
T=build/threads
S=build/kstorm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

subcmds=$("$K" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | tr '\n' ' ')
has_sub() { case " $subcmds " in *" $1 "*) return 0 ;; esac; return 1; }
echo "# subcommands: $subcmds"

# one_line NAME WANT_RC ARGS...: run kmtrace ARGS (10 s at most, stdin closed)
one_line() {
	local name=$1 want=$2 rc n out
	shift 2
	timeout -k 2 10 "$K" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	n=$(wc -l <"$tmp/err")
	out=$(wc -c <"$tmp/out")
	if [ "$rc" -eq "$want" ] && [ "$n" -eq 1 ] && grep -q '^kmtrace: ' "$tmp/err" &&
		[ "$out" -eq 0 ]; then
		ok "$name: exit $want, one 'kmtrace:' line"
	else
		not_ok "$name: exit $want, one 'kmtrace:' line" \
			"rc=$rc, $n stderr lines, $out stdout bytes: $(head -c 300 "$tmp/err" | tr '\n' '|')"
	fi
}

# --- usage errors: exit 2 ------------------------------------------------------
# Each table line: SUBCOMMAND ARGS (shell words; '' is an empty argument).
# Lines for a subcommand that `kmtrace --help` does not list are skipped.
usage_table() {
	cat <<'EOF'
- ''
- frobnicate
- --frobnicate
- -x
- trace\ x
trace -p
trace -p ''
trace -p 0
trace -p -1
trace -p 12x
trace -p 0x10
trace -p ' 5'
trace -p 99999999999999999999
trace -p 1073741824
trace --pid=
trace -c ''
trace -m ''
trace -m a/b
trace -m aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
trace --ko ''
trace --min-size
trace --min-size -1
trace --min-size 5k
trace --min-size 1e3
trace --max-size 18446744073709551616
trace --min-size 10 --max-size 5
trace -d
trace -d 0
trace -d -1
trace -d nan
trace -d inf
trace -d 1e999
trace -d 1x
trace -d .
trace --json=1
trace --bogus
trace -x
trace stray
trace --
trace -- ''
trace -p 1 -- true
trace -c x -p 1
trace -p 1 -p 2
trace -c a -- true
trace -p $'41\nx'
trace -m $'a\nb'
trace -m a.b
trace --bogus$'\n'x
- $'a\nb'
stat --sort $'a\nb'
stat $'x\ny'
mm $'x\ny'
mm -p $'1\n2'
hist --by $'a\nb'
stat x
stat --bogus
stat -x
stat -d
stat -d 0
stat -d -1
stat -d nan
stat -d 1x
stat -l
stat -l -1
stat -l x
stat -l 1000001
stat -s
stat --sort size
stat --sort ''
stat --alloc --page
stat --page --sort frag
stat --max-tracked 0
stat --max-tracked 16777217
stat --json=1
mm x
mm --bogus
mm -x
mm --json=x
mm --help=x
mm -p
mm -p 0
mm -p x
mm -p 1 -- true
mm --
mm -p 1 -1
mm -p 1 0.1 x
mm 0.5
hist x
hist --bogus
hist -x
hist -p
hist -p 0
hist -p 1 -- true
hist -d 0
hist --field x
hist --field ''
hist --by x
hist --linear 0
hist --linear x
hist --min-size 10 --max-size 5
hist --
hist -- ''
hist 0
hist 1 x
hist 1 2 3
EOF
}
while IFS= read -r line; do
	[ -n "$line" ] || continue
	eval "set -- $line"
	sub=$1
	shift
	if [ "$sub" = - ]; then
		one_line "kmtrace $line" 2 "$@"
	elif has_sub "$sub"; then
		one_line "kmtrace $line" 2 "$sub" "$@"
	fi
done < <(usage_table)

# every listed subcommand rejects an unknown option and a stray word
for sub in $subcmds; do
	one_line "$sub --no-such-option (generic)" 2 "$sub" --no-such-option
	"$K" "$sub" --help >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 0 ] && grep -q "^usage: kmtrace $sub" "$tmp/out" && [ ! -s "$tmp/err" ]; then
		ok "$sub --help: usage on stdout, exit 0"
	else
		not_ok "$sub --help: usage on stdout, exit 0" "rc=$rc"
	fi
done

# --- runtime errors: exit 1 -------------------------------------------------------
nopid=$(($(cat /proc/sys/kernel/pid_max) - 1))
[ -d /proc/$nopid ] && nopid=$((nopid - 1))
one_line "trace -p <no such pid>" 1 trace -p $nopid
one_line "trace -- /nonexistent/cmd" 1 trace -- /nonexistent/cmd
one_line "trace -- no-such-command-on-path" 1 trace -- kmtrace-no-such-command
one_line "trace -- /etc (a directory)" 1 trace -- /etc
one_line "trace -- /etc/passwd (not executable)" 1 trace -- /etc/passwd
one_line "trace --ko /nonexistent.ko" 1 trace -m kmdemo --ko /nonexistent.ko
for sub in hist mm; do
	has_sub $sub || continue
	one_line "$sub -p <no such pid>" 1 $sub -p $nopid
	one_line "$sub -- /nonexistent/cmd" 1 $sub -- /nonexistent/cmd
done

# --- not root ------------------------------------------------------------------------
if command -v setpriv >/dev/null; then
	nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	nobody=(runuser -u nobody --)
fi
for args in "trace" "trace -p 1" "trace -- true" "stat -d 1" "hist -d 1" "mm" "mm -p 1"; do
	# shellcheck disable=SC2086
	has_sub ${args%% *} || continue
	# shellcheck disable=SC2086
	timeout -k 2 10 "${nobody[@]}" "$K" $args </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -Eq "^kmtrace: ${args%% *}: .*(CAP_BPF|CAP_PERFMON|root)" "$tmp/err" &&
		[ ! -s "$tmp/out" ]; then
		ok "not root: $args: exit 1, one line naming the subcommand and the capability"
	else
		not_ok "not root: $args: exit 1, one line naming the subcommand and the capability" \
			"rc=$rc: $(head -c 300 "$tmp/err" | tr '\n' '|')"
	fi
done

# --- clean detach -----------------------------------------------------------------------
# stop_with NAME SIGNAL SUB ARGS...: start kmtrace SUB ARGS, wait until it is
# attached, send SIGNAL, expect exit 0 and everything released.
stop_with() {
	local name=$1 sig=$2 kp rc
	shift 2
	: >"$tmp/held"
	"$K" "$@" >"$tmp/sig.out" 2>"$tmp/sig.err" &
	kp=$!
	bpf_attached $kp
	kill -"$sig" $kp
	timeout 10 tail --pid=$kp -f /dev/null
	wait $kp
	rc=$?
	eq "$name: exit 0" "$rc" 0
	bpf_gone "$name"
}
stop_with "trace, SIGINT" INT trace
stop_with "trace --json, SIGTERM" TERM trace --json
has "trace --json, SIGTERM: summary printed" "$tmp/sig.out" '^\{"event":"summary"'
stop_with "stat, SIGINT" INT stat
stop_with "stat --page, SIGTERM" TERM stat --page
if has_sub hist; then
	stop_with "hist, SIGINT" INT hist
	stop_with "hist --json, SIGTERM" TERM hist --json
fi

# SIGPIPE: kmtrace trace | head -n 1 (a fifo, to know kmtrace's pid).  -c
# kstorm: the machine's other events must not fill the stdout buffer (and end
# kmtrace) before its BPF links have been seen.
for mode in "" --json; do
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	: >"$tmp/held"
	# shellcheck disable=SC2086
	"$K" trace $mode -c kstorm >"$tmp/fifo" 2>"$tmp/pipe.err" &
	kp=$!
	head -n 1 <"$tmp/fifo" >"$tmp/pipe.out" &
	hp=$!
	bpf_attached $kp
	"$S" -m msg -s 100 -n 20000 >/dev/null # more than a 64 KiB stdout buffer
	timeout 10 tail --pid=$kp -f /dev/null
	wait $kp
	rc=$?
	wait $hp
	eq "trace $mode | head -n 1: exit 0" "$rc" 0
	count_is "trace $mode | head -n 1: no error on stderr" "$tmp/pipe.err" \
		'^kmtrace: (.*rror|.*Broken|.*failed)' 0
	eq "trace $mode | head -n 1: head got one line" "$(wc -l <"$tmp/pipe.out")" 1
	bpf_gone "trace $mode | head -n 1"
done

# the target exits: -p PID ends with a summary, exit 0 (the target lives 4 s:
# kmtrace attaches before it exits, even on a loaded machine)
for sub in trace hist mm; do
	has_sub $sub || continue
	: >"$tmp/held"
	"$T" -n 2 -s 4 >/dev/null &
	tp=$!
	sleep 0.2
	"$K" $sub --json -p $tp >"$tmp/p.out" 2>"$tmp/p.err" &
	kp=$!
	bpf_attached $kp
	wait $tp
	timeout 10 tail --pid=$kp -f /dev/null
	wait $kp
	rc=$?
	eq "$sub -p PID: exit 0 when the process exits" "$rc" 0
	if [ "$(tail -n 1 "$tmp/p.out" | head -c 1)" = "{" ] && tail -n 1 "$tmp/p.out" |
		python3 -c 'import json,sys; json.loads(sys.stdin.read())' 2>/dev/null; then
		ok "$sub -p PID: ends with a JSON line (summary)"
	else
		not_ok "$sub -p PID: ends with a JSON line (summary)" "$(tail -n 1 "$tmp/p.out" | head -c 200)"
	fi
	bpf_gone "$sub -p PID, process exited"
done

# -- CMD that fails: its exit status is reported, and kmtrace exits with it
"$K" trace --json -- sh -c 'exit 3' >"$tmp/c.out" 2>"$tmp/c.err"
eq "trace -- CMD exiting 3: kmtrace exits 3" "$?" 3
has "trace -- CMD exiting 3: summary exit_status 3" "$tmp/c.out" '^\{"event":"summary".*"exit_status":3'
for sub in hist mm; do
	"$K" $sub -- sh -c 'exit 7' >/dev/null 2>"$tmp/c.err"
	eq "$sub -- CMD exiting 7: kmtrace exits 7" "$?" 7
done
"$K" trace -- true >/dev/null 2>"$tmp/c.err"
eq "trace -- true: kmtrace exits 0" "$?" 0
# the tracer's own failure wins over CMD's status
"$K" trace -- sh -c 'exit 3' >/dev/full 2>"$tmp/c.err"
eq "trace -- CMD exiting 3 >/dev/full: the write error's exit 1" "$?" 1

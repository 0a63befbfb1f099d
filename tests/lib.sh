# SPDX-License-Identifier: GPL-2.0
# Sourced by every test script (host bash and guest busybox sh alike).
# Results are TAP lines on stdout: "ok - NAME" or "not ok - NAME # why";
# tests/run.sh counts them.

ok() { echo "ok - $*"; }
not_ok() {
	_n=$1
	shift
	echo "not ok - $_n # $*"
}

# check NAME CMD...: ok when CMD succeeds.
check() {
	_n=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$_n"; else not_ok "$_n" "command failed: $*"; fi
}

# has NAME FILE REGEX: ok when an extended REGEX matches a line of FILE.
has() {
	if grep -Eq -- "$3" "$2"; then ok "$1"; else not_ok "$1" "no line matching /$3/ in $2"; fi
}

# count_is NAME FILE REGEX N: ok when exactly N lines of FILE match REGEX.
count_is() {
	_c=$(grep -Ec -- "$3" "$2")
	if [ "$_c" -eq "$4" ]; then ok "$1"; else not_ok "$1" "$_c lines match /$3/, expected $4"; fi
}

# eq NAME GOT WANT
eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', want '$3'"; fi
}

# vm_guest NAME [MIN_CHECKS]  (host side, bash): boot Debian's $KMT_KERNEL
# kernel (default 6.12) with scripts/vm.sh, run tests/guest/NAME.sh in it and
# pass its TAP lines through, prefixed with the kernel. The VM must exit 0 and
# the guest script must reach its last line "# NAME guest: done" (and print at
# least MIN_CHECKS TAP lines), so a VM that fails silently cannot pass. The
# console output is kept in build/vm-NAME-<kernel>.log.
vm_guest() {
	_name=$1
	_min=${2:-1}
	_k=${KMT_KERNEL:-6.12}
	_log=build/vm-$_name-$_k.log
	scripts/vm.sh --kernel "$_k" --timeout 600 -- sh "/kmtrace/tests/guest/$_name.sh" 2>&1 |
		tr -d '\r' >"$_log"
	_rc=${PIPESTATUS[0]}
	# QEMU's multi-threaded TCG can run a stale int3 that the kernel's
	# live patching of a static key (a tracepoint being attached) has
	# already removed: an "Oops: int3" at a patch site, then a panic (seen
	# a few times a day here; never on hardware or KVM).  vm.sh runs
	# single-threaded TCG by default, which has not shown it; should it
	# happen (KMT_VM_ACCEL=tcg), such a VM is run once more, and that is
	# said; any other crash counts.
	if [ "$_rc" = 125 ] && grep -q 'Oops: int3' "$_log"; then
		echo "# vm $_k: the VM died of a TCG int3 oops ($(grep -m1 'RIP: 0010' "$_log" |
			sed 's/.*RIP: 0010://')): running tests/guest/$_name.sh once more"
		cp "$_log" "$_log.int3"
		scripts/vm.sh --kernel "$_k" --timeout 600 -- sh "/kmtrace/tests/guest/$_name.sh" 2>&1 |
			tr -d '\r' >"$_log"
		_rc=${PIPESTATUS[0]}
	fi
	grep -E '^(ok|not ok) ' "$_log" | sed "s/^\(not ok\|ok\) - /\1 - vm $_k: /"
	eq "vm $_k: scripts/vm.sh ran tests/guest/$_name.sh (exit 0)" "$_rc" 0
	if grep -qx "# $_name guest: done" "$_log"; then
		ok "vm $_k: guest $_name.sh reached its final marker"
	else
		not_ok "vm $_k: guest $_name.sh reached its final marker" \
			"last output: $(tail -n 5 "$_log" | tr '\n' '|')"
	fi
	_n=$(grep -Ec '^(ok|not ok) ' "$_log")
	if [ "$_n" -ge "$_min" ]; then ok "vm $_k: guest $_name.sh ran its checks ($_n)"; else
		not_ok "vm $_k: guest $_name.sh ran its checks" "only $_n TAP lines, expected $_min"
	fi
}

# exits_with NAME RC REGEX CMD...: CMD (stdout discarded) exits RC and writes
# exactly one line to stderr, matching REGEX.
exits_with() {
	_n=$1 _want=$2 _re=$3
	shift 3
	_err=$(mktemp)
	"$@" >/dev/null 2>"$_err"
	_rc=$?
	if [ "$_rc" -eq "$_want" ] && [ "$(wc -l <"$_err")" -eq 1 ] && grep -Eq -- "$_re" "$_err"; then
		ok "$_n"
	else
		not_ok "$_n" "rc=$_rc (want $_want): $(head -c 200 "$_err" | tr '\n' '|')"
	fi
	rm -f "$_err"
}

# --- running kmtrace in the background ---------------------------------------------
# KMTRACE: the binary (host tests set it to build/kmtrace; in the guest it is
# on PATH).

# wait_ready FILE [PID]: until kmtrace wrote its ready line to FILE (120 s at
# most, less when process PID is gone first).  0 when it did.
wait_ready() {
	_w=0
	while [ $_w -lt 1200 ]; do
		grep -q '^kmtrace: ready' "$1" && return 0
		if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then break; fi
		sleep 0.1
		_w=$((_w + 1))
	done
	grep -q '^kmtrace: ready' "$1"
}

# start_kmtrace OUT ERR ARGS...: kmtrace ARGS in the background (its pid in
# $kt), stdout to OUT, stderr to ERR, until it is ready.  0 when it is.
start_kmtrace() {
	_o=$1
	_e=$2
	shift 2
	# emptied first: the background job opens them only when it runs, and
	# an earlier run's ready line must not count
	: >"$_o"
	: >"$_e"
	"${KMTRACE:-kmtrace}" "$@" >"$_o" 2>"$_e" &
	kt=$!
	wait_ready "$_e" $kt
}

# stop_kmtrace [NAME]: after a second (RCU-deferred frees settle), SIGINT
# the kmtrace start_kmtrace started; $krc gets its exit status; with NAME, a
# check that it is 0.
stop_kmtrace() {
	sleep 1
	kill -INT $kt
	wait $kt
	krc=$?
	if [ -n "${1:-}" ]; then eq "$1: kmtrace exits 0 on SIGINT" "$krc" 0; fi
}

# --- a kmtrace process's BPF programs and links (host tests) ----------------------------
# By the ids in its /proc/PID/fdinfo, not by names: other kmtrace runs on the
# machine have the same program names.  The ids go to $tmp/held.

# bpf_held PID: "prog:ID" / "link:ID" of the BPF objects PID has open, one a line.
bpf_held() {
	for _f in /proc/"$1"/fdinfo/*; do
		sed -n 's/^prog_id:[[:space:]]*\([0-9]*\)/prog:\1/p; s/^link_id:[[:space:]]*\([0-9]*\)/link:\1/p' \
			"$_f" 2>/dev/null
	done | sort -u
}

# bpf_attached PID: until PID holds a BPF link (30 s at most: a loaded
# machine); its ids saved in $tmp/held.  0 when it does.
bpf_attached() {
	for _ in $(seq 300); do
		bpf_held "$1" >"$tmp/held"
		grep -q "^link:" "$tmp/held" && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# bpf_gone NAME: a check that every id of $tmp/held is gone from bpftool
# prog/link show (RCU-deferred: 3 s at most).
bpf_gone() {
	for _ in $(seq 30); do
		{
			bpftool -j prog show | python3 -c 'import json,sys
print("\n".join("prog:%d" % p["id"] for p in json.load(sys.stdin)))'
			bpftool -j link show | python3 -c 'import json,sys
print("\n".join("link:%d" % p["id"] for p in json.load(sys.stdin)))'
		} >"$tmp/now" 2>/dev/null
		_left=$(grep -Fxf "$tmp/held" "$tmp/now" | tr '\n' ' ')
		[ -z "$_left" ] && break
		sleep 0.1
	done
	if [ ! -s "$tmp/held" ]; then
		not_ok "$1: BPF programs and links released" "never saw its programs"
	elif [ -z "$_left" ]; then
		ok "$1: its $(wc -l <"$tmp/held") BPF programs and links are gone"
	else
		not_ok "$1: BPF programs and links released" "still there: $_left"
	fi
}

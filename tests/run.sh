#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs every test and ends with one line "N passed, N failed".
#   tests/run.sh [PATTERN...]   only tests whose path contains a PATTERN
# Environment: KMT_VM_KERNELS (default "6.1 6.12"), KMT_NO_VM=1 skips VM tests.
# Host tests: tests/host/*.sh; VM tests: tests/guest/*.sh, each booted in every
# kernel's VM (see vm_test below).
# Test scripts print TAP lines ("ok - …" / "not ok - … # why"); unit tests are
# cmocka binaries run with TAP output. A script that exits non-zero counts as
# one more failure. Full output: build/test.log.
set -uo pipefail
cd "$(dirname "$0")/.."
log=build/test.log
mkdir -p build
: >"$log"
passed=0 failed=0

want() {
	[[ $# -eq 0 || ${#pats[@]} -eq 0 ]] && return 0
	local p
	for p in "${pats[@]}"; do [[ "$1" == *"$p"* ]] && return 0; done
	return 1
}

run_one() { # NAME CMD...
	local name=$1 out rc p f
	shift
	want "$name" || return 0
	printf '== %s\n' "$name" | tee -a "$log"
	out=$(mktemp)
	"$@" >"$out" 2>>"$log"
	rc=$?
	cat "$out" >>"$log"
	p=$(grep -Ec '^ok ' "$out")
	f=$(grep -Ec '^not ok ' "$out")
	grep -E '^not ok ' "$out"
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "not ok - $name exited $rc (see $log)"
		f=1
	fi
	printf '   %d passed, %d failed\n' "$p" "$f"
	passed=$((passed + p))
	failed=$((failed + f))
	rm -f "$out"
}

pats=("$@")
export CMOCKA_MESSAGE_OUTPUT=TAP
for t in build/unit/test_*; do
	[[ -x $t ]] && run_one "$t" "$t"
done
for t in tests/host/*.sh; do
	[[ -f $t ]] && run_one "$t" bash "$t"
done
# Each tests/guest/*.sh with a "# vm-checks: N" header line runs in a VM of
# every kernel (vm_guest of tests/lib.sh), with at least that many checks; lines of the console log matching its "# vm-show: REGEX"
# header line are shown too; the stock modules its "# vm-modules: M..." header
# line names are packed into the VM (scripts/vm.sh --modules).  A guest test that needs host-side steps first
# has a wrapper of the same name in tests/vm/, run instead.
vm_test() { # NAME MIN SHOW MODULES
	KMT_VM_MODULES=$4 vm_guest "$1" "$2"
	if [[ -n $3 ]]; then grep -E -- "$3" "build/vm-$1-$KMT_KERNEL.log" | cut -c1-100; fi
}
if [[ "${KMT_NO_VM:-0}" != 1 ]]; then
	. tests/lib.sh
	for g in tests/guest/*.sh; do
		[[ -f $g ]] || continue
		name=$(basename "$g" .sh)
		min=$(sed -n 's/^# vm-checks: *\([0-9]*\).*/\1/p' "$g" | head -n 1)
		[[ -n $min ]] || continue # not a test (a library sourced by tests)
		show=$(sed -n 's/^# vm-show: *//p' "$g" | head -n 1)
		mods=$(sed -n 's/^# vm-modules: *//p' "$g" | head -n 1)
		for k in ${KMT_VM_KERNELS:-6.1 6.12}; do
			if [[ -f tests/vm/$name.sh ]]; then
				KMT_KERNEL=$k run_one "$g@$k" bash "tests/vm/$name.sh"
			else
				KMT_KERNEL=$k run_one "$g@$k" vm_test "$name" "${min:-1}" "$show" "$mods"
			fi
		done
	done
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

# SPDX-License-Identifier: GPL-2.0
# kmdemo in a VM running Debian's $KMT_KERNEL kernel (6.1 or 6.12): boots
# scripts/vm.sh with tests/guest/kmdemo.sh and passes its TAP lines through.
# A VM that fails to boot, times out, or a guest script that stops before its
# final marker is a failure here, so a silent VM problem cannot pass.
. tests/lib.sh
k=${KMT_KERNEL:-6.12}
out=$(mktemp)
scripts/vm.sh --kernel "$k" --timeout 300 -- sh /kmtrace/tests/guest/kmdemo.sh >"$out"
rc=$?
grep -E '^(ok|not ok) ' "$out"
eq "vm $k: scripts/vm.sh booted and the guest script exited 0" "$rc" 0
if grep -qx '# kmdemo guest: done' "$out"; then
	ok "vm $k: guest kmdemo.sh reached its final marker"
else
	not_ok "vm $k: guest kmdemo.sh reached its final marker" \
		"no '# kmdemo guest: done' line; last output: $(tail -n 3 "$out" | tr '\n' '|')"
fi
n=$(grep -Ec '^(ok|not ok) ' "$out")
if [ "$n" -ge 90 ]; then ok "vm $k: guest ran all its checks ($n)"; else
	not_ok "vm $k: guest ran all its checks" "only $n TAP lines"
fi
rm -f "$out"

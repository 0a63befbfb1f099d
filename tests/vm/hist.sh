# SPDX-License-Identifier: GPL-2.0
# kmtrace hist -m kmdemo in a VM running Debian's $KMT_KERNEL kernel (6.1 or
# 6.12): boots scripts/vm.sh with tests/guest/hist-kmdemo.sh and passes its
# TAP lines through; a guest that stops before its final marker fails here.
. tests/lib.sh
k=${KMT_KERNEL:-6.12}
out=$(mktemp)
scripts/vm.sh --kernel "$k" --timeout 600 -- sh /kmtrace/tests/guest/hist-kmdemo.sh 2>&1 |
	tr -d '\r' >"$out"
rc=${PIPESTATUS[0]}
grep -E '^(ok|not ok) ' "$out" | sed "s/^\(not ok\|ok\) - /\1 - vm $k: /"
eq "vm $k: scripts/vm.sh ran the guest hist test (exit 0)" "$rc" 0
if grep -qx '# hist-kmdemo guest: done' "$out"; then
	ok "vm $k: guest hist-kmdemo.sh reached its final marker"
else
	not_ok "vm $k: guest hist-kmdemo.sh reached its final marker" \
		"last output: $(tail -n 5 "$out" | tr '\n' '|')"
fi
cp "$out" "build/vm-hist-$k.log" 2>/dev/null
rm -f "$out"

# SPDX-License-Identifier: GPL-2.0
# kmdemo's bad parameters and KMT_CYCLES (200) load/unload cycles, checked by
# kmtrace -m kmdemo itself, in a VM running Debian's $KMT_KERNEL kernel (6.1 or
# 6.12): boots scripts/vm.sh with tests/guest/kmdemo-cycles.sh and passes its
# TAP lines through; a guest that stops before its final marker fails here.
. tests/lib.sh
k=${KMT_KERNEL:-6.12}
out=$(mktemp)
t0=$(date +%s)
scripts/vm.sh --kernel "$k" --timeout 400 -- \
	"KMT_CYCLES=${KMT_CYCLES:-200} sh /kmtrace/tests/guest/kmdemo-cycles.sh" 2>&1 |
	tr -d '\r' >"$out"
rc=${PIPESTATUS[0]}
grep -E '^(ok|not ok) ' "$out" | sed "s/^\(not ok\|ok\) - /\1 - vm $k: /"
grep -E '^# [0-9]+ cycles in' "$out" | cut -c1-120
echo "# vm $k: $(($(date +%s) - t0)) s"
eq "vm $k: scripts/vm.sh ran the guest cycles test (exit 0)" "$rc" 0
if grep -qx '# kmdemo-cycles guest: done' "$out"; then
	ok "vm $k: guest kmdemo-cycles.sh reached its final marker"
else
	not_ok "vm $k: guest kmdemo-cycles.sh reached its final marker" \
		"last output: $(tail -n 5 "$out" | tr '\n' '|')"
fi
cp "$out" "build/vm-cycles-$k.log" 2>/dev/null
rm -f "$out"

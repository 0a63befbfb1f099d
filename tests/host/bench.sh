# SPDX-License-Identifier: GPL-2.0
# scripts/bench.sh --quick: end to end on a tiny workload; the table has the
# untraced and floor rows and the results file lands in --out, not in
# bench/results.  No timing assertions.  Usage errors exit 2.
. tests/lib.sh
dir=$(mktemp -d)
out=$(mktemp)
before=$(find bench/results -type f -printf '%p %T@\n' 2>/dev/null | sort | md5sum)
scripts/bench.sh --quick --out "$dir" >"$out" 2>"$dir/log"
eq "bench.sh --quick exits 0" "$?" 0
has "bench table header" "$out" '^\| mode \| attach \| kept \(x untraced\) \|'
has "bench row: untraced, kept 1.00" "$out" '^\| untraced \| - \| 1\.00( \(disturbed\))? \| [0-9.-]+ \| [0-9,]+ \|'
has "bench row: kmfloor raw_tp attached via raw_tp" "$out" '^\| kmfloor raw_tp \| raw_tp[^|]* \| [0-9]+\.[0-9]{2}[^|]* \|'
has "bench row: kmfloor tracepoint attached via tracepoint" "$out" \
	'^\| kmfloor tracepoint \| tracepoint[^|]* \| [0-9]+\.[0-9]{2}[^|]* \|'
has "bench names the kernel" "$out" "^- kernel: $(uname -r) "
f="$dir/$(date -u +%F)-$(uname -r).md"
if [ -f "$f" ] && cmp -s "$f" "$out"; then
	ok "bench writes the table to --out DIR/<date>-<kernel>.md"
else
	not_ok "bench writes the table to --out DIR/<date>-<kernel>.md" "$(ls "$dir")"
fi
eq "bench --out leaves bench/results alone" "$(find bench/results -type f -printf '%p %T@\n' 2>/dev/null | sort | md5sum)" "$before"
# every kmtrace mode is either measured or listed as skipped
for m in "kmtrace hist" "kmtrace stat" "kmtrace trace" "kmtrace trace --json"; do
	has "bench row for '$m' (measured or skipped)" "$out" "^\| $m \| "
done

for bad in "--rounds 0" "--ops x" "--threads" "--bogus"; do
	# shellcheck disable=SC2086
	scripts/bench.sh $bad >/dev/null 2>"$out"
	rc=$?
	if [ $rc -eq 2 ] && grep -q '^bench: ' "$out"; then
		ok "bench.sh $bad: error on stderr, exit 2"
	else
		not_ok "bench.sh $bad: error on stderr, exit 2" "rc=$rc"
	fi
done
rm -rf "$dir"

# kmfloor, the floor the bench measures: attaches, says ready, stops cleanly.
K=build/kmfloor
for a in raw_tp tracepoint; do
	for sig in INT TERM; do
		"$K" --attach $a >"$out" 2>&1 &
		bg=$!
		for _ in $(seq 50); do grep -q '^ready$' "$out" && break; sleep 0.1; done
		r=$(grep -c '^ready$' "$out")
		kill -s $sig $bg
		wait $bg
		eq "kmfloor --attach $a: ready, SIG$sig exits 0" "$r $?" "1 0"
	done
done
for bad in "--attach" "--attach kprobe" "-x" "extra"; do
	# shellcheck disable=SC2086
	"$K" $bad >/dev/null 2>"$out"
	rc=$?
	if [ $rc -eq 2 ] && grep -q '^kmfloor: ' "$out" && grep -q '^usage: kmfloor' "$out"; then
		ok "kmfloor $bad: usage on stderr, exit 2"
	else
		not_ok "kmfloor $bad: usage on stderr, exit 2" "rc=$rc"
	fi
done
"$K" --help | grep -q '^usage: kmfloor'
eq "kmfloor --help prints usage, exit 0" "$?" 0
rm -f "$out"

# SPDX-License-Identifier: GPL-2.0
# The libFuzzer targets of tests/fuzz/ (kallsyms parser, event formatter,
# command-line parser, Prometheus exposition), built with clang -fsanitize=fuzzer,address,undefined
# by `make fuzz-build`, each run KMT_FUZZ_SECONDS (default 10) from the seed
# corpus in tests/fuzz/corpus/<target>, all at once.  A crash, a sanitizer
# report or a failed invariant (abort) is a failure; the input that did it is
# left in build/fuzz/<target>-crash-*.  `make fuzz` runs them longer.
. tests/lib.sh
secs=${KMT_FUZZ_SECONDS:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if make -s fuzz-build >"$tmp/build.log" 2>&1; then
	ok "make fuzz-build"
else
	not_ok "make fuzz-build" "$(tail -n 5 "$tmp/build.log" | tr '\n' '|')"
	exit 0
fi
targets=$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
for t in $targets; do
	mkdir -p "build/fuzz/corpus/$t"
	# new inputs go to a scratch directory: the test does not grow build/
	mkdir -p "$tmp/corpus-$t"
	build/fuzz/$t -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="build/fuzz/$t-" \
		"$tmp/corpus-$t" "tests/fuzz/corpus/$t" >"$tmp/$t.log" 2>&1 &
	echo $! >"$tmp/$t.pid"
done
for t in $targets; do
	wait "$(cat "$tmp/$t.pid")"
	rc=$?
	n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$t.log")
	if [ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ]; then
		ok "fuzz $t: ${secs} s, ${n} inputs, no crash"
	else
		not_ok "fuzz $t: ${secs} s, no crash" \
			"rc=$rc: $(grep -E -m 3 'ERROR|runtime error|Test unit written' "$tmp/$t.log" | tr '\n' '|')"
		cp "$tmp/$t.log" "build/fuzz/$t.log"
	fi
done

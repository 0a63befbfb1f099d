# SPDX-License-Identifier: GPL-2.0
# kmtrace under AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer):
# `make sanitize-build` builds the loader and the unit tests with clang
# -fsanitize=address,undefined into build/san/ (skeletons regenerated there,
# the normal build/ untouched); this runs every unit test and a set of host
# runs of every subcommand (events, text and JSON, error paths, SIGINT) and
# fails on any sanitizer report.  `make sanitize` = build + this script.
. tests/lib.sh
SAN=${KMT_SAN_BUILD:-build/san}
K=$SAN/kmtrace
S=build/kstorm
T=build/threads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=detect_leaks=1:exitcode=99:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98

if [ "${KMT_SAN_NO_BUILD:-0}" != 1 ]; then
	if make -s sanitize-build >"$tmp/build.log" 2>&1; then
		ok "make sanitize-build (clang -fsanitize=address,undefined into $SAN/)"
	else
		not_ok "make sanitize-build" "$(tail -n 5 "$tmp/build.log" | tr '\n' '|')"
		exit 0
	fi
fi

# clean NAME FILE: no sanitizer report in FILE
clean() {
	if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)' "$2"; then
		not_ok "$1: no sanitizer report" \
			"$(grep -E -m 3 'ERROR:|runtime error:|#[0-4] ' "$2" | tr '\n' '|' | head -c 600)"
	else
		ok "$1: no sanitizer report"
	fi
}
# run NAME WANT_RC CMD...: rc as wanted and no report on stderr
run() {
	local name=$1 want=$2 rc
	shift 2
	timeout -k 2 60 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name: exit $want"; else
		not_ok "$name: exit $want" "rc=$rc: $(tail -n 3 "$tmp/err" | tr '\n' '|' | head -c 400)"
	fi
	clean "$name" "$tmp/err"
}

# --- unit tests ---------------------------------------------------------------
for u in "$SAN"/unit/test_*; do
	[ -x "$u" ] || continue
	run "asan unit $(basename "$u")" 0 "$u"
done

# --- host runs ------------------------------------------------------------------
run "asan trace --json -- kstorm" 0 "$K" trace --json -- "$S" -m msg -s 1234 -n 2000
count_is "asan trace --json -- kstorm: exactly 2000 kmallocs of 1282 bytes" "$tmp/out" \
	'"event":"kmalloc".*"bytes_req":1282,' 2000
run "asan trace (text) -- threads" 0 "$K" trace -- "$T" -n 4 -s 0
has "asan trace text: summary" "$tmp/out" '^outstanding: [0-9]+ allocations'
run "asan trace -- sh -c (children)" 0 "$K" trace --json -- sh -c "$S -m pipe -n 200; true"
run "asan trace -c kstorm -d 1" 0 "$K" trace --json -c kstorm --min-size 1 --max-size 5000 -d 1
run "asan trace -m kmdemo -d 0.5 (no modules here: exit 1)" 1 "$K" trace -m kmdemo -d 0.5
KMTRACE_NO_RAW_TP=1 run "asan trace, classic tracepoints" 0 "$K" trace --json -- "$S" -n 100
if "$K" trace --help 2>/dev/null | grep -q -- --perfetto; then
	run "asan trace --perfetto" 0 "$K" trace --json --perfetto "$tmp/pf.json" -- "$T" -n 2 -s 0
fi
run "asan stat --caller -d 1" 0 "$K" stat --caller -d 1 -l 0
run "asan stat --alloc --json -d 0.5" 0 "$K" stat --alloc --json -d 0.5
run "asan stat --page -d 0.5" 0 "$K" stat --page -d 0.5
run "asan mm" 0 "$K" mm
run "asan mm --json" 0 "$K" mm --json
if "$K" --help | grep -q '^  hist '; then
	run "asan hist -- kstorm" 0 "$K" hist -- "$S" -n 500
	run "asan hist --by caller --json -d 0.5" 0 "$K" hist --by caller --json -d 0.5
	run "asan hist --by comm --linear 64 -d 0.5" 0 "$K" hist --by comm --linear 64 -d 0.5
fi
if "$K" mm --help | grep -q -- '-p PID'; then
	run "asan mm -- threads" 0 "$K" mm --json -- "$T" -n 2 -s 0
fi

# SIGINT while events flow
"$K" trace --json >"$tmp/out" 2>"$tmp/err" &
kp=$!
for _ in $(seq 100); do grep -q '^kmtrace: ready' "$tmp/err" && break; sleep 0.1; done
"$S" -n 2000 >/dev/null
kill -INT $kp
wait $kp
eq "asan trace, SIGINT: exit 0" "$?" 0
clean "asan trace, SIGINT" "$tmp/err"
# SIGPIPE
"$K" trace -- "$S" -n 20000 2>"$tmp/err" | head -n 2 >/dev/null
eq "asan trace | head: exit 0" "${PIPESTATUS[0]}" 0
clean "asan trace | head" "$tmp/err"

# error paths leak nothing either
for args in "trace -p 12x" "trace -- /nonexistent" "trace -p 4000000" "stat --bogus" "mm -x" \
	"trace --ko /nonexistent.ko -m x" "frobnicate"; do
	# shellcheck disable=SC2086
	timeout 20 "$K" $args >/dev/null 2>"$tmp/err" </dev/null
	clean "asan kmtrace $args" "$tmp/err"
done

# SPDX-License-Identifier: GPL-2.0
# Static checks of user/*.c (also `make lint`, with --make: plain output and
# a non-zero exit on any finding):
#  - cppcheck --enable=warning,portability,performance;
#  - clang-tidy: clang-analyzer-*, bugprone-*, except
#      bugprone-easily-swappable-parameters  (style: adjacent same-type params)
#      bugprone-narrowing-conversions       (c = x == '-' ? '_' : x; char ← int)
#      bugprone-suspicious-string-compare   (the house style is !strcmp(a, b))
#      clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling
#                                           (wants Annex K memcpy_s/snprintf_s)
#      clang-analyzer-valist.Uninitialized  (false positive on every
#                                           va_start+vsnprintf wrapper, clang 14)
#    and nothing reported inside build/ (bpftool-generated skeletons);
#  - clang-format --dry-run -Werror (the .clang-format of the tree).
# Each tool is one TAP line; a missing tool is a failure naming the package.
. tests/lib.sh
make_mode=0
[ "${1:-}" = --make ] && make_mode=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
srcs=$(ls user/*.c)
hdrs=$(ls user/*.h)
cflags="-std=c11 -D_GNU_SOURCE -Iuser -Ibpf -Ibuild"
tidy_checks='-*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters'
tidy_checks+=',-bugprone-narrowing-conversions,-bugprone-suspicious-string-compare'
tidy_checks+=',-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling'
tidy_checks+=',-clang-analyzer-valist.Uninitialized'
fail=0

# the skeletons user/*.c include
if ! make -s $(ls bpf/*.bpf.c | sed 's|bpf/\(.*\)\.bpf\.c|build/\1.skel.h|') >"$tmp/make" 2>&1; then
	not_ok "lint: skeletons built" "$(tail -n 3 "$tmp/make" | tr '\n' '|')"
	exit 0
fi

report() { # NAME FILE-WITH-FINDINGS PACKAGE-IF-MISSING
	if [ -s "$2" ]; then
		fail=1
		if [ $make_mode = 1 ]; then cat "$2" >&2; fi
		not_ok "$1" "$(grep -c . "$2") findings: $(head -n 3 "$2" | tr '\n' '|' | head -c 500)"
	else
		ok "$1"
	fi
}

if command -v cppcheck >/dev/null; then
	# shellcheck disable=SC2086
	cppcheck --quiet --enable=warning,portability,performance --std=c11 -D_GNU_SOURCE \
		-D__x86_64__ --inline-suppr --suppress=missingIncludeSystem -Iuser -Ibpf -Ibuild \
		-j 2 $srcs >"$tmp/cppcheck" 2>&1
	report "lint: cppcheck user/*.c clean" "$tmp/cppcheck"
else
	not_ok "lint: cppcheck user/*.c clean" "no cppcheck (apt-get install cppcheck)"
	fail=1
fi

if command -v clang-tidy >/dev/null; then
	# two at a time: clang-tidy is the slow part
	# shellcheck disable=SC2086
	printf '%s\n' $srcs | xargs -P 2 -n 4 sh -c \
		'clang-tidy --quiet -checks="$0" "$@" -- '"$cflags"' 2>/dev/null' "$tidy_checks" \
		>"$tmp/tidy.raw"
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$tmp/tidy.raw" |
		grep -v "^$PWD/build/\|^build/" >"$tmp/tidy"
	report "lint: clang-tidy (analyzer, bugprone) user/*.c clean" "$tmp/tidy"
else
	not_ok "lint: clang-tidy user/*.c clean" "no clang-tidy (apt-get install clang-tidy)"
	fail=1
fi

if command -v clang-format >/dev/null; then
	# shellcheck disable=SC2086
	clang-format --dry-run -Werror $srcs $hdrs 2>&1 | grep -E ': (warning|error):' >"$tmp/fmt"
	report "lint: clang-format --dry-run -Werror user/*.[ch]" "$tmp/fmt"
else
	not_ok "lint: clang-format" "no clang-format (apt-get install clang-format)"
	fail=1
fi
[ $make_mode = 1 ] && exit $fail
exit 0

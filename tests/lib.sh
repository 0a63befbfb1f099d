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

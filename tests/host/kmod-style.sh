# SPDX-License-Identifier: GPL-2.0
# Kernel style of kmod/kmdemo.c, checked by the kernel's own
# scripts/checkpatch.pl (also `make check-kmod`):
#   checkpatch.pl --no-tree --strict --ignore VSPRINTF_SPECIFIER_PX -f kmod/kmdemo.c
# must report 0 errors, 0 warnings, 0 checks.  %px is ignored on purpose:
# kmdemo prints raw addresses so that tests and tracers can match them.
# Debian's headers and kbuild packages do not ship checkpatch.pl; it is taken
# from the first of:
#   $CACHE/kernels/*/usr/src/*/scripts/checkpatch.pl   (a tree that has it)
#   $CACHE/checkpatch/linux-source-*/scripts/           (extracted before)
#   Debian's linux-source-6.12 package, fetched with apt-get download into
#   $CACHE/checkpatch (as root; about 150 MB, once), of which only
#   checkpatch.pl, spelling.txt and const_structs.checkpatch are kept.
# A second run on a copy of kmdemo.c with a style error put in (space
# indentation) must fail, so a checkpatch that passes everything cannot pass.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
CACHE=${CACHE:-$PWD/.cache}
SRC_PKG=linux-source-6.12

find_checkpatch() {
	ls "$CACHE"/kernels/*/usr/src/*/scripts/checkpatch.pl \
		"$CACHE"/checkpatch/linux-source-*/scripts/checkpatch.pl 2>/dev/null | head -n 1
}

# fetch_checkpatch: extract checkpatch.pl & co. from Debian's kernel source
# package into $CACHE/checkpatch; the reason on stderr when it cannot.
fetch_checkpatch() {
	local dir=$CACHE/checkpatch deb tarball t
	for t in apt-get dpkg-deb xz perl flock; do
		command -v $t >/dev/null || {
			echo "$t not found (packages: apt, dpkg, xz-utils, perl, util-linux)" >&2
			return 1
		}
	done
	mkdir -p "$dir" || return 1
	(
		flock 9
		[ -n "$(find_checkpatch)" ] && exit 0
		cd "$dir" || exit 1
		if [ -z "$(apt-cache policy "$SRC_PKG" 2>/dev/null | sed -n 's/^ *Candidate: *\([^(]\)/\1/p')" ]; then
			apt-get update >/dev/null 2>&1 || true
		fi
		rm -f ./*.deb
		apt-get download "$SRC_PKG" >apt.log 2>&1 || {
			echo "apt-get download $SRC_PKG failed: $(tail -n 1 apt.log)" >&2
			exit 1
		}
		deb=$(ls ./*.deb | head -n 1)
		tarball=$(dpkg-deb -c "$deb" | sed -n 's|.* \./\(usr/src/linux-source-[^/]*\.tar\.xz\)$|\1|p' | head -n 1)
		[ -n "$tarball" ] || {
			echo "no source tarball in $deb" >&2
			exit 1
		}
		top=$(basename "$tarball" .tar.xz)
		dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./$tarball" |
			xz -dc | tar -xf - "$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
			"$top/scripts/const_structs.checkpatch" || {
			echo "could not extract checkpatch.pl from $deb" >&2
			exit 1
		}
		rm -f "$deb" apt.log
	) 9>"$dir/.lock"
}

cp=$(find_checkpatch)
if [ -z "$cp" ]; then
	fetch_checkpatch 2>/tmp/kmod-style.$$ && cp=$(find_checkpatch)
fi
if [ -z "$cp" ]; then
	not_ok "kmod style: the kernel's checkpatch.pl" "$(cat /tmp/kmod-style.$$ 2>/dev/null)"
	rm -f /tmp/kmod-style.$$
	exit 0
fi
rm -f /tmp/kmod-style.$$
ok "kmod style: the kernel's checkpatch.pl (${cp#"$CACHE"/})"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checkpatch() { # FILE: checkpatch's output in $tmp/out, its exit status
	perl "$cp" --no-tree --strict --show-types --ignore VSPRINTF_SPECIFIER_PX -f "$1" >"$tmp/out" 2>&1
}

checkpatch kmod/kmdemo.c
rc=$?
if [ $rc -eq 0 ] && grep -q 'total: 0 errors, 0 warnings, 0 checks' "$tmp/out"; then
	ok "kmod style: checkpatch --strict kmod/kmdemo.c: 0 errors, 0 warnings, 0 checks"
else
	[ "${KMT_STYLE_VERBOSE:-0}" = 1 ] && cat "$tmp/out" >&2
	not_ok "kmod style: checkpatch --strict kmod/kmdemo.c: 0 errors, 0 warnings, 0 checks" \
		"rc=$rc: $(grep -E '(ERROR|WARNING|CHECK):' "$tmp/out" | head -n 5 | tr '\n' '|')"
fi

# The same check on a copy with a space-indented line must fail.
sed '0,/^\treturn 0;$/s//        return 0;/' kmod/kmdemo.c >"$tmp/kmdemo.c"
if cmp -s kmod/kmdemo.c "$tmp/kmdemo.c"; then
	not_ok "kmod style: a space-indented copy is refused" "could not put the error in"
else
	checkpatch "$tmp/kmdemo.c"
	rc=$?
	if [ $rc -ne 0 ] && grep -q 'ERROR:CODE_INDENT:' "$tmp/out"; then
		ok "kmod style: a space-indented copy is refused (exit $rc, CODE_INDENT)"
	else
		not_ok "kmod style: a space-indented copy is refused" "rc=$rc $(tail -n 2 "$tmp/out" | tr '\n' '|')"
	fi
fi

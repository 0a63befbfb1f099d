#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch a Debian kernel (image + headers) into the cache without installing it.
#   scripts/kernel.sh SERIES      SERIES: 6.1 | 6.12 (or an already cached version)
# Prints the kernel version string (e.g. 6.12.117+deb12-amd64) on stdout;
# progress goes to stderr. Everything lands in $CACHE/kernels/<version>/
# (CACHE defaults to <repo>/.cache); a complete cache entry is reused as is.
# Nothing is installed on the host: packages are fetched with `apt-get download`
# and unpacked with `dpkg -x`.
set -euo pipefail

me=${KMT_LOG_PREFIX:-kernel.sh}
die() {
	echo "$me: $*" >&2
	exit 1
}
usage() {
	sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
"") die "missing SERIES (6.1 or 6.12); see --help" ;;
esac
[[ $# -eq 1 ]] || die "expected one argument, got $#; see --help"
series=$1

root=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$root/.cache}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
kdir=$CACHE/kernels
debs=$CACHE/debs
mkdir -p "$kdir"

case "$series" in
6.1) meta=linux-image-amd64 ;;
6.12) meta=linux-image-6.12-amd64 ;;
*)
	# A full version string that is already cached.
	if [[ -f $kdir/$series/.complete ]]; then
		echo "$series"
		exit 0
	fi
	die "unknown kernel series '$series' (expected 6.1 or 6.12)"
	;;
esac

# depends PKG REGEX: the first dependency of PKG whose name matches REGEX.
depends() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: \([^ ]*\)$/\1/p' | grep -E -m1 -- "$2" || true
}

img=$(depends "$meta" '^linux-image-[0-9]')
if [[ -z $img ]] && [[ $(id -u) -eq 0 ]]; then
	echo "$me: apt-cache knows no $meta; running apt-get update" >&2
	apt-get update >/dev/null 2>&1 || true
	img=$(depends "$meta" '^linux-image-[0-9]')
fi
if [[ -z $img ]]; then
	# Offline: fall back to the newest complete cache entry of this series.
	cached=$(find "$kdir" -mindepth 2 -maxdepth 2 -name .complete 2>/dev/null |
		sed 's,/\.complete$,,; s,.*/,,' | grep -E "^${series//./\\.}\.[0-9]" | sort -V | tail -n1 || true)
	[[ -n $cached ]] || die "cannot resolve $meta with apt-cache (no network or no bookworm sources?)"
	echo "$me: apt-cache cannot resolve $meta; using cached $cached" >&2
	echo "$cached"
	exit 0
fi
ver=${img#linux-image-}
dest=$kdir/$ver
if [[ -f $dest/.complete ]]; then
	echo "$ver"
	exit 0
fi

hdr=linux-headers-$ver
common=$(depends "$hdr" '^linux-headers-.*-common$')
kbuild=$(depends "$hdr" '^linux-kbuild-')
[[ -n $common && -n $kbuild ]] || die "cannot resolve the dependencies of $hdr"

# One download/unpack at a time per cache (vm.sh runs may be concurrent).
mkdir -p "$debs"
exec 9>"$kdir/.lock"
flock 9
if [[ -f $dest/.complete ]]; then
	echo "$ver"
	exit 0
fi
# apt-get download runs as _apt when root; let it write into the cache dir.
if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then
	chown _apt "$debs" 2>/dev/null || true
fi
for p in "$img" "$hdr" "$common" "$kbuild"; do
	if ! compgen -G "$debs/${p}_*.deb" >/dev/null; then
		echo "$me: downloading $p…" >&2
		(cd "$debs" && apt-get download -q "$p" >/dev/null 2>"$debs/.apt.log") ||
			{
				tail -n 3 "$debs/.apt.log" >&2
				die "apt-get download $p failed"
			}
	fi
done

echo "$me: unpacking $ver into ${dest#"$root"/}…" >&2
tmp=$dest.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
for p in "$img" "$hdr" "$common" "$kbuild"; do
	deb=$(compgen -G "$debs/${p}_*.deb" | sort -V | tail -n1)
	dpkg -x "$deb" "$tmp" || {
		rm -f "$deb"
		die "dpkg -x $deb failed; removed it (truncated download?), run again"
	}
done

# The headers refer to their -common part and kbuild tools by absolute paths;
# point them into this cache copy.
mk=$tmp/usr/src/linux-headers-$ver/Makefile
[[ -f $mk ]] || die "no $mk after unpacking"
sed -i "s,/usr/src/linux-headers-,$dest/usr/src/linux-headers-,g" "$mk"
find "$tmp" -type l -lname '/usr/*' | while read -r l; do
	t=$(readlink "$l")
	ln -sfn "$dest$t" "$l"
done
[[ -f $tmp/boot/vmlinuz-$ver ]] || die "no boot/vmlinuz-$ver in $img"
touch "$tmp/.complete"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "$ver"

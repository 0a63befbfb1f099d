# SPDX-License-Identifier: GPL-2.0
# make deb: kmtrace_<v>_amd64.deb and kmdemo-dkms_<v>_all.deb build, lintian
# reports no error; installed on this host with dpkg -i, kmtrace runs from
# /usr/bin, man finds its pages, bash-completion loads its completion, DKMS
# knows kmdemo and builds it for Debian's 6.12 (headers from the kernel
# cache) with the right vermagic; purged, nothing of either is left. The
# packages are purged on any exit (trap), and never touched if they were
# installed before the test started.
set -u
. tests/lib.sh
V=$(cat VERSION)
PKGS=(kmtrace kmdemo-dkms)
log=$(mktemp)
exec 8>/tmp/kmtrace-deb-test.lock
flock 8 # one host install at a time, whichever worktree runs it

installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q ' installed$'; }
present() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -qv 'not-installed'; }
for p in "${PKGS[@]}"; do
	if present "$p"; then
		not_ok "package $p not on this host before the test" \
			"it is ($(dpkg-query -W -f='${Version} ${Status}' "$p")); left alone, test skipped"
		exit 1
	fi
done
purge() { dpkg --purge "${PKGS[@]}" >/dev/null 2>&1; }
trap 'purge; rm -f "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- build and lint --------------------------------------------------------------
if make -s deb >"$log" 2>&1; then ok "make deb"; else
	not_ok "make deb" "$(tail -n 5 "$log" | tr '\n' '|')"
	exit 1
fi
kdeb=build/deb/kmtrace_${V}_amd64.deb
ddeb=build/deb/kmdemo-dkms_${V}_all.deb
check "make deb wrote $kdeb" test -s "$kdeb"
check "make deb wrote $ddeb" test -s "$ddeb"
eq "kmtrace.deb: version is VERSION" "$(dpkg-deb -f "$kdeb" Version)" "$V"
eq "kmdemo-dkms.deb: version is VERSION" "$(dpkg-deb -f "$ddeb" Version)" "$V"
# make deb ran lintian on the .changes (both packages) into build/deb/lintian.log.
lint=build/deb/lintian.log
sed 's/^/# lintian: /' "$lint"
eq "lintian: no errors" "$(grep -c '^E: ' "$lint")" 0
has "lintian on the .changes (both packages) exited 0" "$lint" '^lintian: exit 0$'
eq "the source tree has no build leftovers (debian/files, debian/tmp, ../*.deb)" \
	"$(ls -d debian/files debian/tmp debian/kmtrace debian/.debhelper ../kmtrace_* 2>/dev/null)" ""

# --- install ---------------------------------------------------------------------
if dpkg -i "$kdeb" "$ddeb" >"$log" 2>&1; then ok "dpkg -i both packages"; else
	not_ok "dpkg -i both packages" "$(tail -n 5 "$log" | tr '\n' '|')"
fi
for p in "${PKGS[@]}"; do
	check "$p is installed" installed "$p"
done
eq "/usr/bin/kmtrace --version" "$(/usr/bin/kmtrace --version 2>&1)" "kmtrace $V"
check "/usr/libexec/kmtrace/threads runs" /usr/libexec/kmtrace/threads -n 1 -s 0
# the packaged binary traces: kernel stacks of a packaged kstorm's 20 kmallocs
/usr/bin/kmtrace trace --json --stacks -- /usr/libexec/kmtrace/kstorm -m msg -s 1234 -n 20 \
	>"$log.stacks" 2>&1
n=$(grep -cE '"event":"kmalloc",.*"comm":"kstorm",.*"bytes_req":1282,.*"stack":\["[^"]+' "$log.stacks")
eq "/usr/bin/kmtrace trace --stacks -- kstorm -n 20: 20 kmallocs of 1282 bytes, each with its stack" "$n" 20
eq "man kmtrace-trace finds the installed page" \
	"$(MANWIDTH=80 man kmtrace-trace 2>/dev/null | col -b | grep -cE '^ +kmtrace-trace - ')" 1
for c in "" -hist -stat -mm; do
	check "man -w kmtrace$c is the package's page" \
		test "$(man -w "kmtrace$c" 2>/dev/null)" = "/usr/share/man/man1/kmtrace$c.1.gz"
done
eq "bash-completion loads kmtrace's completion" \
	"$(bash -c '. /usr/share/bash-completion/bash_completion; __load_completion kmtrace;
		complete -p kmtrace' 2>/dev/null)" "complete -F _kmtrace kmtrace"
has "dkms.conf in /usr/src/kmdemo-$V has PACKAGE_VERSION $V" "/usr/src/kmdemo-$V/dkms.conf" \
	"^PACKAGE_VERSION=\"?$V\"?\$"
has "postinst registered kmdemo/$V with dkms" <(dkms status -m kmdemo -v "$V" 2>&1) "^kmdemo/$V"

# DKMS builds the packaged source for Debian's 6.12.
if ver=$(scripts/kernel.sh 6.12 2>>"$log"); then
	kdir=${CACHE:-$PWD/.cache}/kernels/$ver/usr/src/linux-headers-$ver
	if dkms build -m kmdemo -v "$V" -k "$ver" --kernelsourcedir "$kdir" >"$log" 2>&1; then
		ok "dkms build kmdemo/$V -k $ver"
	else
		not_ok "dkms build kmdemo/$V -k $ver" "$(tail -n 5 "$log" | tr '\n' '|')"
	fi
	kos=(/var/lib/dkms/kmdemo/"$V"/"$ver"/*/module/kmdemo.ko*)
	ko=${kos[0]}
	stock=$(find "${CACHE:-$PWD/.cache}/kernels/$ver/lib/modules/$ver/kernel" -name '*.ko*' -print -quit)
	eq "dkms-built kmdemo.ko: vermagic is that of $ver's own modules" \
		"$(modinfo -F vermagic "$ko" 2>&1)" "$(modinfo -F vermagic "$stock" 2>&1)"
	eq "dkms status: kmdemo/$V built for $ver" \
		"$(dkms status -m kmdemo -v "$V" -k "$ver" 2>&1 | cut -d, -f1,2,3)" "kmdemo/$V, $ver, $(uname -m): built"
else
	not_ok "scripts/kernel.sh 6.12" "$(tail -n 3 "$log" | tr '\n' '|')"
fi

# --- purge -----------------------------------------------------------------------
if dpkg --purge "${PKGS[@]}" >"$log" 2>&1; then ok "dpkg --purge both packages"; else
	not_ok "dpkg --purge both packages" "$(tail -n 5 "$log" | tr '\n' '|')"
fi
for p in "${PKGS[@]}"; do
	if present "$p"; then not_ok "$p is gone" "dpkg still knows it"; else ok "$p is gone"; fi
done
eq "no file of the packages is left" "$(ls -d /usr/bin/kmtrace /usr/libexec/kmtrace \
	/usr/share/man/man1/kmtrace* /usr/share/bash-completion/completions/kmtrace \
	/usr/src/kmdemo-"$V" /var/lib/dkms/kmdemo /usr/share/doc/kmtrace 2>/dev/null)" ""

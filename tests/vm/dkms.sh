# SPDX-License-Identifier: GPL-2.0
# kmdemo built by DKMS, from the source tree and dkms.conf "make install" puts
# under src/kmdemo-<version>/, against Debian's $KMT_KERNEL headers (6.1 or
# 6.12, from the kernel cache): on the host, modinfo's vermagic equals that of
# the kernel's own modules; in a VM running that kernel, the .ko loads, does
# its allocations and unloads (tests/guest/dkms.sh). DKMS works in private
# trees here (--dkmstree/--sourcetree/--installtree): nothing on the host.
# The .ko reaches the guest as tests/.dkms/kmdemo.ko (scripts/vm.sh copies
# tests/ into the guest; *.ko is git-ignored, the directory removed on exit).
set -u
. tests/lib.sh
k=${KMT_KERNEL:-6.12}
V=$(cat VERSION)
work=$(mktemp -d)
ship=tests/.dkms
trap 'rm -rf "$work" "$ship"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log=$work/log

if ! ver=$(scripts/kernel.sh "$k" 2>"$log"); then
	not_ok "vm $k: kernel in the cache" "$(tail -n 3 "$log" | tr '\n' '|')"
	exit 1
fi
kroot=${CACHE:-$PWD/.cache}/kernels/$ver
make -s install DESTDIR="$work/root" PREFIX=/usr >"$log" 2>&1 ||
	not_ok "vm $k: make install DESTDIR" "$(tail -n 3 "$log" | tr '\n' '|')"
mkdir -p "$work/dkms" "$work/inst"
dk=(dkms --dkmstree "$work/dkms" --sourcetree "$work/root/usr/src" --installtree "$work/inst")
if "${dk[@]}" add -m kmdemo -v "$V" >"$log" 2>&1 &&
	"${dk[@]}" build -m kmdemo -v "$V" -k "$ver" \
		--kernelsourcedir "$kroot/usr/src/linux-headers-$ver" >>"$log" 2>&1; then
	ok "vm $k: dkms build kmdemo/$V -k $ver"
else
	not_ok "vm $k: dkms build kmdemo/$V -k $ver" "$(tail -n 5 "$log" | tr '\n' '|')"
	exit 1
fi
kos=("$work"/dkms/kmdemo/"$V"/"$ver"/*/module/kmdemo.ko*)
ko=${kos[0]}
stock=$(find "$kroot/lib/modules/$ver/kernel" -name '*.ko*' -print -quit)
eq "vm $k: dkms-built kmdemo.ko has the vermagic of $ver's own modules" \
	"$(modinfo -F vermagic "$ko" 2>&1)" "$(modinfo -F vermagic "$stock" 2>&1)"
eq "vm $k: dkms-built kmdemo.ko has kmdemo's parameters" \
	"$(modinfo -F parm "$ko" 2>&1 | cut -d: -f1 | sort | tr '\n' ' ')" \
	"$(sed -n 's/^module_param\(_named\)\{0,1\}(\([a-z_]*\),.*/\2/p' kmod/kmdemo.c | sort | tr '\n' ' ')"

mkdir -p "$ship"
case $ko in
*.xz) xz -dc "$ko" >"$ship/kmdemo.ko" ;;
*.zst) zstd -qdc "$ko" >"$ship/kmdemo.ko" ;;
*) cp "$ko" "$ship/kmdemo.ko" ;;
esac
vm_guest dkms 8

# SPDX-License-Identifier: GPL-2.0
# vm-checks: 8
# The DKMS-built kmdemo.ko (shipped by tests/vm/dkms.sh as tests/.dkms/kmdemo.ko)
# in the VM: built for this kernel, loads with insmod from that path, makes its
# allocations (the module's own log lines), unloads cleanly.
# Run in a VM by tests/vm/dkms.sh (scripts/vm.sh); the last line is the marker "# dkms guest: done".
. /kmtrace/tests/lib.sh

ko=/kmtrace/tests/.dkms/kmdemo.ko
check "dkms-built kmdemo.ko reached the guest" test -s "$ko"
vm=$(modinfo "$ko" 2>/dev/null | sed -n 's/^vermagic: *//p')
case "$vm" in
"$(uname -r) "*) ok "dkms-built kmdemo.ko: vermagic starts with uname -r ($(uname -r))" ;;
*) not_ok "dkms-built kmdemo.ko: vermagic starts with uname -r" "vermagic '$vm', kernel $(uname -r)" ;;
esac
if grep -q '^kmdemo ' /proc/modules; then
	not_ok "kmdemo not loaded before insmod" "it is"
else
	ok "kmdemo not loaded before insmod"
fi
mark="dkms-test-mark-$$"
echo "$mark" >/dev/kmsg
insmod "$ko" size=100 order=1
eq "insmod tests/.dkms/kmdemo.ko size=100 order=1" "$?" 0
check "kmdemo listed in /proc/modules" grep -q '^kmdemo ' /proc/modules
rmmod kmdemo
eq "rmmod kmdemo" "$?" 0
dmesg | sed -n "/$mark\$/,\$p" | sed -n 's/^\[[ 0-9.]*\] //; s/^kmdemo: //p' >/tmp/dkms.log
has "the dkms-built module kmalloc'd 100 bytes" /tmp/dkms.log '^Allocated 100 bytes!$'
has "the dkms-built module got 2 pages at order 1" /tmp/dkms.log '^Got 2 pages \(8192 bytes\) at order 1$'
has "the dkms-built module freed them at unload" /tmp/dkms.log '^Released 100 bytes!$'
if grep -q '^kmdemo ' /proc/modules; then not_ok "kmdemo gone after rmmod" "still listed"; else
	ok "kmdemo gone after rmmod"
fi
echo "# dkms guest: done"

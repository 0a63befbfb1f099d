# SPDX-License-Identifier: GPL-2.0
# Stock Debian modules (brd, dummy, fat under vfat) against the kernel's own allocation events, in a VM running Debian's $KMT_KERNEL kernel (6.1 or 6.12): tests/guest/stockmods.sh.
. tests/lib.sh
KMT_VM_MODULES="brd dummy vfat nls_cp437 nls_ascii" vm_guest stockmods 40

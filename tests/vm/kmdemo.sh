# SPDX-License-Identifier: GPL-2.0
# kmdemo (the seed transcript, every bad parameter refused) in a VM running Debian's $KMT_KERNEL kernel (6.1 or 6.12): tests/guest/kmdemo.sh.
. tests/lib.sh
vm_guest kmdemo 150

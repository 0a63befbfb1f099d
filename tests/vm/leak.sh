# SPDX-License-Identifier: GPL-2.0
# the leak report at module unload (kmdemo leak=1) in a VM running Debian's $KMT_KERNEL kernel (6.1 or 6.12): tests/guest/leak.sh.
. tests/lib.sh
vm_guest leak 46

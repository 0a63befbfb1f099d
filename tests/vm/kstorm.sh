# SPDX-License-Identifier: GPL-2.0
# kstorm -m sock's named-cache count (exactly one sock_inode_cache allocation
# per op) against tracefs in a VM running Debian's $KMT_KERNEL kernel (6.1 or
# 6.12): tests/guest/kstorm.sh.  About 10 s per kernel under TCG.
. tests/lib.sh
vm_guest kstorm 4

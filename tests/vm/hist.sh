# SPDX-License-Identifier: GPL-2.0
# kmtrace hist -m kmdemo in a VM running Debian's $KMT_KERNEL kernel (6.1 or 6.12): tests/guest/hist-kmdemo.sh.
. tests/lib.sh
vm_guest hist-kmdemo 10

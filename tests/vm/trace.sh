# SPDX-License-Identifier: GPL-2.0
# kmtrace trace -m kmdemo in a VM running Debian's $KMT_KERNEL kernel (6.1 or 6.12): tests/guest/trace-kmdemo.sh.
. tests/lib.sh
vm_guest trace-kmdemo 25

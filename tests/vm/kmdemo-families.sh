# SPDX-License-Identifier: GPL-2.0
# kmdemo's allocator families and fail=1..14, against the kernel's tracefs events and
# kmtrace -m kmdemo, in a VM running Debian's $KMT_KERNEL kernel (6.1 or 6.12):
# tests/guest/kmdemo-families.sh.
. tests/lib.sh
vm_guest kmdemo-families 280

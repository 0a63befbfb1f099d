# SPDX-License-Identifier: GPL-2.0
# kmdemo's bad parameters and 200 load/unload cycles, checked by kmtrace -m
# kmdemo itself, in a VM running Debian's $KMT_KERNEL kernel (6.1 or 6.12):
# tests/guest/kmdemo-cycles.sh.  About 35 s per kernel under TCG.
. tests/lib.sh
vm_guest kmdemo-cycles 30
grep -E '^# [0-9]+ cycles in' "build/vm-kmdemo-cycles-${KMT_KERNEL:-6.12}.log" | cut -c1-100

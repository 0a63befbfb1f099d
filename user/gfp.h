// SPDX-License-Identifier: GPL-2.0
/* gfp_t flag decoding, like the kernel's show_gfp_flags(). */
#ifndef KMTRACE_GFP_H
#define KMTRACE_GFP_H

#include <stddef.h>

/*
 * Writes flags as "GFP_KERNEL", "GFP_KERNEL|__GFP_ZERO", … into buf (composite
 * masks first, then single bits, unknown bits as one trailing hex number,
 * "none" for 0).  Bit values are those of 6.1 .. 6.18 (bit 9 is __GFP_ATOMIC
 * before 6.3 and unused after).  Returns buf.
 */
const char *kmt_gfp_str(unsigned long flags, char *buf, size_t len);

#endif

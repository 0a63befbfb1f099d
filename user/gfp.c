// SPDX-License-Identifier: GPL-2.0
/* gfp_t decoding (include/linux/gfp_types.h, include/trace/events/mmflags.h). */
#include <stdio.h>
#include <string.h>
#include "gfp.h"

#define G_DMA		 0x01UL
#define G_HIGHMEM	 0x02UL
#define G_DMA32		 0x04UL
#define G_MOVABLE	 0x08UL
#define G_RECLAIMABLE	 0x10UL
#define G_HIGH		 0x20UL
#define G_IO		 0x40UL
#define G_FS		 0x80UL
#define G_ZERO		 0x100UL
#define G_ATOMIC	 0x200UL /* < 6.3 */
#define G_DIRECT_RECLAIM 0x400UL
#define G_KSWAPD_RECLAIM 0x800UL
#define G_WRITE		 0x1000UL
#define G_NOWARN	 0x2000UL
#define G_RETRY_MAYFAIL	 0x4000UL
#define G_NOFAIL	 0x8000UL
#define G_NORETRY	 0x10000UL
#define G_MEMALLOC	 0x20000UL
#define G_COMP		 0x40000UL
#define G_NOMEMALLOC	 0x80000UL
#define G_HARDWALL	 0x100000UL
#define G_THISNODE	 0x200000UL
#define G_ACCOUNT	 0x400000UL
#define G_ZEROTAGS	 0x800000UL

#define G_RECLAIM   (G_DIRECT_RECLAIM | G_KSWAPD_RECLAIM)
#define GFP_KERNEL  (G_RECLAIM | G_IO | G_FS)
#define GFP_USER    (GFP_KERNEL | G_HARDWALL)
#define GFP_HIGHUSR (GFP_USER | G_HIGHMEM)

static const struct {
	unsigned long mask;
	const char *name;
} names[] = {
    /* composites, biggest first */
    {GFP_HIGHUSR | G_MOVABLE | G_COMP | G_NOMEMALLOC | G_NOWARN, "GFP_TRANSHUGE_LIGHT"},
    {GFP_HIGHUSR | G_MOVABLE, "GFP_HIGHUSER_MOVABLE"},
    {GFP_HIGHUSR, "GFP_HIGHUSER"},
    {GFP_USER, "GFP_USER"},
    {GFP_KERNEL | G_ACCOUNT, "GFP_KERNEL_ACCOUNT"},
    {GFP_KERNEL, "GFP_KERNEL"},
    {G_RECLAIM | G_IO, "GFP_NOFS"},
    {G_HIGH | G_ATOMIC | G_KSWAPD_RECLAIM, "GFP_ATOMIC"}, /* < 6.3 */
    {G_HIGH | G_KSWAPD_RECLAIM, "GFP_ATOMIC"},
    {G_RECLAIM, "GFP_NOIO"},
    {G_KSWAPD_RECLAIM, "GFP_NOWAIT"},
    /* single bits */
    {G_DMA, "GFP_DMA"},
    {G_HIGHMEM, "__GFP_HIGHMEM"},
    {G_DMA32, "GFP_DMA32"},
    {G_HIGH, "__GFP_HIGH"},
    {G_ATOMIC, "__GFP_ATOMIC"},
    {G_IO, "__GFP_IO"},
    {G_FS, "__GFP_FS"},
    {G_NOWARN, "__GFP_NOWARN"},
    {G_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL"},
    {G_NOFAIL, "__GFP_NOFAIL"},
    {G_NORETRY, "__GFP_NORETRY"},
    {G_COMP, "__GFP_COMP"},
    {G_ZERO, "__GFP_ZERO"},
    {G_NOMEMALLOC, "__GFP_NOMEMALLOC"},
    {G_MEMALLOC, "__GFP_MEMALLOC"},
    {G_HARDWALL, "__GFP_HARDWALL"},
    {G_THISNODE, "__GFP_THISNODE"},
    {G_RECLAIMABLE, "__GFP_RECLAIMABLE"},
    {G_MOVABLE, "__GFP_MOVABLE"},
    {G_ACCOUNT, "__GFP_ACCOUNT"},
    {G_WRITE, "__GFP_WRITE"},
    {G_RECLAIM, "__GFP_RECLAIM"},
    {G_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM"},
    {G_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM"},
    {G_ZEROTAGS, "__GFP_ZEROTAGS"},
};

const char *kmt_gfp_str(unsigned long flags, char *buf, size_t len)
{
	size_t used = 0;
	int n;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (!flags) {
		snprintf(buf, len, "none");
		return buf;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && flags; i++) {
		if ((flags & names[i].mask) != names[i].mask)
			continue;
		flags &= ~names[i].mask;
		n = snprintf(buf + used, len - used, "%s%s", used ? "|" : "", names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return buf;
		used += n;
	}
	if (flags)
		snprintf(buf + used, len - used, "%s%#lx", used ? "|" : "", flags);
	return buf;
}

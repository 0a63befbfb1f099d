/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Constants and counters shared by every kmtrace BPF object and user space.
 */
#ifndef KMT_COMMON_H
#define KMT_COMMON_H

#define KMT_COMM_LEN	16
#define KMT_MODNAME_LEN 56 /* MODULE_NAME_LEN on 64-bit */
#define KMT_MAX_RANGES	4  /* module text ranges the -m filter checks */
#define KMT_STACK_DEPTH 32 /* frames bpf_get_stack() looks at for -m's stack walk */
#define KMT_SLAB_RANGES 32 /* allocator functions whose pages are not the caller's */
/* --stacks / --folded: frames kept per stack (innermost first; a deeper stack
 * loses its outermost frames) and the default room for unique stacks */
#define KMT_STACK_MAX_DEPTH 64
#define KMT_STACK_ENTRIES   16384

/* Per-CPU counters (each object's `counters` map), summed by user space. */
enum kmt_counter {
	KMT_CNT_LOST = 0,   /* ring buffer reserve failed: event dropped */
	KMT_CNT_TRACK_FULL, /* allocation not tracked: the pointer table set was full */
	KMT_CNT_PIDS_FULL,  /* a followed child could not be added to the pid filter */
	KMT_CNT_STACK_FAIL, /* -m: bpf_get_stack failed: the allocation not attributed */
	KMT_CNT_HIST_FULL,  /* hist: event not counted, the `hist` map was full */
	KMT_CNT_BULK_CUT,   /* kfree_bulk() calls of over KMT_BULK_MAX objects (the rest unseen) */
	/* --stacks / --folded: allocations whose bpf_get_stackid() failed */
	KMT_CNT_STACKID_COLLIDE, /* -EEXIST: its hash bucket holds another stack */
	KMT_CNT_STACKID_FULL,	 /* -ENOMEM: every entry of the stack map is taken */
	KMT_CNT_STACKID_ERR,	 /* any other error (-EFAULT: no stack) */
	KMT_CNT_STACKW_FULL,	 /* stat --folded: not weighed, the per-stack table was full */
	KMT_CNT_MAX,
};

#define KMT_CACHE_LEN 32 /* bytes of a slab cache's name kept per event / row */

/* Allocator families: what an allocation came from. */
enum kmt_family {
	KMT_FAM_KMALLOC = 0, /* kmalloc() and friends (kmem:kmalloc, kmem:kfree) */
	KMT_FAM_PAGE,	     /* the page allocator (kmem:mm_page_alloc, mm_page_free[_batched]) */
	KMT_FAM_CACHE,	     /* named slab caches (kmem:kmem_cache_alloc, kmem_cache_free) */
	KMT_FAM_VMALLOC,     /* vmalloc areas (vmalloc:alloc_vmap_area, free_vmap_area_noflush) */
	KMT_FAM_PERCPU,	     /* per-CPU memory (percpu:percpu_alloc_percpu, percpu_free_percpu) */
	KMT_FAM_MAX,
};

#ifndef __bpf__
/* "kmalloc", "page", "cache", "vmalloc", "percpu" */
static inline const char *kmt_family_name(int fam)
{
	static const char *const names[KMT_FAM_MAX] = {
	    [KMT_FAM_KMALLOC] = "kmalloc", [KMT_FAM_PAGE] = "page",	[KMT_FAM_CACHE] = "cache",
	    [KMT_FAM_VMALLOC] = "vmalloc", [KMT_FAM_PERCPU] = "percpu",
	};

	return fam >= 0 && fam < KMT_FAM_MAX ? names[fam] : "unknown";
}
#endif

/* Tracking keys: object addresses are kernel addresses (bit 63 set), pfns
 * are below 2^52; per-CPU pointers are offsets, tagged so they collide with
 * neither. */
#define KMT_KEY_PERCPU (0x5ULL << 60)

#endif /* KMT_COMMON_H */

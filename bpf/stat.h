/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kmstat: shared between bpf/stat.bpf.c and user/stat*.c.
 *
 * Everything is aggregated in BPF: one per-CPU hash row per key (a kmalloc
 * call site, or an allocation size with --alloc, or (order, gfp) with --page)
 * and one per-CPU totals record. Frees are matched to their allocation with a
 * bounded pointer table (bpf/ptrtab.h); what cannot be matched is counted,
 * never guessed.
 */
#ifndef KMT_STAT_H
#define KMT_STAT_H

#include "common.h"
#include "hist.h" /* kmt_log2() */

/* Row of the call-site / allocation-size table (summed over CPUs). */
struct kmstat_site {
	__u64 hits;	       /* kmalloc calls */
	__u64 bytes_req;       /* bytes requested */
	__u64 bytes_alloc;     /* bytes handed out (slab object size) */
	__u64 frees;	       /* tracked allocations seen freed */
	__u64 bytes_freed;     /* bytes_alloc of those */
	__u64 untracked;       /* allocations not tracked: pointer table full */
	__u64 untracked_bytes; /* bytes_alloc of those */
};

/* Key and row of the page-allocator table (--page). */
struct kmstat_page_key {
	__u32 order;
	__u32 gfp;
};

struct kmstat_page {
	__u64 hits;  /* successful allocations */
	__u64 pages; /* pages they returned (hits << order) */
	__u64 fails; /* allocations that returned no page */
};

/* Totals (per CPU, summed in user space). */
struct kmstat_totals {
	__u64 allocs;	   /* kmalloc calls that returned memory */
	__u64 alloc_fails; /* kmalloc calls that returned NULL */
	__u64 bytes_req;
	__u64 bytes_alloc;
	__u64 frees;	       /* kfree calls on a real pointer */
	__u64 frees_matched;   /* ... of an allocation made while tracing */
	__u64 bytes_freed;     /* bytes_alloc of the matched ones */
	__u64 cross_cpu;       /* matched frees on another CPU than the allocation */
	__u64 track_full;      /* allocations not tracked: pointer table full */
	__u64 untracked_bytes; /* bytes_alloc of those */
	__u64 site_full;       /* events not attributed to a row: row table full */
	__u64 stale;	       /* pointer handed out again without a kfree seen */
	__u64 stale_bytes;     /* bytes_alloc of those (counted as freed) */
	__u64 bulk_frees;      /* matched frees by kmem_cache_free_bulk() (fentry; in frees) */
	__u64 page_allocs;     /* --page: successful page allocations */
	__u64 page_alloc_fails;
	__u64 pages_alloc;
	__u64 page_frees;
	__u64 pages_freed;
};

/* --cache: the name of each cache with a row (key: struct kmem_cache *). */
struct kmstat_cache_name {
	char name[KMT_CACHE_LEN];
};

/*
 * The size distribution (--listen, --textfile: a Prometheus histogram): slot
 * b counts the allocations of more than 2^(b-1) and at most 2^b bytes
 * (slot 0: 0 and 1 byte), so a power-of-two size class lands in its own
 * slot; kmalloc/cache: bytes requested, --page: PAGE_SIZE << order (filled
 * by user space from the rows).  sum: their bytes.
 */
#define KMSTAT_SIZE_SLOTS 65
struct kmstat_sizes {
	__u64 slot[KMSTAT_SIZE_SLOTS];
	__u64 sum;
};

static inline __u32 kmstat_size_slot(__u64 v)
{
	return v <= 1 ? 0 : kmt_log2(v - 1) + 1;
}

/* --folded: allocations and their bytes (bytes_alloc; pages: page bytes)
 * per kernel stack id (bpf/stacks.bpf.h; an error id for those without). */
struct kmstat_stack {
	__u64 count;
	__u64 bytes;
};

#define KMSTAT_MAX_SITES   8192
#define KMSTAT_MAX_PTRS	   131072
#define KMSTAT_MAX_PAGEKEY 4096

#endif /* KMT_STAT_H */

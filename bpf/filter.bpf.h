/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The in-kernel filter (bpf/filter.h): which task, which module, which sizes.
 * Every command's object includes this once; user space fills `filter`
 * before load, the `pids` map (-p, -- CMD) and, for a module loaded before
 * kmtrace started, the module ranges after it.
 */
#ifndef KMT_FILTER_BPF_H
#define KMT_FILTER_BPF_H

#include "filter.h"
#include "maps.bpf.h"

const volatile struct kmt_filter filter = {.max_size = ~0ULL};

/* Followed tgids (-p, -- CMD and its children). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

/* -m: the module's text ranges: [0] core and [1] __init text (module_load,
 * bpf/modules.bpf.h), [2] core text of a module already loaded (user space);
 * cleared at module_free. */
__u64 mod_lo[KMT_MAX_RANGES];
__u64 mod_hi[KMT_MAX_RANGES];

static __always_inline bool kmt_comm_ok(void)
{
	char c[KMT_COMM_LEN];

	bpf_get_current_comm(c, sizeof(c));
	return bpf_strncmp(c, sizeof(c), (const char *)filter.comm_name) == 0;
}

/* Task filter (-p / -c / -- CMD) for the current task of TGID; no copies
 * unless -c. */
static __always_inline bool kmt_task_ok(__u32 tgid)
{
	if (tgid == filter.self_tgid)
		return false;
	if (filter.pid && !bpf_map_lookup_elem(&pids, &tgid))
		return false;
	if (filter.comm && !kmt_comm_ok())
		return false;
	return true;
}

/* --min-size / --max-size */
static __always_inline bool kmt_size_ok(__u64 bytes)
{
	return !filter.size || (bytes >= filter.min_size && bytes <= filter.max_size);
}

static __always_inline bool kmt_in_module(__u64 addr)
{
	for (int i = 0; i < KMT_MAX_RANGES; i++)
		if (addr >= mod_lo[i] && addr < mod_hi[i])
			return true;
	return false;
}

/* Whether -m's module has any text known (loaded). */
static __always_inline bool kmt_module_known(void)
{
	return mod_hi[0] || mod_hi[1] || mod_hi[2] || mod_hi[3];
}

static __always_inline bool kmt_in_slab_refill(__u64 addr, bool page)
{
	for (int i = 0; i < KMT_SLAB_RANGES; i++)
		if (addr >= filter.slab_lo[i] && addr < filter.slab_hi[i] &&
		    (page || !(filter.slab_pages_only & (1u << i))))
			return true;
	return false;
}

struct kmt_stackbuf {
	__u64 ip[KMT_STACK_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kmt_stackbuf);
} stackbuf SEC(".maps");

struct kmt_walk {
	struct kmt_stackbuf *sb;
	__u32 n;    /* frames in sb */
	bool stop;  /* stop at an allocator's own frames */
	bool page;  /* a page event: large kmallocs' frames stop it too */
	__u64 site; /* out: the module frame, 0 if none */
};

/* bpf_loop callback: frame I of the walk; 1 ends the loop. */
static long kmt_walk_frame(__u64 i, void *arg)
{
	struct kmt_walk *w = arg;
	__u64 ip;

	if (i >= w->n || i >= KMT_STACK_DEPTH)
		return 1;
	ip = w->sb->ip[i];
	if (kmt_in_module(ip)) {
		w->site = ip;
		return 1;
	}
	return w->stop && kmt_in_slab_refill(ip, w->page);
}

/* -m: the first kernel stack frame of CTX's event inside the module's text,
 * 0 if none; with STOP also 0 when an allocator working for its own objects
 * lies between (filter.slab_lo/hi: slab refills, large kmallocs, vmalloc
 * areas, per-CPU chunks).  The frames are walked with bpf_loop(): the
 * verifier checks one frame, not every path through 32 of them. */
static __always_inline __u64 kmt_module_frame(void *ctx, bool stop, bool page)
{
	__u32 zero = 0;
	struct kmt_walk w = {.stop = stop, .page = page};
	long n;

	w.sb = bpf_map_lookup_elem(&stackbuf, &zero);
	if (!w.sb)
		return 0;
	n = bpf_get_stack(ctx, w.sb->ip, sizeof(w.sb->ip), 0);
	if (n <= 0) {
		kmt_count(KMT_CNT_STACK_FAIL);
		return 0;
	}
	w.n = (__u32)(n / 8);
	bpf_loop(KMT_STACK_DEPTH, kmt_walk_frame, &w, 0);
	return w.site;
}

#endif /* KMT_FILTER_BPF_H */

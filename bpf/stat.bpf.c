// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `kmtrace stat`: perf-kmem-stat-like allocator statistics aggregated in BPF.
 * No ring buffer: every event only updates per-CPU rows and totals, plus
 * (kmalloc/kfree) one shared pointer table (bpf/ptrtab.h) to attribute
 * frees.  The entry points are bpf/kmem.bpf.h's, the filter bpf/filter.bpf.h.
 * With --folded, also allocations and bytes per kernel stack (bpf/stacks.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "stat.h"
#include "ptrtab.h"
#include "filter.bpf.h"
#include "stacks.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* true: rows keyed by bytes_alloc (--alloc); false: by call site. */
const volatile bool by_size = false;
/* --cache: named slab caches' allocations, rows keyed by cache. */
const volatile bool by_cache = false;
/* --listen/--textfile: count the size distribution in `sizes`. */
const volatile bool by_sizes = false;
/* ptrs has pt_mask + 1 sets (set by user space). */
const volatile __u32 pt_mask;

/* Rows: site_idx gives a key (call site, or size) its index in the per-CPU
 * sites array, handed out from nsites; a kfree finds its row by the index the
 * pointer table kept, without a hash lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KMSTAT_MAX_SITES);
	__type(key, __u64);
	__type(value, __u32);
} site_idx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KMSTAT_MAX_SITES);
	__type(key, __u32);
	__type(value, struct kmstat_site);
} sites SEC(".maps");

__u32 nsites;

/* Per CPU, recent keys and their row indexes, direct-mapped by a hash of
 * the key: a workload's allocations come from a few call sites (or sizes,
 * or caches) over and over, and a hit saves the site_idx lookup. */
#define SITE_CACHE_WAYS 16

struct site_cache {
	struct {
		__u64 key;
		__s64 idx1; /* row index + 1; 0: empty */
	} e[SITE_CACHE_WAYS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct site_cache);
} last_site SEC(".maps");

/* Live allocations made while tracing: who made them (see ptrtab.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_set);
} ptrs SEC(".maps");

/* --cache: each row's cache name, written when the row is made. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KMSTAT_MAX_SITES);
	__type(key, __u64);
	__type(value, struct kmstat_cache_name);
} cache_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, KMSTAT_MAX_PAGEKEY);
	__type(key, struct kmstat_page_key);
	__type(value, struct kmstat_page);
} pages SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kmstat_totals);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kmstat_sizes);
} sizes SEC(".maps");

/* --folded: per stack id (user space sizes it to --stack-storage + errors). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, KMT_STACK_ENTRIES + 16);
	__type(key, __s32);
	__type(value, struct kmstat_stack);
} stack_w SEC(".maps");

#define KMT_HOOK_FREE
#include "kmem.bpf.h"

/* --folded: one allocation of BYTES with CTX's kernel stack. */
static __always_inline void weigh_stack(void *ctx, bool own_frames, __u64 bytes)
{
	struct kmstat_stack zero = {}, *w;
	__s32 id;

	if (!want_stacks)
		return;
	id = kmt_stack_id(ctx, own_frames);
	w = kmt_lookup_or_try_init(&stack_w, &id, &zero);
	if (!w) {
		kmt_count(KMT_CNT_STACKW_FULL);
		return;
	}
	w->count++;
	w->bytes += bytes;
}

static __always_inline bool filtering(void)
{
	return filter.pid || filter.comm;
}

/* The current task passes -p / -c (no copies unless -c). */
static __always_inline bool task_ok(void)
{
	return kmt_task_ok(bpf_get_current_pid_tgid() >> 32);
}

static __always_inline struct kmstat_totals *get_totals(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&totals, &zero);
}

/* The totals, when the current task passes the filter; else NULL. */
static __always_inline struct kmstat_totals *task_totals(void)
{
	if (filtering() && !task_ok())
		return NULL;
	return get_totals();
}

/* --cache: the name of CACHE, the key of a new row. */
static __always_inline void name_cache(const struct kmem_cache *cache)
{
	struct kmstat_cache_name n;
	__u64 k = (__u64)cache;

	kmt_cache_name(cache, n.name);
	bpf_map_update_elem(&cache_names, &k, &n, BPF_NOEXIST);
}

/* Index of KEY's row, a new one on first sight (--cache: named from CACHE);
 * -1: the row table is full. */
static __always_inline __s64 row_index_slow(__u64 key, const struct kmem_cache *cache)
{
	__u32 *p = bpf_map_lookup_elem(&site_idx, &key), idx;

	if (p)
		return *p;
	if (nsites >= KMSTAT_MAX_SITES) /* checked first: nsites never wraps */
		return -1;
	idx = __sync_fetch_and_add(&nsites, 1);
	if (idx >= KMSTAT_MAX_SITES)
		return -1;
	if (bpf_map_update_elem(&site_idx, &key, &idx, BPF_NOEXIST)) {
		/* Added meanwhile on another CPU (idx stays unused) or full. */
		p = bpf_map_lookup_elem(&site_idx, &key);
		return p ? *p : -1;
	}
	if (by_cache)
		name_cache(cache);
	return idx;
}

static __always_inline __s64 row_index(__u64 key, const struct kmem_cache *cache)
{
	__u32 zero = 0, way = (__u32)((key * 0x9E3779B97F4A7C15ULL) >> 60) & (SITE_CACHE_WAYS - 1);
	struct site_cache *c = bpf_map_lookup_elem(&last_site, &zero);
	__s64 idx;

	if (c && c->e[way].key == key && c->e[way].idx1 > 0)
		return c->e[way].idx1 - 1;
	idx = row_index_slow(key, cache);
	if (c && idx >= 0) {
		c->e[way].key = key;
		c->e[way].idx1 = idx + 1;
	}
	return idx;
}

static __always_inline struct kmstat_site *row_at(__s64 idx)
{
	__u32 i = idx;

	if (idx < 0)
		return NULL;
	return bpf_map_lookup_elem(&sites, &i);
}

/* An allocation made while tracing is gone: credit its row. */
static __always_inline void credit_free(struct kmstat_totals *t, __s64 idx, __u64 bytes)
{
	struct kmstat_site *s = row_at(idx);

	if (!s) {
		t->site_full++;
		return;
	}
	s->frees++;
	s->bytes_freed += bytes;
}

static __always_inline void count_size(__u64 req)
{
	__u32 zero = 0, slot = kmstat_size_slot(req);
	struct kmstat_sizes *h = bpf_map_lookup_elem(&sizes, &zero);

	if (h && slot < KMSTAT_SIZE_SLOTS) {
		h->slot[slot]++;
		h->sum += req;
	}
}

static __always_inline void on_alloc(void *ctx, bool own_frames, __u64 call_site, __u64 ptr,
				     __u64 req, __u64 alloc, const struct kmem_cache *cache)
{
	__u64 key = kmt_alloc_key(&(struct kmt_alloc){.ptr = ptr, .family = KMT_FAM_KMALLOC});
	struct kmstat_totals *t = task_totals();
	struct kmstat_site *s;
	struct pt_ent old;
	__s64 idx;

	if (!t)
		return;
	if (!ptr) {
		t->alloc_fails++;
		return;
	}
	t->allocs++;
	t->bytes_req += req;
	t->bytes_alloc += alloc;
	if (by_sizes)
		count_size(req);
	weigh_stack(ctx, own_frames, alloc);

	idx = row_index(by_cache ? (__u64)cache : by_size ? alloc : call_site, cache);
	s = row_at(idx);
	if (s) {
		s->hits++;
		s->bytes_req += req;
		s->bytes_alloc += alloc;
	} else {
		t->site_full++;
	}

	/* kmalloc(0)'s ZERO_SIZE_PTR is no object: nothing to free */
	if (!key)
		return;
	/* tag: the row index, all ones when the row table is full */
	switch (
	    pt_insert(&ptrs, pt_mask, key, (__u64)idx, alloc, bpf_get_smp_processor_id(), &old)) {
	case PT_STALE:
		/* Same pointer again without a kfree seen (e.g. freed by kfree_bulk). */
		t->stale++;
		t->stale_bytes += old.bytes;
		credit_free(t, (__s64)old.tag, old.bytes);
		break;
	case PT_FULL:
		t->track_full++;
		t->untracked_bytes += alloc;
		if (s) {
			s->untracked++;
			s->untracked_bytes += alloc;
		}
		break;
	}
}

/* BULK: from kmem_cache_free_bulk(), which also frees objects of named slab
 * caches: only the ones found in the table (kmalloc'ed while tracing) count. */
static __always_inline void on_free(__u64 ptr, bool bulk)
{
	struct kmstat_totals *t;
	struct pt_ent p;
	__u64 bytes;
	__s64 idx;
	__u32 cpu;

	t = get_totals();
	if (!t)
		return;
	/* A kfree of an allocation made while tracing counts whoever frees it;
	 * one of an earlier allocation only when the task passes -p / -c. */
	if (!pt_delete(&ptrs, pt_mask, ptr, &p)) {
		if (!bulk && (!filtering() || task_ok()))
			t->frees++;
		return; /* allocated before tracing started (or not tracked) */
	}
	t->frees++;
	if (bulk)
		t->bulk_frees++;
	idx = (__s64)p.tag;
	bytes = p.bytes;
	cpu = p.aux;
	t->frees_matched++;
	t->bytes_freed += bytes;
	if (cpu != bpf_get_smp_processor_id())
		t->cross_cpu++;
	credit_free(t, idx, bytes);
}

static __always_inline void on_page_alloc(void *ctx, bool ok, __u32 order, __u32 gfp)
{
	struct kmstat_page_key k = {.order = order, .gfp = gfp};
	struct kmstat_page zero = {}, *r;
	__u64 n = 1ULL << (order & 31);
	struct kmstat_totals *t = task_totals();

	if (!t)
		return;
	if (ok) {
		t->page_allocs++;
		t->pages_alloc += n;
		weigh_stack(ctx, false, n * 4096); /* a classic tracepoint */
	} else {
		t->page_alloc_fails++;
	}
	r = kmt_lookup_or_try_init(&pages, &k, &zero);
	if (!r) {
		t->site_full++;
		return;
	}
	if (ok) {
		r->hits++;
		r->pages += n;
	} else {
		r->fails++;
	}
}

static __always_inline void on_page_free(__u32 order)
{
	struct kmstat_totals *t = task_totals();

	if (!t)
		return;
	t->page_frees++;
	t->pages_freed += 1ULL << (order & 31);
}

/* --- the hooks of bpf/kmem.bpf.h ----------------------------------------- */

static __always_inline int kmt_on_alloc(void *ctx, const struct kmt_alloc *a)
{
	if (a->family == KMT_FAM_PAGE)
		on_page_alloc(ctx, a->ptr != 0, a->order, a->gfp);
	else
		on_alloc(ctx, a->flags & KMT_KF_OWN_FRAMES, a->call_site, a->ptr, a->bytes_req,
			 a->bytes_alloc, a->cache);
	return 0;
}

static __always_inline int kmt_on_free(void *ctx, const struct kmt_free *f)
{
	if (f->family == KMT_FAM_PAGE)
		on_page_free(f->order);
	else
		on_free(f->ptr, f->flags & (KMT_KF_BULK | KMT_KF_RCU)); /* matched ones only */
	return 0;
}

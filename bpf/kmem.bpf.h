/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel-version layer of the allocator events: every entry point
 * (raw_tp, classic tracepoint, fentry) on every kernel 6.1 .. 6.18, each
 * reduced to one struct kmt_alloc or struct kmt_free and handed to the
 * command's hooks:
 *
 *   static __always_inline int kmt_on_alloc(void *ctx, const struct kmt_alloc *a);
 *   static __always_inline int kmt_on_free(void *ctx, const struct kmt_free *f);
 *
 * A command defines kmt_on_alloc, and kmt_on_free plus KMT_HOOK_FREE when it
 * wants frees, then includes this file: its object carries exactly those
 * programs.  Which of the alternatives load is the loader's choice
 * (user/loader.c: raw_tp first, classic tracepoints as the fallback; fentry
 * where the kernel allows it).
 */
#ifndef KMT_KMEM_BPF_H
#define KMT_KMEM_BPF_H

#include "common.h"
#include "core_fixes.bpf.h"
#include "filter.bpf.h"
#include "maps.bpf.h"

/* kmt_alloc.flags / kmt_free.flags */
#define KMT_KF_BULK 0x1 /* free: by kmem_cache_free_bulk() (kfree_bulk, kfree_rcu batches) */
#define KMT_KF_RCU  0x2 /* free: queued by kfree_rcu()/kvfree_rcu() (freed after a grace period) */
/* alloc: seen by a raw_tp, fentry or fexit program, whose kernel stack starts
 * with two frames of the tracing's own: the program, and bpf_trace_run*() or
 * the BPF trampoline (bpf/stacks.bpf.h) */
#define KMT_KF_OWN_FRAMES 0x4
#define KMT_KA_TP	  0x8 /* alloc: CTX is a classic tracepoint's record (not raw_tp's arguments) */

struct kmt_alloc {
	__u64 call_site; /* the allocating caller (pages, vmalloc: 0) */
	__u64 ptr;	 /* object address; pages: pfn; 0: the allocation failed */
	__u64 bytes_req;
	__u64 bytes_alloc;
	__u32 gfp;
	__u32 order;  /* pages */
	__u32 family; /* enum kmt_family */
	__u32 flags;
	const struct kmem_cache *cache; /* KMT_FAM_CACHE: the cache (its name: kmt_cache_name) */
};

struct kmt_free {
	__u64 call_site; /* the freeing caller (pages, vmalloc: 0; bulk: kmem_cache_free_bulk) */
	__u64 ptr;	 /* object address; pages: pfn (never 0 here) */
	__u32 order;	 /* pages */
	__u32 family;
	__u32 flags;
	__u32 _pad;
	const struct kmem_cache *cache; /* KMT_FAM_CACHE */
};

/* The name of slab cache C into BUF (KMT_CACHE_LEN bytes, NUL-terminated). */
static __always_inline void kmt_cache_name(const struct kmem_cache *c, char *buf)
{
	const char *name = NULL;

	buf[0] = '\0';
	if (c && !bpf_core_read(&name, sizeof(name), &c->name) && name)
		bpf_probe_read_kernel_str(buf, KMT_CACHE_LEN, name);
}

/* A named cache's object size (bytes_req) and slot size with its metadata
 * (bytes_alloc) into A: one read where the two are adjacent, as in every
 * SLUB layout 6.1 .. 6.18 (`unsigned int size, object_size`). */
static __always_inline void kmt_cache_sizes(const struct kmem_cache *s, struct kmt_alloc *a)
{
	__u32 sz[2] = {};

	if (bpf_core_field_offset(s->object_size) == bpf_core_field_offset(s->size) + 4 &&
	    bpf_core_field_size(s->size) == 4 && bpf_core_field_size(s->object_size) == 4) {
		bpf_core_read(sz, sizeof(sz), &s->size);
		a->bytes_alloc = sz[0];
		a->bytes_req = sz[1];
		return;
	}
	a->bytes_req = BPF_CORE_READ(s, object_size);
	a->bytes_alloc = BPF_CORE_READ(s, size);
}

/* The command's hooks, defined after the include. */
static __always_inline int kmt_on_alloc(void *ctx, const struct kmt_alloc *a);
#ifdef KMT_HOOK_FREE
static __always_inline int kmt_on_free(void *ctx, const struct kmt_free *f);
#endif

/* The key an allocation is tracked by (its address; pages: pfn), 0 for none:
 * a failed allocation, or kmalloc(0)'s ZERO_SIZE_PTR, which is no object. */
static __always_inline __u64 kmt_alloc_key(const struct kmt_alloc *a)
{
	if (a->family == KMT_FAM_PAGE)
		return a->ptr;
	if (a->family == KMT_FAM_PERCPU)
		return a->ptr ? a->ptr ^ KMT_KEY_PERCPU : 0;
	return a->ptr < 4096 ? 0 : a->ptr;
}

/* The same key for a free. */
static __always_inline __u64 kmt_free_key(const struct kmt_free *f)
{
	return f->family == KMT_FAM_PERCPU ? f->ptr ^ KMT_KEY_PERCPU : f->ptr;
}

/*
 * -m: whether allocation A is the module's, and where in the module it was
 * caused (*VIA): its own call site when that lies in the module, else the
 * first frame of its kernel stack that does (*BY_STACK set) — what the module
 * allocated through kernel helpers (kstrdup, alloc_netdev, vmalloc, ...).
 * Pages have no call site: always by stack.  With --direct only the call
 * site counts.  Without -m: everything, *VIA 0.
 */
static __always_inline bool kmt_attribute(void *ctx, const struct kmt_alloc *a, __u64 *via,
					  bool *by_stack)
{
	*via = 0;
	if (!filter.module)
		return true;
	if (!kmt_module_known())
		return false;
	if (a->call_site && kmt_in_module(a->call_site)) {
		*via = a->call_site;
		return true;
	}
	if (filter.direct && a->family != KMT_FAM_PAGE)
		return false;
	/* An allocator's own bookkeeping on the module's behalf (slab pages,
	 * per-CPU chunks, a vmalloc area's pages and metadata) stays with that
	 * allocator: the walk stops there, but for the vmap area itself. */
	*via = kmt_module_frame(ctx, a->flags & KMT_KA_TP, a->family != KMT_FAM_VMALLOC,
				a->family == KMT_FAM_PAGE);
	*by_stack = true;
	return *via != 0;
}

/* ---- kmalloc ---------------------------------------------------------------- */

static __always_inline int kmt_kmalloc(void *ctx, __u64 call_site, __u64 ptr, __u64 req,
				       __u64 alloc, __u64 gfp, __u32 flags)
{
	struct kmt_alloc a = {
	    .call_site = call_site,
	    .ptr = ptr,
	    .bytes_req = req,
	    .bytes_alloc = alloc,
	    .gfp = (__u32)gfp,
	    .family = KMT_FAM_KMALLOC,
	    .flags = flags,
	};

	return kmt_on_alloc(ctx, &a);
}

/* raw_tp: args are the tracepoint's TP_PROTO (the same on 6.1 .. 6.18). */
SEC("raw_tp/kmalloc")
int BPF_PROG(raw_kmalloc, unsigned long call_site, const void *ptr, size_t req, size_t alloc,
	     gfp_t gfp)
{
	return kmt_kmalloc(ctx, call_site, (__u64)ptr, req, alloc, gfp, KMT_KF_OWN_FRAMES);
}

SEC("tracepoint/kmem/kmalloc")
int tp_kmalloc(void *ctx)
{
	__u64 call_site = 0, ptr = 0, req = 0, alloc = 0, gfp = 0;

/* the same fields in both flavors of the context */
#define READ_KMALLOC(c)                                                                            \
	do {                                                                                       \
		KMT_TP_READ(call_site, c, call_site);                                              \
		KMT_TP_READ(ptr, c, ptr);                                                          \
		KMT_TP_READ(req, c, bytes_req);                                                    \
		KMT_TP_READ(alloc, c, bytes_alloc);                                                \
		KMT_TP_READ(gfp, c, gfp_flags);                                                    \
	} while (0)

	if (bpf_core_type_exists(struct trace_event_raw_kmalloc))
		READ_KMALLOC((struct trace_event_raw_kmalloc *)ctx);
	else
		READ_KMALLOC((struct trace_event_raw_kmem_alloc *)ctx);
#undef READ_KMALLOC
	return kmt_kmalloc(ctx, call_site, ptr, req, alloc, gfp, KMT_KA_TP);
}

/* ---- pages ------------------------------------------------------------------ */

/* Classic tracepoint: it has the pfn (raw_tp only has the struct page *). */
SEC("tracepoint/kmem/mm_page_alloc")
int tp_page_alloc(struct trace_event_raw_mm_page_alloc *c)
{
	struct kmt_alloc a = {.family = KMT_FAM_PAGE, .flags = KMT_KA_TP};
	__u64 gfp = 0;

	a.order = c->order;
	a.ptr = c->pfn == (unsigned long)-1 ? 0 : c->pfn;
	bpf_core_read(&gfp, bpf_core_field_size(c->gfp_flags), &c->gfp_flags);
	a.gfp = (__u32)gfp;
	a.bytes_req = a.bytes_alloc = 4096ULL << (a.order & 31);
	return kmt_on_alloc(c, &a);
}

/* ---- named slab caches, vmalloc, per-CPU (raw_tp; the same TP_PROTO on 6.1 .. 6.18) -- */

SEC("raw_tp/kmem_cache_alloc")
int BPF_PROG(raw_cache_alloc, unsigned long call_site, const void *ptr, struct kmem_cache *s,
	     gfp_t gfp)
{
	struct kmt_alloc a = {
	    .call_site = call_site,
	    .ptr = (__u64)ptr,
	    .gfp = (__u32)gfp,
	    .family = KMT_FAM_CACHE,
	    .flags = KMT_KF_OWN_FRAMES,
	    .cache = s,
	};

	kmt_cache_sizes(s, &a);
	return kmt_on_alloc(ctx, &a);
}

/* vmalloc:alloc_vmap_area (6.3+): every vmap area (vmalloc, vmap, ioremap,
 * module text); its size includes the guard page. */
SEC("raw_tp/alloc_vmap_area")
int BPF_PROG(raw_vmalloc, unsigned long addr, unsigned long size, unsigned long align,
	     unsigned long vstart, unsigned long vend, int failed)
{
	struct kmt_alloc a = {
	    .ptr = failed ? 0 : addr,
	    .bytes_req = size,
	    .bytes_alloc = size,
	    .family = KMT_FAM_VMALLOC,
	    .flags = KMT_KF_OWN_FRAMES,
	};

	return kmt_on_alloc(ctx, &a);
}

/* Kernels without vmalloc events (6.1, 6.2): fexit of alloc_vmap_area(size,
 * align, vstart, vend, node, gfp[, flags]), the function that would fire the
 * event, where the kernel allows fentry (the loader loads it only without
 * the tracepoint).  It returns the vmap_area or an ERR_PTR; size includes the
 * guard page, as the event's. */
SEC("fexit/alloc_vmap_area")
int fx_vmalloc(void *ctx)
{
	__u64 size = 0, ret = 0;
	struct kmt_alloc a = {.family = KMT_FAM_VMALLOC};

	if (bpf_get_func_arg(ctx, 0, &size) || bpf_get_func_ret(ctx, &ret))
		return 0;
	if (ret && ret < (__u64)-4095)
		a.ptr = BPF_CORE_READ((struct vmap_area *)ret, va_start);
	a.bytes_req = a.bytes_alloc = size;
	a.flags = KMT_KF_OWN_FRAMES;
	return kmt_on_alloc(ctx, &a);
}

SEC("raw_tp/percpu_alloc_percpu")
int BPF_PROG(raw_percpu_alloc, unsigned long call_site, bool reserved, bool is_atomic, size_t size,
	     size_t align, void *base_addr, int off, void *ptr, size_t bytes_alloc, gfp_t gfp)
{
	struct kmt_alloc a = {
	    .call_site = call_site,
	    .ptr = (__u64)ptr,
	    .bytes_req = size,
	    .bytes_alloc = bytes_alloc,
	    .gfp = (__u32)gfp,
	    .family = KMT_FAM_PERCPU,
	    .flags = KMT_KF_OWN_FRAMES,
	};

	return kmt_on_alloc(ctx, &a);
}

#ifdef KMT_HOOK_FREE
/* ---- frees ------------------------------------------------------------------ */

static __always_inline int kmt_kfree(void *ctx, __u64 call_site, __u64 ptr, __u32 flags)
{
	struct kmt_free f = {
	    .call_site = call_site,
	    .ptr = ptr,
	    .family = KMT_FAM_KMALLOC,
	    .flags = flags,
	};

	if (ptr < 4096) /* kfree(NULL), kfree(ZERO_SIZE_PTR) */
		return 0;
	return kmt_on_free(ctx, &f);
}

SEC("raw_tp/kfree")
int BPF_PROG(raw_kfree, unsigned long call_site, const void *ptr)
{
	return kmt_kfree(ctx, call_site, (__u64)ptr, 0);
}

SEC("tracepoint/kmem/kfree")
int tp_kfree(struct trace_event_raw_kfree *c)
{
	__u64 call_site = 0, ptr = 0;

	KMT_TP_READ(call_site, c, call_site);
	KMT_TP_READ(ptr, c, ptr);
	return kmt_kfree(c, call_site, ptr, 0);
}

SEC("tracepoint/kmem/mm_page_free")
int tp_page_free(struct trace_event_raw_mm_page_free *c)
{
	struct kmt_free f = {.family = KMT_FAM_PAGE};

	f.ptr = c->pfn;
	f.order = c->order;
	return kmt_on_free(c, &f);
}

/* Order-0 pages freed in a batch (a pagevec, a folio list): no mm_page_free. */
SEC("tracepoint/kmem/mm_page_free_batched")
int tp_page_free_batched(struct trace_event_raw_mm_page_free_batched *c)
{
	struct kmt_free f = {.family = KMT_FAM_PAGE};

	f.ptr = c->pfn;
	return kmt_on_free(c, &f);
}

SEC("raw_tp/kmem_cache_free")
int BPF_PROG(raw_cache_free, unsigned long call_site, const void *ptr, const struct kmem_cache *s)
{
	struct kmt_free f = {
	    .call_site = call_site,
	    .ptr = (__u64)ptr,
	    .family = KMT_FAM_CACHE,
	    .cache = s,
	};

	if (!ptr)
		return 0;
	return kmt_on_free(ctx, &f);
}

SEC("raw_tp/free_vmap_area_noflush")
int BPF_PROG(raw_vfree, unsigned long va_start, unsigned long nr_lazy, unsigned long nr_lazy_max)
{
	struct kmt_free f = {.ptr = va_start, .family = KMT_FAM_VMALLOC};

	return kmt_on_free(ctx, &f);
}

/* 6.1, 6.2: fentry of free_vmap_area_noflush(va), see fx_vmalloc */
SEC("fentry/free_vmap_area_noflush")
int BPF_PROG(fe_vfree, struct vmap_area *va)
{
	struct kmt_free f = {.ptr = BPF_CORE_READ(va, va_start), .family = KMT_FAM_VMALLOC};

	return kmt_on_free(ctx, &f);
}

SEC("raw_tp/percpu_free_percpu")
int BPF_PROG(raw_percpu_free, void *base_addr, int off, void *ptr)
{
	struct kmt_free f = {.ptr = (__u64)ptr, .family = KMT_FAM_PERCPU};

	if (!ptr)
		return 0;
	return kmt_on_free(ctx, &f);
}

/*
 * kfree_bulk() (which frees kfree_rcu()'s batches) and kmem_cache_free_bulk()
 * free many objects without a kmem:kfree event each: seen with fentry where
 * the kernel allows it (probed by the loader).  fentry runs before the
 * objects are freed, so none can be reallocated meanwhile.
 */
#define KMT_BULK_MAX 4096

struct kmt_bulk {
	void **p;
	__u64 func;
};

static long kmt_bulk_one(__u64 i, void *arg)
{
	struct kmt_bulk *b = arg;
	__u64 ptr = 0;

	if (bpf_probe_read_kernel(&ptr, sizeof(ptr), &b->p[i & (KMT_BULK_MAX - 1)]))
		return 1;
	kmt_kfree(NULL, b->func, ptr, KMT_KF_BULK);
	return 0;
}

/* kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p); the
 * verifier refuses a direct read of `void **` from the context ("not a
 * struct"), bpf_get_func_arg() gives it as a number. */
SEC("fentry/kmem_cache_free_bulk")
int fe_free_bulk(void *ctx)
{
	struct kmt_bulk b = {.func = bpf_get_func_ip(ctx)};
	__u64 cache = 1, size = 0, p = 0;

	/* kfree_bulk() passes no cache; a named cache's objects (skbs, maple
	 * nodes, ...) never came from kmalloc: skip the walk. */
	if (bpf_get_func_arg(ctx, 0, &cache) || cache)
		return 0;
	if (bpf_get_func_arg(ctx, 1, &size) || bpf_get_func_arg(ctx, 2, &p) || !p)
		return 0;
	b.p = (void **)p;
	if (size > KMT_BULK_MAX) {
		kmt_count(KMT_CNT_BULK_CUT);
		size = KMT_BULK_MAX;
	}
	bpf_loop(size, kmt_bulk_one, &b, 0);
	return 0;
}
/*
 * kfree_rcu()/kvfree_rcu(): the object is as good as freed when it is queued
 * (it is freed after a grace period, in a batch, without an event of its
 * own).  kvfree_call_rcu(head, ptr) on 6.3+; on 6.1 (head, func) where func
 * is the rcu_head's offset in the object (or the object itself, head NULL).
 */
SEC("fentry/kvfree_call_rcu")
int fe_kvfree_rcu(void *ctx)
{
	__u64 head = 0, arg = 0, ptr;

	if (bpf_get_func_arg(ctx, 0, &head) || bpf_get_func_arg(ctx, 1, &arg))
		return 0;
	ptr = arg < 4096 ? head - arg : arg;
	return kmt_kfree(ctx, bpf_get_func_ip(ctx), ptr, KMT_KF_RCU);
}
#endif /* KMT_HOOK_FREE */

#endif /* KMT_KMEM_BPF_H */

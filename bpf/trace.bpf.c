// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `kmtrace trace`: allocations and frees (bpf/kmem.bpf.h), thread/process
 * lifecycle (bpf/tasks.bpf.h) and module load/free (bpf/modules.bpf.h),
 * filtered in the kernel (bpf/filter.bpf.h) and sent through the ring buffer
 * (bpf/ringbuf.bpf.h).  Frees are matched to their allocation in the pointer
 * table (bpf/ptrtab.h), so a free of something allocated within the filter
 * is reported whoever frees it.  With --stacks each allocation carries the id
 * of its kernel stack (bpf/stacks.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "ptrtab.h"
#include "filter.bpf.h"
#include "ringbuf.bpf.h"
#include "stacks.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* allocs has pt_mask + 1 sets (set by user space). */
const volatile __u32 pt_mask;

/* Outstanding allocations within the filter (bpf/ptrtab.h; tag: the
 * allocation's event type, aux: page order).  Key: kmt_alloc_key(), unique
 * across families.  User space sizes it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct pt_set);
} allocs SEC(".maps");

#define KMT_HOOK_FREE
#include "kmem.bpf.h"
#define KMT_TASK_EVENTS
#include "tasks.bpf.h"
#include "modules.bpf.h"

static __always_inline int kmt_on_alloc(void *ctx, const struct kmt_alloc *a)
{
	bool page = a->family == KMT_FAM_PAGE, by_stack = false;
	__u32 type = KMT_EV_ALLOC_OF(a->family);
	__u64 id, via, key;
	struct kmt_event *e;
	struct pt_ent old;
	__u32 flags = 0;

	if (!kmt_size_ok(page ? a->bytes_alloc : a->bytes_req))
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!kmt_task_ok(id >> 32) || !kmt_attribute(ctx, a, &via, &by_stack))
		return 0;
	kmt_task_allocated(id >> 32);
	if (by_stack)
		flags |= KMT_F_STACK_ATTR;
	key = kmt_alloc_key(a);
	/* PT_STALE (key live, its free unseen) just takes the entry over. */
	if (key &&
	    pt_insert(&allocs, pt_mask, key, type, a->bytes_alloc, a->order, &old) == PT_FULL) {
		kmt_count(KMT_CNT_TRACK_FULL);
		flags |= KMT_F_UNTRACKED;
	}
	if (page) {
		e = kmt_ev_reserve(KMT_EV_PAGE_ALLOC, KMT_EVENT_BASE_SIZE);
		if (!e)
			return 0;
		e->pfn = a->ptr;
		e->order = a->order;
	} else {
		e = kmt_ev_reserve(type, a->family == KMT_FAM_CACHE ? KMT_EVENT_CACHE_SIZE
								    : KMT_EVENT_KMEM_SIZE);
		if (!e)
			return 0;
		e->ptr = a->ptr;
		e->bytes_req = a->bytes_req;
		if (a->family == KMT_FAM_CACHE)
			kmt_cache_name(a->cache, e->cache);
	}
	kmt_ev_current(e, id);
	e->stack_id = kmt_stack_id(ctx, a->flags & KMT_KF_OWN_FRAMES);
	e->call_site = page ? via : a->call_site;
	e->via = via;
	e->bytes_alloc = a->bytes_alloc;
	e->gfp = a->gfp;
	e->flags = flags;
	kmt_ev_submit_batched(e);
	return 0;
}

static __always_inline int kmt_on_free(void *ctx, const struct kmt_free *f)
{
	bool page = f->family == KMT_FAM_PAGE;
	__u64 bytes = 0, id = bpf_get_current_pid_tgid();
	int fam = (int)f->family;
	__u32 type;
	struct kmt_event *e;
	struct pt_ent a;
	__u32 flags = 0;

	if (pt_delete(&allocs, pt_mask, kmt_free_key(f), &a)) {
		bytes = a.bytes;
		flags = KMT_F_TRACKED;
		if (f->flags & KMT_KF_RCU) /* kfree_rcu() frees whatever it was */
			page = false, fam = kmt_event_family((__u32)a.tag);
	} else {
		/* Not ours: only the filtered tasks' own frees (size unknown, so
		 * none when a size range is given; bulk frees run in kworkers). */
		if ((f->flags & (KMT_KF_BULK | KMT_KF_RCU)) || filter.size ||
		    !kmt_task_ok(id >> 32))
			return 0;
		if (filter.module && (page || !kmt_in_module(f->call_site)))
			return 0;
	}
	type = KMT_EV_FREE_OF(fam);
	if (page) {
		e = kmt_ev_reserve(KMT_EV_PAGE_FREE, KMT_EVENT_BASE_SIZE);
		if (!e)
			return 0;
		e->pfn = f->ptr;
		e->order = f->order;
		e->bytes_alloc = bytes ? bytes : 4096ULL << (f->order & 31);
	} else {
		/* two calls: the record size must be a constant for the memset */
		if (fam == KMT_FAM_CACHE)
			e = kmt_ev_reserve(type, KMT_EVENT_CACHE_SIZE);
		else
			e = kmt_ev_reserve(type, KMT_EVENT_KMEM_SIZE);
		if (!e)
			return 0;
		e->call_site = f->call_site;
		e->ptr = f->ptr;
		e->bytes_alloc = bytes;
		if (f->flags & KMT_KF_BULK)
			flags |= KMT_F_BULK;
		if (f->flags & KMT_KF_RCU)
			flags |= KMT_F_RCU;
		if (f->family == KMT_FAM_CACHE)
			kmt_cache_name(f->cache, e->cache);
	}
	kmt_ev_current(e, id);
	e->flags = flags;
	kmt_ev_submit_batched(e);
	return 0;
}

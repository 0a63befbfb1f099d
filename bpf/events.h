/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Event ABI of `kmtrace trace` and `kmtrace mm`, shared by bpf/trace.bpf.c,
 * bpf/mm.bpf.c and user space.
 * One struct kmt_event per ring-buffer record; fields that do not apply to an
 * event type are zero.
 */
#ifndef KMT_EVENTS_H
#define KMT_EVENTS_H

#include "common.h"

enum kmt_event_type {
	KMT_EV_KMALLOC = 1,
	KMT_EV_KFREE,
	KMT_EV_PAGE_ALLOC,
	KMT_EV_PAGE_FREE,
	KMT_EV_THREAD_START,
	KMT_EV_THREAD_EXIT,
	KMT_EV_PROCESS_EXIT,
	KMT_EV_EXEC,
	KMT_EV_MODULE_LOAD,
	KMT_EV_MODULE_FREE,
	KMT_EV_CACHE_ALLOC, /* named slab caches: kmem_cache_alloc/free */
	KMT_EV_CACHE_FREE,
	KMT_EV_VMALLOC, /* vmap areas: vmalloc()/vfree() and the like */
	KMT_EV_VFREE,
	KMT_EV_PERCPU_ALLOC, /* per-CPU memory */
	KMT_EV_PERCPU_FREE,
	KMT_EV_MAX,
};

/* The allocation and free event types of each family (enum kmt_family). */
#define KMT_EV_ALLOC_OF(fam)                                                                       \
	((fam) == KMT_FAM_PAGE	    ? KMT_EV_PAGE_ALLOC                                            \
	 : (fam) == KMT_FAM_CACHE   ? KMT_EV_CACHE_ALLOC                                           \
	 : (fam) == KMT_FAM_VMALLOC ? KMT_EV_VMALLOC                                               \
	 : (fam) == KMT_FAM_PERCPU  ? KMT_EV_PERCPU_ALLOC                                          \
				    : KMT_EV_KMALLOC)
#define KMT_EV_FREE_OF(fam)                                                                        \
	((fam) == KMT_FAM_PAGE	    ? KMT_EV_PAGE_FREE                                             \
	 : (fam) == KMT_FAM_CACHE   ? KMT_EV_CACHE_FREE                                            \
	 : (fam) == KMT_FAM_VMALLOC ? KMT_EV_VFREE                                                 \
	 : (fam) == KMT_FAM_PERCPU  ? KMT_EV_PERCPU_FREE                                           \
				    : KMT_EV_KFREE)

/* The family of an allocation or free event type, -1 for other events. */
static inline int kmt_event_family(unsigned int type)
{
	switch (type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_KFREE:
		return KMT_FAM_KMALLOC;
	case KMT_EV_PAGE_ALLOC:
	case KMT_EV_PAGE_FREE:
		return KMT_FAM_PAGE;
	case KMT_EV_CACHE_ALLOC:
	case KMT_EV_CACHE_FREE:
		return KMT_FAM_CACHE;
	case KMT_EV_VMALLOC:
	case KMT_EV_VFREE:
		return KMT_FAM_VMALLOC;
	case KMT_EV_PERCPU_ALLOC:
	case KMT_EV_PERCPU_FREE:
		return KMT_FAM_PERCPU;
	}
	return -1;
}

static inline int kmt_event_is_alloc(unsigned int type)
{
	return type == KMT_EV_KMALLOC || type == KMT_EV_PAGE_ALLOC || type == KMT_EV_CACHE_ALLOC ||
	       type == KMT_EV_VMALLOC || type == KMT_EV_PERCPU_ALLOC;
}

static inline int kmt_event_is_free(unsigned int type)
{
	return kmt_event_family(type) >= 0 && !kmt_event_is_alloc(type);
}

/* kmt_event.flags */
#define KMT_F_TRACKED	 0x1  /* kfree/page_free of an allocation seen within the filter */
#define KMT_F_UNTRACKED	 0x2  /* allocation not tracked: the tracking table was full */
#define KMT_F_STACK_ATTR 0x8  /* -m: via found by a kernel stack walk */
#define KMT_F_BULK	 0x10 /* kfree: by kmem_cache_free_bulk() (kfree_bulk, kfree_rcu batches) */
#define KMT_F_RCU	 0x20 /* kfree: queued by kfree_rcu(), freed after a grace period */

struct kmt_event {
	__u64 ts_ns;	 /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u16 type;	 /* enum kmt_event_type */
	__u16 flags;	 /* KMT_F_* */
	__u32 pid;	 /* tgid (thread_start: the new task's) */
	__u32 tid;	 /* thread id (thread_start: the new task's) */
	__s32 mm_users;	 /* of the task's mm; -1: no mm (kernel thread) */
	__u64 ptr;	 /* kmalloc/kfree: object address */
	__u64 call_site; /* the caller; page events with -m: the module frame (= via) */
	__u64 via;	 /* -m: the module's frame that caused the allocation (its call site
			  * or a frame of its kernel stack); 0 without -m */
	__u64 bytes_req;
	__u64 bytes_alloc; /* kfree of a tracked allocation: its bytes_alloc */
	__u32 gfp;
	/* allocations with --stacks: the id of the kernel stack in the `stacks`
	 * map (bpf/stacks.bpf.h), or the negative error it got instead */
	__s32 stack_id;
	char comm[KMT_COMM_LEN];
	/* kmalloc/kfree, vmalloc/vfree, per-CPU records end here (KMT_EVENT_KMEM_SIZE) */
	union {
		/* cache_alloc/cache_free: the slab cache (KMT_EVENT_CACHE_SIZE) */
		char cache[KMT_CACHE_LEN];
		struct {
			__u64 pfn; /* page events */
			__u32 order;
			__u32 ppid;	 /* thread_start: creating tgid; exec: old pid */
			__s32 exit_code; /* thread_exit/process_exit: task->exit_code */
			__u32 _pad;
			/* other records but module_load/free end here (KMT_EVENT_BASE_SIZE) */
			char module[KMT_MODNAME_LEN];
			__u64 text_base;
			__u64 text_size;
			__u64 init_base;
			__u64 init_size;
		};
	};
};

/* Record sizes: the hottest events carry the least (fewer bytes through the
 * ring per event); user space zero-fills the rest. */
#define KMT_EVENT_KMEM_SIZE  __builtin_offsetof(struct kmt_event, pfn)
#define KMT_EVENT_BASE_SIZE  __builtin_offsetof(struct kmt_event, module)
#define KMT_EVENT_CACHE_SIZE (KMT_EVENT_KMEM_SIZE + KMT_CACHE_LEN)

#endif /* KMT_EVENTS_H */

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
	KMT_EV_MAX,
};

/* kmt_event.flags */
#define KMT_F_TRACKED	 0x1  /* kfree/page_free of an allocation seen within the filter */
#define KMT_F_UNTRACKED	 0x2  /* allocation not tracked: the tracking table was full */
#define KMT_F_NODE	 0x4  /* came from kmem:kmalloc_node (6.1) */
#define KMT_F_STACK_ATTR 0x8  /* page event: call_site found by a kernel stack walk */
#define KMT_F_BULK	 0x10 /* kfree: by kmem_cache_free_bulk() (kfree_bulk, kfree_rcu batches) */

struct kmt_event {
	__u64 ts_ns;	 /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 type;	 /* enum kmt_event_type */
	__u32 pid;	 /* tgid (thread_start: the new task's) */
	__u32 tid;	 /* thread id (thread_start: the new task's) */
	__s32 mm_users;	 /* of the task's mm; -1: no mm (kernel thread) */
	__u64 ptr;	 /* kmalloc/kfree: object address */
	__u64 call_site; /* kmalloc/kfree: caller; page events with -m: first frame in the module */
	__u64 bytes_req;
	__u64 bytes_alloc; /* kfree of a tracked allocation: its bytes_alloc */
	__u32 gfp;
	__u32 flags; /* KMT_F_* */
	char comm[KMT_COMM_LEN];
	/* kmalloc/kfree records end here (KMT_EVENT_KMEM_SIZE) */
	__u64 pfn; /* page events */
	__u32 order;
	__u32 ppid;	 /* thread_start: creating tgid; exec: old pid */
	__s32 exit_code; /* thread_exit/process_exit: task->exit_code */
	__u32 _pad;
	/* other records but module_load/module_free end here (KMT_EVENT_BASE_SIZE) */
	char module[KMT_MODNAME_LEN];
	__u64 text_base;
	__u64 text_size;
	__u64 init_base;
	__u64 init_size;
};

/* Record sizes: the hottest events carry the least (fewer bytes through the
 * ring per event); user space zero-fills the rest. */
#define KMT_EVENT_KMEM_SIZE __builtin_offsetof(struct kmt_event, pfn)
#define KMT_EVENT_BASE_SIZE __builtin_offsetof(struct kmt_event, module)

#endif /* KMT_EVENTS_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Event ABI of `kmtrace trace`, shared by bpf/kmtrace.bpf.c and user space.
 * One struct kmt_event per ring-buffer record; fields that do not apply to an
 * event type are zero.
 */
#ifndef KMTRACE_H
#define KMTRACE_H

#define KMT_COMM_LEN	16
#define KMT_MODNAME_LEN 56 /* MODULE_NAME_LEN on 64-bit */
#define KMT_MAX_RANGES	4  /* module text ranges the -m filter checks */
#define KMT_STACK_DEPTH 32 /* frames bpf_get_stack() looks at for page events */
#define KMT_SLAB_RANGES 16 /* slab-refill functions whose pages are not the caller's */

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

/* Per-CPU counters (the `counters` map), summed by user space. */
enum kmt_counter {
	KMT_CNT_LOST = 0,   /* ring buffer reserve failed: event dropped */
	KMT_CNT_TRACK_FULL, /* allocation not tracked: the allocs table was full */
	KMT_CNT_PIDS_FULL,  /* a followed child could not be added to the pid filter */
	KMT_CNT_STACK_FAIL, /* bpf_get_stack failed on a page event (-m) */
	KMT_CNT_HIST_FULL,  /* hist: event not counted, the `hist` map was full */
	KMT_CNT_BULK_CUT,   /* kfree_bulk() calls of over KMT_BULK_MAX objects (the rest unseen) */
	KMT_CNT_MAX,
};

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

/* ---- `kmtrace hist`: histograms in the per-CPU `hist` map (no ring buffer) ---- */

enum kmt_hist_by {
	KMT_BY_NONE = 0,
	KMT_BY_PID,    /* key: tgid, comm: the thread's */
	KMT_BY_COMM,   /* comm only */
	KMT_BY_CALLER, /* key: call site */
	KMT_BY_GFP,    /* key: gfp flags */
};

/* Key of the `hist` map; value: __u64 count (per CPU). */
struct kmt_hist_key {
	__u64 slot; /* kmt_hist_slot() of the value */
	__u64 key;  /* KMT_BY_PID: tgid; _CALLER: call site; _GFP: gfp flags; else 0 */
	__u32 gen;  /* interval generation: the `hist_gen` the event saw */
	__u32 _pad;
	char comm[KMT_COMM_LEN]; /* KMT_BY_PID / KMT_BY_COMM; else zero */
};

/* floor(log2(v)) for v > 0, without loops or builtins (BPF and user space). */
static inline __u32 kmt_log2(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

/*
 * Bucket of value V.  STEP 0 (log2): slot 0 holds 0, slot s >= 1 holds
 * [2^(s-1), 2^s) (so 1..64).  STEP > 0 (linear): slot s holds [s*STEP, (s+1)*STEP).
 */
static inline __u64 kmt_hist_slot(__u64 v, __u64 step)
{
	if (step)
		return v / step;
	return v ? (__u64)kmt_log2(v) + 1 : 0;
}

#endif /* KMTRACE_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The `events` ring buffer of struct kmt_event records (bpf/events.h), with
 * wakeup batching for the high-rate events.
 */
#ifndef KMT_RINGBUF_BPF_H
#define KMT_RINGBUF_BPF_H

#include "events.h"
#include "maps.bpf.h"

/* Wakeup batching for the high-rate events (allocations and frees): 0 = the
 * kernel's default (wake the reader whenever it has caught up); else submit
 * without a wakeup and force one once this many bytes wait in the ring (the
 * reader also polls with a short timeout).  Rare events always wake. */
const volatile __u64 wakeup_bytes;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	/* 4 MiB: ~20 ms of kstorm's peak event rate; with wakeup batching the
	 * reader drains it long before.  Its pages count twice in the loader's RSS
	 * (libbpf maps the data area twice), so 16 MiB cost 32 MiB of RSS. */
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* Per CPU: high-rate events submitted since the last ring fill check. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rb_tick SEC(".maps");

/* A zeroed record of SIZE bytes (module events carry the whole struct,
 * kmalloc/kfree stop before `pfn`, the others before `module`); NULL and
 * counted as lost when the ring is full. */
static __always_inline struct kmt_event *kmt_ev_reserve(__u32 type, const __u32 size)
{
	struct kmt_event *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e) {
		kmt_count(KMT_CNT_LOST);
		return NULL;
	}
	__builtin_memset(e, 0, size);
	e->type = type;
	e->ts_ns = bpf_ktime_get_ns();
	return e;
}

/* The fill level is checked on every 16th event of a CPU (at most
 * 16 x ncpus records past the threshold before the wakeup): while the reader
 * drains a ring above the threshold every check forces a wakeup, each an
 * irq_work self-IPI plus the epoll callback, which cost ~5% of a kmalloc-heavy
 * workload when done per event. */
#define KMT_RB_CHECK_EVERY 16

static __always_inline void kmt_ev_submit_batched(struct kmt_event *e)
{
	__u64 fl = 0;

	if (wakeup_bytes) {
		__u32 zero = 0, *n = bpf_map_lookup_elem(&rb_tick, &zero);

		fl = BPF_RB_NO_WAKEUP;
		if ((!n || ++*n % KMT_RB_CHECK_EVERY == 0) &&
		    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
			fl = BPF_RB_FORCE_WAKEUP;
	}
	bpf_ringbuf_submit(e, fl);
}

/* Common fields from the current task (ID: bpf_get_current_pid_tgid()).
 * task->comm and task->mm->mm_users through BTF pointers: plain loads the
 * verifier guards, no helper calls (bpf_get_current_comm's strscpy cost
 * ~60 ns per event here).  The kernel keeps comm NUL-padded (strscpy_pad);
 * a rename racing the copy can tear it, as it can the helper's: user space
 * terminates it. */
static __always_inline void kmt_ev_current(struct kmt_event *e, __u64 id)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct mm_struct *mm = t->mm;

	e->pid = id >> 32;
	e->tid = (__u32)id;
	__builtin_memcpy(e->comm, t->comm, sizeof(e->comm));
	e->mm_users = mm ? mm->mm_users.counter : -1;
}

#endif /* KMT_RINGBUF_BPF_H */

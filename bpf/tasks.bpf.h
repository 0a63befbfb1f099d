/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Thread and process lifecycle: fork (children of a followed process join
 * the `pids` filter), exit (a followed process leaves it) and exec.  With
 * KMT_TASK_EVENTS defined before the include (trace, mm) each also becomes a
 * ring-buffer event with mm_users after it; without (hist) only the pid
 * filter is kept.  Under -m (filter.module) the events are those of the
 * processes that allocated for the module (kmt_task_allocated()), not every
 * process on the machine.
 */
#ifndef KMT_TASKS_BPF_H
#define KMT_TASKS_BPF_H

#include "filter.bpf.h"
#ifdef KMT_TASK_EVENTS
#include "ringbuf.bpf.h"

/* tgid -> mm_struct pointer, remembered for sched_process_exit (which may run
 * after exit_mm() cleared task->mm).  Never dereferenced except through
 * bpf_probe_read_kernel, never a reference. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} mms SEC(".maps");

static __always_inline void kmt_remember_mm(__u32 tgid, struct mm_struct *mm)
{
	__u64 v = (__u64)mm;

	if (mm)
		bpf_map_update_elem(&mms, &tgid, &v, BPF_ANY);
}

static __always_inline int kmt_mm_users_of(struct mm_struct *mm)
{
	if (!mm)
		return -1;
	return BPF_CORE_READ(mm, mm_users.counter);
}

/* -m: the tgids that made an allocation the filter let through; an exiting
 * process leaves.  LRU: the oldest are forgotten if 4096 processes allocate. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} mod_tasks SEC(".maps");

/* The command's kmt_on_alloc: TGID allocated within the filter. */
static __always_inline void kmt_task_allocated(__u32 tgid)
{
	__u8 one = 1;

	if (filter.module && !bpf_map_lookup_elem(&mod_tasks, &tgid))
		bpf_map_update_elem(&mod_tasks, &tgid, &one, BPF_ANY);
}

/* Whether TGID's thread events are sent: always, but under -m only once it
 * allocated for the module. */
static __always_inline bool kmt_task_shown(__u32 tgid)
{
	return !filter.module || bpf_map_lookup_elem(&mod_tasks, &tgid);
}
#endif /* KMT_TASK_EVENTS */

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);

	if (ptgid == filter.self_tgid)
		return 0;
	if (filter.pid) {
		if (!bpf_map_lookup_elem(&pids, &ptgid))
			return 0;
		if (ctgid != ptgid) {
			__u8 one = 1;

			if (!filter.follow_fork)
				return 0;
			if (bpf_map_update_elem(&pids, &ctgid, &one, BPF_ANY))
				kmt_count(KMT_CNT_PIDS_FULL);
		}
	}
#ifdef KMT_TASK_EVENTS
	{
		struct mm_struct *mm;
		struct kmt_event *e;

		if (filter.comm && !kmt_comm_ok())
			return 0;
		mm = BPF_CORE_READ(child, mm);
		kmt_remember_mm(ctgid, mm);
		if (!kmt_task_shown(ctgid))
			return 0;
		e = kmt_ev_reserve(KMT_EV_THREAD_START, KMT_EVENT_BASE_SIZE);
		if (!e)
			return 0;
		e->pid = ctgid;
		e->tid = BPF_CORE_READ(child, pid);
		e->ppid = ptgid;
		BPF_CORE_READ_STR_INTO(&e->comm, child, comm);
		e->mm_users = kmt_mm_users_of(mm);
		bpf_ringbuf_submit(e, 0);
	}
#endif
	return 0;
}

/*
 * sched_process_exit runs after exit_mm() on 6.1/6.12 (task->mm is NULL, the
 * exiting task's mm_users reference already dropped) and before it on newer
 * kernels.  Either way mm_users is reported as the value after this task let
 * go of the mm, so the numbers agree across kernels.
 */
SEC("raw_tp/sched_process_exit")
int raw_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct task_struct *t;
	int live;

	if (!kmt_task_ok(tgid))
		return 0;
	t = (struct task_struct *)bpf_get_current_task();
	live = BPF_CORE_READ(t, signal, live.counter);
#ifdef KMT_TASK_EVENTS
	{
		struct mm_struct *mm = BPF_CORE_READ(t, mm);
		struct kmt_event *e;
		int users;

		if (mm) {
			users = kmt_mm_users_of(mm) - 1;
		} else {
			__u64 *p = bpf_map_lookup_elem(&mms, &tgid);

			mm = p ? (struct mm_struct *)*p : BPF_CORE_READ(t, active_mm);
			users = kmt_mm_users_of(mm);
		}
		e = NULL;
		if (kmt_task_shown(tgid))
			e = kmt_ev_reserve(live == 0 ? KMT_EV_PROCESS_EXIT : KMT_EV_THREAD_EXIT,
					   KMT_EVENT_BASE_SIZE);
		if (e) {
			kmt_ev_current(e, id);
			e->mm_users = users < 0 ? 0 : users;
			e->exit_code = BPF_CORE_READ(t, exit_code);
			bpf_ringbuf_submit(e, 0);
		}
		if (live == 0) {
			bpf_map_delete_elem(&mms, &tgid);
			if (filter.module)
				bpf_map_delete_elem(&mod_tasks, &tgid);
		}
	}
#endif
	if (live == 0 && filter.pid) /* a followed process is gone */
		bpf_map_delete_elem(&pids, &tgid);
	return 0;
}

#ifdef KMT_TASK_EVENTS
SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_exec, struct task_struct *p, pid_t old_pid)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct kmt_event *e;

	if (!kmt_task_ok(id >> 32))
		return 0;
	kmt_remember_mm(id >> 32, BPF_CORE_READ(p, mm));
	if (!kmt_task_shown(id >> 32))
		return 0;
	e = kmt_ev_reserve(KMT_EV_EXEC, KMT_EVENT_BASE_SIZE);
	if (!e)
		return 0;
	kmt_ev_current(e, id);
	e->ppid = old_pid;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
#endif

#endif /* KMT_TASKS_BPF_H */

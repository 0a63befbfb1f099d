// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `kmtrace mm`: a task iterator that writes one struct mmsnap_rec per user
 * process (bpf/mm.h) for the snapshot and for the timeline's samples, and
 * the thread/process lifecycle events (bpf/tasks.bpf.h) of the timeline.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "mm.h"
#define KMT_TASK_EVENTS
#include "tasks.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PF_KTHREAD 0x00200000

/*
 * The record comes from the thread-group leader; when the leader has already
 * exited (its mm is gone but other threads live on), each live thread of that
 * group writes one and user space keeps the first.
 */
SEC("iter/task")
int mm_snapshot(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct mmsnap_rec rec = {};
	struct mm_struct *mm;

	if (!task)
		return 0;
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
		return 0; /* a kernel thread's mm is borrowed (kthread_use_mm) */
	mm = BPF_CORE_READ(task, mm);
	if (!mm)
		return 0;
	if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid) &&
	    BPF_CORE_READ(task, group_leader, mm))
		return 0; /* the leader reports this process */

	rec.pid = BPF_CORE_READ(task, tgid);
	rec.mm_users = BPF_CORE_READ(mm, mm_users.counter);
	if (bpf_core_field_exists(mm->mm_count))
		rec.mm_count = BPF_CORE_READ(mm, mm_count.counter);
	else
		rec.mm_count = -1;
	rec.nr_threads = BPF_CORE_READ(task, signal, nr_threads);
	BPF_CORE_READ_STR_INTO(&rec.comm, task, group_leader, comm);
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

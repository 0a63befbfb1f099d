/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel stacks of allocations (--stacks, --folded): each stack is stored
 * once in a BPF_MAP_TYPE_STACK_TRACE map and named by its id, which the
 * command's events (trace) or per-stack counts (stat) carry; user space reads
 * the map and names the frames (user/stacks.c).  Ids are never reused (no
 * BPF_F_REUSE_STACKID, nothing deleted): an id read later still means the
 * stack it was given for.  An allocation whose stack could not be stored
 * (another stack in its hash bucket, the map full) gets the negative error
 * as its id and is counted, per reason, in `counters`.
 */
#ifndef KMT_STACKS_BPF_H
#define KMT_STACKS_BPF_H

#include "common.h"
#include "maps.bpf.h"

#ifndef ENOMEM
#define ENOMEM 12
#endif

/* Set by user space before load: take stacks (else the map has 1 entry). */
const volatile bool want_stacks;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, KMT_STACK_ENTRIES); /* --stack-storage */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, KMT_STACK_MAX_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* Frames on top of a raw_tp, fentry or fexit program's stack that are the
 * tracing's own: the program, bpf_trace_run*() or the BPF trampoline. */
#define KMT_OWN_FRAMES 2

/*
 * The id of CTX's kernel stack in `stacks`, a negative error when it has none
 * (counted); 0 when stacks are off.  OWN_FRAMES: CTX is a raw_tp, fentry or
 * fexit program's (not a classic tracepoint's, whose stack starts at the
 * tracepoint's caller).  Ids are a hash of the frames: when another stack
 * holds the bucket (-EEXIST), such a stack is taken again without its
 * tracing frames (user space drops them anyway: the same named stack), which
 * hashes elsewhere; a stack is lost only when all of those collide.
 */
static __always_inline __s32 kmt_stack_id(void *ctx, bool own_frames)
{
	long id;

	if (!want_stacks)
		return 0;
	/* flags: the kernel stack (no BPF_F_USER_STACK), compared in full on a
	 * hash match (no BPF_F_FAST_STACK_CMP: two stacks never share an id),
	 * frames to skip in BPF_F_SKIP_FIELD_MASK */
	id = bpf_get_stackid(ctx, &stacks, 0);
	for (__u64 skip = 1; own_frames && id == -EEXIST && skip <= KMT_OWN_FRAMES; skip++)
		id = bpf_get_stackid(ctx, &stacks, skip & BPF_F_SKIP_FIELD_MASK);
	if (id < 0)
		kmt_count(id == -EEXIST	  ? KMT_CNT_STACKID_COLLIDE
			  : id == -ENOMEM ? KMT_CNT_STACKID_FULL
					  : KMT_CNT_STACKID_ERR);
	return (__s32)id;
}

#endif /* KMT_STACKS_BPF_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `kmtrace hist`: the key of the per-CPU `hist` map (bpf/hist.bpf.c) and the
 * bucket arithmetic, shared with user space (user/hist_report.c).
 */
#ifndef KMT_HIST_H
#define KMT_HIST_H

#include "common.h"

enum kmt_hist_by {
	KMT_BY_NONE = 0,
	KMT_BY_PID,    /* key: tgid, comm: the thread's */
	KMT_BY_COMM,   /* comm only */
	KMT_BY_CALLER, /* key: call site */
	KMT_BY_GFP,    /* key: gfp flags */
	KMT_BY_CACHE,  /* key: struct kmem_cache * (named caches; names in `cache_names`) */
};

/*
 * Without --by, counts go to the per-CPU array `hist_slots` instead (an
 * inlined array lookup, no hashing): index (gen & 1) * KMT_HIST_SLOTS + slot
 * for slots below KMT_HIST_SLOTS; higher slots (--linear) use `hist`.
 */
#define KMT_HIST_SLOTS 1024

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

#endif /* KMT_HIST_H */

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `kmtrace hist`: allocations that pass the filter (bpf/filter.bpf.h) become
 * one per-CPU count in the `hist` map, keyed by (bucket, --by key, interval
 * generation); nothing per event goes through the ring buffer, which only
 * carries -m's module load/free (bpf/modules.bpf.h) for symbols.  fork/exit
 * keep the pid filter of -- CMD (bpf/tasks.bpf.h, no events).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hist.h"
#include "filter.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile bool hist_alloc; /* bucket bytes_alloc (else bytes_req) */
const volatile __u32 hist_by;	/* enum kmt_hist_by */
const volatile __u64 hist_step; /* 0: log2 buckets, else linear of that width */
__u32 hist_gen;			/* flipped by user space at each interval */

/* Per-CPU counts; user space sizes it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct kmt_hist_key);
	__type(value, __u64);
} hist SEC(".maps");

/* Counts without --by (bpf/hist.h); user space reads and zeroes a
 * generation's half. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * KMT_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist_slots SEC(".maps");

#include "kmem.bpf.h"
#include "tasks.bpf.h"
#include "modules.bpf.h"

/* --by cache: each cache's name (key: struct kmem_cache *). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, char[KMT_CACHE_LEN]);
} cache_names SEC(".maps");

static __always_inline int kmt_on_alloc(void *ctx, const struct kmt_alloc *a)
{
	struct kmt_hist_key k = {};
	bool by_stack = false;
	__u64 id, via, *v;

	if (!kmt_size_ok(a->bytes_req))
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!kmt_task_ok(id >> 32) || !kmt_attribute(ctx, a, &via, &by_stack))
		return 0;
	k.slot = kmt_hist_slot(hist_alloc ? a->bytes_alloc : a->bytes_req, hist_step);
	k.gen = hist_gen;
	if (hist_by == KMT_BY_NONE && k.slot < KMT_HIST_SLOTS) {
		__u32 i = (k.gen & 1) * KMT_HIST_SLOTS + (__u32)k.slot;

		v = bpf_map_lookup_elem(&hist_slots, &i);
		if (v)
			(*v)++; /* per-CPU: no atomics */
		return 0;
	}
	if (hist_by == KMT_BY_PID)
		k.key = id >> 32;
	else if (hist_by == KMT_BY_CALLER)
		k.key = a->call_site ? a->call_site : via;
	else if (hist_by == KMT_BY_GFP)
		k.key = a->gfp;
	else if (hist_by == KMT_BY_CACHE) {
		k.key = (__u64)a->cache;
		if (!bpf_map_lookup_elem(&cache_names, &k.key)) {
			char name[KMT_CACHE_LEN];

			kmt_cache_name(a->cache, name);
			bpf_map_update_elem(&cache_names, &k.key, name, BPF_NOEXIST);
		}
	}
	/* comm copied only when the key needs it */
	if (hist_by == KMT_BY_PID || hist_by == KMT_BY_COMM)
		__builtin_memcpy(k.comm, bpf_get_current_task_btf()->comm, sizeof(k.comm));
	v = kmt_lookup_or_try_init(&hist, &k, &(__u64){0});
	if (v)
		(*v)++; /* per-CPU: no atomics */
	else
		kmt_count(KMT_CNT_HIST_FULL);
	return 0;
}

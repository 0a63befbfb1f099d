/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Map helpers every kmtrace object uses: the per-CPU `counters` (enum
 * kmt_counter, summed by user space) and lookup-or-create of hash entries.
 */
#ifndef KMT_MAPS_BPF_H
#define KMT_MAPS_BPF_H

#include "common.h"

#ifndef EEXIST
#define EEXIST 17
#endif

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KMT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Atomic although per-CPU: a program of another event can interrupt this one
 * on the same CPU (an interrupt's kmalloc) and count the same thing; these
 * counts are the rare paths (lost, full, failed), so the lock costs nothing. */
static __always_inline void kmt_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* KEY's value in MAP, created from INIT when missing (also when another CPU
 * created it meanwhile); NULL when the map is full. */
static __always_inline void *kmt_lookup_or_try_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);
	long err;

	if (v)
		return v;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

#endif /* KMT_MAPS_BPF_H */

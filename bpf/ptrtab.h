/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ptrtab: the table of live allocations (key: object address or pfn) that
 * `trace` and `stat` use to match a free to its allocation.
 *
 * A BPF hash map costs a bucket lock, a free-list pop and a push per
 * kmalloc/kfree pair, ~12% of a kmalloc-heavy workload's throughput.  This is
 * a set-associative table in a BPF array map instead: the key hashes to one
 * set of PT_WAYS entries; an allocation claims a free entry of its set with a
 * compare-and-swap on the key (no lock), its free finds it there and releases
 * it.  The array lookup is inlined by the verifier.  When all entries of a set
 * are live the allocation is not tracked and the caller counts that.
 *
 * Concurrency: an object is allocated before it can be freed, so the insert
 * and the delete of one key never race; different keys of one set only
 * compete for free entries, which the compare-and-swap settles.  The fields
 * of an entry are written after it is claimed, before the allocation returns
 * to its caller, and read before the entry is released (on x86 by a plain
 * store, which the CPU keeps after the loads; elsewhere a compare-and-swap).
 *
 * User space sizes the map (nsets, a power of two) and sets the mask.
 */
#ifndef PTRTAB_H
#define PTRTAB_H

#define PT_WAYS 8

struct pt_ent {
	__u64 key;   /* 0: free */
	__u64 tag;   /* stat: row key (call site or size); trace: kind */
	__u32 bytes; /* bytes_alloc (<= 4 MiB for kmalloc, 4 KiB << order for pages) */
	__u32 aux;   /* stat: CPU of the allocation; trace: page order */
};

struct pt_set {
	struct pt_ent e[PT_WAYS];
};

#ifdef __bpf__
enum pt_result {
	PT_FULL = 0, /* every entry of the set is live: not tracked */
	PT_NEW,	     /* tracked */
	PT_STALE,    /* the key was still live (its free went unseen): replaced, old in *old */
};

static __always_inline struct pt_set *pt_set_of(void *map, __u32 mask, __u64 key)
{
	/* Fibonacci hashing: the high bits of key * 2^64/phi spread aligned
	 * addresses and consecutive pfns evenly. */
	__u32 idx = (__u32)((key * 0x9E3779B97F4A7C15ULL) >> 32) & mask;

	return bpf_map_lookup_elem(map, &idx);
}

static __always_inline int pt_insert(void *map, __u32 mask, __u64 key, __u64 tag, __u32 bytes,
				     __u32 aux, struct pt_ent *old)
{
	struct pt_set *s = pt_set_of(map, mask, key);
	int i;

	if (!s)
		return PT_FULL;
	for (i = 0; i < PT_WAYS; i++) {
		if (s->e[i].key == key) {
			*old = s->e[i];
			s->e[i].tag = tag;
			s->e[i].bytes = bytes;
			s->e[i].aux = aux;
			return PT_STALE;
		}
	}
	for (i = 0; i < PT_WAYS; i++) {
		if (s->e[i].key)
			continue;
		if (__sync_val_compare_and_swap(&s->e[i].key, 0, key) != 0)
			continue; /* taken meanwhile by another CPU */
		s->e[i].tag = tag;
		s->e[i].bytes = bytes;
		s->e[i].aux = aux;
		return PT_NEW;
	}
	return PT_FULL;
}

/* Remove KEY; true (and its entry in *out) if it was there. */
static __always_inline bool pt_delete(void *map, __u32 mask, __u64 key, struct pt_ent *out)
{
	struct pt_set *s = pt_set_of(map, mask, key);
	int i;

	if (!s)
		return false;
	for (i = 0; i < PT_WAYS; i++) {
		if (s->e[i].key != key)
			continue;
		*out = s->e[i];
#ifdef __TARGET_ARCH_x86
		/* x86 keeps stores after earlier loads: a plain store releases. */
		asm volatile("" ::: "memory");
		s->e[i].key = 0;
		return true;
#else
		return __sync_val_compare_and_swap(&s->e[i].key, key, 0) == key;
#endif
	}
	return false;
}
#endif /* __bpf__ */

/* Sets for at least N entries (a power of two, >= 1). */
static inline __u32 pt_nsets(__u32 n)
{
	__u32 sets = 1;

	while (sets < 0x80000000u && (__u64)sets * PT_WAYS < n)
		sets <<= 1;
	return sets;
}

#endif /* PTRTAB_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Allocations still live, as user space saw them: a mirror of the BPF
 * `allocs` table with who/where/when, for `kmtrace trace`'s leak report and
 * --perfetto's outstanding_bytes.
 */
#ifndef KMT_LIVE_H
#define KMT_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "events.h"

/* One allocation seen (kmalloc or page_alloc event) and not yet freed. */
struct kmt_live_alloc {
	uint64_t key; /* kmt_live_key(): the address; pages: pfn */
	uint64_t ts_ns;
	uint64_t call_site;
	uint64_t via; /* -m: the module frame that caused it */
	uint64_t bytes_req;
	uint64_t bytes_alloc;
	uint32_t kind; /* the allocation's event type (KMT_EV_KMALLOC, ...) */
	uint32_t order;
	uint32_t pid, tid;
	int32_t stack_id; /* --stacks: its kernel stack (kmt_event.stack_id) */
	char comm[KMT_COMM_LEN];
	char cache[KMT_CACHE_LEN]; /* KMT_EV_CACHE_ALLOC */
};

/* The key of E's object: its address (per-CPU: tagged as in BPF), pages: pfn. */
static inline uint64_t kmt_live_key(const struct kmt_event *e)
{
	int fam = kmt_event_family(e->type);

	if (fam == KMT_FAM_PAGE)
		return e->pfn;
	return fam == KMT_FAM_PERCPU ? e->ptr ^ KMT_KEY_PERCPU : e->ptr;
}

struct kmt_live;

/* A table of at most MAX allocations, 0: as many as memory allows (it grows);
 * NULL on ENOMEM. */
struct kmt_live *kmt_live_new(size_t max);
void kmt_live_free(struct kmt_live *t);
size_t kmt_live_count(const struct kmt_live *t);
/* Allocations not recorded: the table was full (MAX) or memory ran out. */
uint64_t kmt_live_dropped(const struct kmt_live *t);

/*
 * Feed one event: kmalloc/page_alloc add an entry, a tracked kfree/page_free
 * removes its entry (copied to *GONE when GONE is not NULL).  Returns true
 * when an entry was removed.
 */
bool kmt_live_event(struct kmt_live *t, const struct kmt_event *e, struct kmt_live_alloc *gone);

/* Add allocation A (kept as it is; a full table counts it as dropped). */
void kmt_live_add(struct kmt_live *t, const struct kmt_live_alloc *a);

/*
 * Take every entry out of the table: a malloc()ed array sorted by ts_ns (NULL
 * when empty or on ENOMEM), *N entries.
 */
struct kmt_live_alloc *kmt_live_take_all(struct kmt_live *t, size_t *n);

/* Allocations with one kernel stack (--stacks). */
struct kmt_live_group {
	int32_t stack_id; /* an error id groups the allocations with that error */
	uint64_t count, bytes;
};

/*
 * V[0..N) grouped by stack, largest bytes (bytes_alloc) first, then most
 * allocations, then lowest id: a malloc()ed array of *NG groups (NULL when N
 * is 0 or on ENOMEM).
 */
struct kmt_live_group *kmt_live_by_stack(const struct kmt_live_alloc *v, size_t n, size_t *ng);

#endif /* KMT_LIVE_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Allocations still live, as user space saw them (a mirror of the BPF
 * `allocs` table with who/where/when), and the leak report `kmtrace trace -m
 * MOD` prints when MOD is freed with some of them still outstanding.
 */
#ifndef KMTRACE_LEAK_H
#define KMTRACE_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "kmtrace.h"

/* One allocation seen (kmalloc or page_alloc event) and not yet freed. */
struct kmt_live_alloc {
	uint64_t key; /* kmalloc: ptr; pages: pfn (the BPF table's key) */
	uint64_t ts_ns;
	uint64_t call_site;
	uint64_t bytes_req;
	uint64_t bytes_alloc;
	uint32_t kind; /* KMT_EV_KMALLOC or KMT_EV_PAGE_ALLOC */
	uint32_t order;
	uint32_t pid, tid;
	char comm[KMT_COMM_LEN];
};

struct kmt_live;

/* A table of at most MAX allocations (bounded memory); NULL on ENOMEM. */
struct kmt_live *kmt_live_new(size_t max);
void kmt_live_free(struct kmt_live *t);
size_t kmt_live_count(const struct kmt_live *t);
/* Allocations not recorded because the table was full. */
uint64_t kmt_live_dropped(const struct kmt_live *t);

/*
 * Feed one event: kmalloc/page_alloc add an entry, a tracked kfree/page_free
 * removes its entry (copied to *GONE when GONE is not NULL).  Returns true
 * when an entry was removed.
 */
bool kmt_live_event(struct kmt_live *t, const struct kmt_event *e, struct kmt_live_alloc *gone);

/*
 * Take every entry out of the table: a malloc()ed array sorted by ts_ns (NULL
 * when empty or on ENOMEM), *N entries.
 */
struct kmt_live_alloc *kmt_live_take_all(struct kmt_live *t, size_t *n);

/*
 * One leak (an allocation still outstanding when MODULE was freed at
 * UNLOAD_NS) as a JSON object without newline: event "leak", kind, ptr or
 * pfn/order, bytes, call_site, sym, module, pid, tid, comm, ts_ns (of the
 * allocation), unload_ts_ns, age_ns.  Returns the length needed.
 */
int kmt_format_leak_json(const struct kmt_live_alloc *a, uint64_t unload_ns, const char *module,
			 const char *sym, char *buf, size_t len);

/* The leak table: a title line, a header line and one line per leak (no newlines). */
int kmt_format_leak_title(const char *module, size_t n, uint64_t bytes, char *buf, size_t len);
const char *kmt_leak_text_header(void);
int kmt_format_leak_text(const struct kmt_live_alloc *a, uint64_t unload_ns, const char *sym,
			 char *buf, size_t len);

#endif

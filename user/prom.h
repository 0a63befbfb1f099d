// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace stat --listen / --textfile`: the stat numbers in the Prometheus
 * text exposition format (version 0.0.4).  Pure: a snapshot of what
 * user/stat.c read from the BPF maps goes in, the text comes out; unit-tested
 * in tests/unit/test_prom.c and fuzzed by tests/fuzz/fuzz_prom.c.
 *
 * No label or value carries a kernel address: call sites are symbols
 * ("load_msg+0x41"), caches their names, and a call site without a symbol
 * (or with an offset too large to be inside a function) is the series
 * call_site="unknown", counted in kmtrace_unresolved_call_sites.
 *
 * Cardinality is bounded: per dimension (call site, module, cache, size
 * class) the TOP keys with the most bytes allocated get their own series and
 * the rest are summed in one "other" series.  The choice is sticky: a key
 * keeps its series for the whole run and the set is only filled, never
 * changed, so every counter (also "other") only goes up, as Prometheus'
 * rate() needs.  A key's label is fixed the first time it is seen, for the
 * same reason.  Both live in struct prom_state, kept across renders.
 */
#ifndef KMT_PROM_H
#define KMT_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "stat_report.h"

#define PROM_TOP_DEFAULT 20
#define PROM_TOP_MAX	 1000
/* A call site further than this from its symbol is not inside it. */
#define PROM_MAX_OFFSET 0x100000
/* The size histogram's buckets: le = 2^PROM_LE_MIN .. 2^PROM_LE_MAX, +Inf. */
#define PROM_LE_MIN 3
#define PROM_LE_MAX 22

/* Names KEY (a call site, or a cache) into BUF ("" when unknown); *MODULE
 * gets the module of a call site (NULL: vmlinux).  Returns BUF. */
typedef const char *(*prom_name_fn)(void *arg, __u64 key, char *buf, size_t len,
				    const char **module);

/* The tracer's own state. */
struct prom_tracer {
	const char *version;
	const char *scope;     /* "all", "pid 42", "comm kstorm" */
	double start_time;     /* Unix seconds */
	bool ready;	       /* the programs are attached */
	unsigned int programs; /* BPF programs loaded and attached */
	__u64 missed;	       /* events the kernel did not run them for (recursion) */
};

struct prom_snapshot {
	enum stat_mode mode;
	const struct stat_row *rows; /* the stat table (any order) */
	size_t n;
	struct kmstat_totals tot;
	const struct kmstat_sizes *sizes; /* kmalloc/cache; --page: made from the rows */
	unsigned long page_size;	  /* --page: bytes of an order-0 page */
	prom_name_fn name;		  /* --caller: symbols; --cache: cache names */
	void *name_arg;
	struct prom_tracer tr;
};

struct prom_state;

/* State for at most TOP series per dimension (1..PROM_TOP_MAX); NULL on ENOMEM. */
struct prom_state *prom_state_new(size_t top);
void prom_state_free(struct prom_state *st);

/* The exposition of S into F.  0, or -1 (out of memory, or F's error). */
int prom_render(FILE *f, const struct prom_snapshot *s, struct prom_state *st);

/*
 * The label of a call site from its symbol SYM ("func+0xoff" or "func+0xoff
 * [module]"): "func+0xoff" into OUT.  0, or -1 when SYM names nothing usable
 * (empty, no "+0x" offset, an offset of PROM_MAX_OFFSET or more, or too long).
 */
int prom_site_label(const char *sym, char *out, size_t len);

/* S as a label value (without the quotes): '\\', '"' and newline escaped,
 * other control bytes and bytes >= 0x7f as '?' (the format is UTF-8). */
void prom_put_label(FILE *f, const char *s);

/* The Content-Type of the exposition. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif /* KMT_PROM_H */

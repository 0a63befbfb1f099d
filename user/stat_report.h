// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace stat`: perf-kmem-stat-like allocator statistics, aggregated in BPF.
 *
 *   cmd_stat()           the subcommand (user/stat.c)
 *   stat_*() below       pure table logic: math, sorting, text and JSON output
 *                        (user/stat_report.c), unit-tested in tests/unit/test_stat.c
 */
#ifndef KMT_STAT_REPORT_H
#define KMT_STAT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "stat.h" /* bpf/stat.h: the rows and totals */

enum stat_mode { STAT_CALLER, STAT_ALLOC, STAT_PAGE, STAT_CACHE };
enum stat_sort { STAT_SORT_BYTES, STAT_SORT_HITS, STAT_SORT_FRAG, STAT_SORT_OUTSTANDING };

/* One table row, summed over CPUs. key: call site (caller) or bytes_alloc (alloc). */
struct stat_row {
	__u64 key;
	struct kmstat_site s;
	/* --page */
	__u32 order;
	__u32 gfp;
	struct kmstat_page p;
};

/*
 * Formatter callback: writes a name for value v into buf and returns buf.
 * Used for call sites ("func+0xoff [module]") and gfp masks ("GFP_KERNEL|…").
 */
typedef const char *(*stat_fmt_fn)(void *arg, __u64 v, char *buf, size_t len);

struct stat_report {
	enum stat_mode mode;
	enum stat_sort sort;
	size_t limit; /* rows to print, 0 = all */
	bool json;
	double seconds;	   /* how long it traced */
	const char *scope; /* "all", "pid N" or "comm NAME"; NULL: "all" */
	__u64 missed;	   /* events the kernel did not run the programs for */
	stat_fmt_fn sym;   /* NULL: call sites as hex */
	void *sym_arg;
	stat_fmt_fn gfp; /* NULL: gfp masks as hex only */
	void *gfp_arg;
};

/* Internal fragmentation in percent: 100 * (1 - req / alloc), 0 when alloc is 0. */
double stat_frag_pct(__u64 bytes_req, __u64 bytes_alloc);

/* Bytes of allocations made while tracing and not seen freed (tracked ones only). */
__u64 stat_outstanding(const struct kmstat_site *s);

/* -1 when that sort key means nothing in that mode (frag/outstanding with --page). */
int stat_sort_valid(enum stat_mode mode, enum stat_sort sort);

/* Descending by the sort key, ties by key ascending (deterministic). */
void stat_sort_rows(struct stat_row *rows, size_t n, enum stat_mode mode, enum stat_sort sort);

/* Print the (sorted) table, then the totals block; text or JSON lines. */
void stat_print_rows(FILE *f, const struct stat_report *r, const struct stat_row *rows, size_t n);
void stat_print_totals(FILE *f, const struct stat_report *r, const struct kmstat_totals *t);

#endif /* KMT_STAT_REPORT_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace hist`: log2 or linear histograms of kmalloc sizes, aggregated in
 * the kernel (bpf/hist.bpf.c: the filter, then one per-CPU count in the
 * `hist` map; nothing goes through the ring buffer).
 *
 *   cmd_hist()      the subcommand (user/hist.c); its options: user/specs.c
 *   hist_*() below  pure logic: buckets, grouping, text and JSON
 *                   (user/hist_report.c), unit-tested in tests/unit/test_hist.c
 */
#ifndef KMT_HIST_REPORT_H
#define KMT_HIST_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "hist.h" /* bpf/hist.h: the map key, bucket arithmetic */

enum hist_field { HIST_REQ, HIST_ALLOC };

/* "bytes_req" / "bytes_alloc". */
const char *hist_field_name(enum hist_field f);

/*
 * Bucket SLOT (kmt_hist_slot()) as [*LO, *HI).  *HI = 0 stands for 2^64 (the
 * last log2 bucket, or a linear one reaching past the largest value).
 */
void hist_bucket(__u64 slot, __u64 step, __u64 *lo, __u64 *hi);
/* "[LO, HI)" (2^64 written out in decimal). Returns the length like snprintf. */
int hist_label(__u64 slot, __u64 step, char *buf, size_t len);
/* WIDTH characters: COUNT * WIDTH / MAX '@' (at least one when COUNT > 0), then spaces. */
void hist_bar(__u64 count, __u64 max, int width, char *buf);

/* One count of one bucket of one histogram: a `hist` map entry summed over CPUs. */
struct hist_row {
	struct kmt_hist_key k;
	__u64 count;
};

/* One histogram: consecutive rows with the same key/comm, by slot. */
struct hist {
	const struct hist_row *rows;
	size_t n;
	__u64 total;
};

/*
 * Sort ROWS by key, comm, slot (rows of a key then are one histogram) and
 * return the histograms, largest total first (ties: by key, comm); *NH gets
 * their number.  NULL when N is 0 or out of memory.  Rows with count 0 are
 * left out of totals but kept.
 */
struct hist *hist_group(struct hist_row *rows, size_t n, size_t *nh);

/* Names a call site or a gfp mask into BUF; returns BUF ("" when unknown). */
typedef const char *(*hist_name_fn)(void *arg, __u64 v, char *buf, size_t len);

struct hist_fmt {
	enum hist_field field;
	enum kmt_hist_by by;
	__u64 step;
	bool json;
	const char *scope;    /* no --by: the filter, e.g. "all processes", "pid 42" */
	const char *families; /* "kmalloc", "kmalloc,cache", ...; NULL: "kmalloc" */
	hist_name_fn sym;     /* --by caller; NULL or "": hex */
	void *sym_arg;
	hist_name_fn gfp; /* --by gfp; NULL: hex */
	void *gfp_arg;
	__u64 ts_ns;	/* JSON "ts_ns" */
	__u64 interval; /* JSON "interval" (1, 2, …); 0: left out */
};

/*
 * Text (bpftrace style: "@bytes_req[KEY]:" or "@bytes_req (kmalloc, SCOPE):",
 * one line per bucket from the lowest to the highest non-empty one, a run of
 * more than HIST_GAP empty buckets as one "..." line, then an empty line) or
 * one JSON object per line (non-empty buckets only).  H NULL: the "no events"
 * form (text: one line; JSON: key null, buckets [], total 0).
 */
#define HIST_GAP       8
#define HIST_BAR_WIDTH 52
void hist_print(FILE *f, const struct hist_fmt *fm, const struct hist *h);

/* The key of H as in the text header ("pid 42, kstorm", "caller load_msg+0x41", …). */
void hist_key_str(const struct hist_fmt *fm, const struct hist_row *r, char *buf, size_t len);

#endif /* KMT_HIST_REPORT_H */

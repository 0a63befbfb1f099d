/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What each BPF program of a loaded object costs, from the kernel's own BPF
 * run-time statistics: with them on (BPF_ENABLE_STATS, or sysctl
 * kernel.bpf_stats_enabled=1) the kernel times every run of every program
 * and keeps run_time_ns and run_cnt in its bpf_prog_info.  Snapshot before
 * and after a window, diff, print: ns per run per program.
 */
#ifndef KMT_BPFSTATS_H
#define KMT_BPFSTATS_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

struct bpf_object;

#define KMT_PROG_NAME_LEN 64

struct kmt_prog_stat {
	char name[KMT_PROG_NAME_LEN]; /* libbpf's program name (the C function's) */
	__u32 id;		      /* the kernel's program id */
	__u64 run_ns;		      /* run_time_ns: time spent in the program */
	__u64 run_cnt;		      /* runs, counted only while statistics are on */
	__u64 recursion_misses;	      /* runs skipped: already running on that CPU */
};

/*
 * Turns the kernel's BPF run-time statistics on for as long as the returned
 * fd stays open (reference-counted; the kernel turns them off again when the
 * last holder closes, also when the process dies).  Returns the fd or -errno
 * (-EINVAL before 5.8).  Timing costs a clock read pair per program run.
 */
int kmt_bpfstats_enable(void);

/* One program's statistics from its fd; name copied (truncated) into out. */
int kmt_bpfstats_read_fd(int prog_fd, const char *name, struct kmt_prog_stat *out);

/*
 * One entry per loaded program of obj (programs with autoload off are
 * skipped), in the object's order, at most max.  Returns how many were
 * written, or -errno when the kernel refused a program's info.
 */
int kmt_bpfstats_read(const struct bpf_object *obj, struct kmt_prog_stat *out, size_t max);

/*
 * out[i] = after[i] - the entry of before with the same id (an id not in
 * before, e.g. a program loaded in between, counts from zero; a counter
 * lower than before is taken as 0).  out may be after.  Returns na.
 */
size_t kmt_bpfstats_diff(const struct kmt_prog_stat *before, size_t nb,
			 const struct kmt_prog_stat *after, size_t na, struct kmt_prog_stat *out);

/* The sums over n entries, named "total", id 0. */
void kmt_bpfstats_total(const struct kmt_prog_stat *s, size_t n, struct kmt_prog_stat *tot);

/* run_ns / run_cnt; 0 when the program did not run. */
double kmt_bpfstats_ns_per_run(const struct kmt_prog_stat *s);

/*
 * A table (one row per program that ran, then the total) of a diff over a
 * window of `seconds`: runs, ns per run, total ms, share of one CPU, missed.
 * Programs with no runs are left out; when nothing ran at all it says so
 * (statistics off?).  Returns 0, or -1 on a write error.
 */
int kmt_bpfstats_print(FILE *f, const struct kmt_prog_stat *s, size_t n, double seconds);

/*
 * The same as one JSON line:
 * {"event":"bpf_stats","seconds":S,"progs":[{"name":…,"id":…,"run_cnt":…,
 *  "run_ns":…,"ns_per_run":…,"recursion_misses":…},…],"run_cnt":…,
 *  "run_ns":…,"ns_per_run":…,"recursion_misses":…}
 * with every program, also those that did not run.  Returns 0 or -1.
 */
int kmt_bpfstats_print_json(FILE *f, const struct kmt_prog_stat *s, size_t n, double seconds);

#endif /* KMT_BPFSTATS_H */

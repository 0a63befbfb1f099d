// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace mm`: with -p PID or -- CMD the mm_users timeline of that process
 * (thread events from bpf/kmtrace.bpf.c, plus periodic samples of mm_users by
 * the mmsnap task iterator for changes without a thread event); without a
 * target the snapshot of user/mmsnap.c.
 */
#ifndef KMTRACE_MMTIMELINE_H
#define KMTRACE_MMTIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* argv[0] = "mm". Returns the exit status: 0, 1 (runtime error), 2 (usage). */
int cmd_mm(int argc, char **argv);

struct kmt_mm_opts {
	pid_t pid;	      /* -p; 0: none */
	char **cmd;	      /* -- CMD ARGS…, NULL-terminated; NULL: none */
	double interval;      /* seconds between mm_users samples (default 0.1) */
	uint64_t count;	      /* samples to take, 0: until the target exits */
	bool json;	      /* --json */
	bool verbose;	      /* -v */
	bool help;	      /* -h */
	const char *perfetto; /* --perfetto FILE */
};

/* Whether ARGV (argv[0] = "mm") names a target (-p / -- CMD): the timeline. */
bool kmt_mm_has_target(int argc, char **argv);

/*
 * Parse the timeline's arguments (user/mmopts.c: kmt_parse_opts() of
 * user/opts.c, with INTERVAL [COUNT]).  0, or a usage error (exit 2) with a
 * one-line reason in ERR: -1, or KMT_MM_UNSUPPORTED for an option of trace
 * that mm does not implement (-c, -m, --min-size, --max-size, --ko, -d; ERR
 * names it), also refused without a target.
 */
#define KMT_MM_UNSUPPORTED (-2)
int kmt_parse_mm(int argc, char **argv, struct kmt_mm_opts *o, char *err, size_t errlen);

const char *kmt_mm_usage(void);

#endif

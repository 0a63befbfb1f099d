// SPDX-License-Identifier: GPL-2.0
/* Option parsing for `kmtrace trace` into a struct (unit-tested). */
#ifndef KMTRACE_OPTS_H
#define KMTRACE_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "kmtrace.h"

struct option;

struct kmt_opts {
	pid_t pid;		      /* -p; 0: none */
	char comm[KMT_COMM_LEN];      /* -c; "" : none */
	char module[KMT_MODNAME_LEN]; /* -m, '-' normalized to '_'; "": none */
	uint64_t min_size, max_size;  /* --min-size/--max-size */
	bool size_filter;	      /* either given */
	double duration;	      /* -d; 0: until interrupted */
	bool json;		      /* --json */
	bool verbose;		      /* -v: libbpf debug output */
	bool help;		      /* -h: print usage, exit 0 */
	const char *ko;		      /* --ko PATH */
	const char *perfetto;	      /* --perfetto FILE: Chrome trace-event JSON */
	char **cmd;		      /* -- CMD ARGS…, NULL-terminated; NULL: none */
	int cmd_argc;
};

/*
 * Parse `trace` arguments (argv[0] is "trace").  Returns 0, or -1 with a
 * one-line reason (no "kmtrace: " prefix) in ERR — a usage error (exit 2).
 */
int kmt_parse_trace(int argc, char **argv, struct kmt_opts *o, char *err, size_t errlen);

/*
 * Options and positional arguments a command adds to the trace ones (`hist`).
 * LOPTS: NULL-terminated, each .val >= KMT_OPT_EXT.  OPT gets such an option
 * with its argument (NULL if none), ARG each positional argument before "--";
 * they return 0, or -1 with a one-line reason in ERR (a usage error).
 */
#define KMT_OPT_EXT 512
struct kmt_opts_ext {
	const struct option *lopts;
	int (*opt)(void *ctx, int val, const char *arg, char *err, size_t errlen);
	int (*arg)(void *ctx, const char *arg, char *err, size_t errlen);
	void *ctx;
};

/* kmt_parse_trace() plus the options of X (NULL: none). */
int kmt_parse_opts(int argc, char **argv, const struct kmt_opts_ext *x, struct kmt_opts *o,
		   char *err, size_t errlen);

/* Replace control characters of S (newlines…) by '?', so that a message
 * quoting an argument stays one line.  Returns S. */
char *kmt_one_line(char *s);
/* printf FMT into ERR (LEN bytes) as one line (kmt_one_line); returns -1. */
int kmt_fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Strict unsigned decimal: no sign, no trailing garbage, no overflow. */
int kmt_parse_u64(const char *s, uint64_t *out);

/* The usage text of `kmtrace trace`. */
const char *kmt_trace_usage(void);

#endif

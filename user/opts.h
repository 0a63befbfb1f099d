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
	char **cmd;		      /* -- CMD ARGS…, NULL-terminated; NULL: none */
	int cmd_argc;
};

/*
 * Parse `trace` arguments (argv[0] is "trace").  Returns 0, or -1 with a
 * one-line reason (no "kmtrace: " prefix) in ERR — a usage error (exit 2).
 */
int kmt_parse_trace(int argc, char **argv, struct kmt_opts *o, char *err, size_t errlen);

/* Strict unsigned decimal: no sign, no trailing garbage, no overflow. */
int kmt_parse_u64(const char *s, uint64_t *out);

/* The usage text of `kmtrace trace`. */
const char *kmt_trace_usage(void);

#endif

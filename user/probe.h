// SPDX-License-Identifier: GPL-2.0
/* Run-time feature probes: tracefs, tracepoints, BPF program types. */
#ifndef KMTRACE_PROBE_H
#define KMTRACE_PROBE_H

#include <stdbool.h>

/*
 * Make sure tracefs is reachable (libbpf needs it to attach classic
 * tracepoints): mounts it at /sys/kernel/tracing when neither that nor
 * /sys/kernel/debug/tracing has an events/ directory.  Returns the tracefs
 * root, or NULL after printing a "kmtrace: …" line saying what to do.
 */
const char *kmt_tracefs(void);

/* Whether the tracepoint SYS:NAME exists on this kernel (tracefs events/). */
bool kmt_tp_exists(const char *sys, const char *name);

/* Whether the kernel accepts BPF_PROG_TYPE_RAW_TRACEPOINT programs. */
bool kmt_have_raw_tp(void);

#endif

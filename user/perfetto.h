// SPDX-License-Identifier: GPL-2.0
/*
 * --perfetto FILE: a Chrome trace-event JSON file ({"traceEvents":[...],
 * "displayTimeUnit":"ns"}) that ui.perfetto.dev and chrome://tracing open.
 * Written as the events arrive (bounded memory); closed by kmt_pf_close().
 *
 * Per process: process_name/thread_name metadata ("M"), instant events ("i",
 * thread scope) for allocations, frees, thread and module events, and two
 * counter tracks ("C"): "mm_users" and "outstanding_bytes".
 */
#ifndef KMTRACE_PERFETTO_H
#define KMTRACE_PERFETTO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "events.h"

struct kmt_pf;

/* Create (0600) or truncate (and make private) PATH and write the file's head;
 * NULL with errno on error. */
struct kmt_pf *kmt_pf_open(const char *path);
/* The same on an open stream (taken over: closed by kmt_pf_close). */
struct kmt_pf *kmt_pf_fdopen(FILE *f);
/* Finish the JSON and close. 0, or -1 with errno (a write failed at any point). */
int kmt_pf_close(struct kmt_pf *pf);

/*
 * One kmtrace event.  SYM: its call site as text, or NULL.  OWNER: for a
 * tracked kfree/page_free, the pid that made the allocation (its
 * outstanding_bytes go down), 0 when unknown.
 */
void kmt_pf_event(struct kmt_pf *pf, const struct kmt_event *e, const char *sym, uint32_t owner);

/*
 * mm_users of process PID seen at TS_NS without a thread event (`kmtrace mm`
 * samples): an instant event NAME (e.g. "mm_users_change") when NAME is not
 * NULL, and the mm_users counter.
 */
void kmt_pf_mm_users(struct kmt_pf *pf, uint64_t ts_ns, uint32_t pid, const char *comm,
		     int mm_users, const char *name);

/* An allocation still outstanding when its module was freed: a "leak" instant. */
void kmt_pf_leak(struct kmt_pf *pf, uint64_t ts_ns, uint32_t pid, uint32_t tid, uint64_t ptr,
		 uint64_t bytes, const char *sym);

#endif

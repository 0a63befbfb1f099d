// SPDX-License-Identifier: GPL-2.0
/* `kmtrace trace` output: events and the leak report, text or JSON. */
#ifndef KMT_TRACE_OUTPUT_H
#define KMT_TRACE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "events.h"

struct kmt_live_alloc;

/* "kmalloc", "kfree", "page_alloc", …; "unknown" for anything else. */
const char *kmt_event_name(unsigned int type);

/* An allocation's kernel stack as printed with its event (--stacks): N
 * frames, innermost first, or none and ERROR saying why. */
struct kmt_ev_stack {
	const char *const *frames;
	size_t n;
	const char *error; /* when FRAMES is NULL */
};

/*
 * One event as one JSON object (no newline).  SYM: call site as
 * "func+0xoff [mod]" or NULL/""; MODULE: the module the event belongs to (its
 * via frame's, else its call site's), or NULL; VIA: the via frame named, or
 * NULL.  Returns the length it needed (like snprintf).
 */
int kmt_format_json(const struct kmt_event *e, const char *sym, const char *module, const char *via,
		    char *buf, size_t len);
/* The same with the event's kernel stack ST (NULL: none) as "stack": an
 * array of frame strings (and "stack_error" when it has none). */
int kmt_format_json_stack(const struct kmt_event *e, const char *sym, const char *module,
			  const char *via, const struct kmt_ev_stack *st, char *buf, size_t len);

/* ST as text lines under its event (joined by '\n', no newline at the end):
 * "    frame" each, or "    [no stack: ERROR]".  Returns the length needed. */
int kmt_format_stack_text(const struct kmt_ev_stack *st, char *buf, size_t len);

/*
 * The outstanding allocations grouped by kernel stack (--stacks): the title
 * of the report ("--- WHAT by kernel stack: N allocations (B bytes) in S
 * stacks, the top T ---"), one group's line ("B bytes in N allocations from
 * stack:", the frames follow as kmt_format_stack_text) and, with --json, one
 * group as an object: {"event":EVENT,"module":MODULE (when not NULL),
 * "rank":R,"allocations":N,"bytes":B,"stack":[...]}.
 */
int kmt_format_stacks_title(const char *what, size_t n, uint64_t bytes, size_t stacks, size_t top,
			    char *buf, size_t len);
int kmt_format_stack_group_text(uint64_t count, uint64_t bytes, char *buf, size_t len);
int kmt_format_stack_group_json(const char *event, const char *module, size_t rank, uint64_t count,
				uint64_t bytes, const struct kmt_ev_stack *st, char *buf,
				size_t len);

/* The text header line (no newline) and one aligned text line (no newline);
 * TIME is seconds since T0_NS. */
const char *kmt_text_header(void);
int kmt_format_text(const struct kmt_event *e, uint64_t t0_ns, const char *sym, const char *via,
		    char *buf, size_t len);

/*
 * One leak (an allocation still outstanding when MODULE was freed at
 * UNLOAD_NS) as a JSON object without newline: event "leak", kind, ptr or
 * pfn/order, bytes, call_site, sym, module, pid, tid, comm, ts_ns (of the
 * allocation), unload_ts_ns, age_ns.  Returns the length needed.
 */
int kmt_format_leak_json(const struct kmt_live_alloc *a, uint64_t unload_ns, const char *module,
			 const char *sym, const char *via, char *buf, size_t len);

/*
 * The leak table: a title line, a header line and one line per leak (no
 * newlines).  UNTRACKED: allocations of the module that no table could hold
 * (BPF table full, or user space's mirror out of memory), LOST: events lost
 * (ring buffer full): when either is not 0 the title says the report is
 * incomplete and by how much.
 */
int kmt_format_leak_title(const char *module, size_t n, uint64_t bytes, uint64_t untracked,
			  uint64_t lost, char *buf, size_t len);
/* With --json, the same incompleteness as one object (event
 * "leaks_incomplete": module, leaks, untracked, lost), printed after the
 * leaks when UNTRACKED or LOST is not 0. */
int kmt_format_leak_incomplete_json(const char *module, size_t n, uint64_t untracked, uint64_t lost,
				    char *buf, size_t len);
const char *kmt_leak_text_header(void);
int kmt_format_leak_text(const struct kmt_live_alloc *a, uint64_t unload_ns, const char *sym,
			 char *buf, size_t len);

/* An allocation reported as a leak, freed at FREE_NS after all: JSON (event
 * "freed_late") or one text line. */
int kmt_format_freed_late_json(const struct kmt_live_alloc *a, uint64_t free_ns, const char *sym,
			       char *buf, size_t len);
int kmt_format_freed_late_text(const struct kmt_live_alloc *a, uint64_t free_ns, const char *sym,
			       char *buf, size_t len);

#endif /* KMT_TRACE_OUTPUT_H */

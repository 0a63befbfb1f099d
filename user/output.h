// SPDX-License-Identifier: GPL-2.0
/* Text and JSON formatting of one kmtrace event. */
#ifndef KMTRACE_OUTPUT_H
#define KMTRACE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "kmtrace.h"

/* "kmalloc", "kfree", "page_alloc", …; "unknown" for anything else. */
const char *kmt_event_name(unsigned int type);

/*
 * JSON string body of S (at most MAXLEN bytes, stops at NUL), with quotes,
 * into OUT; control characters and bytes >= 0x80 become \u00XX (comm is raw
 * bytes, not necessarily UTF-8).  Returns the length it needed (like snprintf).
 */
size_t kmt_json_str(const char *s, size_t maxlen, char *out, size_t outlen);

/*
 * One event as one JSON object (no newline).  SYM: call site as
 * "func+0xoff [mod]" or NULL/""; MODULE: module the call site is in, or NULL.
 * Returns the length it needed (like snprintf).
 */
int kmt_format_json(const struct kmt_event *e, const char *sym, const char *module, char *buf,
		    size_t len);

/* The text header line (no newline) and one aligned text line (no newline);
 * TIME is seconds since T0_NS. */
const char *kmt_text_header(void);
int kmt_format_text(const struct kmt_event *e, uint64_t t0_ns, const char *sym, char *buf,
		    size_t len);

#endif

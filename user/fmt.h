// SPDX-License-Identifier: GPL-2.0
/*
 * Output primitives of every command: a bounded string builder with
 * hand-rolled number formatting (inline: the trace hot path), the one JSON
 * string escaping rule, the one comm sanitizer (user/fmt.c).
 */
#ifndef KMT_FMT_H
#define KMT_FMT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

/* snprintf-style appender */
struct kmt_sb {
	char *buf; /* stays NUL-terminated */
	size_t len, used;
};

static inline void kmt_sb_add(struct kmt_sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void kmt_sb_add(struct kmt_sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->used < b->len ? b->buf + b->used : NULL,
		      b->used < b->len ? b->len - b->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += n;
}

static inline void kmt_sb_putc(struct kmt_sb *b, char c)
{
	if (b->used + 1 < b->len) {
		b->buf[b->used] = c;
		b->buf[b->used + 1] = '\0';
	}
	b->used++;
}

/*
 * Hot path (one call per field of every event): copies and hand-rolled number
 * formatting with kmt_sb_add's snprintf semantics (used counts what would have been
 * written; the buffer stays NUL-terminated), no vsnprintf.
 */
static inline void kmt_sb_mem(struct kmt_sb *b, const char *s, size_t n)
{
	if (b->used < b->len) {
		size_t room = b->len - b->used - 1, k = n < room ? n : room;

		memcpy(b->buf + b->used, s, k);
		b->buf[b->used + k] = '\0';
	}
	b->used += n;
}

#define kmt_sb_lit(b, s) kmt_sb_mem((b), (s), sizeof(s) - 1)

/* Spaces up to column START + WIDTH (printf's "%-WIDTHs" after the fact). */
static inline void kmt_sb_pad(struct kmt_sb *b, size_t start, size_t width)
{
	while (b->used < start + width)
		kmt_sb_putc(b, ' ');
}

/* "%-WIDTHs " */
static inline void kmt_sb_padded(struct kmt_sb *b, const char *s, size_t width)
{
	size_t start = b->used;

	kmt_sb_mem(b, s, strlen(s));
	kmt_sb_pad(b, start, width);
	kmt_sb_putc(b, ' ');
}

static inline void kmt_sb_u64(struct kmt_sb *b, uint64_t v)
{
	char t[20];
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	kmt_sb_mem(b, t + i, sizeof(t) - i);
}

static inline void kmt_sb_s64(struct kmt_sb *b, int64_t v)
{
	if (v < 0) {
		kmt_sb_putc(b, '-');
		kmt_sb_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		kmt_sb_u64(b, (uint64_t)v);
	}
}

/* "0x%llx" */
static inline void kmt_sb_hex(struct kmt_sb *b, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char t[18];
	size_t i = sizeof(t);

	do {
		t[--i] = digits[v & 15];
		v >>= 4;
	} while (v);
	t[--i] = 'x';
	t[--i] = '0';
	kmt_sb_mem(b, t + i, sizeof(t) - i);
}

static inline void kmt_sb_json_str(struct kmt_sb *b, const char *s, size_t maxlen)
{
	size_t i = 0;

	kmt_sb_putc(b, '"');
	while (i < maxlen && s[i]) {
		size_t j = i;
		unsigned char c;

		/* the run of characters that need no escaping, in one copy */
		while (j < maxlen && s[j] && (unsigned char)s[j] >= 0x20 &&
		       (unsigned char)s[j] < 0x7f && s[j] != '"' && s[j] != '\\')
			j++;
		if (j > i)
			kmt_sb_mem(b, s + i, j - i);
		if (j >= maxlen || !s[j])
			break;
		c = (unsigned char)s[j];
		i = j + 1;
		switch (c) {
		case '"':
			kmt_sb_lit(b, "\\\"");
			break;
		case '\\':
			kmt_sb_lit(b, "\\\\");
			break;
		case '\n':
			kmt_sb_lit(b, "\\n");
			break;
		case '\t':
			kmt_sb_lit(b, "\\t");
			break;
		case '\r':
			kmt_sb_lit(b, "\\r");
			break;
		default: {
			static const char hx[] = "0123456789abcdef";
			char u[6] = {'\\', 'u', '0', '0', hx[c >> 4], hx[c & 15]};

			kmt_sb_mem(b, u, sizeof(u));
		}
		}
	}
	kmt_sb_putc(b, '"');
}

/*
 * JSON string of S (at most MAXLEN bytes, stops at NUL), with quotes, into
 * OUT: control characters, DEL and bytes >= 0x80 become \u00XX (comm is raw
 * bytes, not necessarily UTF-8).  Returns the length it needed (like snprintf).
 */
size_t kmt_json_str(const char *s, size_t maxlen, char *out, size_t outlen);
/* The same written to F. */
void kmt_fput_json_str(FILE *f, const char *s, size_t maxlen);

/* COMM (KMT_COMM_LEN bytes) for a text column: bytes that are not printable
 * ASCII, and spaces, become '?'.  OUT has KMT_COMM_LEN + 1 bytes; returns OUT. */
char *kmt_comm_text(const char *comm, char *out);

/* Replace control characters of S (newlines...) by '?', so that a message
 * or a text line quoting it stays one line.  Returns S. */
char *kmt_one_line(char *s);

#endif /* KMT_FMT_H */

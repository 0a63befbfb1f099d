// SPDX-License-Identifier: GPL-2.0
/* Text and JSON formatting of one event (pure functions, unit-tested). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "gfp.h"
#include "output.h"

static const char *const names[KMT_EV_MAX] = {
    [KMT_EV_KMALLOC] = "kmalloc",	    [KMT_EV_KFREE] = "kfree",
    [KMT_EV_PAGE_ALLOC] = "page_alloc",	    [KMT_EV_PAGE_FREE] = "page_free",
    [KMT_EV_THREAD_START] = "thread_start", [KMT_EV_THREAD_EXIT] = "thread_exit",
    [KMT_EV_PROCESS_EXIT] = "process_exit", [KMT_EV_EXEC] = "exec",
    [KMT_EV_MODULE_LOAD] = "module_load",   [KMT_EV_MODULE_FREE] = "module_free",
};

const char *kmt_event_name(unsigned int type)
{
	return type < KMT_EV_MAX && names[type] ? names[type] : "unknown";
}

/* snprintf-style appender */
struct sb {
	char *buf;
	size_t len, used;
};

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sb *b, const char *fmt, ...)
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

static void sb_putc(struct sb *b, char c)
{
	if (b->used + 1 < b->len) {
		b->buf[b->used] = c;
		b->buf[b->used + 1] = '\0';
	}
	b->used++;
}

/*
 * Hot path (one call per field of every event): copies and hand-rolled number
 * formatting with sb_add's snprintf semantics (used counts what would have been
 * written; the buffer stays NUL-terminated), no vsnprintf.
 */
static void sb_mem(struct sb *b, const char *s, size_t n)
{
	if (b->used < b->len) {
		size_t room = b->len - b->used - 1, k = n < room ? n : room;

		memcpy(b->buf + b->used, s, k);
		b->buf[b->used + k] = '\0';
	}
	b->used += n;
}

#define sb_lit(b, s) sb_mem((b), (s), sizeof(s) - 1)

/* Spaces up to column START + WIDTH (printf's "%-WIDTHs" after the fact). */
static void sb_pad(struct sb *b, size_t start, size_t width)
{
	while (b->used < start + width)
		sb_putc(b, ' ');
}

/* "%-WIDTHs " */
static void sb_padded(struct sb *b, const char *s, size_t width)
{
	size_t start = b->used;

	sb_mem(b, s, strlen(s));
	sb_pad(b, start, width);
	sb_putc(b, ' ');
}

static void sb_u64(struct sb *b, uint64_t v)
{
	char t[20];
	size_t i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_mem(b, t + i, sizeof(t) - i);
}

static void sb_s64(struct sb *b, int64_t v)
{
	if (v < 0) {
		sb_putc(b, '-');
		sb_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		sb_u64(b, (uint64_t)v);
	}
}

/* "0x%llx" */
static void sb_hex(struct sb *b, uint64_t v)
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
	sb_mem(b, t + i, sizeof(t) - i);
}

static void sb_json_str(struct sb *b, const char *s, size_t maxlen)
{
	size_t i = 0;

	sb_putc(b, '"');
	while (i < maxlen && s[i]) {
		size_t j = i;
		unsigned char c;

		/* the run of characters that need no escaping, in one copy */
		while (j < maxlen && s[j] && (unsigned char)s[j] >= 0x20 &&
		       (unsigned char)s[j] < 0x7f && s[j] != '"' && s[j] != '\\')
			j++;
		if (j > i)
			sb_mem(b, s + i, j - i);
		if (j >= maxlen || !s[j])
			break;
		c = (unsigned char)s[j];
		i = j + 1;
		switch (c) {
		case '"':
			sb_lit(b, "\\\"");
			break;
		case '\\':
			sb_lit(b, "\\\\");
			break;
		case '\n':
			sb_lit(b, "\\n");
			break;
		case '\t':
			sb_lit(b, "\\t");
			break;
		case '\r':
			sb_lit(b, "\\r");
			break;
		default: {
			static const char hx[] = "0123456789abcdef";
			char u[6] = {'\\', 'u', '0', '0', hx[c >> 4], hx[c & 15]};

			sb_mem(b, u, sizeof(u));
		}
		}
	}
	sb_putc(b, '"');
}

size_t kmt_json_str(const char *s, size_t maxlen, char *out, size_t outlen)
{
	struct sb b = {out, outlen, 0};

	if (outlen)
		out[0] = '\0';
	sb_json_str(&b, s, maxlen);
	return b.used;
}

/* ,"KEY": */
static void sb_key(struct sb *b, const char *key)
{
	sb_lit(b, ",\"");
	sb_mem(b, key, strlen(key));
	sb_lit(b, "\":");
}

static void sb_key_str(struct sb *b, const char *key, const char *val, size_t maxlen)
{
	sb_key(b, key);
	sb_json_str(b, val, maxlen);
}

static void sb_key_hex(struct sb *b, const char *key, uint64_t v)
{
	sb_key(b, key);
	sb_putc(b, '"');
	sb_hex(b, v);
	sb_putc(b, '"');
}

static void sb_key_u64(struct sb *b, const char *key, uint64_t v)
{
	sb_key(b, key);
	sb_u64(b, v);
}

/* The gfp string of the last flags seen (one value dominates a workload). */
static void sb_key_gfp(struct sb *b, uint32_t gfp)
{
	static char g[256];
	static uint32_t g_flags;
	static bool g_valid;

	if (!g_valid || g_flags != gfp) {
		kmt_gfp_str(gfp, g, sizeof(g));
		g_flags = gfp;
		g_valid = true;
	}
	sb_key_str(b, "gfp", g, sizeof(g));
}

static void sb_site(struct sb *b, const struct kmt_event *e, const char *sym, const char *module)
{
	sb_key_hex(b, "call_site", e->call_site);
	if (sym && *sym)
		sb_key_str(b, "sym", sym, 256);
	if (module && *module)
		sb_key_str(b, "module", module, KMT_MODNAME_LEN);
}

int kmt_format_json(const struct kmt_event *e, const char *sym, const char *module, char *buf,
		    size_t len)
{
	struct sb b = {buf, len, 0};

	const char *name = kmt_event_name(e->type);

	if (len)
		buf[0] = '\0';
	sb_lit(&b, "{\"ts_ns\":");
	sb_u64(&b, e->ts_ns);
	sb_lit(&b, ",\"event\":\"");
	sb_mem(&b, name, strlen(name));
	sb_lit(&b, "\",\"pid\":");
	sb_u64(&b, e->pid);
	sb_lit(&b, ",\"tid\":");
	sb_u64(&b, e->tid);
	sb_key_str(&b, "comm", e->comm, sizeof(e->comm));
	switch (e->type) {
	case KMT_EV_KMALLOC:
		sb_key_hex(&b, "ptr", e->ptr);
		sb_site(&b, e, sym, module);
		sb_key_u64(&b, "bytes_req", e->bytes_req);
		sb_key_u64(&b, "bytes_alloc", e->bytes_alloc);
		sb_key_gfp(&b, e->gfp);
		if (e->flags & KMT_F_UNTRACKED)
			sb_add(&b, ",\"untracked\":true");
		break;
	case KMT_EV_KFREE:
		sb_key_hex(&b, "ptr", e->ptr);
		sb_site(&b, e, sym, module);
		if (e->flags & KMT_F_TRACKED)
			sb_key_u64(&b, "bytes_alloc", e->bytes_alloc);
		if (e->flags & KMT_F_TRACKED)
			sb_lit(&b, ",\"tracked\":true");
		else
			sb_lit(&b, ",\"tracked\":false");
		if (e->flags & KMT_F_BULK)
			sb_lit(&b, ",\"bulk\":true");
		break;
	case KMT_EV_PAGE_ALLOC:
		sb_key_u64(&b, "pfn", e->pfn);
		sb_key_u64(&b, "order", e->order);
		sb_key_u64(&b, "bytes_alloc", e->bytes_alloc);
		sb_key_gfp(&b, e->gfp);
		if (e->flags & KMT_F_STACK_ATTR)
			sb_site(&b, e, sym, module);
		if (e->flags & KMT_F_UNTRACKED)
			sb_add(&b, ",\"untracked\":true");
		break;
	case KMT_EV_PAGE_FREE:
		sb_key_u64(&b, "pfn", e->pfn);
		sb_key_u64(&b, "order", e->order);
		sb_key_u64(&b, "bytes_alloc", e->bytes_alloc);
		if (e->flags & KMT_F_TRACKED)
			sb_lit(&b, ",\"tracked\":true");
		else
			sb_lit(&b, ",\"tracked\":false");
		break;
	case KMT_EV_THREAD_START:
		sb_key_u64(&b, "ppid", e->ppid);
		break;
	case KMT_EV_THREAD_EXIT:
	case KMT_EV_PROCESS_EXIT:
		sb_add(&b, ",\"exit_code\":%d", e->exit_code);
		break;
	case KMT_EV_EXEC:
		sb_key_u64(&b, "old_pid", e->ppid);
		break;
	case KMT_EV_MODULE_LOAD:
	case KMT_EV_MODULE_FREE:
		sb_key_str(&b, "module", e->module, sizeof(e->module));
		sb_key_hex(&b, "text", e->text_base);
		sb_key_u64(&b, "text_size", e->text_size);
		if (e->type == KMT_EV_MODULE_LOAD) {
			sb_key_hex(&b, "init_text", e->init_base);
			sb_key_u64(&b, "init_size", e->init_size);
		}
		break;
	}
	sb_lit(&b, ",\"mm_users\":");
	sb_s64(&b, e->mm_users);
	sb_putc(&b, '}');
	return (int)b.used;
}

const char *kmt_text_header(void)
{
	return "TIME(s)      COMM             PID     TID     EVENT         BYTES    "
	       "PTR                CALLER                                   MM_USERS";
}

int kmt_format_text(const struct kmt_event *e, uint64_t t0_ns, const char *sym, char *buf,
		    size_t len)
{
	char comm[KMT_COMM_LEN + 1], bytes[24] = "-", ptr[32] = "-", caller[128] = "-";
	/* microseconds since t0, rounded like %.6f */
	uint64_t us = e->ts_ns >= t0_ns ? (e->ts_ns - t0_ns + 500) / 1000 : 0;
	struct sb b = {buf, len, 0};
	size_t i, start;

	if (len)
		buf[0] = '\0';

	for (i = 0; i < KMT_COMM_LEN && e->comm[i]; i++)
		comm[i] = (e->comm[i] > ' ' && e->comm[i] < 0x7f) ? e->comm[i] : '?';
	comm[i] = '\0';
	switch (e->type) {
	case KMT_EV_KMALLOC:
		sb_u64(&(struct sb){bytes, sizeof(bytes), 0}, e->bytes_req);
		sb_hex(&(struct sb){ptr, sizeof(ptr), 0}, e->ptr);
		break;
	case KMT_EV_KFREE:
		if (e->flags & KMT_F_TRACKED)
			sb_u64(&(struct sb){bytes, sizeof(bytes), 0}, e->bytes_alloc);
		sb_hex(&(struct sb){ptr, sizeof(ptr), 0}, e->ptr);
		break;
	case KMT_EV_PAGE_ALLOC:
	case KMT_EV_PAGE_FREE:
		snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)e->bytes_alloc);
		snprintf(ptr, sizeof(ptr), "pfn:%#llx/%u", (unsigned long long)e->pfn, e->order);
		break;
	case KMT_EV_THREAD_START:
		snprintf(caller, sizeof(caller), "ppid=%u", e->ppid);
		break;
	case KMT_EV_THREAD_EXIT:
	case KMT_EV_PROCESS_EXIT:
		snprintf(caller, sizeof(caller), "exit_code=%d", e->exit_code);
		break;
	case KMT_EV_EXEC:
		snprintf(caller, sizeof(caller), "old_pid=%u", e->ppid);
		break;
	case KMT_EV_MODULE_LOAD:
	case KMT_EV_MODULE_FREE:
		snprintf(ptr, sizeof(ptr), "0x%llx", (unsigned long long)e->text_base);
		snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)e->text_size);
		snprintf(caller, sizeof(caller), "[%.*s]", KMT_MODNAME_LEN, e->module);
		break;
	}
	if (sym && *sym)
		sb_mem(&(struct sb){caller, sizeof(caller), 0}, sym, strlen(sym));
	else if (e->call_site && (e->type <= KMT_EV_PAGE_FREE))
		sb_hex(&(struct sb){caller, sizeof(caller), 0}, e->call_site);
	/* one event, one line: no control bytes from the symbol or module name */
	for (char *p = caller; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	/* "%-12.6f %-16s %-7u %-7u %-13s %-8s %-18s %-40s %d", without printf */
	sb_u64(&b, us / 1000000);
	sb_putc(&b, '.');
	for (uint64_t d = 100000; d; d /= 10)
		sb_putc(&b, (char)('0' + us / d % 10));
	sb_pad(&b, 0, 12);
	sb_putc(&b, ' ');
	sb_padded(&b, comm, 16);
	start = b.used;
	sb_u64(&b, e->pid);
	sb_pad(&b, start, 7);
	sb_putc(&b, ' ');
	start = b.used;
	sb_u64(&b, e->tid);
	sb_pad(&b, start, 7);
	sb_putc(&b, ' ');
	sb_padded(&b, kmt_event_name(e->type), 13);
	sb_padded(&b, bytes, 8);
	sb_padded(&b, ptr, 18);
	sb_padded(&b, caller, 40);
	sb_s64(&b, e->mm_users);
	return (int)b.used;
}

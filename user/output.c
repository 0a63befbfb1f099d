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

static void sb_json_str(struct sb *b, const char *s, size_t maxlen)
{
	sb_putc(b, '"');
	for (size_t i = 0; i < maxlen && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			sb_add(b, "\\\"");
			break;
		case '\\':
			sb_add(b, "\\\\");
			break;
		case '\n':
			sb_add(b, "\\n");
			break;
		case '\t':
			sb_add(b, "\\t");
			break;
		case '\r':
			sb_add(b, "\\r");
			break;
		default:
			if (c < 0x20 || c >= 0x7f)
				sb_add(b, "\\u%04x", c);
			else
				sb_putc(b, (char)c);
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

static void sb_key_str(struct sb *b, const char *key, const char *val, size_t maxlen)
{
	sb_add(b, ",\"%s\":", key);
	sb_json_str(b, val, maxlen);
}

static void sb_key_hex(struct sb *b, const char *key, uint64_t v)
{
	sb_add(b, ",\"%s\":\"0x%llx\"", key, (unsigned long long)v);
}

static void sb_key_u64(struct sb *b, const char *key, uint64_t v)
{
	sb_add(b, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void sb_key_gfp(struct sb *b, uint32_t gfp)
{
	char g[256];

	sb_key_str(b, "gfp", kmt_gfp_str(gfp, g, sizeof(g)), sizeof(g));
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

	if (len)
		buf[0] = '\0';
	sb_add(&b, "{\"ts_ns\":%llu,\"event\":\"%s\",\"pid\":%u,\"tid\":%u",
	       (unsigned long long)e->ts_ns, kmt_event_name(e->type), e->pid, e->tid);
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
		sb_add(&b, ",\"tracked\":%s", e->flags & KMT_F_TRACKED ? "true" : "false");
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
		sb_add(&b, ",\"tracked\":%s", e->flags & KMT_F_TRACKED ? "true" : "false");
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
	sb_add(&b, ",\"mm_users\":%d}", e->mm_users);
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
	double t = e->ts_ns >= t0_ns ? (double)(e->ts_ns - t0_ns) / 1e9 : 0.0;
	size_t i;

	for (i = 0; i < KMT_COMM_LEN && e->comm[i]; i++)
		comm[i] = (e->comm[i] > ' ' && e->comm[i] < 0x7f) ? e->comm[i] : '?';
	comm[i] = '\0';
	switch (e->type) {
	case KMT_EV_KMALLOC:
		snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)e->bytes_req);
		snprintf(ptr, sizeof(ptr), "0x%llx", (unsigned long long)e->ptr);
		break;
	case KMT_EV_KFREE:
		if (e->flags & KMT_F_TRACKED)
			snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)e->bytes_alloc);
		snprintf(ptr, sizeof(ptr), "0x%llx", (unsigned long long)e->ptr);
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
		snprintf(caller, sizeof(caller), "%s", sym);
	else if (e->call_site && (e->type <= KMT_EV_PAGE_FREE))
		snprintf(caller, sizeof(caller), "0x%llx", (unsigned long long)e->call_site);
	/* one event, one line: no control bytes from the symbol or module name */
	for (char *p = caller; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return snprintf(buf, len, "%-12.6f %-16s %-7u %-7u %-13s %-8s %-18s %-40s %d", t, comm,
			e->pid, e->tid, kmt_event_name(e->type), bytes, ptr, caller, e->mm_users);
}

// SPDX-License-Identifier: GPL-2.0
/* `kmtrace trace` output: one event, and the leak report, as text or JSON
 * (pure functions, unit-tested). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "gfp.h"
#include "fmt.h"
#include "live.h"
#include "trace_output.h"

static const char *const names[KMT_EV_MAX] = {
    [KMT_EV_CACHE_ALLOC] = "cache_alloc",   [KMT_EV_CACHE_FREE] = "cache_free",
    [KMT_EV_VMALLOC] = "vmalloc",	    [KMT_EV_VFREE] = "vfree",
    [KMT_EV_PERCPU_ALLOC] = "percpu_alloc", [KMT_EV_PERCPU_FREE] = "percpu_free",
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

/* ,"KEY": */
static void sb_key(struct kmt_sb *b, const char *key)
{
	kmt_sb_lit(b, ",\"");
	kmt_sb_mem(b, key, strlen(key));
	kmt_sb_lit(b, "\":");
}

static void sb_key_str(struct kmt_sb *b, const char *key, const char *val, size_t maxlen)
{
	sb_key(b, key);
	kmt_sb_json_str(b, val, maxlen);
}

static void sb_key_hex(struct kmt_sb *b, const char *key, uint64_t v)
{
	sb_key(b, key);
	kmt_sb_putc(b, '"');
	kmt_sb_hex(b, v);
	kmt_sb_putc(b, '"');
}

static void sb_key_u64(struct kmt_sb *b, const char *key, uint64_t v)
{
	sb_key(b, key);
	kmt_sb_u64(b, v);
}

/* The gfp string of the last flags seen (one value dominates a workload). */
static void sb_key_gfp(struct kmt_sb *b, uint32_t gfp)
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

static void sb_site(struct kmt_sb *b, const struct kmt_event *e, const char *sym,
		    const char *module, const char *via)
{
	sb_key_hex(b, "call_site", e->call_site);
	if (sym && *sym)
		sb_key_str(b, "sym", sym, 256);
	if (e->via && e->via != e->call_site) {
		sb_key_hex(b, "via", e->via);
		if (via && *via)
			sb_key_str(b, "via_sym", via, 256);
	}
	if (module && *module)
		sb_key_str(b, "module", module, KMT_MODNAME_LEN);
}

/* ,"stack":[...] (and ,"stack_error":... when there is none) */
static void sb_stack(struct kmt_sb *b, const struct kmt_ev_stack *st)
{
	kmt_sb_lit(b, ",\"stack\":[");
	for (size_t i = 0; st->frames && i < st->n; i++) {
		if (i)
			kmt_sb_putc(b, ',');
		kmt_sb_json_str(b, st->frames[i], 256);
	}
	kmt_sb_putc(b, ']');
	if (!st->frames)
		sb_key_str(b, "stack_error", st->error ? st->error : "unknown", 128);
}

int kmt_format_json(const struct kmt_event *e, const char *sym, const char *module, const char *via,
		    char *buf, size_t len)
{
	return kmt_format_json_stack(e, sym, module, via, NULL, buf, len);
}

int kmt_format_json_stack(const struct kmt_event *e, const char *sym, const char *module,
			  const char *via, const struct kmt_ev_stack *st, char *buf, size_t len)
{
	struct kmt_sb b = {buf, len, 0};

	const char *name = kmt_event_name(e->type);

	if (len)
		buf[0] = '\0';
	kmt_sb_lit(&b, "{\"ts_ns\":");
	kmt_sb_u64(&b, e->ts_ns);
	kmt_sb_lit(&b, ",\"event\":\"");
	kmt_sb_mem(&b, name, strlen(name));
	kmt_sb_lit(&b, "\",\"pid\":");
	kmt_sb_u64(&b, e->pid);
	kmt_sb_lit(&b, ",\"tid\":");
	kmt_sb_u64(&b, e->tid);
	sb_key_str(&b, "comm", e->comm, sizeof(e->comm));
	if (kmt_event_family(e->type) >= 0) {
		const char *fam = kmt_family_name(kmt_event_family(e->type));

		kmt_sb_lit(&b, ",\"family\":\"");
		kmt_sb_mem(&b, fam, strlen(fam));
		kmt_sb_putc(&b, '"');
	}
	if (e->type == KMT_EV_CACHE_ALLOC || e->type == KMT_EV_CACHE_FREE)
		sb_key_str(&b, "cache", e->cache, sizeof(e->cache));
	switch (e->type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_CACHE_ALLOC:
	case KMT_EV_VMALLOC:
	case KMT_EV_PERCPU_ALLOC:
		sb_key_hex(&b, "ptr", e->ptr);
		sb_site(&b, e, sym, module, via);
		sb_key_u64(&b, "bytes_req", e->bytes_req);
		sb_key_u64(&b, "bytes_alloc", e->bytes_alloc);
		sb_key_gfp(&b, e->gfp);
		if (e->flags & KMT_F_UNTRACKED)
			kmt_sb_add(&b, ",\"untracked\":true");
		break;
	case KMT_EV_KFREE:
	case KMT_EV_CACHE_FREE:
	case KMT_EV_VFREE:
	case KMT_EV_PERCPU_FREE:
		sb_key_hex(&b, "ptr", e->ptr);
		sb_site(&b, e, sym, module, via);
		if (e->flags & KMT_F_TRACKED)
			sb_key_u64(&b, "bytes_alloc", e->bytes_alloc);
		if (e->flags & KMT_F_TRACKED)
			kmt_sb_lit(&b, ",\"tracked\":true");
		else
			kmt_sb_lit(&b, ",\"tracked\":false");
		if (e->flags & KMT_F_BULK)
			kmt_sb_lit(&b, ",\"bulk\":true");
		if (e->flags & KMT_F_RCU)
			kmt_sb_lit(&b, ",\"rcu\":true");
		break;
	case KMT_EV_PAGE_ALLOC:
		sb_key_u64(&b, "pfn", e->pfn);
		sb_key_u64(&b, "order", e->order);
		sb_key_u64(&b, "bytes_alloc", e->bytes_alloc);
		sb_key_gfp(&b, e->gfp);
		if (e->flags & KMT_F_STACK_ATTR)
			sb_site(&b, e, sym, module, via);
		if (e->flags & KMT_F_UNTRACKED)
			kmt_sb_add(&b, ",\"untracked\":true");
		break;
	case KMT_EV_PAGE_FREE:
		sb_key_u64(&b, "pfn", e->pfn);
		sb_key_u64(&b, "order", e->order);
		sb_key_u64(&b, "bytes_alloc", e->bytes_alloc);
		if (e->flags & KMT_F_TRACKED)
			kmt_sb_lit(&b, ",\"tracked\":true");
		else
			kmt_sb_lit(&b, ",\"tracked\":false");
		break;
	case KMT_EV_THREAD_START:
		sb_key_u64(&b, "ppid", e->ppid);
		break;
	case KMT_EV_THREAD_EXIT:
	case KMT_EV_PROCESS_EXIT:
		kmt_sb_add(&b, ",\"exit_code\":%d", e->exit_code);
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
	kmt_sb_lit(&b, ",\"mm_users\":");
	kmt_sb_s64(&b, e->mm_users);
	if (st)
		sb_stack(&b, st);
	kmt_sb_putc(&b, '}');
	return (int)b.used;
}

int kmt_format_stack_text(const struct kmt_ev_stack *st, char *buf, size_t len)
{
	struct kmt_sb b = {buf, len, 0};
	char f[260];

	if (len)
		buf[0] = '\0';
	if (!st->frames) {
		snprintf(f, sizeof(f), "%s", st->error ? st->error : "unknown");
		kmt_sb_lit(&b, "    [no stack: ");
		kmt_sb_mem(&b, f, strlen(kmt_one_line(f)));
		kmt_sb_putc(&b, ']');
		return (int)b.used;
	}
	for (size_t i = 0; i < st->n; i++) {
		snprintf(f, sizeof(f), "%s", st->frames[i]);
		kmt_one_line(f);
		if (i)
			kmt_sb_putc(&b, '\n');
		kmt_sb_lit(&b, "    ");
		kmt_sb_mem(&b, f, strlen(f));
	}
	return (int)b.used;
}

int kmt_format_stacks_title(const char *what, size_t n, uint64_t bytes, size_t stacks, size_t top,
			    char *buf, size_t len)
{
	char t[48] = "";

	if (top && top < stacks)
		snprintf(t, sizeof(t), ", the top %zu", top);
	return snprintf(
	    buf, len, "--- %s by kernel stack: %zu allocation%s (%llu bytes) in %zu stack%s%s ---",
	    what, n, n == 1 ? "" : "s", (unsigned long long)bytes, stacks, stacks == 1 ? "" : "s",
	    t);
}

int kmt_format_stack_group_text(uint64_t count, uint64_t bytes, char *buf, size_t len)
{
	return snprintf(buf, len,
			"%llu bytes in %llu allocation%s from stack:", (unsigned long long)bytes,
			(unsigned long long)count, count == 1 ? "" : "s");
}

int kmt_format_stack_group_json(const char *event, const char *module, size_t rank, uint64_t count,
				uint64_t bytes, const struct kmt_ev_stack *st, char *buf,
				size_t len)
{
	struct kmt_sb b = {buf, len, 0};

	if (len)
		buf[0] = '\0';
	kmt_sb_lit(&b, "{\"event\":");
	kmt_sb_json_str(&b, event, 64);
	if (module)
		sb_key_str(&b, "module", module, KMT_MODNAME_LEN);
	sb_key_u64(&b, "rank", rank);
	sb_key_u64(&b, "allocations", count);
	sb_key_u64(&b, "bytes", bytes);
	sb_stack(&b, st);
	kmt_sb_putc(&b, '}');
	return (int)b.used;
}

const char *kmt_text_header(void)
{
	return "TIME(s)      COMM             PID     TID     EVENT         BYTES    "
	       "PTR                CALLER                                   MM_USERS";
}

int kmt_format_text(const struct kmt_event *e, uint64_t t0_ns, const char *sym, const char *via,
		    char *buf, size_t len)
{
	char comm[KMT_COMM_LEN + 1], bytes[24] = "-", ptr[32] = "-", caller[320] = "-";
	/* microseconds since t0, rounded like %.6f */
	uint64_t us = e->ts_ns >= t0_ns ? (e->ts_ns - t0_ns + 500) / 1000 : 0;
	struct kmt_sb b = {buf, len, 0};
	size_t start;

	if (len)
		buf[0] = '\0';

	kmt_comm_text(e->comm, comm);
	switch (e->type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_CACHE_ALLOC:
	case KMT_EV_VMALLOC:
	case KMT_EV_PERCPU_ALLOC:
		kmt_sb_u64(&(struct kmt_sb){bytes, sizeof(bytes), 0}, e->bytes_req);
		kmt_sb_hex(&(struct kmt_sb){ptr, sizeof(ptr), 0}, e->ptr);
		break;
	case KMT_EV_KFREE:
	case KMT_EV_CACHE_FREE:
	case KMT_EV_VFREE:
	case KMT_EV_PERCPU_FREE:
		if (e->flags & KMT_F_TRACKED)
			kmt_sb_u64(&(struct kmt_sb){bytes, sizeof(bytes), 0}, e->bytes_alloc);
		kmt_sb_hex(&(struct kmt_sb){ptr, sizeof(ptr), 0}, e->ptr);
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
		kmt_sb_mem(&(struct kmt_sb){caller, sizeof(caller), 0}, sym, strlen(sym));
	else if (e->call_site && kmt_event_family(e->type) >= 0)
		kmt_sb_hex(&(struct kmt_sb){caller, sizeof(caller), 0}, e->call_site);
	if (e->via && e->via != e->call_site && via && *via) {
		/* what in the module caused it: "kstrdup+0x2e via kmdemo_init+0x1c [kmdemo]" */
		size_t n = strnlen(caller, sizeof(caller));

		snprintf(caller + n, sizeof(caller) - n, " via %s", via);
	}
	if (e->type == KMT_EV_CACHE_ALLOC || e->type == KMT_EV_CACHE_FREE) {
		/* the cache after the caller: "alloc_inode+0x1a (inode_cache)" */
		size_t n = strnlen(caller, sizeof(caller));

		if (n == 1 && caller[0] == '-')
			n = 0;
		snprintf(caller + n, sizeof(caller) - n, "%s(%.*s)", n ? " " : "", KMT_CACHE_LEN,
			 e->cache);
	}
	/* one event, one line: no control bytes from the symbol or module name */
	kmt_one_line(caller);
	/* "%-12.6f %-16s %-7u %-7u %-13s %-8s %-18s %-40s %d", without printf */
	kmt_sb_u64(&b, us / 1000000);
	kmt_sb_putc(&b, '.');
	for (uint64_t d = 100000; d; d /= 10)
		kmt_sb_putc(&b, (char)('0' + us / d % 10));
	kmt_sb_pad(&b, 0, 12);
	kmt_sb_putc(&b, ' ');
	kmt_sb_padded(&b, comm, 16);
	start = b.used;
	kmt_sb_u64(&b, e->pid);
	kmt_sb_pad(&b, start, 7);
	kmt_sb_putc(&b, ' ');
	start = b.used;
	kmt_sb_u64(&b, e->tid);
	kmt_sb_pad(&b, start, 7);
	kmt_sb_putc(&b, ' ');
	kmt_sb_padded(&b, kmt_event_name(e->type), 13);
	kmt_sb_padded(&b, bytes, 8);
	kmt_sb_padded(&b, ptr, 18);
	kmt_sb_padded(&b, caller, 40);
	kmt_sb_s64(&b, e->mm_users);
	return (int)b.used;
}

/* ---- the leak report ------------------------------------------------------------------ */

/* The object's address (a per-CPU key untagged). */
static uint64_t leak_ptr(const struct kmt_live_alloc *a)
{
	return a->kind == KMT_EV_PERCPU_ALLOC ? a->key ^ KMT_KEY_PERCPU : a->key;
}

static uint64_t age_of(const struct kmt_live_alloc *a, uint64_t unload_ns)
{
	return unload_ns > a->ts_ns ? unload_ns - a->ts_ns : 0;
}

int kmt_format_leak_json(const struct kmt_live_alloc *a, uint64_t unload_ns, const char *module,
			 const char *sym, const char *via, char *buf, size_t len)
{
	char comm[4 * KMT_COMM_LEN + 8], s[1100], m[4 * KMT_MODNAME_LEN + 8], where[1400];

	kmt_json_str(a->comm, sizeof(a->comm), comm, sizeof(comm));
	kmt_json_str(sym ? sym : "", 256, s, sizeof(s));
	kmt_json_str(module ? module : "", KMT_MODNAME_LEN, m, sizeof(m));
	if (a->kind == KMT_EV_PAGE_ALLOC)
		snprintf(where, sizeof(where), "\"pfn\":%llu,\"order\":%u",
			 (unsigned long long)a->key, a->order);
	else
		snprintf(where, sizeof(where), "\"ptr\":\"0x%llx\"",
			 (unsigned long long)leak_ptr(a));
	if (a->kind == KMT_EV_CACHE_ALLOC) {
		size_t n = strlen(where);

		snprintf(where + n, sizeof(where) - n, ",\"cache\":");
		n = strlen(where);
		kmt_json_str(a->cache, sizeof(a->cache), where + n, sizeof(where) - n);
	}
	if (a->via && a->via != a->call_site) {
		size_t n = strlen(where);

		snprintf(where + n, sizeof(where) - n,
			 ",\"via\":\"0x%llx\",\"via_sym\":", (unsigned long long)a->via);
		n = strlen(where);
		kmt_json_str(via ? via : "", 256, where + n, sizeof(where) - n);
	}
	return snprintf(buf, len,
			"{\"event\":\"leak\",\"kind\":\"%s\",%s,\"bytes_req\":%llu,"
			"\"bytes_alloc\":%llu,\"call_site\":\"0x%llx\",\"sym\":%s,\"module\":%s,"
			"\"pid\":%u,\"tid\":%u,\"comm\":%s,\"ts_ns\":%llu,\"unload_ts_ns\":%llu,"
			"\"age_ns\":%llu}",
			kmt_family_name(kmt_event_family(a->kind)), where,
			(unsigned long long)a->bytes_req, (unsigned long long)a->bytes_alloc,
			(unsigned long long)a->call_site, s, m, a->pid, a->tid, comm,
			(unsigned long long)a->ts_ns, (unsigned long long)unload_ns,
			(unsigned long long)age_of(a, unload_ns));
}

int kmt_format_leak_title(const char *module, size_t n, uint64_t bytes, uint64_t untracked,
			  uint64_t lost, char *buf, size_t len)
{
	if (!untracked && !lost)
		return snprintf(buf, len,
				"--- leaks: module %s freed with %zu allocation%s (%llu bytes) "
				"still outstanding ---",
				module, n, n == 1 ? "" : "s", (unsigned long long)bytes);
	return snprintf(buf, len,
			"--- leaks: module %s freed with %zu allocation%s (%llu bytes) "
			"still outstanding; INCOMPLETE: %llu allocation%s not tracked (table "
			"full), %llu event%s lost ---",
			module, n, n == 1 ? "" : "s", (unsigned long long)bytes,
			(unsigned long long)untracked, untracked == 1 ? "" : "s",
			(unsigned long long)lost, lost == 1 ? "" : "s");
}

int kmt_format_leak_incomplete_json(const char *module, size_t n, uint64_t untracked, uint64_t lost,
				    char *buf, size_t len)
{
	char m[4 * KMT_MODNAME_LEN + 8];

	kmt_json_str(module ? module : "", KMT_MODNAME_LEN, m, sizeof(m));
	return snprintf(buf, len,
			"{\"event\":\"leaks_incomplete\",\"module\":%s,\"leaks\":%zu,"
			"\"untracked\":%llu,\"lost\":%llu}",
			m, n, (unsigned long long)untracked, (unsigned long long)lost);
}

const char *kmt_leak_text_header(void)
{
	return "LEAK     PTR/PFN              BYTES    CALLER                                   "
	       "PID     COMM             AGE(s)";
}

int kmt_format_leak_text(const struct kmt_live_alloc *a, uint64_t unload_ns, const char *sym,
			 char *buf, size_t len)
{
	char where[40], site[128], comm[KMT_COMM_LEN + 1];
	kmt_comm_text(a->comm, comm);
	if (a->kind == KMT_EV_PAGE_ALLOC)
		snprintf(where, sizeof(where), "pfn:%#llx/%u", (unsigned long long)a->key,
			 a->order);
	else
		snprintf(where, sizeof(where), "0x%llx", (unsigned long long)leak_ptr(a));
	if (sym && *sym)
		snprintf(site, sizeof(site), "%s", sym);
	else
		snprintf(site, sizeof(site), "0x%llx", (unsigned long long)a->call_site);
	return snprintf(buf, len, "%-8s %-20s %-8llu %-40s %-7u %-16s %.3f",
			a->kind == KMT_EV_PAGE_ALLOC ? "pages"
						     : kmt_family_name(kmt_event_family(a->kind)),
			where, (unsigned long long)a->bytes_alloc, site, a->pid, comm,
			(double)age_of(a, unload_ns) / 1e9);
}

int kmt_format_freed_late_json(const struct kmt_live_alloc *a, uint64_t free_ns, const char *sym,
			       char *buf, size_t len)
{
	char s[1100];

	kmt_json_str(sym ? sym : "", 256, s, sizeof(s));
	return snprintf(buf, len,
			"{\"event\":\"freed_late\",\"kind\":\"%s\",\"key\":\"0x%llx\","
			"\"bytes_alloc\":%llu,\"call_site\":\"0x%llx\",\"sym\":%s,\"pid\":%u,"
			"\"ts_ns\":%llu,\"free_ts_ns\":%llu}",
			kmt_family_name(kmt_event_family(a->kind)),
			(unsigned long long)(a->kind == KMT_EV_PAGE_ALLOC ? a->key : leak_ptr(a)),
			(unsigned long long)a->bytes_alloc, (unsigned long long)a->call_site, s,
			a->pid, (unsigned long long)a->ts_ns, (unsigned long long)free_ns);
}

int kmt_format_freed_late_text(const struct kmt_live_alloc *a, uint64_t free_ns, const char *sym,
			       char *buf, size_t len)
{
	return snprintf(buf, len,
			"--- freed late: %s 0x%llx (%llu bytes) from %s, reported as a leak, "
			"freed %.3f s after it was allocated ---",
			kmt_family_name(kmt_event_family(a->kind)),
			(unsigned long long)(a->kind == KMT_EV_PAGE_ALLOC ? a->key : leak_ptr(a)),
			(unsigned long long)a->bytes_alloc, sym && *sym ? sym : "?",
			(double)age_of(a, free_ns) / 1e9);
}

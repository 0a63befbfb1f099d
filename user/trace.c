// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace trace`: load bpf/trace.bpf.c (user/loader.c) with the target's
 * filter (user/target.c), print every event as it comes (user/trace_output.c,
 * names from user/symbols.c), report what -m's module left allocated when it
 * is freed (user/live.c), print a summary.  With --stacks / --folded, each
 * allocation's kernel stack (user/stacks.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "events.h" /* before the skeleton: the types it names */
#include "filter.h"
#include "trace.skel.h"
#include "cli.h"
#include "ksyms.h"
#include "live.h"
#include "loader.h"
#include "perfetto.h"
#include "ptrtab.h"
#include "stacks.h"
#include "symbols.h"
#include "target.h"
#include "trace_output.h"
#include "util.h"

KMT_SKEL_OPS(trace_bpf);

/* Longest a batched (no-wakeup) event waits in the ring before it is printed. */
#define KMT_POLL_MS 10

struct trace_run {
	const struct kmt_args *a;
	struct kmt_target tg;
	struct kmt_loader ld;
	struct trace_bpf *skel;
	struct kmt_syms *syms;
	struct kmt_live *live;	   /* allocations seen and not freed (-m, --perfetto) */
	struct kmt_pf *pf;	   /* --perfetto */
	struct kmt_stacks *stacks; /* --stacks, --folded */
	FILE *folded;		   /* --folded */
	int folded_err;		   /* its errno, 0 if none */
	uint64_t t0;
	uint64_t count[KMT_EV_MAX];
	uint64_t bytes_alloc, bytes_freed;
	uint64_t leaks;	     /* reported after the -m module's module_free */
	uint64_t freed_late; /* ... and freed after that report */
	/* -m's module was freed: the leak verdict waits until verdict_ns for
	 * late frees (RCU callbacks, kworkers); its event in verdict_ev */
	uint64_t verdict_ns;
	struct kmt_event verdict_ev;
	struct kmt_live *reported; /* the leaks reported, to match late frees */
	/* allocations no table held (BPF: KMT_F_UNTRACKED; user space:
	 * kmt_live_dropped), events lost: up to the last leak report */
	uint64_t untracked_seen, untracked_reported, lost_reported, leaks_untracked;
	uint32_t ring_size;	   /* KMTRACE_RING_SIZE (testing), 0: the object's */
	uint64_t text_lo, text_hi; /* KMTRACE_MODULE_TEXT (testing), 0 0: none */
	bool out_err;
	char line[32768]; /* an event with its stack: 64 frames of up to 256 bytes */
};

/*
 * -m attributes page allocations to the module by their kernel stack; a page
 * the slab allocator takes to refill a cache during the module's kmalloc is
 * the cache's (it outlives the objects), and a kmalloc over 8 KiB, a vmalloc
 * area and a per-CPU chunk take pages that their own events report: those
 * frames stop the walk.  Names
 * across 6.1 .. 6.18 (KS: kallsyms); a missing or inlined one is skipped.
 */
static void set_slab_ranges(struct kmt_filter *f, struct ksyms *ks, bool verbose)
{
	static const char *const fns[] = {
	    "___slab_alloc",
	    "__slab_alloc",
	    "new_slab",
	    "allocate_slab",
	    "alloc_slab_page",
	    /* kmalloc > 8 KiB takes pages itself: 6.1 .. 6.9, then 6.10+ */
	    "__kmalloc_large_node",
	    "kmalloc_large",
	    "kmalloc_large_node",
	    "___kmalloc_large_node",
	    "__kmalloc_large_noprof",
	    "__kmalloc_large_node_noprof",
	    /* a vmalloc area's pages (its vmalloc event reports the area) */
	    "__vmalloc_node_range",
	    "__vmalloc_node_range_noprof",
	    /* per-CPU chunks (percpu events report the allocations) */
	    "pcpu_populate_chunk",
	    "pcpu_create_chunk",
	    /* the radix tree's per-CPU preload pool keeps its nodes */
	    "__radix_tree_preload",
	};
	uint64_t lo[KMT_SLAB_RANGES], hi[KMT_SLAB_RANGES];
	int n = 0;

	f->slab_pages_only = 0;
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		int got = ksyms_ranges(ks, fns[i], lo + n, hi + n, KMT_SLAB_RANGES - n);

		/* a large kmalloc's frames: its kmalloc event is the module's */
		if (strstr(fns[i], "kmalloc_large"))
			for (int j = n; j < n + got; j++)
				f->slab_pages_only |= 1u << j;
		n += got;
	}
	if (verbose)
		fprintf(stderr, "kmtrace: -m: %d slab refill text ranges from kallsyms\n", n);
	if (!n && ks && ks->zeroed) {
		static bool said;

		if (!said)
			fprintf(stderr, "kmtrace: warning: -m: without kallsyms addresses, pages a "
					"slab cache takes during the module's kmalloc are "
					"attributed to the module\n");
		said = true;
	}
	for (int i = 0; i < n; i++) {
		f->slab_lo[i] = lo[i];
		f->slab_hi[i] = hi[i];
	}
}

/* kmt_loader.prepare, before each load attempt. */
static int prepare(void *skel, void *arg)
{
	struct trace_bpf *s = skel;
	struct trace_run *r = arg;
	struct kmt_filter *f = (struct kmt_filter *)&s->rodata->filter;

	kmt_target_filter(&r->tg, r->a, f);
	if (r->ring_size && bpf_map__set_max_entries(s->maps.events, r->ring_size))
		return -1;
	if (r->a->module[0])
		set_slab_ranges(f, kmt_syms_kallsyms(r->syms), r->a->verbose);
	/* allocation/free events wake the reader only once 1/8 of the ring is
	 * filled; the loop also polls every KMT_POLL_MS */
	s->rodata->wakeup_bytes = bpf_map__max_entries(s->maps.events) / 8;
	s->rodata->pt_mask = bpf_map__max_entries(s->maps.allocs) - 1;
	s->rodata->want_stacks = r->a->stacks || r->a->folded;
	return bpf_map__set_max_entries(s->maps.stacks,
					s->rodata->want_stacks ? (__u32)r->a->stack_storage : 1);
}

/* ---- events ------------------------------------------------------------------------ */

static void put_line(struct trace_run *r)
{
	if (fputs(r->line, stdout) == EOF || putchar('\n') == EOF || ferror(stdout)) {
		kmt_out_failed();
		r->out_err = true;
	}
}

/* Stack ID as printed: its frames, or why it has none. */
static struct kmt_ev_stack ev_stack(struct trace_run *r, int32_t id)
{
	const struct kmt_stack *st = kmt_stacks_get(r->stacks, id);

	if (st)
		return (struct kmt_ev_stack){(const char *const *)st->sym, st->n, NULL};
	return (struct kmt_ev_stack){NULL, 0,
				     id < 0 ? kmt_stack_error(id) : "not in the stack map"};
}

/*
 * --stacks: the allocations V[0..N) grouped by kernel stack, the top -l
 * groups, largest first: a title (WHAT) and each group with its frames, or
 * one JSON object per group (EVENT, with MODULE when not NULL).
 */
static void stack_groups(struct trace_run *r, const char *what, const char *event,
			 const char *module, const struct kmt_live_alloc *v, size_t n)
{
	size_t ng, top;
	uint64_t bytes = 0;
	struct kmt_live_group *g = kmt_live_by_stack(v, n, &ng);

	if (!g) {
		if (n)
			fprintf(stderr, "kmtrace: out of memory: %s not grouped by stack\n", what);
		return;
	}
	top = r->a->lines && r->a->lines < ng ? (size_t)r->a->lines : ng;
	for (size_t i = 0; i < ng; i++)
		bytes += g[i].bytes;
	if (!r->a->json) {
		kmt_format_stacks_title(what, n, bytes, ng, top, r->line, sizeof(r->line));
		put_line(r);
	}
	for (size_t i = 0; i < top && !r->out_err; i++) {
		struct kmt_ev_stack st = ev_stack(r, g[i].stack_id);

		if (r->a->json) {
			kmt_format_stack_group_json(event, module, i + 1, g[i].count, g[i].bytes,
						    &st, r->line, sizeof(r->line));
		} else {
			kmt_format_stack_group_text(g[i].count, g[i].bytes, r->line,
						    sizeof(r->line));
			put_line(r);
			kmt_format_stack_text(&st, r->line, sizeof(r->line));
		}
		put_line(r);
	}
	free(g);
}

/*
 * -m's module was freed (event E): every allocation of it still live is a
 * leak, reported (JSON lines or a table) while its symbols are still known.
 */
static void report_leaks(struct trace_run *r, const struct kmt_event *e)
{
	uint64_t bytes = 0, untracked, lost, u, l;
	struct kmt_live_alloc *v;
	char sym[256];
	size_t n;

	/* what the tables could not hold, events lost: since the last report */
	u = r->untracked_seen + kmt_live_dropped(r->live);
	l = kmt_counter(bpf_map__fd(r->skel->maps.counters), KMT_CNT_LOST);
	untracked = u - r->untracked_reported;
	lost = l - r->lost_reported;
	r->untracked_reported = u;
	r->lost_reported = l;
	r->leaks_untracked += untracked;
	v = kmt_live_take_all(r->live, &n);
	if (!n && !untracked && !lost) {
		free(v);
		return;
	}
	r->leaks += n;
	for (size_t i = 0; i < n; i++)
		bytes += v[i].bytes_alloc;
	if (!r->a->json) {
		kmt_format_leak_title(e->module, n, bytes, untracked, lost, r->line,
				      sizeof(r->line));
		kmt_out("%s\n%s\n", r->line, kmt_leak_text_header());
	}
	for (size_t i = 0; i < n && !r->out_err; i++) {
		char via[256] = "", both[600];

		kmt_syms_name(r->syms, v[i].call_site, sym, sizeof(sym), NULL);
		if (v[i].via && v[i].via != v[i].call_site)
			kmt_syms_name(r->syms, v[i].via, via, sizeof(via), NULL);
		kmt_pf_leak(r->pf, e->ts_ns, v[i].pid, v[i].tid, v[i].key, v[i].bytes_alloc, sym);
		snprintf(both, sizeof(both), "%s%s%s", sym, via[0] ? " via " : "", via);
		if (r->a->json)
			kmt_format_leak_json(&v[i], e->ts_ns, e->module, sym, via, r->line,
					     sizeof(r->line));
		else
			kmt_format_leak_text(&v[i], e->ts_ns, both, r->line, sizeof(r->line));
		put_line(r);
		kmt_live_add(r->reported, &v[i]);
	}
	if (r->a->json && (untracked || lost) && !r->out_err) {
		kmt_format_leak_incomplete_json(e->module, n, untracked, lost, r->line,
						sizeof(r->line));
		put_line(r);
	}
	if (r->a->stacks && n && !r->out_err) {
		char what[KMT_MODNAME_LEN + 32];

		snprintf(what, sizeof(what), "leaks of module %s", e->module);
		stack_groups(r, what, "leak_stack", e->module, v, n);
	}
	free(v);
}

/* --stacks, at the end: what is still allocated (as the events showed it,
 * leaks reported at an unload too), grouped by stack. */
static void outstanding_stacks(struct trace_run *r)
{
	struct kmt_live_alloc *v, *l;
	size_t n, nl;

	if (!r->a->stacks || r->out_err)
		return;
	v = kmt_live_take_all(r->live, &n);
	l = kmt_live_take_all(r->reported, &nl);
	if (nl) {
		struct kmt_live_alloc *t = realloc(v, (n + nl) * sizeof(*v));

		if (t) {
			memcpy(t + n, l, nl * sizeof(*l));
			v = t;
			n += nl;
		} else {
			fprintf(stderr, "kmtrace: out of memory: the leaks left out of the "
					"outstanding report\n");
		}
	}
	free(l);
	if (!r->a->json)
		kmt_out("\n");
	stack_groups(r, "outstanding at the end", "outstanding_stack", NULL, v, n);
	if (!n && !r->a->json)
		kmt_out("--- outstanding at the end by kernel stack: none ---\n");
	free(v);
}

/* The verdict on -m's freed module, once its settle time is over (or at the
 * end): report what is still outstanding, then forget its symbols. */
static void verdict(struct trace_run *r, bool now)
{
	if (!r->verdict_ns || (!now && kmt_now_ns() < r->verdict_ns))
		return;
	r->verdict_ns = 0;
	report_leaks(r, &r->verdict_ev);
	kmt_syms_module_free(r->syms, r->verdict_ev.module);
}

/* A tracked free of an allocation already reported as a leak. */
static void freed_late(struct trace_run *r, const struct kmt_event *e)
{
	struct kmt_live_alloc a;
	char sym[256];

	if (!r->reported || !kmt_event_is_free(e->type) || !(e->flags & KMT_F_TRACKED) ||
	    !kmt_live_event(r->reported, e, &a))
		return;
	r->freed_late++;
	kmt_syms_name(r->syms, a.call_site, sym, sizeof(sym), NULL);
	if (r->a->json)
		kmt_format_freed_late_json(&a, e->ts_ns, sym, r->line, sizeof(r->line));
	else
		kmt_format_freed_late_text(&a, e->ts_ns, sym, r->line, sizeof(r->line));
	put_line(r);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct trace_run *r = ctx;
	struct kmt_live_alloc gone = {0};
	struct kmt_event e;
	const char *mod = NULL, *via_mod = NULL;
	char sym[256], via[256] = "";

	if (size < KMT_EVENT_KMEM_SIZE)
		return 0;
	memset(&e, 0, sizeof(e));
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	if (e.type >= KMT_EV_MAX)
		return 0;
	r->count[e.type]++;
	if (kmt_event_is_alloc(e.type))
		r->bytes_alloc += e.bytes_alloc;
	else if (kmt_event_is_free(e.type) && (e.flags & KMT_F_TRACKED))
		r->bytes_freed += e.bytes_alloc;
	if (kmt_event_is_alloc(e.type) && (e.flags & KMT_F_UNTRACKED))
		r->untracked_seen++;
	switch (e.type) {
	case KMT_EV_MODULE_LOAD:
		e.module[KMT_MODNAME_LEN - 1] = '\0';
		if (r->verdict_ns && !strcmp(e.module, r->a->module))
			verdict(r, true); /* loaded again: judge the last load first */
		kmt_syms_module_load(r->syms, e.module, e.text_base, e.init_base);
		break;
	case KMT_EV_MODULE_FREE:
		e.module[KMT_MODNAME_LEN - 1] = '\0'; /* symbols dropped after the leaks */
		break;
	case KMT_EV_PROCESS_EXIT:
		if (r->tg.pid && e.pid == (uint32_t)r->tg.pid)
			r->tg.gone = true;
		break;
	}
	kmt_syms_name(r->syms, e.call_site, sym, sizeof(sym), &mod);
	if (e.via && e.via != e.call_site) {
		kmt_syms_name(r->syms, e.via, via, sizeof(via), &via_mod);
		if (via_mod)
			mod = via_mod; /* the module that caused it */
	}
	if (!kmt_live_event(r->live, &e, &gone))
		freed_late(r, &e);
	kmt_pf_event(r->pf, &e, sym, gone.pid);
	if (r->stacks && kmt_event_is_alloc(e.type)) {
		struct kmt_ev_stack st = ev_stack(r, e.stack_id); /* names it on first sight */

		if (r->folded && kmt_stacks_add(r->stacks, e.stack_id, 1, e.bytes_alloc))
			r->folded_err = ENOMEM;
		if (r->a->json) {
			kmt_format_json_stack(&e, sym, mod, via, r->a->stacks ? &st : NULL, r->line,
					      sizeof(r->line));
			put_line(r);
		} else {
			kmt_format_text(&e, r->t0, sym, via, r->line, sizeof(r->line));
			put_line(r);
			if (r->a->stacks) {
				kmt_format_stack_text(&st, r->line, sizeof(r->line));
				put_line(r);
			}
		}
	} else {
		if (r->a->json)
			kmt_format_json(&e, sym, mod, via, r->line, sizeof(r->line));
		else
			kmt_format_text(&e, r->t0, sym, via, r->line, sizeof(r->line));
		put_line(r);
	}
	if (e.type == KMT_EV_MODULE_FREE) {
		if (r->a->module[0] && !strcmp(e.module, r->a->module)) {
			verdict(r, true); /* an earlier unload's, if still pending */
			r->verdict_ev = e;
			r->verdict_ns = kmt_now_ns() + (uint64_t)(r->a->settle * 1e9);
			if (!r->verdict_ns)
				r->verdict_ns = 1;
		} else {
			kmt_syms_module_free(r->syms, e.module);
		}
	}
	return r->out_err ? -EPIPE : 0;
}

/* ---- -m for a module that is already loaded ------------------------------------------ */

static void preloaded_module(struct trace_run *r, const char *name)
{
	struct trace_bpf *skel = r->skel;
	char line[512], n[128], state[32];
	unsigned long long size, addr;
	FILE *f;

	if (r->text_hi) { /* KMTRACE_MODULE_TEXT */
		skel->bss->mod_lo[2] = r->text_lo;
		skel->bss->mod_hi[2] = r->text_hi;
		fprintf(stderr,
			"kmtrace: module %s taken as loaded at %#llx-%#llx (KMTRACE_MODULE_TEXT, "
			"testing)\n",
			name, (unsigned long long)r->text_lo, (unsigned long long)r->text_hi);
		return;
	}
	f = fopen("/proc/modules", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %llu %*s %*s %31s %llx", n, &size, state, &addr) != 4)
			continue;
		if (strcmp(n, name))
			continue;
		/* Core text starts at addr; size covers all of the module's core
		 * memory, an over-estimate of its text that holds no foreign code
		 * on 6.1 (one allocation) and little on 6.4+. */
		skel->bss->mod_lo[2] = addr;
		skel->bss->mod_hi[2] = addr + size;
		fprintf(stderr, "kmtrace: module %s already loaded at %#llx\n", name, addr);
		break;
	}
	fclose(f);
}

/* ---- summary ------------------------------------------------------------------------- */

/* Live entries of the `allocs` table (bpf/ptrtab.h), read set by set. */
static void outstanding(struct trace_run *r, uint64_t *n, uint64_t *bytes)
{
	int fd = bpf_map__fd(r->skel->maps.allocs);
	uint32_t nsets = bpf_map__max_entries(r->skel->maps.allocs);
	struct pt_set set;

	*n = *bytes = 0;
	for (uint32_t i = 0; i < nsets; i++) {
		if (bpf_map_lookup_elem(fd, &i, &set))
			continue;
		for (int w = 0; w < PT_WAYS; w++) {
			if (!set.e[w].key)
				continue;
			(*n)++;
			*bytes += set.e[w].bytes;
		}
	}
}

static void summary(struct trace_run *r, int cmd_status)
{
	int cfd = bpf_map__fd(r->skel->maps.counters);
	uint64_t lost = kmt_counter(cfd, KMT_CNT_LOST),
		 untracked = kmt_counter(cfd, KMT_CNT_TRACK_FULL);
	uint64_t pids_full = kmt_counter(cfd, KMT_CNT_PIDS_FULL),
		 cut = kmt_counter(cfd, KMT_CNT_BULK_CUT),
		 stack_fail = kmt_counter(cfd, KMT_CNT_STACK_FAIL);
	double secs = (double)(kmt_now_ns() - r->t0) / 1e9;
	unsigned long long missed = kmt_missed(&r->ld);
	uint64_t out_n, out_b;

	outstanding(r, &out_n, &out_b);
	if (kmt_live_dropped(r->live))
		fprintf(stderr,
			"kmtrace: warning: out of memory: %llu allocations not recorded "
			"(leak report, --perfetto outstanding bytes)\n",
			(unsigned long long)kmt_live_dropped(r->live));
	/* Also on stderr, which stays visible when stdout goes to a file or
	 * /dev/null (and which `make bench` reads). */
	fprintf(stderr, "kmtrace: lost events: %llu%s\n", (unsigned long long)lost,
		lost ? " (ring buffer full: narrow the filter with -p, -c, -m or --min-size)" : "");
	if (missed)
		fprintf(stderr,
			"kmtrace: missed events: %llu (the kernel skips a BPF program while "
			"another runs on that CPU)\n",
			missed);
	if (r->a->json) {
		kmt_out("{\"event\":\"summary\",\"duration_s\":%.3f,\"events\":{", secs);
		for (int t = 1; t < KMT_EV_MAX; t++)
			kmt_out("%s\"%s\":%llu", t > 1 ? "," : "", kmt_event_name(t),
				(unsigned long long)r->count[t]);
		kmt_out("},\"bytes_alloc\":%llu,\"bytes_freed\":%llu,\"outstanding\":%llu,"
			"\"outstanding_bytes\":%llu,\"lost\":%llu,\"untracked\":%llu",
			(unsigned long long)r->bytes_alloc, (unsigned long long)r->bytes_freed,
			(unsigned long long)out_n, (unsigned long long)out_b,
			(unsigned long long)lost, (unsigned long long)untracked);
		kmt_out(",\"missed\":%llu", missed);
		if (r->a->module[0])
			kmt_out(",\"leaks\":%llu,\"freed_late\":%llu,\"leaks_untracked\":%llu,"
				"\"stack_fail\":%llu",
				(unsigned long long)r->leaks, (unsigned long long)r->freed_late,
				(unsigned long long)r->leaks_untracked,
				(unsigned long long)stack_fail);
		if (cmd_status >= 0)
			kmt_out(",\"exit_status\":%d", cmd_status);
		kmt_out("}\n");
		return;
	}
	kmt_out("\n--- kmtrace summary (%.3f s) ---\n", secs);
	for (int t = 1; t < KMT_EV_MAX; t++)
		if (r->count[t])
			kmt_out("%-14s %10llu\n", kmt_event_name(t),
				(unsigned long long)r->count[t]);
	kmt_out("bytes allocated: %llu, freed: %llu\n", (unsigned long long)r->bytes_alloc,
		(unsigned long long)r->bytes_freed);
	kmt_out("outstanding: %llu allocations, %llu bytes (within the filter)\n",
		(unsigned long long)out_n, (unsigned long long)out_b);
	if (r->a->module[0] && r->leaks_untracked)
		kmt_out("leaks at module unload: %llu (freed late: %llu; incomplete: %llu "
			"allocations not tracked)\n",
			(unsigned long long)r->leaks, (unsigned long long)r->freed_late,
			(unsigned long long)r->leaks_untracked);
	else if (r->a->module[0])
		kmt_out("leaks at module unload: %llu (freed late: %llu)\n",
			(unsigned long long)r->leaks, (unsigned long long)r->freed_late);
	kmt_out("lost events: %llu, missed: %llu, untracked allocations: %llu\n",
		(unsigned long long)lost, missed, (unsigned long long)untracked);
	if (pids_full)
		kmt_out("children not followed (pid table full): %llu\n",
			(unsigned long long)pids_full);
	if (cut)
		kmt_out("kfree_bulk calls cut at 4096 objects: %llu\n", (unsigned long long)cut);
	if (stack_fail)
		kmt_out("allocations not attributed, kernel stack unreadable (-m): %llu\n",
			(unsigned long long)stack_fail);
	if (cmd_status >= 0)
		kmt_out("command exit status: %d\n", cmd_status);
}

/* --stacks / --folded at the end: the folded file written, what was lost
 * said on stderr.  0, or 1 when the file could not be written. */
static int stacks_end(struct trace_run *r)
{
	int cfd = bpf_map__fd(r->skel->maps.counters), ret = 0;

	if (!r->stacks)
		return 0;
	kmt_stacks_report(r->stacks, r->a->folded ? "--folded" : "--stacks",
			  kmt_counter(cfd, KMT_CNT_STACKID_COLLIDE),
			  kmt_counter(cfd, KMT_CNT_STACKID_FULL),
			  kmt_counter(cfd, KMT_CNT_STACKID_ERR));
	if (!r->folded)
		return 0;
	if (!r->folded_err &&
	    kmt_stacks_write_folded(r->stacks, r->folded, r->a->folded_weight == KMT_WEIGHT_COUNT))
		r->folded_err = errno ? errno : EIO;
	if (fclose(r->folded) && !r->folded_err)
		r->folded_err = errno ? errno : EIO;
	r->folded = NULL;
	if (r->folded_err) {
		fprintf(stderr, "kmtrace: --folded %s: %s\n", r->a->folded,
			strerror(r->folded_err));
		ret = 1;
	}
	return ret;
}

/* ---- the command ---------------------------------------------------------------------- */

/*
 * KMTRACE_RING_SIZE=BYTES (testing: forces a small ring so that events are
 * lost): a power of two, 4096 .. 1 GiB.  0, or -1 after saying why.
 */
static int ring_size_env(uint32_t *size)
{
	const char *v = getenv("KMTRACE_RING_SIZE");
	unsigned long long n;
	char *end;

	*size = 0;
	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 0);
	if (errno || *end || n < 4096 || n > (1ULL << 30) || (n & (n - 1))) {
		fprintf(stderr,
			"kmtrace: KMTRACE_RING_SIZE=%.32s: not a power of two "
			"from 4096 to 1073741824\n",
			v);
		return -1;
	}
	*size = (uint32_t)n;
	return 0;
}

/*
 * KMTRACE_MODULE_TEXT=LO-HI (testing, hex addresses): -m's module is taken as
 * loaded with core text [LO, HI) instead of looked up in /proc/modules, and
 * module events are optional.  A range where nothing is loaded (in the module
 * area, away from BPF images) gives what -m costs every allocation that is not
 * the module's -- the stack scan, and the walk where the scan cannot rule the
 * module out (with KMTRACE_NO_STACK_SCAN=1: the walk on every one) --
 * measurable on a kernel without loadable modules (make bench).  0, or -1
 * after saying why.
 */
static int module_text_env(struct trace_run *r)
{
	const char *v = getenv("KMTRACE_MODULE_TEXT");
	unsigned long long lo, hi;
	int end = 0;

	if (!v || !*v)
		return 0;
	if (sscanf(v, "%llx-%llx%n", &lo, &hi, &end) != 2 || v[end] || lo >= hi) {
		fprintf(stderr,
			"kmtrace: KMTRACE_MODULE_TEXT=%.40s: expected LO-HI, hex, LO < HI\n", v);
		return -1;
	}
	if (!r->a->module[0]) {
		fprintf(stderr, "kmtrace: KMTRACE_MODULE_TEXT needs -m MODULE\n");
		return -1;
	}
	r->text_lo = lo;
	r->text_hi = hi;
	return 0;
}

static int run(struct trace_run *r)
{
	struct ring_buffer *rb;
	uint64_t deadline = 0;
	int cmd_status = -1, n;

	rb = ring_buffer__new(bpf_map__fd(r->skel->maps.events), on_event, r, NULL);
	if (!rb) {
		fprintf(stderr, "kmtrace: cannot create the ring buffer: %s\n", strerror(errno));
		return 1;
	}
	kmt_stop_on_signals();
	r->t0 = kmt_now_ns();
	if (r->a->duration > 0)
		deadline = r->t0 + (uint64_t)(r->a->duration * 1e9);
	kmt_ready(&r->ld, "trace");
	if (kmt_target_start(&r->tg)) {
		ring_buffer__free(rb);
		return 1;
	}
	if (!r->a->json)
		kmt_out("%s\n", kmt_text_header());
	while (!kmt_stop_signal() && !r->out_err) {
		n = ring_buffer__poll(rb, KMT_POLL_MS);
		/* batched events (BPF_RB_NO_WAKEUP) are read on the timeout too */
		if (n == 0)
			n = ring_buffer__consume(rb);
		if (r->out_err)
			break;
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "kmtrace: ring buffer: %s\n", strerror(-n));
			ring_buffer__free(rb);
			return 1;
		}
		verdict(r, false);
		if (deadline && kmt_now_ns() >= deadline)
			break;
		if (kmt_target_done(&r->tg, &cmd_status))
			break;
	}
	if (!r->out_err)
		ring_buffer__consume(rb); /* drain */
	if (!r->out_err)
		verdict(r, true); /* a pending one, before its settle time is over */
	outstanding_stacks(r);
	kmt_stats_report(&r->ld);
	if (!r->out_err)
		summary(r, cmd_status);
	ring_buffer__free(rb);
	return stacks_end(r);
}

int cmd_trace(int argc, char **argv)
{
	struct kmt_args a;
	struct trace_run r = {.a = &a};
	int ret = 1;

	ret = kmt_cli(&kmt_trace_spec, argc, argv, &a);
	if (ret)
		return ret == KMT_CLI_EXIT_OK ? 0 : ret;
	if (ring_size_env(&r.ring_size) || module_text_env(&r))
		return 2;
	if (kmt_loader_check("trace"))
		return 1;
	ret = 1;
	setvbuf(stdout, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, 1 << 16);
	if (a.ko && access(a.ko, R_OK)) {
		fprintf(stderr, "kmtrace: cannot read --ko %s: %s\n", a.ko, strerror(errno));
		return 1;
	}
	if (a.perfetto && !(r.pf = kmt_pf_open(a.perfetto))) {
		fprintf(stderr, "kmtrace: cannot create --perfetto %s: %s\n", a.perfetto,
			strerror(errno));
		return 1;
	}
	if (a.folded && !(r.folded = kmt_fopen_private(a.folded))) {
		fprintf(stderr, "kmtrace: cannot create --folded %s: %s\n", a.folded,
			strerror(errno));
		goto out;
	}
	if ((a.module[0] || a.perfetto || a.stacks) &&
	    (!(r.live = kmt_live_new(0)) || !(r.reported = kmt_live_new(0)))) {
		fprintf(stderr, "kmtrace: out of memory\n");
		goto out;
	}
	r.syms = kmt_syms_open(a.module, a.ko);
	if (!r.syms) {
		fprintf(stderr, "kmtrace: cannot read /proc/kallsyms: %s\n", strerror(errno));
		goto out;
	}
	if (kmt_target_open(&r.tg, &a))
		goto out;
	r.ld = (struct kmt_loader){
	    .cmd = "trace",
	    .ops = &trace_bpf_ops,
	    .want = {[KMT_G_THREADS] = true, [KMT_G_MODULES] = true},
	    .verbose = a.verbose,
	    .stats = a.stats,
	    .prepare = prepare,
	    .arg = &r,
	};
	kmt_target_events(&a, &r.ld);
	if (r.text_hi) /* KMTRACE_MODULE_TEXT: the module's text is given */
		r.ld.need[KMT_G_MODULES] = NULL;
	kmt_want_families(&r.ld, a.families ? a.families : (1u << KMT_FAM_MAX) - 1);
	if (kmt_load(&r.ld))
		goto out;
	r.skel = r.ld.skel;
	if ((a.stacks || a.folded) &&
	    !(r.stacks = kmt_stacks_new(bpf_map__fd(r.skel->maps.stacks),
					bpf_map__max_entries(r.skel->maps.stacks), r.syms))) {
		fprintf(stderr, "kmtrace: out of memory\n");
		goto out;
	}
	if (a.module[0])
		preloaded_module(&r, a.module);
	if (kmt_target_attach(&r.tg, &r.ld))
		goto out;
	ret = run(&r);
out:
	kmt_unload(&r.ld);
	kmt_target_close(&r.tg, ret != 0);
	kmt_stacks_free(r.stacks);
	if (r.folded)
		fclose(r.folded);
	kmt_syms_close(r.syms);
	kmt_live_free(r.live);
	kmt_live_free(r.reported);
	if (r.pf && kmt_pf_close(r.pf) && ret == 0) {
		fprintf(stderr, "kmtrace: --perfetto %s: write error: %s\n", a.perfetto,
			strerror(errno));
		ret = 1;
	}
	return kmt_target_exit_status(&r.tg, kmt_out_end(ret));
}

// SPDX-License-Identifier: GPL-2.0
/* Kernel stacks of allocations: the stack map read and named (see stacks.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "common.h"
#include "folded.h"
#include "stacks.h"
#include "symbols.h"

/* ---- one stack (pure) ------------------------------------------------------------------ */

bool kmt_stack_tracing_frame(const char *sym)
{
	static const char *const prefixes[] = {
	    "__traceiter_",	      /* the tracepoint's iterator (6.x) */
	    "__bpf_trace_",	      /* raw_tp: the probe that calls the program */
	    "bpf_trace_run",	      /* raw_tp: bpf_trace_run1 .. 12 */
	    "perf_trace_",	      /* classic tracepoint through perf */
	    "trace_event_raw_event_", /* the tracepoint's event */
	    "perf_tp_event",
	    "trace_call_bpf",
	    "bpf_get_stackid",
	    "__bpf_get_stackid",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(sym, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

char *kmt_stack_fn(const char *sym, char *out, size_t len)
{
	const char *plus = strstr(sym, "+0x");
	const char *mod;

	if (!len)
		return out;
	if (!plus || plus == sym) {
		snprintf(out, len, "%s", sym);
		return out;
	}
	mod = strchr(plus, ' '); /* " [module]" */
	snprintf(out, len, "%.*s%s", (int)(plus - sym), sym, mod ? mod : "");
	return out;
}

const char *kmt_stack_error(int32_t id)
{
	static char buf[48];

	switch (id) {
	case -EEXIST:
		return "hash collision in the stack map";
	case -ENOMEM:
		return "stack map full";
	case -EFAULT:
		return "no kernel stack";
	}
	snprintf(buf, sizeof(buf), "bpf_get_stackid error %d", (int)id);
	return buf;
}

/* Tracing frames are looked for among the first frames only: the program,
 * bpf_trace_run or the trampoline, the probe, the iterator (and perf's
 * layers). */
#define TRACING_TOP 8

struct kmt_stack *kmt_stack_make(const uint64_t *ips, size_t depth, kmt_namer name, void *arg)
{
	struct kmt_stack *st = calloc(1, sizeof(*st));
	size_t n = 0, skip = 0, k;
	char buf[512];

	if (!st)
		return NULL;
	while (n < depth && ips[n])
		n++;
	st->truncated = n == depth;
	/* the innermost tracing frame among the top ones ends what is dropped
	 * (frames above it, the BPF program's, have no symbol of their own) */
	for (size_t i = 0; i < n && i < TRACING_TOP; i++)
		if (kmt_stack_tracing_frame(name(arg, ips[i], buf, sizeof(buf))))
			skip = i + 1;
	/* so are frames without a symbol on top of a named one: the program and
	 * the BPF trampoline of fentry/fexit (the allocator below them is
	 * always named, unless nothing is: kallsyms without addresses) */
	for (k = skip; k < n && k < TRACING_TOP && !*name(arg, ips[k], buf, sizeof(buf)); k++)
		;
	if (k < n && k < TRACING_TOP)
		skip = k;
	st->sym = calloc(n - skip + 1, sizeof(char *));
	st->fn = calloc(n - skip + 1, sizeof(char *));
	if (!st->sym || !st->fn)
		goto nomem;
	for (size_t i = skip; i < n; i++) {
		char fn[512];

		if (!*name(arg, ips[i], buf, sizeof(buf))) {
			snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)ips[i]);
			st->unresolved++;
		}
		st->sym[st->n] = strdup(buf);
		st->fn[st->n] = strdup(kmt_stack_fn(buf, fn, sizeof(fn)));
		if (!st->sym[st->n] || !st->fn[st->n]) {
			st->n++;
			goto nomem;
		}
		st->n++;
	}
	return st;
nomem:
	kmt_stack_free(st);
	return NULL;
}

void kmt_stack_free(struct kmt_stack *st)
{
	if (!st)
		return;
	for (uint32_t i = 0; i < st->n; i++) {
		free(st->sym ? st->sym[i] : NULL);
		free(st->fn ? st->fn[i] : NULL);
	}
	free(st->sym);
	free(st->fn);
	free(st);
}

/* ---- the map ----------------------------------------------------------------------------- */

struct weight {
	uint64_t count, bytes;
};

struct kmt_stacks {
	int fd;
	uint32_t slots;		  /* ids are below this (the map's buckets) */
	struct kmt_stack **named; /* by id */
	struct weight *w;	  /* by id, for --folded (allocated on first use) */
	struct weight nostack;	  /* allocations without a stack */
	uint64_t count, unresolved, truncated, unreadable;
	struct kmt_syms *syms;
};

struct kmt_stacks *kmt_stacks_new(int map_fd, uint32_t entries, struct kmt_syms *syms)
{
	struct kmt_stacks *s = calloc(1, sizeof(*s));
	uint32_t slots = 1;

	if (!s)
		return NULL;
	/* the kernel rounds the map's buckets up to a power of two */
	while (slots < entries && slots < (1u << 31))
		slots <<= 1;
	s->fd = map_fd;
	s->slots = slots;
	s->syms = syms;
	s->named = calloc(slots, sizeof(struct kmt_stack *));
	if (!s->named) {
		free(s);
		return NULL;
	}
	return s;
}

void kmt_stacks_free(struct kmt_stacks *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->slots; i++)
		kmt_stack_free(s->named[i]);
	free(s->named);
	free(s->w);
	free(s);
}

static const char *namer(void *arg, uint64_t addr, char *buf, size_t len)
{
	return kmt_syms_name(arg, addr, buf, len, NULL);
}

const struct kmt_stack *kmt_stacks_get(struct kmt_stacks *s, int32_t id)
{
	uint64_t ips[KMT_STACK_MAX_DEPTH];
	uint32_t key = (uint32_t)id;
	struct kmt_stack *st;

	if (id < 0 || (uint32_t)id >= s->slots)
		return NULL;
	if (s->named[id])
		return s->named[id];
	if (bpf_map_lookup_elem(s->fd, &key, ips)) {
		s->unreadable++;
		return NULL;
	}
	st = kmt_stack_make(ips, KMT_STACK_MAX_DEPTH, namer, s->syms);
	if (!st)
		return NULL;
	s->named[id] = st;
	s->count++;
	s->unresolved += st->unresolved;
	s->truncated += st->truncated;
	return st;
}

int kmt_stacks_add(struct kmt_stacks *s, int32_t id, uint64_t count, uint64_t bytes)
{
	struct weight *w = &s->nostack;

	if (!s->w && !(s->w = calloc(s->slots, sizeof(*s->w))))
		return -1;
	if (kmt_stacks_get(s, id))
		w = &s->w[id];
	w->count += count;
	w->bytes += bytes;
	return 0;
}

int kmt_stacks_write_folded(struct kmt_stacks *s, FILE *f, bool count)
{
	struct kmt_folded *fo = kmt_folded_new();
	int ret = -1;

	if (!fo)
		return -1;
	if (s->nostack.count &&
	    kmt_folded_add(fo, NULL, 0, false, s->nostack.count, s->nostack.bytes))
		goto out;
	for (uint32_t id = 0; s->w && id < s->slots; id++) {
		const struct kmt_stack *st = s->named[id];

		if (!s->w[id].count)
			continue;
		if (kmt_folded_add(fo, (const char *const *)st->fn, st->n, st->truncated,
				   s->w[id].count, s->w[id].bytes))
			goto out;
	}
	ret = kmt_folded_write(fo, f, count);
out:
	kmt_folded_free(fo);
	return ret;
}

uint64_t kmt_stacks_count(const struct kmt_stacks *s)
{
	return s ? s->count : 0;
}

uint64_t kmt_stacks_unresolved(const struct kmt_stacks *s)
{
	return s ? s->unresolved : 0;
}

void kmt_stacks_report(struct kmt_stacks *s, const char *what, uint64_t collide, uint64_t full,
		       uint64_t err)
{
	unsigned long long lost = collide + full + err;

	if (!s)
		return;
	if (lost)
		fprintf(stderr,
			"kmtrace: %s: %llu allocations without a stack (%llu hash collisions in "
			"the stack map, %llu with the map full, %llu other errors): a larger "
			"--stack-storage makes both rarer\n",
			what, lost, (unsigned long long)collide, (unsigned long long)full,
			(unsigned long long)err);
	if (s->unreadable)
		fprintf(stderr, "kmtrace: %s: %llu stacks could not be read from the stack map\n",
			what, (unsigned long long)s->unreadable);
	if (s->unresolved)
		fprintf(stderr,
			"kmtrace: %s: %llu frames (of %llu stacks) without a symbol, shown as "
			"addresses\n",
			what, (unsigned long long)s->unresolved, (unsigned long long)s->count);
	if (s->truncated)
		fprintf(stderr,
			"kmtrace: %s: %llu stacks %d frames deep or more: their outermost frames "
			"may be cut (folded: under [truncated])\n",
			what, (unsigned long long)s->truncated, KMT_STACK_MAX_DEPTH);
}

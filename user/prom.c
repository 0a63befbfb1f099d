// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus exposition of `kmtrace stat` (see user/prom.h): families in
 * a fixed order, each one HELP and TYPE line then its series; per dimension
 * the sticky top-N series and "other".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "prom.h"

#define LABEL_MAX 512 /* bytes of a label value (KSYM_NAME_LEN) */

/* The dimensions with a bounded set of series. */
enum dim { DIM_CALL_SITE, DIM_MODULE, DIM_CACHE, DIM_SIZE_CLASS, DIM_MAX };

static const char *const dim_name[DIM_MAX] = {"call_site", "module", "cache", "size_class"};
static const char *const dim_help[DIM_MAX] = {
    "per call site, as symbol+offset",
    "per module of the call site, vmlinux for the kernel itself",
    "per named slab cache",
    "per size class, the bytes allocated per object",
};

/* A key's label, fixed when first seen: open addressing on the key. */
struct name_ent {
	__u64 key;
	char *label; /* NULL: empty slot */
	char *module;
};

/* The keys of a dimension that have their own series: sorted, at most top. */
struct members {
	char **v;
	size_t n;
};

struct prom_state {
	size_t top;
	struct name_ent *names;
	size_t nnames, cap; /* cap: a power of two */
	__u64 unresolved;   /* keys labelled "unknown" */
	struct members dims[DIM_MAX];
};

struct prom_state *prom_state_new(size_t top)
{
	struct prom_state *st;

	if (top < 1 || top > PROM_TOP_MAX)
		return errno = EINVAL, NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->top = top;
	st->cap = 256;
	st->names = calloc(st->cap, sizeof(*st->names));
	for (int d = 0; d < DIM_MAX && st->names; d++) {
		st->dims[d].v = calloc(top, sizeof(char *));
		if (!st->dims[d].v) {
			prom_state_free(st);
			return NULL;
		}
	}
	if (!st->names) {
		prom_state_free(st);
		return NULL;
	}
	return st;
}

void prom_state_free(struct prom_state *st)
{
	if (!st)
		return;
	for (size_t i = 0; st->names && i < st->cap; i++) {
		free(st->names[i].label);
		free(st->names[i].module);
	}
	free(st->names);
	for (int d = 0; d < DIM_MAX; d++) {
		for (size_t i = 0; i < st->dims[d].n; i++)
			free(st->dims[d].v[i]);
		free(st->dims[d].v);
	}
	free(st);
}

/* ---- labels ------------------------------------------------------------------------ */

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int prom_site_label(const char *sym, char *out, size_t len)
{
	const char *plus, *end;
	unsigned long long off = 0;
	size_t n;

	if (len)
		out[0] = '\0';
	if (!sym || !sym[0])
		return -1;
	end = strstr(sym, " [");
	n = end ? (size_t)(end - sym) : strlen(sym);
	/* the last "+0x" before the module: func+0xOFF, OFF hex to the end */
	plus = NULL;
	for (const char *p = sym; p + 3 <= sym + n; p++)
		if (p[0] == '+' && p[1] == '0' && p[2] == 'x')
			plus = p;
	if (!plus || plus == sym || plus + 3 == sym + n)
		return -1;
	for (const char *p = plus + 3; p < sym + n; p++) {
		if (!is_hex((unsigned char)*p))
			return -1;
		off = off * 16 + (unsigned long long)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
		if (off >= PROM_MAX_OFFSET)
			return -1;
	}
	if (n >= len)
		return -1;
	memcpy(out, sym, n);
	out[n] = '\0';
	return 0;
}

void prom_put_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\')
			fputs("\\\\", f);
		else if (c == '"')
			fputs("\\\"", f);
		else if (c == '\n')
			fputs("\\n", f);
		else
			fputc(c < 0x20 || c >= 0x7f ? '?' : c, f);
	}
}

static __u64 hash_key(__u64 k)
{
	return (k * 0x9E3779B97F4A7C15ULL) >> 17;
}

static int grow_names(struct prom_state *st)
{
	size_t cap = st->cap * 2;
	struct name_ent *t = calloc(cap, sizeof(*t));

	if (!t)
		return -1;
	for (size_t i = 0; i < st->cap; i++) {
		size_t j;

		if (!st->names[i].label)
			continue;
		j = hash_key(st->names[i].key) & (cap - 1);
		while (t[j].label)
			j = (j + 1) & (cap - 1);
		t[j] = st->names[i];
	}
	free(st->names);
	st->names = t;
	st->cap = cap;
	return 0;
}

/* The label of KEY (a call site or a cache), looked up once; NULL on ENOMEM. */
static const struct name_ent *name_of(struct prom_state *st, const struct prom_snapshot *s,
				      __u64 key)
{
	char buf[LABEL_MAX], lab[LABEL_MAX];
	const char *mod = NULL;
	struct name_ent *e;
	size_t i;
	bool known;

	if (st->nnames * 2 >= st->cap && grow_names(st))
		return NULL;
	i = hash_key(key) & (st->cap - 1);
	while (st->names[i].label && st->names[i].key != key)
		i = (i + 1) & (st->cap - 1);
	e = &st->names[i];
	if (e->label)
		return e;
	buf[0] = '\0';
	if (s->name)
		s->name(s->name_arg, key, buf, sizeof(buf), &mod);
	if (s->mode == STAT_CALLER) {
		known = prom_site_label(buf, lab, sizeof(lab)) == 0;
	} else { /* a cache's name: what the kernel calls it */
		known = buf[0] && strcmp(buf, "?");
		snprintf(lab, sizeof(lab), "%s", buf);
	}
	if (!known) {
		snprintf(lab, sizeof(lab), "unknown");
		mod = "unknown";
		st->unresolved++;
	}
	e->label = strdup(lab);
	e->module = strdup(mod ? mod : "vmlinux");
	if (!e->label || !e->module) {
		free(e->label);
		free(e->module);
		e->label = e->module = NULL;
		return NULL;
	}
	e->key = key;
	st->nnames++;
	return e;
}

/* ---- aggregation and the top-N choice --------------------------------------------------- */

/* One series of a dimension: a label and the sum of its rows. */
struct agg {
	const char *label;
	struct kmstat_site s;
	bool member;
};

static void site_add(struct kmstat_site *d, const struct kmstat_site *s)
{
	d->hits += s->hits;
	d->bytes_req += s->bytes_req;
	d->bytes_alloc += s->bytes_alloc;
	d->frees += s->frees;
	d->bytes_freed += s->bytes_freed;
	d->untracked += s->untracked;
	d->untracked_bytes += s->untracked_bytes;
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct agg *)a)->label, ((const struct agg *)b)->label);
}

/* Most bytes first, then by label. */
static int cmp_bytes(const void *pa, const void *pb)
{
	const struct agg *a = pa, *b = pb;

	if (a->s.bytes_alloc != b->s.bytes_alloc)
		return a->s.bytes_alloc > b->s.bytes_alloc ? -1 : 1;
	return strcmp(a->label, b->label);
}

/* Sort A (N entries) by label and merge equal labels; returns the new count. */
static size_t merge(struct agg *a, size_t n)
{
	size_t m = 0;

	if (!n)
		return 0;
	qsort(a, n, sizeof(*a), cmp_label);
	for (size_t i = 1; i < n; i++) {
		if (!strcmp(a[i].label, a[m].label))
			site_add(&a[m].s, &a[i].s);
		else
			a[++m] = a[i];
	}
	return m + 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_member(const struct members *m, const char *label)
{
	return m->n && bsearch(&label, m->v, m->n, sizeof(char *), cmp_str);
}

static int add_member(struct members *m, const char *label)
{
	char *c = strdup(label);
	size_t i = 0;

	if (!c)
		return -1;
	while (i < m->n && strcmp(m->v[i], label) < 0)
		i++;
	memmove(m->v + i + 1, m->v + i, (m->n - i) * sizeof(char *));
	m->v[i] = c;
	m->n++;
	return 0;
}

/* Mark A's members (sorted by bytes on return), admitting the largest
 * newcomers while there is room; OTHER gets the sum of the rest. */
static int choose(struct members *m, size_t top, struct agg *a, size_t n, struct kmstat_site *other)
{
	qsort(a, n, sizeof(*a), cmp_bytes);
	for (size_t i = 0; i < n; i++)
		a[i].member = is_member(m, a[i].label);
	for (size_t i = 0; i < n && m->n < top; i++) {
		if (a[i].member)
			continue;
		if (add_member(m, a[i].label))
			return -1;
		a[i].member = true;
	}
	memset(other, 0, sizeof(*other));
	for (size_t i = 0; i < n; i++)
		if (!a[i].member)
			site_add(other, &a[i].s);
	return 0;
}

/* ---- output ---------------------------------------------------------------------------- */

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *allocator_of(enum stat_mode m)
{
	return m == STAT_PAGE ? "page" : m == STAT_CACHE ? "cache" : "kmalloc";
}

static __u64 outstanding_objects(const struct kmstat_site *s)
{
	__u64 tracked = s->hits > s->untracked ? s->hits - s->untracked : 0;

	return tracked > s->frees ? tracked - s->frees : 0;
}

static __u64 get_hits(const struct kmstat_site *s)
{
	return s->hits;
}
static __u64 get_req(const struct kmstat_site *s)
{
	return s->bytes_req;
}
static __u64 get_alloc(const struct kmstat_site *s)
{
	return s->bytes_alloc;
}
static __u64 get_frees(const struct kmstat_site *s)
{
	return s->frees;
}
static __u64 get_freed(const struct kmstat_site *s)
{
	return s->bytes_freed;
}

static const struct {
	const char *suffix, *type, *help;
	__u64 (*get)(const struct kmstat_site *s);
} site_metrics[] = {
    {"allocations_total", "counter", "Allocations", get_hits},
    {"requested_bytes_total", "counter", "Bytes requested", get_req},
    {"allocated_bytes_total", "counter", "Bytes allocated (object sizes)", get_alloc},
    {"freed_objects_total", "counter", "Frees of allocations made while tracing", get_frees},
    {"freed_bytes_total", "counter", "Bytes freed of allocations made while tracing", get_freed},
    {"outstanding_objects", "gauge", "Allocations made while tracing and not freed yet",
     outstanding_objects},
    {"outstanding_bytes", "gauge", "Bytes allocated while tracing and not freed yet",
     stat_outstanding},
};

/* The families of dimension D: its members (A, sorted by bytes), then "other". */
static void put_dim(FILE *f, const struct prom_snapshot *s, size_t top, enum dim d,
		    const struct agg *a, size_t n, const struct kmstat_site *other)
{
	const char *alloc = allocator_of(s->mode);
	char name[96], help[256];

	for (size_t k = 0; k < sizeof(site_metrics) / sizeof(site_metrics[0]); k++) {
		snprintf(name, sizeof(name), "kmtrace_%s_%s", dim_name[d], site_metrics[k].suffix);
		snprintf(help, sizeof(help),
			 "%s, %s; the top %zu by bytes allocated, the rest in \"other\"",
			 site_metrics[k].help, dim_help[d], top);
		family(f, name, site_metrics[k].type, help);
		for (size_t i = 0; i < n; i++) {
			if (!a[i].member)
				continue;
			fprintf(f, "%s{allocator=\"%s\",%s=\"", name, alloc, dim_name[d]);
			prom_put_label(f, a[i].label);
			fprintf(f, "\"} %llu\n", site_metrics[k].get(&a[i].s));
		}
		fprintf(f, "%s{allocator=\"%s\",%s=\"other\"} %llu\n", name, alloc, dim_name[d],
			site_metrics[k].get(other));
	}
}

/* Build dimension D's series from the rows, choose, print. */
static int dim(FILE *f, const struct prom_snapshot *s, struct prom_state *st, enum dim d)
{
	struct agg *a = calloc(s->n ? s->n : 1, sizeof(*a));
	char *sizes = NULL;
	struct kmstat_site other;
	size_t n = 0;
	int ret = -1;

	if (!a)
		return -1;
	if (d == DIM_SIZE_CLASS && !(sizes = calloc(s->n ? s->n : 1, 24)))
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		const struct name_ent *e = NULL;

		if (d != DIM_SIZE_CLASS && !(e = name_of(st, s, s->rows[i].key)))
			goto out;
		if (d == DIM_SIZE_CLASS) {
			snprintf(sizes + 24 * i, 24, "%llu", s->rows[i].key);
			a[n].label = sizes + 24 * i;
		} else {
			a[n].label = d == DIM_MODULE ? e->module : e->label;
		}
		a[n++].s = s->rows[i].s;
	}
	n = merge(a, n);
	if (choose(&st->dims[d], st->top, a, n, &other))
		goto out;
	put_dim(f, s, st->top, d, a, n, &other);
	ret = 0;
out:
	free(sizes);
	free(a);
	return ret;
}

static void counter(FILE *f, const char *name, const char *help, const char *alloc, __u64 v)
{
	family(f, name, "counter", help);
	fprintf(f, "%s{allocator=\"%s\"} %llu\n", name, alloc, v);
}

static void gauge(FILE *f, const char *name, const char *help, const char *alloc, __u64 v)
{
	family(f, name, "gauge", help);
	fprintf(f, "%s{allocator=\"%s\"} %llu\n", name, alloc, v);
}

static void totals_km(FILE *f, const struct prom_snapshot *s)
{
	const struct kmstat_totals *t = &s->tot;
	const char *al = allocator_of(s->mode);
	__u64 tracked_b = t->bytes_alloc - (t->untracked_bytes < t->bytes_alloc ? t->untracked_bytes
										: t->bytes_alloc);
	__u64 gone_b = t->bytes_freed + t->stale_bytes;
	__u64 tracked_n = t->allocs > t->track_full ? t->allocs - t->track_full : 0;
	__u64 gone_n = t->frees_matched + t->stale;

	counter(f, "kmtrace_allocations_total", "Allocations that returned memory", al, t->allocs);
	counter(f, "kmtrace_allocation_failures_total", "Allocations that returned NULL", al,
		t->alloc_fails);
	counter(f, "kmtrace_requested_bytes_total", "Bytes requested", al, t->bytes_req);
	counter(f, "kmtrace_allocated_bytes_total", "Bytes allocated (object sizes)", al,
		t->bytes_alloc);
	counter(f, "kmtrace_frees_total",
		"Frees seen (also of memory allocated before kmtrace started)", al, t->frees);
	counter(f, "kmtrace_freed_objects_total", "Allocations made while tracing and freed since",
		al, gone_n);
	counter(f, "kmtrace_freed_bytes_total", "Bytes allocated of the freed ones", al, gone_b);
	counter(f, "kmtrace_cross_cpu_frees_total", "Frees on another CPU than their allocation's",
		al, t->cross_cpu);
	gauge(f, "kmtrace_outstanding_objects",
	      "Allocations made while tracing and not freed (a lower bound when untracked > 0)", al,
	      tracked_n > gone_n ? tracked_n - gone_n : 0);
	gauge(f, "kmtrace_outstanding_bytes",
	      "Bytes allocated while tracing and not freed (a lower bound when untracked > 0)", al,
	      tracked_b > gone_b ? tracked_b - gone_b : 0);
	counter(f, "kmtrace_untracked_allocations_total",
		"Allocations whose free cannot be matched: the pointer table was full "
		"(--max-tracked)",
		al, t->track_full);
	counter(f, "kmtrace_unattributed_events_total",
		"Events in the totals but in no series: the row table was full", al, t->site_full);
}

static void totals_page(FILE *f, const struct prom_snapshot *s)
{
	const struct kmstat_totals *t = &s->tot;
	__u64 hits[32] = {0}, pages[32] = {0}, fails[32] = {0};
	bool seen[32] = {false};

	counter(f, "kmtrace_allocations_total", "Allocations that returned memory", "page",
		t->page_allocs);
	counter(f, "kmtrace_allocation_failures_total", "Allocations that returned NULL", "page",
		t->page_alloc_fails);
	counter(f, "kmtrace_allocated_pages_total", "Pages allocated", "page", t->pages_alloc);
	counter(f, "kmtrace_frees_total",
		"Frees seen (also of memory allocated before kmtrace started)", "page",
		t->page_frees);
	counter(f, "kmtrace_freed_pages_total", "Pages freed", "page", t->pages_freed);
	counter(f, "kmtrace_unattributed_events_total",
		"Events in the totals but in no series: the row table was full", "page",
		t->site_full);
	for (size_t i = 0; i < s->n; i++) {
		__u32 o = s->rows[i].order & 31;

		seen[o] = true;
		hits[o] += s->rows[i].p.hits;
		pages[o] += s->rows[i].p.pages;
		fails[o] += s->rows[i].p.fails;
	}
	family(f, "kmtrace_order_allocations_total", "counter", "Page allocations per order");
	for (int o = 0; o < 32; o++)
		if (seen[o])
			fprintf(f,
				"kmtrace_order_allocations_total{allocator=\"page\",order=\"%d\"} "
				"%llu\n",
				o, hits[o]);
	family(f, "kmtrace_order_allocated_pages_total", "counter", "Pages allocated per order");
	for (int o = 0; o < 32; o++)
		if (seen[o])
			fprintf(
			    f,
			    "kmtrace_order_allocated_pages_total{allocator=\"page\",order=\"%d\"} "
			    "%llu\n",
			    o, pages[o]);
	family(f, "kmtrace_order_allocation_failures_total", "counter",
	       "Page allocations that failed, per order");
	for (int o = 0; o < 32; o++)
		if (seen[o])
			fprintf(f,
				"kmtrace_order_allocation_failures_total{allocator=\"page\","
				"order=\"%d\"} %llu\n",
				o, fails[o]);
}

/* The size distribution as a Prometheus histogram (cumulative buckets). */
static void histogram(FILE *f, const struct prom_snapshot *s)
{
	const char *al = allocator_of(s->mode);
	struct kmstat_sizes h = {0};
	__u64 cum = 0;
	int b;

	if (s->mode == STAT_PAGE) {
		for (size_t i = 0; i < s->n; i++) {
			__u64 bytes = (__u64)s->page_size << (s->rows[i].order & 31);

			h.slot[kmstat_size_slot(bytes)] += s->rows[i].p.hits;
			h.sum += s->rows[i].p.hits * bytes;
		}
	} else if (s->sizes) {
		h = *s->sizes;
	}
	family(f, "kmtrace_allocation_size_bytes", "histogram",
	       s->mode == STAT_PAGE ? "Bytes of each page allocation (PAGE_SIZE << order)"
				    : "Bytes requested by each allocation");
	for (b = 0; b < PROM_LE_MIN; b++)
		cum += h.slot[b];
	for (b = PROM_LE_MIN; b <= PROM_LE_MAX; b++) {
		cum += h.slot[b];
		fprintf(f,
			"kmtrace_allocation_size_bytes_bucket{allocator=\"%s\",le=\"%llu\"} %llu\n",
			al, 1ULL << b, cum);
	}
	for (; b < KMSTAT_SIZE_SLOTS; b++)
		cum += h.slot[b];
	fprintf(f, "kmtrace_allocation_size_bytes_bucket{allocator=\"%s\",le=\"+Inf\"} %llu\n", al,
		cum);
	fprintf(f, "kmtrace_allocation_size_bytes_sum{allocator=\"%s\"} %llu\n", al, h.sum);
	fprintf(f, "kmtrace_allocation_size_bytes_count{allocator=\"%s\"} %llu\n", al, cum);
}

static const char *mode_name(enum stat_mode m)
{
	return m == STAT_PAGE	 ? "page"
	       : m == STAT_ALLOC ? "alloc"
	       : m == STAT_CACHE ? "cache"
				 : "caller";
}

static void tracer(FILE *f, const struct prom_snapshot *s, const struct prom_state *st)
{
	const struct prom_tracer *t = &s->tr;

	family(f, "kmtrace_info", "gauge", "kmtrace's version, stat mode and scope (always 1)");
	fputs("kmtrace_info{version=\"", f);
	prom_put_label(f, t->version ? t->version : "");
	fprintf(f, "\",mode=\"%s\",scope=\"", mode_name(s->mode));
	prom_put_label(f, t->scope && t->scope[0] ? t->scope : "all");
	fputs("\"} 1\n", f);
	family(f, "kmtrace_start_time_seconds", "gauge", "When kmtrace started (Unix time)");
	fprintf(f, "kmtrace_start_time_seconds %.3f\n", t->start_time);
	family(f, "kmtrace_ready", "gauge", "1 while the BPF programs are attached and counting");
	fprintf(f, "kmtrace_ready %d\n", t->ready ? 1 : 0);
	family(f, "kmtrace_bpf_programs", "gauge", "BPF programs loaded and attached");
	fprintf(f, "kmtrace_bpf_programs %u\n", t->programs);
	family(f, "kmtrace_missed_events_total", "counter",
	       "Events the kernel did not run the programs for (BPF recursion)");
	fprintf(f, "kmtrace_missed_events_total %llu\n", t->missed);
	family(f, "kmtrace_series_limit", "gauge", "Series per dimension before \"other\" (--top)");
	fprintf(f, "kmtrace_series_limit %zu\n", st->top);
	if (s->mode == STAT_CALLER) {
		family(f, "kmtrace_unresolved_call_sites", "gauge",
		       "Call sites without a symbol, counted as call_site=\"unknown\"");
		fprintf(f, "kmtrace_unresolved_call_sites %llu\n", st->unresolved);
	}
}

int prom_render(FILE *f, const struct prom_snapshot *s, struct prom_state *st)
{
	int ret = 0;

	if (s->mode == STAT_PAGE) {
		totals_page(f, s);
	} else {
		totals_km(f, s);
		if (s->mode == STAT_CALLER)
			ret = dim(f, s, st, DIM_CALL_SITE) || dim(f, s, st, DIM_MODULE) ? -1 : 0;
		else
			ret = dim(f, s, st, s->mode == STAT_CACHE ? DIM_CACHE : DIM_SIZE_CLASS);
	}
	if (ret)
		return -1;
	histogram(f, s);
	tracer(f, s, st);
	return fflush(f) == EOF || ferror(f) ? -1 : 0;
}

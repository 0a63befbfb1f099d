// SPDX-License-Identifier: GPL-2.0
/*
 * kmtrace hist: load bpf/hist.bpf.c (user/loader.c) with the target's filter
 * (user/target.c): allocations that pass it become one per-CPU count in the
 * `hist` map, keyed by (bucket, --by key, interval generation).  Every
 * INTERVAL seconds (or once at the end) the generation is flipped, the old
 * one read, printed (user/hist_report.c) and deleted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "events.h" /* before the skeleton: the types it names */
#include "filter.h"
#include "hist.skel.h"
#include "cli.h"
#include "gfp.h"
#include "hist_report.h"
#include "loader.h"
#include "symbols.h"
#include "target.h"
#include "util.h"

KMT_SKEL_OPS(hist_bpf);

#define HIST_MAX_KEYS 16384 /* `hist` map entries: (bucket, key) pairs per interval */

struct hist_run {
	const struct kmt_args *a;
	struct kmt_target tg;
	struct kmt_loader ld;
	struct hist_bpf *skel;
	struct kmt_syms *syms; /* --by caller */
	char scope[128];
	char families[64]; /* the families counted, "kmalloc,cache" */
	__u64 intervals;   /* printed so far */
	__u32 gen;
	bool out_err;
};

static int prepare(void *skel, void *arg)
{
	struct hist_bpf *s = skel;
	struct hist_run *r = arg;
	long page = sysconf(_SC_PAGESIZE);

	kmt_target_filter(&r->tg, r->a, (struct kmt_filter *)&s->rodata->filter);
	s->rodata->hist_alloc = r->a->field == HIST_ALLOC;
	s->rodata->hist_by = (__u32)r->a->by;
	s->rodata->hist_step = r->a->step;
	bpf_map__set_max_entries(s->maps.hist, HIST_MAX_KEYS);
	/* the ring buffer only carries -m's module_load/module_free events */
	bpf_map__set_max_entries(s->maps.events, page > 0 ? (__u32)page : 4096);
	return 0;
}

static void set_scope(struct hist_run *r)
{
	const struct kmt_args *a = r->a;
	size_t n;

	kmt_target_scope(&r->tg, a, r->scope, sizeof(r->scope));
	n = strlen(r->scope);
	if (a->module[0] && n < sizeof(r->scope))
		n += (size_t)snprintf(r->scope + n, sizeof(r->scope) - n, ", module %s", a->module);
	if (a->size_filter && n < sizeof(r->scope)) {
		if (a->max_size == UINT64_MAX)
			snprintf(r->scope + n, sizeof(r->scope) - n, ", req >= %llu",
				 (unsigned long long)a->min_size);
		else
			snprintf(r->scope + n, sizeof(r->scope) - n, ", req %llu..%llu",
				 (unsigned long long)a->min_size, (unsigned long long)a->max_size);
	}
}

/* ---- reading and printing ---------------------------------------------------------- */

static const char *sym_name(void *arg, __u64 addr, char *buf, size_t len)
{
	struct hist_run *r = arg;

	return kmt_syms_name(r->syms, addr, buf, len, NULL);
}

/* Ring buffer: only module_load/module_free of -m's module. */
static int on_event(void *ctx, void *data, size_t size)
{
	struct hist_run *r = ctx;
	struct kmt_event e;

	if (size < sizeof(e) || !r->syms)
		return 0;
	memcpy(&e, data, sizeof(e));
	e.module[KMT_MODNAME_LEN - 1] = '\0';
	if (e.type == KMT_EV_MODULE_LOAD)
		kmt_syms_module_load(r->syms, e.module, e.text_base, e.init_base);
	return 0;
}

/* --by cache: a cache's name from the `cache_names` map. */
static const char *cache_name(void *arg, __u64 key, char *buf, size_t len)
{
	struct hist_run *r = arg;
	char name[KMT_CACHE_LEN];

	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.cache_names), &key, name))
		return snprintf(buf, len, "?"), buf;
	name[KMT_CACHE_LEN - 1] = '\0';
	snprintf(buf, len, "%s", name);
	return buf;
}

static const char *gfp_name(void *arg, __u64 gfp, char *buf, size_t len)
{
	(void)arg;
	return kmt_gfp_str((unsigned long)gfp, buf, len);
}

/* Room for one more row in *ROWS (capacity *CAP); false when out of memory. */
static bool row_room(struct hist_row **rows, size_t n, size_t *cap)
{
	struct hist_row *t;

	if (n < *cap)
		return true;
	t = realloc(*rows, (*cap ? 2 * *cap : 256) * sizeof(**rows));
	if (!t)
		return false;
	*rows = t;
	*cap = *cap ? 2 * *cap : 256;
	return true;
}

/* Without --by: generation GEN's half of `hist_slots` (bpf/hist.h) as rows,
 * summed over CPUs, zeroed after reading. */
static size_t read_slots(struct hist_run *r, __u32 gen, struct hist_row **rows, size_t n,
			 size_t *cap)
{
	int fd = bpf_map__fd(r->skel->maps.hist_slots), ncpu = libbpf_num_possible_cpus();
	/* log2 buckets: slots 0..64 only */
	__u32 nslots = r->a->step ? KMT_HIST_SLOTS : 66;
	__u64 *zero;

	if (r->a->by != KMT_BY_NONE || ncpu <= 0)
		return n;
	zero = calloc((size_t)ncpu, sizeof(*zero));
	for (__u32 s = 0; zero && s < nslots; s++) {
		__u32 i = (gen & 1) * KMT_HIST_SLOTS + s;
		__u64 count;

		if (kmt_percpu_sum(fd, &i, &count, sizeof(count)) || !count)
			continue;
		if (!row_room(rows, n, cap))
			break; /* left counted, as the hash's unread entries */
		bpf_map_update_elem(fd, &i, zero, BPF_ANY);
		(*rows)[n] = (struct hist_row){.k = {.slot = s, .gen = gen}, .count = count};
		n++;
	}
	free(zero);
	return n;
}

/* Entries of generation GEN, summed over CPUs and deleted from the maps. */
static struct hist_row *read_gen(struct hist_run *r, __u32 gen, size_t *n)
{
	int fd = bpf_map__fd(r->skel->maps.hist);
	struct kmt_hist_key key, next, *prev = NULL;
	struct hist_row *rows = NULL;
	size_t cap = 0;

	*n = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (key.gen != gen)
			continue;
		if (!row_room(&rows, *n, &cap))
			break;
		if (kmt_percpu_sum(fd, &key, &rows[*n].count, sizeof(rows[*n].count)))
			continue;
		rows[*n].k = key;
		(*n)++;
	}
	/* Delete after the walk: deleting the current key restarts get_next_key. */
	for (size_t i = 0; i < *n; i++)
		bpf_map_delete_elem(fd, &rows[i].k);
	*n = read_slots(r, gen, &rows, *n, &cap);
	return rows;
}

/* Flip the generation, then read, print and delete the old one. */
static void print_interval(struct hist_run *r, bool final)
{
	struct hist_fmt fmt = {
	    .field = (enum hist_field)r->a->field,
	    .by = (enum kmt_hist_by)r->a->by,
	    .step = r->a->step,
	    .json = r->a->json,
	    .scope = r->scope,
	    .families = r->families,
	    .gfp = gfp_name,
	};
	__u32 old = r->gen;
	struct hist_row *rows;
	struct hist *hs;
	size_t n, nh;

	if (!final) {
		r->gen++;
		r->skel->bss->hist_gen = r->gen;
		/* a program that read the old generation finishes within microseconds */
		nanosleep(&(struct timespec){0, 2000000}, NULL);
	}
	rows = read_gen(r, old, &n);
	hs = hist_group(rows, n, &nh);
	if (r->syms) {
		kmt_syms_reload(r->syms); /* modules may come and go */
		fmt.sym = sym_name;
		fmt.sym_arg = r;
	} else if (r->a->by == KMT_BY_CACHE) {
		fmt.sym = cache_name;
		fmt.sym_arg = r;
	}
	fmt.ts_ns = kmt_now_ns();
	r->intervals++;
	fmt.interval = r->a->npos ? r->intervals : 0;
	if (r->a->npos && !r->a->json) {
		time_t t = time(NULL);
		char tb[32];

		strftime(tb, sizeof(tb), "%H:%M:%S", localtime(&t));
		kmt_out("%s\n", tb);
	}
	if (!nh)
		hist_print(stdout, &fmt, NULL);
	for (size_t i = 0; i < nh; i++)
		hist_print(stdout, &fmt, &hs[i]);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		kmt_out_failed();
		r->out_err = true;
	}
	free(hs);
	free(rows);
}

/* ---- the command --------------------------------------------------------------------- */

static int run(struct hist_run *r)
{
	const struct kmt_args *a = r->a;
	__u64 t0, deadline = 0, next_print = 0, every = (__u64)(a->interval * 1e9), full,
		  stack_fail;
	struct ring_buffer *rb;
	char what[64];
	int status;

	rb = ring_buffer__new(bpf_map__fd(r->skel->maps.events), on_event, r, NULL);
	if (!rb) {
		fprintf(stderr, "kmtrace: cannot create the ring buffer: %s\n", strerror(errno));
		return 1;
	}
	kmt_stop_on_signals();
	snprintf(what, sizeof(what), "hist of %s", hist_field_name((enum hist_field)a->field));
	kmt_ready(&r->ld, what);
	if (kmt_target_start(&r->tg)) {
		ring_buffer__free(rb);
		return 1;
	}
	t0 = kmt_now_ns();
	if (a->duration > 0)
		deadline = t0 + (__u64)(a->duration * 1e9);
	if (a->npos)
		next_print = t0 + every;
	for (;;) {
		__u64 now = kmt_now_ns(), nap = 50000000; /* 50 ms, or up to the next print */

		if (next_print && next_print > now && next_print - now < nap)
			nap = next_print - now;
		ring_buffer__poll(rb,
				  (int)((nap + 999999) / 1000000)); /* module events, or a nap */
		if (kmt_stop_signal() || r->out_err)
			break;
		now = kmt_now_ns();
		if (deadline && now >= deadline)
			break;
		if (kmt_target_done(&r->tg, &status))
			break;
		if (next_print && now >= next_print) {
			print_interval(r, false);
			if (a->count && r->intervals >= a->count)
				break;
			next_print += every;
			if (next_print < now)
				next_print = now + every;
		}
	}
	/* The last (partial) interval, unless COUNT intervals are done. */
	hist_bpf__detach(r->skel);
	ring_buffer__consume(rb);
	if (!r->out_err && !(a->count && r->intervals >= a->count))
		print_interval(r, true);
	kmt_stats_report(&r->ld);
	full = kmt_counter(bpf_map__fd(r->skel->maps.counters), KMT_CNT_HIST_FULL);
	if (full)
		fprintf(stderr, "kmtrace: warning: %llu events not counted: histogram table full\n",
			(unsigned long long)full);
	stack_fail = kmt_counter(bpf_map__fd(r->skel->maps.counters), KMT_CNT_STACK_FAIL);
	if (stack_fail)
		fprintf(stderr,
			"kmtrace: warning: %llu allocations not attributed: their kernel stack "
			"could not be read (-m)\n",
			(unsigned long long)stack_fail);
	ring_buffer__free(rb);
	return 0;
}

int cmd_hist(int argc, char **argv)
{
	struct kmt_args a;
	struct hist_run r = {.a = &a};
	unsigned int fams;
	int ret;

	ret = kmt_cli(&kmt_hist_spec, argc, argv, &a);
	if (ret)
		return ret == KMT_CLI_EXIT_OK ? 0 : ret;
	if (kmt_loader_check("hist") || kmt_target_open(&r.tg, &a))
		return 1;
	ret = 1;
	if (a.by == KMT_BY_CALLER && !(r.syms = kmt_syms_open(a.module, a.ko))) {
		fprintf(stderr, "kmtrace: cannot read /proc/kallsyms: %s\n", strerror(errno));
		goto out;
	}
	r.ld = (struct kmt_loader){
	    .cmd = "hist",
	    .ops = &hist_bpf_ops,
	    .need = {[KMT_G_KMALLOC] =
			 a.families || a.by == KMT_BY_CACHE ? NULL : "hist needs kmalloc events"},
	    .verbose = a.verbose,
	    .stats = a.stats,
	    .prepare = prepare,
	    .arg = &r,
	};
	kmt_target_events(&a, &r.ld);
	fams = a.families	      ? a.families
	       : a.by == KMT_BY_CACHE ? 1u << KMT_FAM_CACHE
				      : 1u << KMT_FAM_KMALLOC;
	kmt_want_families(&r.ld, fams);
	for (int f = 0, n = 0; f < KMT_FAM_MAX; f++)
		if (fams & (1u << f))
			n += snprintf(r.families + n, sizeof(r.families) - (size_t)n, "%s%s",
				      n ? "," : "", kmt_family_name(f));
	if (kmt_load(&r.ld))
		goto out;
	r.skel = r.ld.skel;
	set_scope(&r);
	if (kmt_target_attach(&r.tg, &r.ld))
		goto out;
	ret = run(&r);
out:
	kmt_unload(&r.ld);
	kmt_target_close(&r.tg, ret != 0);
	kmt_syms_close(r.syms);
	return kmt_target_exit_status(&r.tg, kmt_out_end(ret));
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kmtrace stat: perf-kmem-stat-like numbers, live.  bpf/stat.bpf.c aggregates
 * every kmalloc/kfree (or page alloc/free) of the target in per-CPU maps;
 * this file loads it (user/loader.c), waits for Ctrl-C or -d, reads the maps
 * once and prints the tables (user/stat_report.c).  --folded: allocations
 * per kernel stack, written as folded stacks (user/stacks.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "events.h" /* before the skeleton: the types it names */
#include "filter.h"
#include "stat.skel.h"
#include "cli.h"
#include "gfp.h"
#include "loader.h"
#include "ptrtab.h"
#include "stacks.h"
#include "stat_report.h"
#include "symbols.h"
#include "target.h"
#include "util.h"

KMT_SKEL_OPS(stat_bpf);

struct stat_run {
	const struct kmt_args *a;
	struct kmt_target tg;
	struct kmt_loader ld;
	struct stat_bpf *skel;
	FILE *folded; /* --folded */
};

static int prepare(void *skel, void *arg)
{
	struct stat_bpf *obj = skel;
	struct stat_run *r = arg;

	kmt_target_filter(&r->tg, r->a, (struct kmt_filter *)&obj->rodata->filter);
	obj->rodata->by_size = r->a->mode == STAT_ALLOC;
	obj->rodata->by_cache = r->a->mode == STAT_CACHE;
	/* Tables of the other mode: keep them tiny. */
	if (r->a->mode == STAT_PAGE) {
		bpf_map__set_max_entries(obj->maps.site_idx, 1);
		bpf_map__set_max_entries(obj->maps.sites, 1);
		bpf_map__set_max_entries(obj->maps.ptrs, 1);
	} else {
		__u32 sets = pt_nsets((__u32)r->a->max_tracked);

		bpf_map__set_max_entries(obj->maps.ptrs, sets);
		obj->rodata->pt_mask = sets - 1;
		bpf_map__set_max_entries(obj->maps.pages, 1);
	}
	obj->rodata->want_stacks = r->a->folded != NULL;
	if (bpf_map__set_max_entries(obj->maps.stacks,
				     r->a->folded ? (__u32)r->a->stack_storage : 1) ||
	    bpf_map__set_max_entries(obj->maps.stack_w,
				     r->a->folded ? (__u32)r->a->stack_storage + 16 : 1))
		return -1;
	return 0;
}

static const char *sym_fmt(void *syms, __u64 addr, char *buf, size_t len)
{
	kmt_syms_name(syms, addr, buf, len, NULL);
	if (!buf[0])
		snprintf(buf, len, "0x%llx", addr);
	return buf;
}

static const char *gfp_fmt(void *arg, __u64 gfp, char *buf, size_t len)
{
	(void)arg;
	return kmt_gfp_str((unsigned long)gfp, buf, len);
}

/* --- reading the maps ------------------------------------------------------- */

/* All rows of the sites (or pages) map, summed over CPUs; NULL + *n = 0 on error.
 * kmalloc rows: site_idx maps each key to its index in the sites array. */
static struct stat_row *read_rows(struct stat_bpf *obj, enum stat_mode mode, size_t *n)
{
	bool pg = mode == STAT_PAGE;
	int fd = bpf_map__fd(pg ? obj->maps.pages : obj->maps.site_idx);
	int rows_fd = bpf_map__fd(obj->maps.sites);
	size_t vsz = pg ? sizeof(struct kmstat_page) : sizeof(struct kmstat_site);
	int ncpu = libbpf_num_possible_cpus();
	struct kmstat_page_key pk, pnext;
	__u64 key, next;
	__u32 idx;
	struct stat_row *rows = NULL, *r;
	size_t cap = 0;
	void *vals, *cur = NULL;
	int err;

	*n = 0;
	if (ncpu <= 0)
		return NULL;
	vals = calloc((size_t)ncpu, vsz);
	if (!vals)
		return NULL;
	for (;;) {
		err = pg ? bpf_map_get_next_key(fd, cur, &pnext)
			 : bpf_map_get_next_key(fd, cur, &next);
		if (err)
			break;
		if (pg) {
			pk = pnext;
			cur = &pk;
		} else {
			key = next;
			cur = &key;
		}
		if (pg ? bpf_map_lookup_elem(fd, cur, vals)
		       : (bpf_map_lookup_elem(fd, cur, &idx) ||
			  bpf_map_lookup_elem(rows_fd, &idx, vals)))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			r = realloc(rows, cap * sizeof(*rows));
			if (!r) {
				fprintf(stderr, "kmtrace: stat: out of memory, table truncated\n");
				break;
			}
			rows = r;
		}
		r = &rows[(*n)++];
		memset(r, 0, sizeof(*r));
		if (pg) {
			r->order = pk.order;
			r->gfp = pk.gfp;
			r->key = ((__u64)pk.order << 32) | pk.gfp;
			kmt_sum_u64((uint64_t *)&r->p, vals, vsz, ncpu);
		} else {
			r->key = key;
			kmt_sum_u64((uint64_t *)&r->s, vals, vsz, ncpu);
		}
	}
	free(vals);
	return rows;
}

static int read_totals(struct stat_bpf *obj, struct kmstat_totals *t)
{
	__u32 zero = 0;

	return kmt_percpu_sum(bpf_map__fd(obj->maps.totals), &zero, t, sizeof(*t));
}

/* --- the command ------------------------------------------------------------- */

/* Until Ctrl-C, SIGTERM, -d or the target's end; the seconds waited. */
static double wait_for_end(struct stat_run *r)
{
	uint64_t t0 = kmt_now_ns(), deadline = 0;
	int status;

	if (r->a->duration > 0)
		deadline = t0 + (uint64_t)(r->a->duration * 1e9);
	while (!kmt_stop_signal()) {
		uint64_t now = kmt_now_ns();

		if (deadline && now >= deadline)
			break;
		if (kmt_target_done(&r->tg, &status))
			break;
		kmt_nap_ms(deadline && deadline - now < 20000000
			       ? (unsigned)((deadline - now) / 1000000) + 1
			       : 20);
	}
	return (double)(kmt_now_ns() - t0) / 1e9;
}

/* --cache: the names of the caches with a row, read from `cache_names`. */
struct cache_names {
	size_t n;
	struct {
		__u64 key;
		struct kmstat_cache_name v;
	} * e;
};

static void read_cache_names(struct stat_bpf *obj, struct cache_names *c)
{
	int fd = bpf_map__fd(obj->maps.cache_names);
	__u64 key, next, *cur = NULL;
	size_t cap = 0;

	while (bpf_map_get_next_key(fd, cur, &next) == 0) {
		key = next;
		cur = &key;
		if (c->n == cap) {
			void *t = realloc(c->e, (cap = cap ? 2 * cap : 64) * sizeof(*c->e));

			if (!t)
				return;
			c->e = t;
		}
		if (bpf_map_lookup_elem(fd, &key, &c->e[c->n].v) == 0) {
			c->e[c->n].v.name[KMT_CACHE_LEN - 1] = '\0';
			c->e[c->n++].key = key;
		}
	}
}

static const char *cache_fmt(void *arg, __u64 key, char *buf, size_t len)
{
	const struct cache_names *c = arg;

	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].key == key)
			return snprintf(buf, len, "%s", c->e[i].v.name), buf;
	snprintf(buf, len, "?"); /* never: a row's name is written with it */
	return buf;
}

/*
 * --folded: the allocations per stack (`stack_w`) with their stacks named
 * (read before the object is unloaded) into a new kmt_stacks; NULL on
 * ENOMEM (said).
 */
static struct kmt_stacks *read_stacks(struct stat_run *r, struct kmt_syms *syms)
{
	int fd = bpf_map__fd(r->skel->maps.stack_w), ncpu = libbpf_num_possible_cpus();
	struct kmt_stacks *s = kmt_stacks_new(bpf_map__fd(r->skel->maps.stacks),
					      bpf_map__max_entries(r->skel->maps.stacks), syms);
	struct kmstat_stack *vals = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*vals)) : NULL;
	__s32 key, next, *cur = NULL;

	if (!s || !vals)
		goto nomem;
	while (bpf_map_get_next_key(fd, cur, &next) == 0) {
		struct kmstat_stack w;

		key = next;
		cur = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		kmt_sum_u64((uint64_t *)&w, vals, sizeof(w), ncpu);
		if (kmt_stacks_add(s, key, w.count, w.bytes))
			goto nomem;
	}
	free(vals);
	return s;
nomem:
	fprintf(stderr, "kmtrace: stat: out of memory: no --folded file\n");
	kmt_stacks_free(s);
	free(vals);
	return NULL;
}

/* --folded at the end: the file written, what was lost said.  0 or 1. */
static int write_folded(struct stat_run *r, struct kmt_stacks *s)
{
	int cfd = bpf_map__fd(r->skel->maps.counters), err = 0;
	uint64_t full = kmt_counter(cfd, KMT_CNT_STACKW_FULL);

	kmt_stacks_report(s, "--folded", kmt_counter(cfd, KMT_CNT_STACKID_COLLIDE),
			  kmt_counter(cfd, KMT_CNT_STACKID_FULL),
			  kmt_counter(cfd, KMT_CNT_STACKID_ERR));
	if (full)
		fprintf(stderr,
			"kmtrace: --folded: %llu allocations not weighed: the per-stack "
			"table was full\n",
			(unsigned long long)full);
	if (!s || kmt_stacks_write_folded(s, r->folded, r->a->folded_weight == KMT_WEIGHT_COUNT))
		err = s ? (errno ? errno : EIO) : ENOMEM;
	if (fclose(r->folded) && !err)
		err = errno ? errno : EIO;
	r->folded = NULL;
	if (err)
		fprintf(stderr, "kmtrace: --folded %s: %s\n", r->a->folded, strerror(err));
	return err ? 1 : 0;
}

static int report(struct stat_run *r, double seconds)
{
	struct cache_names names = {0};
	const struct kmt_args *a = r->a;
	struct stat_report rep = {};
	struct kmt_syms *syms = NULL;
	struct kmt_stacks *stacks = NULL;
	struct kmstat_totals tot = {};
	int ret;
	struct stat_row *rows;
	char scope[64] = "all";
	size_t n;

	if (r->tg.pid)
		snprintf(scope, sizeof(scope), "pid %d", (int)r->tg.pid);
	else if (a->comm[0])
		snprintf(scope, sizeof(scope), "comm %s", a->comm);
	rows = read_rows(r->skel, (enum stat_mode)a->mode, &n);
	if (read_totals(r->skel, &tot)) {
		fprintf(stderr, "kmtrace: stat: cannot read the totals map: %s\n", strerror(errno));
		free(rows);
		return 1;
	}
	rep.seconds = seconds;
	rep.mode = (enum stat_mode)a->mode;
	rep.scope = scope;
	rep.sort = (enum stat_sort)a->sort;
	rep.limit = (size_t)a->lines;
	rep.json = a->json;
	rep.missed = kmt_missed(&r->ld);
	kmt_stats_report(&r->ld);
	if (a->mode == STAT_CACHE) {
		read_cache_names(r->skel, &names);
		rep.sym = cache_fmt;
		rep.sym_arg = &names;
	}
	if (a->mode == STAT_CALLER || r->folded)
		syms = kmt_syms_open(NULL, NULL);
	if (r->folded && syms)
		stacks = read_stacks(r, syms); /* before the object is gone */
	ret = r->folded ? write_folded(r, stacks) : 0;
	kmt_unload(&r->ld);
	if (a->mode == STAT_CALLER) {
		rep.sym = syms ? sym_fmt : NULL;
		rep.sym_arg = syms;
	}
	rep.gfp = gfp_fmt;
	stat_sort_rows(rows, n, rep.mode, rep.sort);
	stat_print_rows(stdout, &rep, rows, n);
	stat_print_totals(stdout, &rep, &tot);
	kmt_stacks_free(stacks);
	kmt_syms_close(syms);
	free(names.e);
	free(rows);
	return kmt_out_end(ret);
}

int cmd_stat(int argc, char **argv)
{
	struct kmt_args a;
	struct stat_run r = {.a = &a};
	bool pages, caches;
	double secs;
	int ret;

	ret = kmt_cli(&kmt_stat_spec, argc, argv, &a);
	if (ret)
		return ret == KMT_CLI_EXIT_OK ? 0 : ret;
	if (kmt_loader_check("stat"))
		return 1;
	if (a.folded && !(r.folded = kmt_fopen_private(a.folded))) {
		fprintf(stderr, "kmtrace: cannot create --folded %s: %s\n", a.folded,
			strerror(errno));
		return 1;
	}
	if (kmt_target_open(&r.tg, &a)) {
		if (r.folded)
			fclose(r.folded);
		return 1;
	}
	pages = a.mode == STAT_PAGE;
	caches = a.mode == STAT_CACHE;
	r.ld = (struct kmt_loader){
	    .cmd = "stat",
	    .ops = &stat_bpf_ops,
	    .want = {[KMT_G_KMALLOC] = !pages && !caches,
		     [KMT_G_BULK] = !pages && !caches,
		     [KMT_G_PAGE] = pages,
		     [KMT_G_CACHE] = caches},
	    .verbose = a.verbose,
	    .stats = a.stats,
	    .prepare = prepare,
	    .arg = &r,
	};
	ret = 1;
	if (kmt_load(&r.ld))
		goto out;
	r.skel = r.ld.skel;
	if (kmt_target_attach(&r.tg, &r.ld))
		goto out;
	kmt_stop_on_signals();
	kmt_ready(&r.ld, "stat");
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "kmtrace: Ctrl-C to end\n");
	secs = wait_for_end(&r);
	stat_bpf__detach(r.skel); /* freeze the numbers before reading them */
	ret = report(&r, secs);
out:
	kmt_unload(&r.ld);
	kmt_target_close(&r.tg, ret != 0);
	if (r.folded)
		fclose(r.folded);
	return ret;
}

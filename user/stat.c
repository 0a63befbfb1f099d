// SPDX-License-Identifier: GPL-2.0
/*
 * kmtrace stat: perf-kmem-stat-like numbers, live.  bpf/stat.bpf.c aggregates
 * every kmalloc/kfree (or page alloc/free) of the target in per-CPU maps;
 * this file loads it (user/loader.c), waits for Ctrl-C or -d, reads the maps
 * once and prints the tables (user/stat_report.c).  With --listen and/or
 * --textfile it also reads them while running, for each scrape (user/httpd.c)
 * or every --interval (user/textfile.c), into the Prometheus exposition
 * (user/prom.c).  --folded: allocations per kernel stack, written as folded
 * stacks (user/stacks.c).
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "events.h" /* before the skeleton: the types it names */
#include "filter.h"
#include "stat.skel.h"
#include "cli.h"
#include "gfp.h"
#include "httpd.h"
#include "loader.h"
#include "netaddr.h"
#include "prom.h"
#include "ptrtab.h"
#include "stacks.h"
#include "stat_report.h"
#include "textfile.h"
#include "symbols.h"
#include "target.h"
#include "util.h"

#ifndef KMTRACE_VERSION /* the Makefile's, from VERSION */
#define KMTRACE_VERSION "unknown"
#endif

KMT_SKEL_OPS(stat_bpf);

/* --cache: the names of the caches with a row, read from `cache_names`. */
struct cache_names {
	size_t n;
	struct {
		__u64 key;
		struct kmstat_cache_name v;
	} * e;
};

struct stat_run {
	const struct kmt_args *a;
	struct kmt_target tg;
	struct kmt_loader ld;
	struct stat_bpf *skel;
	/* --listen / --textfile */
	bool exporting;
	struct prom_state *prom;
	struct kmt_httpd *http;
	struct kmt_syms *syms;	   /* --caller: open for the whole run */
	unsigned long long modsum; /* /proc/modules when syms were read */
	struct cache_names names;  /* --cache */
	struct prom_tracer tr;
	char scope[64];
	bool file_failing; /* the last --textfile write failed (said once) */
	FILE *folded;	   /* --folded */
};

static int prepare(void *skel, void *arg)
{
	struct stat_bpf *obj = skel;
	struct stat_run *r = arg;

	kmt_target_filter(&r->tg, r->a, (struct kmt_filter *)&obj->rodata->filter);
	obj->rodata->by_size = r->a->mode == STAT_ALLOC;
	obj->rodata->by_cache = r->a->mode == STAT_CACHE;
	obj->rodata->by_sizes = r->exporting && r->a->mode != STAT_PAGE;
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

static void read_cache_names(struct stat_bpf *obj, struct cache_names *c)
{
	int fd = bpf_map__fd(obj->maps.cache_names);
	__u64 key, next, *cur = NULL;
	size_t cap = 0;

	c->n = 0; /* read again: the buffer is reused */
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

/* --- --listen / --textfile ------------------------------------------------------ */

static const char *prom_sym(void *arg, __u64 key, char *buf, size_t len, const char **module)
{
	return kmt_syms_name(arg, key, buf, len, module);
}

static const char *prom_cache(void *arg, __u64 key, char *buf, size_t len, const char **module)
{
	*module = NULL;
	return cache_fmt(arg, key, buf, len);
}

/* A checksum of /proc/modules: when it changes, kallsyms is read again, so
 * that a module loaded since names its call sites. */
static unsigned long long modules_sum(void)
{
	unsigned long long h = 14695981039346656037ULL;
	FILE *f = fopen("/proc/modules", "re");
	int c;

	if (!f)
		return 0;
	while ((c = getc(f)) != EOF)
		h = (h ^ (unsigned char)c) * 1099511628211ULL;
	fclose(f);
	return h;
}

/* The exposition of what the maps hold now (a kmt_render_fn). */
static int render_prom(void *arg, FILE *f)
{
	struct stat_run *r = arg;
	enum stat_mode mode = (enum stat_mode)r->a->mode;
	struct prom_snapshot s = {.mode = mode, .tr = r->tr};
	struct kmstat_sizes sizes;
	struct stat_row *rows;
	__u32 zero = 0;
	size_t n;
	int ret;

	s.page_size = (unsigned long)sysconf(_SC_PAGESIZE);
	if (r->skel) {
		s.tr.missed = kmt_missed(&r->ld);
		rows = read_rows(r->skel, mode, &n);
		if (read_totals(r->skel, &s.tot)) {
			free(rows);
			return -1;
		}
		if (mode != STAT_PAGE &&
		    !kmt_percpu_sum(bpf_map__fd(r->skel->maps.sizes), &zero, &sizes, sizeof(sizes)))
			s.sizes = &sizes;
		if (mode == STAT_CACHE) {
			read_cache_names(r->skel, &r->names);
			s.name = prom_cache;
			s.name_arg = &r->names;
		}
	} else {
		rows = NULL;
		n = 0;
	}
	if (mode == STAT_CALLER && r->syms) {
		unsigned long long sum = modules_sum();

		if (sum != r->modsum) {
			kmt_syms_reload(r->syms);
			r->modsum = sum;
		}
		s.name = prom_sym;
		s.name_arg = r->syms;
	}
	s.rows = rows;
	s.n = n;
	ret = prom_render(f, &s, r->prom);
	free(rows);
	return ret;
}

/* Rewrite --textfile (0644: it holds no address).  0, or -1 after saying why
 * (once for a run of failures). */
static int write_textfile(struct stat_run *r)
{
	if (kmt_textfile_write(r->a->textfile, 0644, render_prom, r)) {
		if (!r->file_failing)
			fprintf(stderr, "kmtrace: stat: cannot write --textfile %s: %s\n",
				r->a->textfile, strerror(errno));
		r->file_failing = true;
		return -1;
	}
	r->file_failing = false;
	return 0;
}

/* Before loading: what --listen / --textfile need.  0, or 1 after one line. */
static int export_open(struct stat_run *r, int *listen_fd, unsigned int *port)
{
	const struct kmt_args *a = r->a;

	*listen_fd = -1;
	if (a->listen) {
		struct kmt_netaddr na;
		char err[160];

		if (!kmt_httpd_available()) {
			fprintf(
			    stderr,
			    "kmtrace: stat: --listen: this kmtrace is built without libmicrohttpd"
			    " (the static build); --textfile works\n");
			return 1;
		}
		if (kmt_netaddr_parse(a->listen, &na, err, sizeof(err))) { /* checked before */
			fprintf(stderr, "kmtrace: stat: %s\n", err);
			return 1;
		}
		*listen_fd = kmt_httpd_bind("stat", &na, port);
		if (*listen_fd < 0)
			return 1;
	}
	if (a->textfile) {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s", a->textfile);
		if (access(dirname(dir), W_OK | X_OK)) {
			fprintf(stderr, "kmtrace: stat: cannot write --textfile %s: %s\n",
				a->textfile, strerror(errno));
			return 1;
		}
	}
	r->prom = prom_state_new((size_t)a->top);
	if (!r->prom) {
		fprintf(stderr, "kmtrace: stat: out of memory\n");
		return 1;
	}
	if (a->mode == STAT_CALLER) {
		r->modsum = modules_sum();
		r->syms = kmt_syms_open(NULL, NULL); /* NULL: every call site is "unknown" */
	}
	return 0;
}

static unsigned int loaded_programs(struct stat_bpf *obj)
{
	struct bpf_program *p;
	unsigned int n = 0;

	bpf_object__for_each_program(p, obj->obj) n += bpf_program__fd(p) >= 0;
	return n;
}

/* Attached: write the first textfile, serve on LISTEN_FD (taken over: closed
 * on failure too).  0, or 1 after one line. */
static int export_start(struct stat_run *r, int listen_fd, unsigned int port)
{
	const struct kmt_args *a = r->a;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	r->tr.version = KMTRACE_VERSION;
	r->tr.scope = r->scope;
	r->tr.start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	r->tr.ready = true;
	r->tr.programs = loaded_programs(r->skel);
	if (a->textfile && write_textfile(r)) {
		if (listen_fd >= 0)
			close(listen_fd);
		return 1;
	}
	if (listen_fd >= 0) {
		struct kmt_netaddr na;
		char err[160], where[80];

		r->http = kmt_httpd_start("stat", listen_fd, render_prom, r, PROM_CONTENT_TYPE,
					  a->verbose);
		if (!r->http)
			return 1;
		kmt_netaddr_parse(a->listen, &na, err, sizeof(err));
		fprintf(stderr, "kmtrace: stat: serving http://%s/metrics\n",
			kmt_netaddr_str(&na, port, where, sizeof(where)));
	}
	return 0;
}

/* Until the end (as wait_for_end): serve scrapes, rewrite the textfile. */
static double export_loop(struct stat_run *r)
{
	uint64_t t0 = kmt_now_ns(), deadline = 0, next_file = 0, step;
	int status;

	step = (uint64_t)(r->a->every * 1e9);
	if (r->a->duration > 0)
		deadline = t0 + (uint64_t)(r->a->duration * 1e9);
	if (r->a->textfile)
		next_file = t0 + step;
	while (!kmt_stop_signal()) {
		uint64_t now = kmt_now_ns(), wait = 100000000; /* 100 ms at most */

		if (deadline && now >= deadline)
			break;
		if (kmt_target_done(&r->tg, &status))
			break;
		if (next_file && now >= next_file) {
			write_textfile(r);
			next_file += step;
			if (next_file <= now)
				next_file = now + step;
		}
		if (deadline && deadline - now < wait)
			wait = deadline - now;
		if (next_file && next_file > now && next_file - now < wait)
			wait = next_file - now;
		if (r->http)
			kmt_httpd_run(r->http, (unsigned int)(wait / 1000000) + 1);
		else
			kmt_nap_ms((unsigned int)(wait / 1000000) + 1);
	}
	return (double)(kmt_now_ns() - t0) / 1e9;
}

/* Detached: the textfile's last state (kmtrace_ready 0), the server stopped. */
static void export_end(struct stat_run *r)
{
	kmt_httpd_stop(r->http);
	r->http = NULL;
	if (!r->tr.ready && !r->tr.start_time)
		return; /* never started */
	r->tr.ready = false;
	r->tr.programs = 0;
	if (r->a->textfile)
		write_textfile(r);
}

/* --- --folded ---------------------------------------------------------------------- */

/*
 * The allocations per stack (`stack_w`) with their stacks named (read before
 * the object is unloaded) into a new kmt_stacks; NULL on ENOMEM (said).
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

/* At the end: the file written, what was lost said.  0 or 1. */
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
	const struct kmt_args *a = r->a;
	struct stat_report rep = {};
	struct kmt_syms *syms = NULL;
	struct kmt_stacks *stacks = NULL;
	struct kmstat_totals tot = {};
	struct stat_row *rows;
	const char *scope = r->scope;
	size_t n;
	int ret = 0;

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
		read_cache_names(r->skel, &r->names);
		rep.sym = cache_fmt;
		rep.sym_arg = &r->names;
	}
	if (a->mode == STAT_CALLER || r->folded)
		syms = r->syms ? r->syms : kmt_syms_open(NULL, NULL);
	if (r->folded) {
		if (syms)
			stacks = read_stacks(r, syms); /* before the object is gone */
		ret = write_folded(r, stacks);
	}
	kmt_unload(&r->ld);
	r->skel = NULL;
	if (a->mode == STAT_CALLER) {
		rep.sym = syms ? sym_fmt : NULL;
		rep.sym_arg = syms;
	}
	rep.gfp = gfp_fmt;
	stat_sort_rows(rows, n, rep.mode, rep.sort);
	stat_print_rows(stdout, &rep, rows, n);
	stat_print_totals(stdout, &rep, &tot);
	if (ferror(stdout)) /* now, while errno says why */
		kmt_out_failed();
	kmt_stacks_free(stacks);
	if (syms != r->syms)
		kmt_syms_close(syms);
	free(rows);
	return kmt_out_end(ret);
}

int cmd_stat(int argc, char **argv)
{
	struct kmt_args a;
	struct stat_run r = {.a = &a};
	unsigned int port = 0;
	bool pages, caches;
	int ret, listen_fd = -1;
	double secs;

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
	snprintf(r.scope, sizeof(r.scope), "all");
	if (r.tg.pid)
		snprintf(r.scope, sizeof(r.scope), "pid %d", (int)r.tg.pid);
	else if (a.comm[0])
		snprintf(r.scope, sizeof(r.scope), "comm %s", a.comm);
	r.exporting = a.listen || a.textfile;
	ret = 1;
	if (r.exporting && export_open(&r, &listen_fd, &port))
		goto out;
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
	if (kmt_load(&r.ld))
		goto out;
	r.skel = r.ld.skel;
	if (kmt_target_attach(&r.tg, &r.ld))
		goto out;
	kmt_stop_on_signals();
	kmt_ready(&r.ld, "stat");
	if (r.exporting) {
		ret = export_start(&r, listen_fd, port);
		listen_fd = -1; /* the server's now */
		if (ret)
			goto out;
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "kmtrace: Ctrl-C to end\n");
	secs = r.exporting ? export_loop(&r) : wait_for_end(&r);
	stat_bpf__detach(r.skel); /* freeze the numbers before reading them */
	if (r.exporting)
		export_end(&r);
	ret = report(&r, secs);
out:
	if (listen_fd >= 0)
		close(listen_fd);
	kmt_httpd_stop(r.http);
	kmt_unload(&r.ld);
	kmt_target_close(&r.tg, ret != 0);
	kmt_syms_close(r.syms);
	prom_state_free(r.prom);
	free(r.names.e);
	if (r.folded)
		fclose(r.folded);
	return ret;
}

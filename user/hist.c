// SPDX-License-Identifier: GPL-2.0
/*
 * kmtrace hist [filters] [--field req|alloc] [--by pid|comm|caller|gfp]
 *              [--linear STEP] [--json] [INTERVAL [COUNT]] [-- CMD]
 *
 * Loads bpf/kmtrace.bpf.c through trace's setup (user/trace.c: the same
 * filters, feature probes, -- CMD handling) with `hist_mode` set: kmallocs
 * that pass the filters become one per-CPU count in the `hist` map, keyed by
 * (bucket, --by key, interval generation).  Every INTERVAL seconds (or once at
 * the end) the generation is flipped, the old one read, printed
 * (user/hist_report.c) and deleted.  The options: user/histopts.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kmtrace.skel.h"
#include "gfp.h"
#include "hist.h"
#include "ksyms.h"
#include "opts.h"
#include "trace.h"

#define HIST_MAX_KEYS 16384 /* `hist` map entries: (bucket, key) pairs per interval */

/* ---- loading ----------------------------------------------------------------------- */

struct hist_run {
	const struct kmt_opts *o;
	const struct hist_args *h;
	struct kmtrace_bpf *skel;
	struct ksyms *ks;     /* kallsyms, reloaded at each print (--by caller) */
	struct ksyms *kosyms; /* -m: its .ko's symbols where module_load put them */
	char moddir[300];
	char scope[128];
	__u64 intervals; /* printed so far */
	__u32 gen;
	bool out_err;
};

static void tweak(struct kmtrace_bpf *s, void *arg)
{
	struct hist_run *r = arg;
	long page = sysconf(_SC_PAGESIZE);

	s->rodata->hist_mode = true;
	s->rodata->hist_alloc = r->h->field == HIST_ALLOC;
	s->rodata->hist_by = r->h->by;
	s->rodata->hist_step = r->h->step;
	bpf_map__set_max_entries(s->maps.hist, HIST_MAX_KEYS);
	/* Unused in hist mode: keep them small (the ring buffer only carries -m's
	 * module_load/module_free events). */
	bpf_map__set_max_entries(s->maps.events, page > 0 ? (__u32)page : 4096);
	bpf_map__set_max_entries(s->maps.allocs, 1);
	bpf_map__set_max_entries(s->maps.mms, 1);
}

static void set_scope(struct hist_run *r)
{
	const struct kmt_opts *o = r->o;
	size_t n;

	if (o->pid)
		n = (size_t)snprintf(r->scope, sizeof(r->scope), "pid %d", (int)o->pid);
	else if (o->comm[0])
		n = (size_t)snprintf(r->scope, sizeof(r->scope), "comm %s", o->comm);
	else if (o->cmd)
		n = (size_t)snprintf(r->scope, sizeof(r->scope), "%s and its children", o->cmd[0]);
	else
		n = (size_t)snprintf(r->scope, sizeof(r->scope), "all processes");
	if (o->module[0] && n < sizeof(r->scope))
		n += (size_t)snprintf(r->scope + n, sizeof(r->scope) - n, ", module %s", o->module);
	if (o->size_filter && n < sizeof(r->scope)) {
		if (o->max_size == UINT64_MAX)
			snprintf(r->scope + n, sizeof(r->scope) - n, ", req >= %llu",
				 (unsigned long long)o->min_size);
		else
			snprintf(r->scope + n, sizeof(r->scope) - n, ", req %llu..%llu",
				 (unsigned long long)o->min_size, (unsigned long long)o->max_size);
	}
}

/* ---- reading and printing ---------------------------------------------------------- */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static const char *sym_name(void *arg, __u64 addr, char *buf, size_t len)
{
	struct hist_run *r = arg;
	const struct ksym *s = NULL;
	uint64_t off;

	buf[0] = '\0';
	if (r->kosyms)
		s = ksyms_lookup(r->kosyms, addr, &off);
	if (!s && r->ks)
		s = ksyms_lookup(r->ks, addr, &off);
	/* BPF programs do not kmalloc: that is freed module text (hex, then) */
	if (!s || (s->module && !strcmp(s->module, "bpf")))
		return buf;
	return ksym_format(s, off, buf, len);
}

/* Ring buffer: only module_load/module_free of -m's module (hist mode). */
static int on_event(void *ctx, void *data, size_t size)
{
	struct hist_run *r = ctx;
	struct kmt_event e;

	if (size < sizeof(e) || r->h->by != KMT_BY_CALLER)
		return 0;
	memcpy(&e, data, sizeof(e));
	e.module[KMT_MODNAME_LEN - 1] = '\0';
	if (e.type != KMT_EV_MODULE_LOAD)
		return 0;
	if (!r->ks)
		r->ks = ksyms_load_kallsyms("/proc/kallsyms");
	if (r->ks && r->kosyms)
		kmt_load_ko_syms(r->kosyms, r->ks, r->moddir, r->o, e.module, e.text_base,
				 e.init_base);
	return 0;
}

static const char *gfp_name(void *arg, __u64 gfp, char *buf, size_t len)
{
	(void)arg;
	return kmt_gfp_str((unsigned long)gfp, buf, len);
}

/* Entries of generation GEN, summed over CPUs and deleted from the map. */
static struct hist_row *read_gen(struct hist_run *r, __u32 gen, size_t *n)
{
	int fd = bpf_map__fd(r->skel->maps.hist), ncpu = libbpf_num_possible_cpus();
	struct kmt_hist_key key, next, *prev = NULL;
	struct hist_row *rows = NULL, *t;
	size_t cap = 0;
	__u64 *vals;

	*n = 0;
	if (ncpu <= 0)
		return NULL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return NULL;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (key.gen != gen || bpf_map_lookup_elem(fd, &key, vals))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			t = realloc(rows, cap * sizeof(*rows));
			if (!t)
				break;
			rows = t;
		}
		rows[*n].k = key;
		rows[*n].count = 0;
		for (int c = 0; c < ncpu; c++)
			rows[*n].count += vals[c];
		(*n)++;
	}
	/* Delete after the walk: deleting the current key restarts get_next_key. */
	for (size_t i = 0; i < *n; i++)
		bpf_map_delete_elem(fd, &rows[i].k);
	free(vals);
	return rows;
}

static __u64 hist_full(struct hist_run *r)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 idx = KMT_CNT_HIST_FULL;
	__u64 *v, sum = 0;

	if (ncpu <= 0 || !(v = calloc((size_t)ncpu, sizeof(*v))))
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.counters), &idx, v))
		for (int c = 0; c < ncpu; c++)
			sum += v[c];
	free(v);
	return sum;
}

/* Flip the generation, then read, print and delete the old one. */
static void print_interval(struct hist_run *r, bool final)
{
	struct hist_fmt fm = {
	    .field = r->h->field,
	    .by = r->h->by,
	    .step = r->h->step,
	    .json = r->o->json,
	    .scope = r->scope,
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
	if (r->h->by == KMT_BY_CALLER) {
		struct ksyms *ks =
		    ksyms_load_kallsyms("/proc/kallsyms"); /* modules may come and go */

		if (ks) {
			ksyms_free(r->ks);
			r->ks = ks;
		}
		fm.sym = sym_name;
		fm.sym_arg = r;
	}
	fm.ts_ns = now_ns();
	r->intervals++;
	fm.interval = r->h->interval > 0 ? r->intervals : 0;
	if (r->h->interval > 0 && !r->o->json) {
		time_t t = time(NULL);
		char tb[32];

		strftime(tb, sizeof(tb), "%H:%M:%S", localtime(&t));
		printf("%s\n", tb);
	}
	if (!nh)
		hist_print(stdout, &fm, NULL);
	for (size_t i = 0; i < nh; i++)
		hist_print(stdout, &fm, &hs[i]);
	if (fflush(stdout) == EOF || ferror(stdout))
		r->out_err = true;
	free(hs);
	free(rows);
}

/* ---- the command --------------------------------------------------------------------- */

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

int cmd_hist(int argc, char **argv)
{
	struct kmt_opts o;
	struct hist_args h;
	struct hist_run r = {.o = &o, .h = &h};
	struct kmt_setup su = {.hist = true, .tweak = tweak, .arg = &r};
	struct sigaction sa = {.sa_handler = on_signal};
	struct ring_buffer *rb = NULL;
	struct utsname u;
	__u64 t0, deadline = 0, next_print = 0, full;
	char err[256];
	int ret = 1;

	if (hist_parse(argc, argv, &o, &h, err, sizeof(err))) {
		fprintf(stderr, "kmtrace: %s (see 'kmtrace hist --help')\n", err);
		return 2;
	}
	if (o.help) {
		fputs(hist_usage(), stdout);
		return 0;
	}
	if (kmt_setup_open(&su, &o))
		return 1;
	r.skel = su.skel;
	set_scope(&r); /* after setup: -p may have become the tgid */
	uname(&u);
	snprintf(r.moddir, sizeof(r.moddir), "/lib/modules/%s", u.release);
	r.kosyms = ksyms_new();
	rb = ring_buffer__new(bpf_map__fd(r.skel->maps.events), on_event, &r, NULL);
	if (!rb || !r.kosyms) {
		fprintf(stderr, "kmtrace: cannot create the ring buffer: %s\n", strerror(errno));
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "kmtrace: ready: hist of %s via %s%s\n", hist_field_name(h.field),
		su.raw ? "raw_tp" : "tracepoint",
		o.cmd && !su.threads ? " (command's children not followed)" : "");
	if (kmt_setup_start_cmd(&su, &o))
		goto out;

	t0 = now_ns();
	if (o.duration > 0)
		deadline = t0 + (__u64)(o.duration * 1e9);
	if (h.interval > 0)
		next_print = t0 + (__u64)(h.interval * 1e9);
	for (;;) {
		__u64 now = now_ns(), nap = 50000000; /* 50 ms, or up to the next print */

		if (next_print && next_print > now && next_print - now < nap)
			nap = next_print - now;
		ring_buffer__poll(rb,
				  (int)((nap + 999999) / 1000000)); /* module events, or a nap */
		if (stop_sig || r.out_err)
			break;
		now = now_ns();
		if (deadline && now >= deadline)
			break;
		if (su.ch.pid > 0 && kmt_setup_reap(&su) >= 0)
			break;
		if (o.pid && kill(o.pid, 0) && errno == ESRCH)
			break;
		if (next_print && now >= next_print) {
			print_interval(&r, false);
			if (h.count && r.intervals >= h.count)
				break;
			next_print += (__u64)(h.interval * 1e9);
			if (next_print < now)
				next_print = now + (__u64)(h.interval * 1e9);
		}
	}
	/* The last (partial) interval, unless COUNT intervals are done. */
	kmtrace_bpf__detach(su.skel);
	ring_buffer__consume(rb);
	if (!r.out_err && !(h.count && r.intervals >= h.count))
		print_interval(&r, true);
	full = hist_full(&r);
	if (full)
		fprintf(stderr, "kmtrace: warning: %llu events not counted: histogram table full\n",
			(unsigned long long)full);
	ret = 0;
out:
	ring_buffer__free(rb);
	kmt_setup_close(&su, ret != 0);
	ksyms_free(r.ks);
	ksyms_free(r.kosyms);
	return ret;
}

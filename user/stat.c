// SPDX-License-Identifier: GPL-2.0
/*
 * kmtrace stat [--caller | --alloc | --page] [--sort hits|bytes|frag|outstanding]
 *              [-l N] [-d SECONDS] [--json]
 *
 * perf-kmem-stat-like numbers, live: bpf/kmstat.bpf.c aggregates every
 * kmalloc/kfree (or page alloc/free) in per-CPU maps; this file loads it
 * (raw tracepoints, else classic ones), waits for SIGINT/SIGTERM or -d, reads
 * the maps once and prints the tables (user/stat_report.c).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kmstat.skel.h"
#include "ptrtab.h"
#include "stat.h"
#include "gfp.h"
#include "ksyms.h"
#include "opts.h"
#include "probe.h"

struct stat_opts {
	enum stat_mode mode;
	enum stat_sort sort;
	size_t limit;
	double duration; /* 0: until SIGINT/SIGTERM */
	bool json;
	__u32 max_tracked; /* pointer table size (live allocations matched to frees) */
	pid_t pid;	   /* -p: that process only (0: all) */
	char comm[16];	   /* -c: tasks with that command name only ("": all) */
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: kmtrace stat [--caller | --alloc | --page] [-p PID | -c COMM] [--sort KEY]\n"
	    "                    [-l N] [-d SECONDS] [--json]\n"
	    "Kernel allocator statistics aggregated in BPF until Ctrl-C or -d, then a table.\n"
	    "  -p, --pid PID     only that process's allocations (all its threads; frees of\n"
	    "                    them by anyone are matched)\n"
	    "  -c, --comm COMM   only tasks with that command name\n"
	    "  --caller          kmalloc per call site (default)\n"
	    "  --alloc           kmalloc per allocation size (bytes_alloc)\n"
	    "  --page            page allocator per order and gfp mask\n"
	    "  -s, --sort KEY    hits, bytes (default), frag or outstanding (not with --page)\n"
	    "  -l, --lines N     print the top N rows (default 10, 0 = all)\n"
	    "  -d, --duration S  trace S seconds (default: until SIGINT/SIGTERM)\n"
	    "  --json            one JSON object per line: rows, then {\"type\":\"totals\",...}\n"
	    "  --max-tracked N   room for N live allocations, to match their kfree\n"
	    "                    (default %u; 8 per hash set, so a full set can refuse\n"
	    "                    one earlier: counted as untracked)\n"
	    "  -h, --help        this text\n"
	    "OUTSTANDING: bytes allocated while tracing and not freed by the end; a '+'\n"
	    "marks a lower bound (pointer table was full, see the summary).\n",
	    (unsigned int)KMSTAT_MAX_PTRS);
}

static int bad(const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	fprintf(stderr, "kmtrace: stat: %s (see kmtrace stat --help)\n", kmt_one_line(msg));
	return 2;
}

/* 0: run; 1: --help printed; 2: usage error (message printed). */
static int parse_args(int argc, char **argv, struct stat_opts *o)
{
	enum { OPT_CALLER = 256, OPT_ALLOC, OPT_PAGE, OPT_JSON, OPT_MAX_TRACKED };
	static const struct option longopts[] = {
	    {"caller", no_argument, NULL, OPT_CALLER},
	    {"alloc", no_argument, NULL, OPT_ALLOC},
	    {"page", no_argument, NULL, OPT_PAGE},
	    {"sort", required_argument, NULL, 's'},
	    {"lines", required_argument, NULL, 'l'},
	    {"duration", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"max-tracked", required_argument, NULL, OPT_MAX_TRACKED},
	    {"pid", required_argument, NULL, 'p'},
	    {"comm", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, nmodes = 0;
	char *end;

	*o = (struct stat_opts){.mode = STAT_CALLER,
				.sort = STAT_SORT_BYTES,
				.limit = 10,
				.max_tracked = KMSTAT_MAX_PTRS};
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:l:d:p:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': {
			uint64_t v;

			if (kmt_parse_u64(optarg, &v) || v < 1 || v > 4194304)
				return bad("invalid pid '%s' (1..4194304)", optarg);
			o->pid = (pid_t)v;
			break;
		}
		case 'c':
			if (!*optarg || strlen(optarg) >= sizeof(o->comm))
				return bad("invalid command name '%s' (1..15 characters)", optarg);
			snprintf(o->comm, sizeof(o->comm), "%s", optarg);
			break;
		case OPT_CALLER:
		case OPT_ALLOC:
		case OPT_PAGE: {
			enum stat_mode m = c == OPT_CALLER  ? STAT_CALLER
					   : c == OPT_ALLOC ? STAT_ALLOC
							    : STAT_PAGE;

			if (nmodes++ && m != o->mode)
				return bad("%s: use only one of --caller, --alloc, --page",
					   argv[optind - 1]);
			o->mode = m;
			break;
		}
		case 's':
			if (stat_parse_sort(optarg, &o->sort))
				return bad("invalid --sort '%s' (hits, bytes, frag, outstanding)",
					   optarg);
			break;
		case 'l': {
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-' || v > 1000000)
				return bad("invalid -l '%s' (0..1000000)", optarg);
			o->limit = (size_t)v;
			break;
		}
		case 'd':
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (!*optarg || *end || errno || !isfinite(o->duration) ||
			    o->duration <= 0 || o->duration > 31536000)
				return bad("invalid -d '%s' (seconds, > 0)", optarg);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_MAX_TRACKED: {
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || errno || *optarg == '-' || v < 1 || v > 16777216)
				return bad("invalid --max-tracked '%s' (1..16777216)", optarg);
			o->max_tracked = (__u32)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			return bad("%s needs an argument", argv[optind - 1]);
		default:
			return bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (o->pid && o->comm[0])
		return bad("%s", "-p and -c are mutually exclusive");
	if (stat_sort_valid(o->mode, o->sort))
		return bad("%s", "--sort frag/outstanding do not apply to --page");
	return 0;
}

/* --- loading ---------------------------------------------------------------- */

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static struct kmstat_bpf *open_load_attach(const struct stat_opts *o, bool raw, bool bulk)
{
	bool km = o->mode != STAT_PAGE, pg = o->mode == STAT_PAGE;
	struct kmstat_bpf *obj = kmstat_bpf__open();

	if (!obj)
		return NULL;
	obj->rodata->by_size = o->mode == STAT_ALLOC;
	obj->rodata->target_tgid = (__u32)o->pid;
	obj->rodata->filter_comm = o->comm[0] != '\0';
	memcpy((char *)obj->rodata->target_comm, o->comm, sizeof(o->comm));
	bpf_program__set_autoload(obj->progs.raw_kmalloc, raw && km);
	bpf_program__set_autoload(obj->progs.raw_kfree, raw && km);
	bpf_program__set_autoload(obj->progs.raw_page_alloc, raw && pg);
	bpf_program__set_autoload(obj->progs.raw_page_free, raw && pg);
	bpf_program__set_autoload(obj->progs.tp_kmalloc, !raw && km);
	bpf_program__set_autoload(obj->progs.tp_kfree, !raw && km);
	bpf_program__set_autoload(obj->progs.tp_page_alloc, !raw && pg);
	bpf_program__set_autoload(obj->progs.tp_page_free, !raw && pg);
	bpf_program__set_autoload(obj->progs.fe_free_bulk, bulk && km);
	/* Tables of the other mode: keep them tiny. */
	if (pg) {
		bpf_map__set_max_entries(obj->maps.site_idx, 1);
		bpf_map__set_max_entries(obj->maps.sites, 1);
		bpf_map__set_max_entries(obj->maps.ptrs, 1);
	} else {
		__u32 sets = pt_nsets(o->max_tracked);

		bpf_map__set_max_entries(obj->maps.ptrs, sets);
		obj->rodata->pt_mask = sets - 1;
		bpf_map__set_max_entries(obj->maps.pages, 1);
	}
	if (kmstat_bpf__load(obj) || kmstat_bpf__attach(obj)) {
		int err = errno;

		kmstat_bpf__destroy(obj);
		errno = err;
		return NULL;
	}
	return obj;
}

/*
 * Raw tracepoints first (quietly); on failure classic tracepoints (they need
 * tracefs), with libbpf's log. NULL after printing the one error line.
 */
static struct kmstat_bpf *load(const struct stat_opts *o, bool *raw, bool *bulk_on)
{
	const char *no_raw = getenv("KMTRACE_NO_RAW_TP"); /* tests: force the fallback */
	struct kmstat_bpf *obj = NULL;
	/* kfree_bulk() frees (kfree_rcu batches) where fentry may attach */
	bool bulk = o->mode != STAT_PAGE && kmt_fentry_can_attach("kmem_cache_free_bulk") == 0;

	*raw = true;

	if (!no_raw || !*no_raw || strcmp(no_raw, "0") == 0) {
		libbpf_print_fn_t old = libbpf_set_print(quiet_print);

		obj = open_load_attach(o, true, bulk);
		if (!obj && bulk)
			obj = open_load_attach(o, true, bulk = false);
		libbpf_set_print(old);
		*bulk_on = bulk;
		if (obj)
			return obj;
	}
	*raw = false;
	if (!kmt_tracefs())
		return NULL; /* it said why */
	obj = open_load_attach(o, false, bulk);
	if (!obj && bulk)
		obj = open_load_attach(o, false, bulk = false);
	*bulk_on = bulk;
	if (!obj)
		fprintf(stderr, "kmtrace: stat: cannot load or attach the BPF programs: %s\n",
			strerror(errno ? errno : EINVAL));
	return obj;
}

static const char *sym_fmt(void *ks, __u64 addr, char *buf, size_t len)
{
	ksyms_format(ks, addr, buf, len);
	if (!buf[0])
		snprintf(buf, len, "0x%llx", addr);
	return buf;
}

static const char *gfp_fmt(void *arg, __u64 gfp, char *buf, size_t len)
{
	(void)arg;
	return kmt_gfp_str((unsigned long)gfp, buf, len);
}

/* Events the kernel skipped (a program was already running on that CPU). */
static __u64 missed_events(struct kmstat_bpf *obj)
{
	struct bpf_program *p;
	__u64 n = 0;

	bpf_object__for_each_program(p, obj->obj)
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__fd(p) >= 0 &&
		    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
			n += info.recursion_misses;
	}
	return n;
}

/* --- waiting ---------------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Sleep until SIGINT/SIGTERM or the -d timer; returns the seconds waited. */
static double wait_for_end(double duration)
{
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term, old_alrm;
	struct itimerval it = {}, old_it;
	sigset_t block, oldmask;
	struct timespec t0, t1;

	stop = 0;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGALRM, &sa, &old_alrm);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (duration > 0) {
		it.it_value.tv_sec = (time_t)duration;
		it.it_value.tv_usec = (suseconds_t)((duration - (double)(time_t)duration) * 1e6);
		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = 1;
		setitimer(ITIMER_REAL, &it, &old_it);
	}
	while (!stop)
		sigsuspend(&oldmask);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (duration > 0) {
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGALRM, &old_alrm, NULL);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* --- reading the maps ------------------------------------------------------- */

/* All rows of the sites (or pages) map, summed over CPUs; NULL + *n = 0 on error.
 * kmalloc rows: site_idx maps each key to its index in the sites array. */
static struct stat_row *read_rows(struct kmstat_bpf *obj, enum stat_mode mode, size_t *n)
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
			stat_sum_u64((__u64 *)&r->p, vals, vsz, ncpu);
		} else {
			r->key = key;
			stat_sum_u64((__u64 *)&r->s, vals, vsz, ncpu);
		}
	}
	free(vals);
	return rows;
}

static int read_totals(struct kmstat_bpf *obj, struct kmstat_totals *t)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 zero = 0;
	void *vals;
	int err;

	if (ncpu <= 0)
		return -1;
	vals = calloc((size_t)ncpu, sizeof(*t));
	if (!vals)
		return -1;
	err = bpf_map_lookup_elem(bpf_map__fd(obj->maps.totals), &zero, vals);
	if (!err)
		stat_sum_u64((__u64 *)t, vals, sizeof(*t), ncpu);
	free(vals);
	return err;
}

/* --- the command ------------------------------------------------------------- */

int cmd_stat(int argc, char **argv)
{
	struct stat_report rep = {};
	struct ksyms *ks = NULL;
	struct kmstat_totals tot = {};
	struct kmstat_bpf *obj;
	struct stat_opts o;
	struct stat_row *rows;
	size_t n;
	char scope[64] = "all";
	bool raw, bulk;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : 2;

	if (!kmt_check_caps("stat") || !kmt_check_btf("stat", KMT_VMLINUX_BTF))
		return 1;
	if (o.pid) {
		if (kill(o.pid, 0) && errno == ESRCH) {
			fprintf(stderr, "kmtrace: no such process: %d\n", (int)o.pid);
			return 1;
		}
		o.pid = kmt_tgid_of(o.pid); /* a thread id means its process */
		snprintf(scope, sizeof(scope), "pid %d", (int)o.pid);
	} else if (o.comm[0]) {
		snprintf(scope, sizeof(scope), "comm %s", o.comm);
	}
	obj = load(&o, &raw, &bulk);
	if (!obj)
		return 1;
	if (o.mode == STAT_PAGE)
		fprintf(stderr, "kmtrace: ready: page allocations via %s%s\n",
			raw ? "raw_tp" : "tracepoint",
			isatty(STDERR_FILENO) ? "; Ctrl-C to end" : "");
	else
		fprintf(stderr, "kmtrace: ready: kmalloc/kfree via %s, bulk frees %s%s\n",
			raw ? "raw_tp" : "tracepoint", bulk ? "on" : "off",
			isatty(STDERR_FILENO) ? "; Ctrl-C to end" : "");
	rep.seconds = wait_for_end(o.duration);
	kmstat_bpf__detach(obj); /* freeze the numbers before reading them */

	rows = read_rows(obj, o.mode, &n);
	if (read_totals(obj, &tot)) {
		fprintf(stderr, "kmtrace: stat: cannot read the totals map: %s\n", strerror(errno));
		free(rows);
		kmstat_bpf__destroy(obj);
		return 1;
	}
	rep.mode = o.mode;
	rep.scope = scope;
	rep.sort = o.sort;
	rep.limit = o.limit;
	rep.json = o.json;
	rep.missed = missed_events(obj);
	kmstat_bpf__destroy(obj);

	if (o.mode == STAT_CALLER) {
		ks = ksyms_load_kallsyms("/proc/kallsyms");
		rep.sym = ks ? sym_fmt : NULL;
		rep.sym_arg = ks;
	}
	rep.gfp = gfp_fmt;
	stat_sort_rows(rows, n, o.mode, o.sort);
	stat_print_rows(stdout, &rep, rows, n);
	stat_print_totals(stdout, &rep, &tot);
	fflush(stdout);
	ksyms_free(ks);
	free(rows);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Loading a command's BPF object down one fallback ladder (see loader.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes.h"
#include "bpfstats.h"
#include "common.h"
#include "loader.h"

/* ---- libbpf's log ------------------------------------------------------------------ */

static bool log_verbose;
static char last_warn[512];

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (log_verbose)
		return vfprintf(stderr, fmt, ap);
	if (lvl == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (n)
		snprintf(last_warn, sizeof(last_warn), "%s", line);
	return 0;
}

void kmt_libbpf_log(bool verbose)
{
	log_verbose = verbose;
	libbpf_set_print(libbpf_print);
}

const char *kmt_libbpf_last(void)
{
	return last_warn;
}

/* ---- programs and groups ------------------------------------------------------------- */

static const struct {
	const char *label;    /* in the ready line and warnings */
	const char *event[4]; /* tracepoint or fentry function names */
	bool quiet;	      /* off is said in the ready line only */
} groups[KMT_G_MAX] = {
    [KMT_G_KMALLOC] = {"kmalloc", {"kmalloc", "kfree"}, false},
    [KMT_G_CACHE] = {"cache", {"kmem_cache_alloc", "kmem_cache_free"}, false},
    [KMT_G_PAGE] = {"page", {"mm_page_alloc", "mm_page_free", "mm_page_free_batched"}, false},
    [KMT_G_VMALLOC] = {"vmalloc", {"alloc_vmap_area", "free_vmap_area_noflush"}, false},
    [KMT_G_PERCPU] = {"percpu", {"percpu_alloc_percpu", "percpu_free_percpu"}, false},
    /* frees without a kfree event: kfree_bulk() and kfree_rcu()'s queue */
    [KMT_G_BULK] = {"bulk frees", {"kmem_cache_free_bulk", "kvfree_call_rcu"}, true},
    [KMT_G_THREADS] = {"threads",
		       {"sched_process_fork", "sched_process_exit", "sched_process_exec"},
		       false},
    [KMT_G_MODULES] = {"modules", {"module_load", "module_free"}, false},
};

int kmt_family_group(int fam)
{
	static const int map[KMT_FAM_MAX] = {
	    [KMT_FAM_KMALLOC] = KMT_G_KMALLOC, [KMT_FAM_CACHE] = KMT_G_CACHE,
	    [KMT_FAM_PAGE] = KMT_G_PAGE,       [KMT_FAM_VMALLOC] = KMT_G_VMALLOC,
	    [KMT_FAM_PERCPU] = KMT_G_PERCPU,
	};

	return fam >= 0 && fam < KMT_FAM_MAX ? map[fam] : -1;
}

void kmt_want_families(struct kmt_loader *l, unsigned int mask)
{
	for (int f = 0; f < KMT_FAM_MAX; f++)
		if (mask & (1u << f))
			l->want[kmt_family_group(f)] = true;
	if (mask & (1u << KMT_FAM_KMALLOC))
		l->want[KMT_G_BULK] = true;
}

enum prog_kind { P_RAW, P_TP, P_FENTRY, P_ITER, P_OTHER };

/* The kind of PROG and the event (tracepoint or function name) it attaches to. */
static enum prog_kind prog_kind(const struct bpf_program *p, const char **event)
{
	const char *sec = bpf_program__section_name(p), *s;

	*event = "";
	if (!strncmp(sec, "raw_tp/", 7)) {
		*event = sec + 7;
		return P_RAW;
	}
	if (!strncmp(sec, "tracepoint/", 11) && (s = strchr(sec + 11, '/'))) {
		*event = s + 1;
		return P_TP;
	}
	if (!strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6)) {
		*event = strchr(sec, '/') + 1;
		return P_FENTRY;
	}
	if (!strncmp(sec, "iter/", 5))
		return P_ITER;
	return P_OTHER;
}

static int group_of(const char *event)
{
	for (int g = 0; g < KMT_G_MAX; g++)
		for (int i = 0; i < 4 && groups[g].event[i]; i++)
			if (!strcmp(groups[g].event[i], event))
				return g;
	return -1;
}

/* Whether OBJ has a raw_tp program for EVENT. */
static bool has_raw(struct bpf_object *obj, const char *event)
{
	struct bpf_program *p;
	const char *ev;

	bpf_object__for_each_program(p, obj) if (prog_kind(p, &ev) == P_RAW &&
						 !strcmp(ev, event)) return true;
	return false;
}

/* What the kernel offers, probed once. */
struct probe {
	bool raw; /* raw_tp usable (and not disabled by KMTRACE_NO_RAW_TP) */
	const char *raw_off_why;
	struct {
		const char *func; /* an fentry program's function */
		int err;	  /* 0 or -errno: kmt_fentry_can_attach() */
	} fentry[8];
	int nfentry;
};

/* Whether an fentry program can attach to FUNC (probed once per function). */
static int fentry_ok(struct probe *pr, const char *func, bool verbose)
{
	for (int i = 0; i < pr->nfentry; i++)
		if (!strcmp(pr->fentry[i].func, func))
			return pr->fentry[i].err;
	if (pr->nfentry == (int)(sizeof(pr->fentry) / sizeof(pr->fentry[0])))
		return -E2BIG;
	pr->fentry[pr->nfentry].func = func;
	pr->fentry[pr->nfentry].err = kmt_fentry_can_attach(func);
	if (pr->fentry[pr->nfentry].err && verbose)
		fprintf(stderr, "kmtrace: fentry %s off: %s\n", func,
			strerror(-pr->fentry[pr->nfentry].err));
	return pr->fentry[pr->nfentry++].err;
}

static bool raw_env_off(void)
{
	/* KMTRACE_NO_RAW_TP=1 (any value but empty or "0") forces the classic
	 * tracepoints, for tests of the fallback. */
	const char *v = getenv("KMTRACE_NO_RAW_TP");

	return v && *v && strcmp(v, "0");
}

/* Choose every program's autoload for this attempt; the groups that will be on. */
static void choose(struct kmt_loader *l, struct probe *pr, bool use_raw, bool use_fentry,
		   bool on[KMT_G_MAX], const char *via[KMT_G_MAX])
{
	struct bpf_object *obj = l->ops->object(l->skel);
	struct bpf_program *p;

	memset(on, 0, KMT_G_MAX * sizeof(*on));
	bpf_object__for_each_program(p, obj)
	{
		const char *ev;
		enum prog_kind k = prog_kind(p, &ev);
		int g = group_of(ev);
		bool load = false;

		switch (k) {
		case P_RAW:
			load = use_raw && kmt_tp_exists_any(ev);
			break;
		case P_TP:
			load = !(use_raw && has_raw(obj, ev)) && kmt_tp_exists_any(ev);
			break;
		case P_FENTRY:
			/* a function that also has its tracepoint: only without it
			 * (vmalloc on 6.1: fexit alloc_vmap_area) */
			load = use_fentry && g >= 0 && !kmt_tp_exists_any(ev) &&
			       fentry_ok(pr, ev, l->verbose) == 0;
			break;
		case P_ITER:
		case P_OTHER:
			load = true;
			break;
		}
		if (g >= 0)
			l->has[g] = true;
		if (g >= 0 && !l->want[g])
			load = false;
		if (k == P_ITER)
			bpf_program__set_autoattach(p, false);
		bpf_program__set_autoload(p, load);
		/* a group is on when its first event is (kmalloc: kmem:kmalloc) */
		if (load && g >= 0 && !strcmp(ev, groups[g].event[0])) {
			on[g] = true;
			via[g] = k == P_RAW					      ? "raw_tp"
				 : k == P_TP					      ? "tracepoint"
				 : strncmp(bpf_program__section_name(p), "fexit/", 6) ? "fentry"
										      : "fexit";
		}
	}
}

/* Why each wanted group is off: one warning line per reason. */
static void warn_off(const struct kmt_loader *l, const struct probe *pr, const bool on[])
{
	struct bpf_object *obj = l->ops->object(l->skel);
	const char *why[KMT_G_MAX] = {0};

	for (int g = 0; g < KMT_G_MAX; g++) {
		struct bpf_program *p;
		bool in_obj = false, raw_only = true;

		if (!l->want[g] || on[g] || groups[g].quiet)
			continue;
		bpf_object__for_each_program(p, obj)
		{
			const char *ev;
			enum prog_kind k = prog_kind(p, &ev);

			/* (an fentry stand-in for a tracepoint the kernel has is
			 * never loaded: not a way in) */
			if (group_of(ev) == g && !(k == P_FENTRY && kmt_tp_exists_any(ev))) {
				in_obj = true;
				if (k != P_RAW)
					raw_only = false;
			}
		}
		if (in_obj)
			why[g] = raw_only && !pr->raw ? pr->raw_off_why : "no such tracepoint";
	}
	for (int g = 0; g < KMT_G_MAX; g++) {
		int n = 0;

		if (!why[g])
			continue;
		fputs("kmtrace: warning: ", stderr);
		for (int h = g; h < KMT_G_MAX; h++) {
			if (!why[h] || strcmp(why[h], why[g]))
				continue;
			fprintf(stderr, "%s%s", n++ ? ", " : "", groups[h].label);
			if (h != g)
				why[h] = NULL;
		}
		fprintf(stderr, " off: %s\n", why[g]);
	}
}

int kmt_loader_check(const char *cmd)
{
	return !kmt_check_caps(cmd) || !kmt_check_btf(cmd, KMT_VMLINUX_BTF);
}

int kmt_load(struct kmt_loader *l)
{
	struct probe pr = {.raw = true};
	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	bool use_raw, use_fentry = true;
	int err = 0;

	l->skel = NULL;
	kmt_libbpf_log(l->verbose);
	if (kmt_loader_check(l->cmd))
		return 1;
	/* kernels >= 5.11 account BPF memory to the cgroup; older need this */
	setrlimit(RLIMIT_MEMLOCK, &rl);
	if (!kmt_tracefs())
		return 1;
	if (raw_env_off()) {
		pr.raw = false;
		pr.raw_off_why = "raw_tp disabled by KMTRACE_NO_RAW_TP";
	} else if (!kmt_have_raw_tp()) {
		pr.raw = false;
		pr.raw_off_why = "kernel refuses raw_tp BPF programs";
	}
	use_raw = pr.raw;
	for (int attempt = 0; attempt < 3; attempt++) {
		bool fentry_used = false;

		l->skel = l->ops->open();
		if (!l->skel) {
			fprintf(stderr, "kmtrace: cannot open the BPF object: %s\n",
				strerror(errno));
			return 1;
		}
		choose(l, &pr, use_raw, use_fentry, l->on, l->via);
		for (int g = 0; g < KMT_G_MAX; g++)
			if (l->on[g] && !strcmp(l->via[g], "fentry"))
				fentry_used = true;
		if (l->prepare && l->prepare(l->skel, l->arg)) {
			kmt_unload(l);
			return 1;
		}
		err = l->ops->load(l->skel);
		if (!err) {
			l->raw = use_raw;
			for (int g = 0; g < KMT_G_MAX; g++) {
				if (l->need[g] && !l->on[g]) {
					fprintf(stderr,
						"kmtrace: %s: %s, but this kernel has no "
						"tracepoint %s\n",
						l->cmd, l->need[g], groups[g].event[0]);
					kmt_unload(l);
					return 1;
				}
			}
			warn_off(l, &pr, l->on);
			return 0;
		}
		kmt_unload(l);
		if (fentry_used) { /* the extra goes first */
			if (l->verbose)
				fprintf(stderr,
					"kmtrace: fentry load failed (%s), bulk frees off\n",
					strerror(-err));
			use_fentry = false;
			continue;
		}
		if (use_raw) {
			if (l->verbose)
				fprintf(stderr,
					"kmtrace: raw_tp load failed (%s), trying tracepoints\n",
					strerror(-err));
			use_raw = false;
			pr.raw = false;
			pr.raw_off_why = "raw_tp programs failed to load";
			continue;
		}
		break;
	}
	fprintf(stderr, "kmtrace: failed to load BPF programs: %s%s%s\n", strerror(-err),
		last_warn[0] ? "; libbpf: " : "", last_warn);
	return 1;
}

#define KMT_STATS_MAX 64

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

/* --stats: statistics on (held by an fd), and the starting point. */
static void stats_start(struct kmt_loader *l)
{
	int n;

	l->stats_fd = -1;
	if (!l->stats)
		return;
	l->stats_fd = kmt_bpfstats_enable();
	if (l->stats_fd < 0) {
		fprintf(stderr, "kmtrace: warning: --stats: the kernel's BPF statistics: %s\n",
			strerror(-l->stats_fd));
		return;
	}
	l->stats_before = calloc(KMT_STATS_MAX, sizeof(*l->stats_before));
	n = l->stats_before
		? kmt_bpfstats_read(l->ops->object(l->skel), l->stats_before, KMT_STATS_MAX)
		: -ENOMEM;
	l->stats_n = n > 0 ? (size_t)n : 0;
	l->stats_t0 = mono_ns();
}

void kmt_stats_report(struct kmt_loader *l)
{
	struct kmt_prog_stat now[KMT_STATS_MAX];
	int n;

	if (!l->stats || l->stats_fd < 0 || !l->skel)
		return;
	n = kmt_bpfstats_read(l->ops->object(l->skel), now, KMT_STATS_MAX);
	if (n < 0) {
		fprintf(stderr, "kmtrace: warning: --stats: %s\n", strerror(-n));
		return;
	}
	kmt_bpfstats_diff(l->stats_before, l->stats_n, now, (size_t)n, now);
	fprintf(stderr, "kmtrace: BPF programs' own cost (kernel run-time statistics):\n");
	kmt_bpfstats_print(stderr, now, (size_t)n, (double)(mono_ns() - l->stats_t0) / 1e9);
	l->stats = false; /* said once */
}

int kmt_attach(struct kmt_loader *l)
{
	int e;

	stats_start(l);
	e = l->ops->attach(l->skel);

	if (e) {
		fprintf(stderr, "kmtrace: failed to attach BPF programs: %s%s%s\n", strerror(-e),
			last_warn[0] ? "; libbpf: " : "", last_warn);
		return 1;
	}
	return 0;
}

unsigned long long kmt_missed(const struct kmt_loader *l)
{
	unsigned long long n = 0;
	struct bpf_program *p;

	if (!l->skel)
		return 0;
	bpf_object__for_each_program(p, l->ops->object(l->skel))
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__fd(p) >= 0 &&
		    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) == 0)
			n += info.recursion_misses;
	}
	return n;
}

void kmt_unload(struct kmt_loader *l)
{
	if (l->stats_fd > 0)
		close(l->stats_fd);
	l->stats_fd = -1;
	free(l->stats_before);
	l->stats_before = NULL;
	if (l->skel)
		l->ops->destroy(l->skel);
	l->skel = NULL;
}

void kmt_ready(const struct kmt_loader *l, const char *what)
{
	int n = 0;

	fprintf(stderr, "kmtrace: ready: %s", what);
	for (int g = 0; g < KMT_G_MAX; g++) {
		if (!l->want[g] || !l->has[g])
			continue;
		fprintf(stderr, "%s%s", n++ ? ", " : ": ", groups[g].label);
		if (l->on[g])
			fprintf(stderr, " via %s", l->via[g]);
		else
			fprintf(stderr, " off");
	}
	fputc('\n', stderr);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace trace`: load bpf/kmtrace.bpf.c with the programs this kernel
 * accepts, set the in-kernel filter, print events, print a summary.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kmtrace.skel.h"
#include "ptrtab.h"
#include "ksyms.h"
#include "leak.h"
#include "opts.h"
#include "output.h"
#include "perfetto.h"
#include "probe.h"
#include "trace.h"

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

/* libbpf output: everything with -v, else remembered for the error message. */
static bool verbose;
static char last_warn[512];

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (verbose)
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- which programs to load ---------------------------------------------------- */

struct features {
	bool raw; /* raw_tp usable: preferred for kmalloc/kfree */
	bool kmalloc, kmalloc_node, kfree, page_alloc, page_free;
	bool fork, exit_, exec, modules;
	bool bulk; /* fentry on kmem_cache_free_bulk (kfree_bulk, kfree_rcu batches) */
};

static void warn_off(const char *what, const char *why)
{
	fprintf(stderr, "kmtrace: warning: %s off: %s\n", what, why);
}

static void probe_features(struct features *f, const struct kmt_opts *o, bool hist)
{
	int e = 0;

	/* KMTRACE_NO_RAW_TP=1 forces the classic-tracepoint fallback (for tests). */
	f->raw = !getenv("KMTRACE_NO_RAW_TP") && kmt_have_raw_tp();
	f->kmalloc = kmt_tp_exists("kmem", "kmalloc");
	f->kmalloc_node = kmt_tp_exists("kmem", "kmalloc_node"); /* 6.1 only, no warning */
	f->kfree = kmt_tp_exists("kmem", "kfree");
	f->page_alloc = kmt_tp_exists("kmem", "mm_page_alloc");
	f->page_free = kmt_tp_exists("kmem", "mm_page_free");
	f->fork = f->raw && kmt_tp_exists("sched", "sched_process_fork");
	f->exit_ = f->raw && kmt_tp_exists("sched", "sched_process_exit");
	f->exec = f->raw && kmt_tp_exists("sched", "sched_process_exec");
	f->modules = f->raw && kmt_tp_exists("module", "module_load") &&
		     kmt_tp_exists("module", "module_free");
	if (hist) { /* kmalloc; fork/exit to follow -- CMD's children; modules for -m */
		f->kfree = f->page_alloc = f->page_free = f->exec = false;
		f->fork = f->exit_ = o->cmd && f->fork && f->exit_;
		f->modules = f->modules && o->module[0];
		if (o->cmd && !f->fork)
			warn_off("following the command's children",
				 "no usable raw_tp sched_process_fork/exit");
		return;
	}
	/* Not a warning when off (this is an extra): the ready line says it. */
	f->bulk = f->kfree && (e = kmt_fentry_can_attach("kmem_cache_free_bulk")) == 0;
	if (!f->bulk && f->kfree && verbose)
		fprintf(stderr, "kmtrace: bulk frees off: fentry kmem_cache_free_bulk: %s\n",
			strerror(-e));
	if (!f->kmalloc)
		warn_off("kmalloc events", "no tracepoint kmem:kmalloc");
	if (!f->kfree)
		warn_off("kfree events", "no tracepoint kmem:kfree");
	if (!f->page_alloc)
		warn_off("page_alloc events", "no tracepoint kmem:mm_page_alloc");
	if (!f->page_free)
		warn_off("page_free events", "no tracepoint kmem:mm_page_free");
	if (!f->raw)
		warn_off("thread/process/module events",
			 getenv("KMTRACE_NO_RAW_TP") ? "raw_tp disabled by KMTRACE_NO_RAW_TP"
						     : "kernel refuses raw_tp BPF programs");
	else if (!f->fork || !f->exit_ || !f->exec)
		warn_off("some thread/process events", "sched tracepoints missing");
	else if (!f->modules && !o->module[0])
		warn_off("module events", "no tracepoint module:module_load (no loadable modules)");
}

static const char *tp_kind(bool raw)
{
	return raw ? "raw_tp" : "tracepoint";
}

static void set_progs(struct kmtrace_bpf *s, const struct features *f)
{
	bpf_program__set_autoload(s->progs.raw_kmalloc, f->kmalloc && f->raw);
	bpf_program__set_autoload(s->progs.tp_kmalloc, f->kmalloc && !f->raw);
	bpf_program__set_autoload(s->progs.raw_kmalloc_node, f->kmalloc_node && f->raw);
	bpf_program__set_autoload(s->progs.tp_kmalloc_node, f->kmalloc_node && !f->raw);
	bpf_program__set_autoload(s->progs.raw_kfree, f->kfree && f->raw);
	bpf_program__set_autoload(s->progs.tp_kfree, f->kfree && !f->raw);
	bpf_program__set_autoload(s->progs.tp_page_alloc, f->page_alloc);
	bpf_program__set_autoload(s->progs.tp_page_free, f->page_free);
	bpf_program__set_autoload(s->progs.raw_fork, f->fork);
	bpf_program__set_autoload(s->progs.raw_exit, f->exit_);
	bpf_program__set_autoload(s->progs.raw_exec, f->exec);
	bpf_program__set_autoload(s->progs.raw_module_load, f->modules);
	bpf_program__set_autoload(s->progs.raw_module_free, f->modules);
	bpf_program__set_autoload(s->progs.fe_free_bulk, f->bulk);
}

/*
 * -m attributes page allocations to the module by their kernel stack; a page
 * the slab allocator takes to refill a cache during the module's kmalloc is
 * the cache's (it outlives the objects), and a kmalloc over 8 KiB takes pages
 * that its kmalloc event already reports: those frames stop the walk.  Names
 * across 6.1 .. 6.18 (KS: kallsyms); a missing or inlined one is skipped.
 */
static void set_slab_ranges(struct kmtrace_bpf__rodata *r, struct ksyms *ks)
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
	};
	uint64_t lo[KMT_SLAB_RANGES], hi[KMT_SLAB_RANGES];
	int n = 0;

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		n += ksyms_ranges(ks, fns[i], lo + n, hi + n, KMT_SLAB_RANGES - n);
	if (verbose)
		fprintf(stderr, "kmtrace: -m: %d slab refill text ranges from kallsyms\n", n);
	for (int i = 0; i < n; i++) {
		r->slab_lo[i] = lo[i];
		r->slab_hi[i] = hi[i];
	}
}

static void set_rodata(struct kmtrace_bpf *s, const struct kmt_opts *o)
{
	struct kmtrace_bpf__rodata *r = s->rodata;

	r->self_tgid = (uint32_t)getpid();
	r->filter_pid = o->pid || o->cmd;
	r->follow_fork = o->cmd != NULL;
	r->filter_comm = o->comm[0] != '\0';
	memcpy((char *)r->target_comm, o->comm, sizeof(o->comm));
	r->filter_mod = o->module[0] != '\0';
	memcpy((char *)r->target_mod, o->module, sizeof(o->module));
	r->size_filter = o->size_filter;
	r->min_size = o->min_size;
	r->max_size = o->max_size;
}

static struct kmtrace_bpf *open_and_load(const struct kmt_opts *o, struct features *f,
					 const struct kmt_setup *su)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		struct kmtrace_bpf *s = kmtrace_bpf__open();
		int err;

		if (!s) {
			fprintf(stderr, "kmtrace: cannot open the BPF object: %s\n",
				strerror(errno));
			return NULL;
		}
		set_rodata(s, o);
		set_progs(s, f);
		if (su->tweak)
			su->tweak(s, su->arg);
		/* kmalloc/kfree/page events wake the reader only once 1/8 of the ring
		 * (as finally sized) is filled; the trace loop also polls every
		 * KMT_POLL_MS. */
		s->rodata->wakeup_bytes = bpf_map__max_entries(s->maps.events) / 8;
		s->rodata->pt_mask = bpf_map__max_entries(s->maps.allocs) - 1;
		err = kmtrace_bpf__load(s);
		if (!err)
			return s;
		kmtrace_bpf__destroy(s);
		if (f->bulk) { /* the extra goes first */
			if (verbose)
				fprintf(stderr,
					"kmtrace: fentry load failed (%s), bulk frees off\n",
					strerror(-err));
			f->bulk = false;
			continue;
		}
		if (f->raw) {
			/* Fall back to classic tracepoints; the raw_tp-only features go. */
			if (verbose)
				fprintf(stderr,
					"kmtrace: raw_tp load failed (%s), trying tracepoints\n",
					strerror(-err));
			f->raw = false;
			f->fork = f->exit_ = f->exec = f->modules = false;
			if (!su->hist || o->cmd)
				warn_off(su->hist ? "following the command's children"
						  : "thread/process/module events",
					 "raw_tp programs failed to load");
			continue;
		}
		fprintf(stderr, "kmtrace: failed to load BPF programs: %s%s%s\n", strerror(-err),
			last_warn[0] ? "; libbpf: " : "", last_warn);
		return NULL;
	}
	return NULL;
}

/* Longest a batched (no-wakeup) event waits in the ring before it is printed. */
#define KMT_POLL_MS 10

/* ---- state of one run ---------------------------------------------------------- */

struct run {
	const struct kmt_opts *o;
	struct kmtrace_bpf *skel;
	struct ksyms *kallsyms;
	struct ksyms *kosyms; /* .ko symbols of loaded modules (init text included) */
	char moddir[300];
	uint64_t t0;
	uint64_t count[KMT_EV_MAX];
	uint64_t bytes_alloc, bytes_freed;
	bool out_err;
	bool target_exited;
	char line[4096];
	struct kmt_live *live;	/* allocations seen and not freed (-m, --perfetto) */
	struct kmt_pf *pf;	/* --perfetto */
	uint64_t leaks;		/* reported at the -m module's module_free */
	struct sym_cache *syms; /* call_site -> formatted symbol (NULL: none) */
	unsigned int sym_gen;	/* bumped whenever kallsyms/kosyms change */
};

/* Direct-mapped cache of symbolize(): a workload has few hot call sites. */
#define SYM_CACHE_SLOTS 1024
struct sym_cache {
	uint64_t addr;
	unsigned int gen; /* r->sym_gen + 1 when filled */
	const char *module;
	char str[232];
};

/*
 * Whether the .ko-derived core text symbols agree with kallsyms wherever
 * kallsyms still knows the module (it may already be unloaded).
 */
static bool core_layout_ok(struct ksyms *kallsyms, struct ksyms *core, const char *name)
{
	for (size_t i = 0; i < core->n; i++) {
		const struct ksym *s = &core->syms[i], *k;
		uint64_t off;

		if (!strncmp(s->name, "__pfx_", 6) || !strncmp(s->name, "__cfi_", 6))
			continue;
		k = ksyms_lookup(kallsyms, s->addr, &off);
		if (k && k->module && !strcmp(k->module, name) && off != 0)
			return false;
	}
	return true;
}

/*
 * Symbols of module NAME from its .ko: the __init text ones always (only the
 * .ko can name them once init is over), the core text ones when their layout
 * agrees with kallsyms (they name the module's code even after it is gone).
 */
void kmt_load_ko_syms(struct ksyms *kosyms, struct ksyms *kallsyms, const char *moddir,
		      const struct kmt_opts *o, const char *name, uint64_t text, uint64_t init)
{
	struct ksyms *core;
	char *path;

	ksyms_remove_module(kosyms, name);
	if (o->ko && o->module[0] && !strcmp(name, o->module))
		path = strdup(o->ko);
	else
		path = ksyms_find_ko(moddir, name);
	if (!path)
		return;
	if (ksyms_add_ko(kosyms, path, name, 0, init) < 0)
		fprintf(stderr, "kmtrace: warning: cannot read symbols of %s\n", path);
	core = ksyms_new();
	if (core && text && ksyms_add_ko(core, path, name, text, 0) > 0 &&
	    core_layout_ok(kallsyms, core, name)) {
		for (size_t i = 0; i < core->n; i++)
			ksyms_add(kosyms, core->syms[i].addr, core->syms[i].size,
				  core->syms[i].name, name);
	}
	ksyms_free(core);
	free(path);
}

static void load_ko(struct run *r, const char *name, uint64_t text, uint64_t init)
{
	kmt_load_ko_syms(r->kosyms, r->kallsyms, r->moddir, r->o, name, text, init);
	r->sym_gen++;
}

static bool module_present(const char *name)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/module/%s", name);
	return access(p, F_OK) == 0;
}

static void reload_kallsyms(struct run *r)
{
	struct ksyms *ks = ksyms_load_kallsyms("/proc/kallsyms");

	if (ks) {
		ksyms_free(r->kallsyms);
		r->kallsyms = ks;
		r->sym_gen++;
	}
}

static const char *symbolize(struct run *r, uint64_t addr, char *buf, size_t len,
			     const char **module)
{
	const struct ksym *s;
	uint64_t off;

	struct sym_cache *c = NULL;

	*module = NULL;
	buf[0] = '\0';
	if (!addr)
		return buf;
	if (r->syms) {
		c = &r->syms[(addr ^ (addr >> 12)) % SYM_CACHE_SLOTS];
		if (c->gen == r->sym_gen + 1 && c->addr == addr) {
			size_t n = strnlen(c->str, sizeof(c->str));

			*module = c->module;
			if (len) { /* the hot path: no snprintf */
				n = n < len ? n : len - 1;
				memcpy(buf, c->str, n);
				buf[n] = '\0';
			}
			return buf;
		}
	}
	s = ksyms_lookup(r->kosyms, addr, &off);
	if (!s)
		s = ksyms_lookup(r->kallsyms, addr, &off);
	if (s) {
		*module = s->module;
		ksym_format(s, off, buf, len);
	}
	if (c && strlen(buf) < sizeof(c->str)) {
		c->addr = addr;
		c->gen = r->sym_gen + 1;
		c->module = *module;
		memcpy(c->str, buf, strlen(buf) + 1);
	}
	return buf;
}

/*
 * -m MOD was freed (event E): every allocation of it still live is a leak,
 * reported (JSON lines or a table) while MOD's symbols are still known.
 */
static int report_leaks(struct run *r, const struct kmt_event *e)
{
	struct kmt_live_alloc *v;
	uint64_t bytes = 0;
	const char *mod;
	char sym[256];
	size_t n;

	v = kmt_live_take_all(r->live, &n);
	if (!n)
		return 0;
	r->leaks += n;
	for (size_t i = 0; i < n; i++)
		bytes += v[i].bytes_alloc;
	if (!r->o->json) {
		kmt_format_leak_title(e->module, n, bytes, r->line, sizeof(r->line));
		printf("%s\n%s\n", r->line, kmt_leak_text_header());
	}
	for (size_t i = 0; i < n; i++) {
		symbolize(r, v[i].call_site, sym, sizeof(sym), &mod);
		kmt_pf_leak(r->pf, e->ts_ns, v[i].pid, v[i].tid, v[i].key, v[i].bytes_alloc, sym);
		if (r->o->json)
			kmt_format_leak_json(&v[i], e->ts_ns, e->module, sym, r->line,
					     sizeof(r->line));
		else
			kmt_format_leak_text(&v[i], e->ts_ns, sym, r->line, sizeof(r->line));
		if (fputs(r->line, stdout) == EOF || putchar('\n') == EOF)
			r->out_err = true;
	}
	free(v);
	if (ferror(stdout))
		r->out_err = true;
	return r->out_err ? -1 : 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	struct kmt_live_alloc gone = {0};
	struct kmt_event e;
	const char *mod = NULL;
	char sym[256];

	if (size < KMT_EVENT_KMEM_SIZE)
		return 0;
	memset(&e, 0, sizeof(e));
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	if (e.type >= KMT_EV_MAX)
		return 0;
	r->count[e.type]++;
	switch (e.type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_PAGE_ALLOC:
		r->bytes_alloc += e.bytes_alloc;
		break;
	case KMT_EV_KFREE:
	case KMT_EV_PAGE_FREE:
		if (e.flags & KMT_F_TRACKED)
			r->bytes_freed += e.bytes_alloc;
		break;
	case KMT_EV_MODULE_LOAD:
		e.module[KMT_MODNAME_LEN - 1] = '\0';
		/* Only kallsyms of a module that is still there has its symbols:
		 * when the event is read after the module is gone (a backlog of
		 * load/unload cycles), re-reading it (~1 s under TCG) gains nothing. */
		if (module_present(e.module))
			reload_kallsyms(r);
		load_ko(r, e.module, e.text_base, e.init_base);
		break;
	case KMT_EV_MODULE_FREE:
		e.module[KMT_MODNAME_LEN - 1] = '\0'; /* symbols dropped after the leaks */
		break;
	case KMT_EV_PROCESS_EXIT:
		if (r->o->pid && e.pid == (uint32_t)r->o->pid)
			r->target_exited = true;
		break;
	}
	symbolize(r, e.call_site, sym, sizeof(sym), &mod);
	kmt_live_event(r->live, &e, &gone);
	kmt_pf_event(r->pf, &e, sym, gone.pid);
	if (r->o->json)
		kmt_format_json(&e, sym, mod, r->line, sizeof(r->line));
	else
		kmt_format_text(&e, r->t0, sym, r->line, sizeof(r->line));
	if (fputs(r->line, stdout) == EOF || putchar('\n') == EOF || ferror(stdout)) {
		r->out_err = true;
		return -EPIPE;
	}
	if (e.type == KMT_EV_MODULE_FREE) {
		if (r->o->module[0] && !strcmp(e.module, r->o->module) && report_leaks(r, &e))
			return -EPIPE;
		ksyms_remove_module(r->kosyms, e.module);
		r->sym_gen++;
	}
	return 0;
}

/* ---- -m for a module that is already loaded ---------------------------------- */

static void preloaded_module(struct kmtrace_bpf *skel, const char *name)
{
	char line[512], n[128], state[32];
	unsigned long long size, addr;
	FILE *f = fopen("/proc/modules", "re");

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

/* ---- summary ------------------------------------------------------------------- */

static void counters(struct run *r, uint64_t *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;

	memset(sum, 0, KMT_CNT_MAX * sizeof(*sum));
	if (ncpu <= 0)
		return;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return;
	for (uint32_t i = 0; i < KMT_CNT_MAX; i++) {
		if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.counters), &i, v))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum[i] += v[c];
	}
	free(v);
}

/* Live entries of the `allocs` table (bpf/ptrtab.h), read set by set. */
static void outstanding(struct run *r, uint64_t *n, uint64_t *bytes)
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

static void summary(struct run *r, int cmd_status)
{
	uint64_t cnt[KMT_CNT_MAX], out_n, out_b;
	double secs = (double)(now_ns() - r->t0) / 1e9;

	counters(r, cnt);
	outstanding(r, &out_n, &out_b);
	/* Also on stderr, which stays visible when stdout goes to a file or
	 * /dev/null (and which `make bench` reads). */
	fprintf(stderr, "kmtrace: lost events: %llu%s\n", (unsigned long long)cnt[KMT_CNT_LOST],
		cnt[KMT_CNT_LOST]
		    ? " (ring buffer full: narrow the filter with -p, -c, -m or --min-size)"
		    : "");
	if (r->o->json) {
		printf("{\"event\":\"summary\",\"duration_s\":%.3f,\"events\":{", secs);
		for (int t = 1; t < KMT_EV_MAX; t++)
			printf("%s\"%s\":%llu", t > 1 ? "," : "", kmt_event_name(t),
			       (unsigned long long)r->count[t]);
		printf("},\"bytes_alloc\":%llu,\"bytes_freed\":%llu,\"outstanding\":%llu,"
		       "\"outstanding_bytes\":%llu,\"lost\":%llu,\"untracked\":%llu",
		       (unsigned long long)r->bytes_alloc, (unsigned long long)r->bytes_freed,
		       (unsigned long long)out_n, (unsigned long long)out_b,
		       (unsigned long long)cnt[KMT_CNT_LOST],
		       (unsigned long long)cnt[KMT_CNT_TRACK_FULL]);
		if (r->o->module[0])
			printf(",\"leaks\":%llu", (unsigned long long)r->leaks);
		if (cmd_status >= 0)
			printf(",\"exit_status\":%d", cmd_status);
		printf("}\n");
		return;
	}
	printf("\n--- kmtrace summary (%.3f s) ---\n", secs);
	for (int t = 1; t < KMT_EV_MAX; t++)
		if (r->count[t])
			printf("%-14s %10llu\n", kmt_event_name(t),
			       (unsigned long long)r->count[t]);
	printf("bytes allocated: %llu, freed: %llu\n", (unsigned long long)r->bytes_alloc,
	       (unsigned long long)r->bytes_freed);
	printf("outstanding: %llu allocations, %llu bytes (within the filter)\n",
	       (unsigned long long)out_n, (unsigned long long)out_b);
	if (r->o->module[0])
		printf("leaks at module unload: %llu\n", (unsigned long long)r->leaks);
	printf("lost events: %llu, untracked allocations: %llu\n",
	       (unsigned long long)cnt[KMT_CNT_LOST], (unsigned long long)cnt[KMT_CNT_TRACK_FULL]);
	if (cnt[KMT_CNT_PIDS_FULL])
		printf("children not followed (pid table full): %llu\n",
		       (unsigned long long)cnt[KMT_CNT_PIDS_FULL]);
	if (cnt[KMT_CNT_BULK_CUT])
		printf("kfree_bulk calls cut at 4096 objects: %llu\n",
		       (unsigned long long)cnt[KMT_CNT_BULK_CUT]);
	if (cmd_status >= 0)
		printf("command exit status: %d\n", cmd_status);
}

/* ---- setup shared with `kmtrace hist` (see trace.h) ------------------------------ */

static int spawn_blocked(char **cmd, struct kmt_child *c)
{
	int go[2], er[2];

	if (pipe2(go, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
		fprintf(stderr, "kmtrace: pipe: %s\n", strerror(errno));
		return -1;
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		fprintf(stderr, "kmtrace: fork: %s\n", strerror(errno));
		return -1;
	}
	if (c->pid == 0) {
		char b;
		int e;

		close(go[1]);
		close(er[0]);
		signal(SIGPIPE, SIG_DFL);
		if (read(go[0], &b, 1) != 1)
			_exit(127);
		execvp(cmd[0], cmd);
		e = errno;
		if (write(er[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(er[1]);
	c->go_w = go[1];
	c->err_r = er[0];
	return 0;
}

void kmt_setup_close(struct kmt_setup *su, bool kill_child)
{
	struct kmt_child *ch = &su->ch;

	if (ch->pid > 0 && kill_child) {
		kill(ch->pid, SIGKILL);
		waitpid(ch->pid, NULL, 0);
		ch->pid = -1;
	}
	if (ch->go_w >= 0)
		close(ch->go_w);
	if (ch->err_r >= 0)
		close(ch->err_r);
	ch->go_w = ch->err_r = -1;
	kmtrace_bpf__destroy(su->skel);
	su->skel = NULL;
}

int kmt_setup_open(struct kmt_setup *su, struct kmt_opts *o)
{
	const char *sub = su->name ? su->name : su->hist ? "hist" : "trace";
	struct features f = {0};
	int e;

	su->skel = NULL;
	su->ch = (struct kmt_child){.pid = -1, .go_w = -1, .err_r = -1};
	verbose = o->verbose;
	libbpf_set_print(libbpf_print);
	if (!kmt_check_caps(sub) || !kmt_check_btf(sub, KMT_VMLINUX_BTF))
		return 1;
	if (o->cmd && (e = kmt_can_exec(o->cmd[0]))) {
		char name[256];

		snprintf(name, sizeof(name), "%s", o->cmd[0]);
		fprintf(stderr, "kmtrace: cannot run %s: %s\n", kmt_one_line(name), strerror(e));
		return 1;
	}
	if (o->pid && kill(o->pid, 0) && errno == ESRCH) {
		fprintf(stderr, "kmtrace: no such process: %d\n", (int)o->pid);
		return 1;
	}
	if (o->pid)
		o->pid = kmt_tgid_of(o->pid); /* a thread id means its process */
	if (o->ko && access(o->ko, R_OK)) {
		fprintf(stderr, "kmtrace: cannot read --ko %s: %s\n", o->ko, strerror(errno));
		return 1;
	}
	{
		/* kernels >= 5.11 account BPF memory to the cgroup; older need this */
		struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};

		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	if (!kmt_tracefs())
		return 1;
	probe_features(&f, o, su->hist);
	if (o->module[0] && !f.modules) {
		fprintf(stderr,
			"kmtrace: -m %s: this kernel has no module tracepoints "
			"(no loadable module support?)\n",
			o->module);
		return 1;
	}
	if (su->hist && !f.kmalloc) {
		fprintf(stderr, "kmtrace: this kernel has no tracepoint kmem:kmalloc\n");
		return 1;
	}
	if (o->cmd && spawn_blocked(o->cmd, &su->ch))
		goto fail;

	su->skel = open_and_load(o, &f, su);
	if (!su->skel)
		goto fail;
	su->raw = f.raw;
	su->threads = f.fork;
	su->modules = f.modules;
	/* a tweak (mm) may have turned the program off */
	su->bulk = f.bulk && bpf_program__autoload(su->skel->progs.fe_free_bulk);
	if (o->module[0])
		preloaded_module(su->skel, o->module);
	if (o->pid || o->cmd) {
		uint32_t pid = o->pid ? (uint32_t)o->pid : (uint32_t)su->ch.pid;
		uint8_t one = 1;

		if (bpf_map_update_elem(bpf_map__fd(su->skel->maps.pids), &pid, &one, BPF_ANY)) {
			fprintf(stderr, "kmtrace: cannot set the pid filter: %s\n",
				strerror(errno));
			goto fail;
		}
	}
	e = kmtrace_bpf__attach(su->skel);
	if (e) {
		fprintf(stderr, "kmtrace: failed to attach BPF programs: %s%s%s\n", strerror(-e),
			last_warn[0] ? "; libbpf: " : "", last_warn);
		goto fail;
	}
	return 0;
fail:
	kmt_setup_close(su, true);
	return 1;
}

int kmt_setup_start_cmd(struct kmt_setup *su, const struct kmt_opts *o)
{
	struct kmt_child *ch = &su->ch;
	char b = 1;
	ssize_t n;
	int e;

	if (ch->pid <= 0)
		return 0;
	if (write(ch->go_w, &b, 1) != 1) {
		fprintf(stderr, "kmtrace: cannot start %s: %s\n", o->cmd[0], strerror(errno));
		return 1;
	}
	close(ch->go_w);
	ch->go_w = -1;
	do
		n = read(ch->err_r, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		fprintf(stderr, "kmtrace: cannot run %s: %s\n", o->cmd[0], strerror(e));
		waitpid(ch->pid, NULL, 0);
		ch->pid = -1;
		return 1;
	}
	return 0;
}

int kmt_setup_reap(struct kmt_setup *su)
{
	int st;

	if (su->ch.pid <= 0 || waitpid(su->ch.pid, &st, WNOHANG) != su->ch.pid)
		return -1;
	su->ch.pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the command ---------------------------------------------------------------- */

/* kmt_setup.tweak, before each load attempt: -m's slab ranges. */
static void trace_tweak(struct kmtrace_bpf *s, void *arg)
{
	const struct run *r = arg;

	if (r->o->module[0])
		set_slab_ranges(s->rodata, r->kallsyms);
}

int cmd_trace(int argc, char **argv)
{
	struct kmt_opts o;
	char err[256];
	struct run r = {0};
	struct kmt_setup su = {.tweak = trace_tweak, .arg = &r};
	struct ring_buffer *rb = NULL;
	struct utsname u;
	struct sigaction sa = {0};
	int ret = 1, cmd_status = -1;
	uint64_t deadline = 0;

	if (kmt_parse_trace(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "kmtrace: %s (see 'kmtrace trace --help')\n", err);
		return 2;
	}
	if (o.help) {
		fputs(kmt_trace_usage(), stdout);
		return 0;
	}
	r.o = &o;
	setvbuf(stdout, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, 1 << 16);
	uname(&u);
	snprintf(r.moddir, sizeof(r.moddir), "/lib/modules/%s", u.release);
	if (o.perfetto && !(r.pf = kmt_pf_open(o.perfetto))) {
		fprintf(stderr, "kmtrace: cannot create --perfetto %s: %s\n", o.perfetto,
			strerror(errno));
		return 1;
	}
	if ((o.module[0] || o.perfetto) && !(r.live = kmt_live_new(65536))) {
		fprintf(stderr, "kmtrace: out of memory\n");
		kmt_pf_close(r.pf);
		return 1;
	}

	/* before the load: trace_tweak needs it for -m */
	r.kallsyms = ksyms_load_kallsyms("/proc/kallsyms");
	if (kmt_setup_open(&su, &o)) {
		kmt_pf_close(r.pf);
		kmt_live_free(r.live);
		ksyms_free(r.kallsyms);
		return 1;
	}
	r.skel = su.skel;
	r.kosyms = ksyms_new();
	r.syms = calloc(SYM_CACHE_SLOTS, sizeof(*r.syms)); /* optional */
	if (!r.kallsyms || !r.kosyms) {
		fprintf(stderr, "kmtrace: cannot read /proc/kallsyms: %s\n", strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(r.skel->maps.events), on_event, &r, NULL);
	if (!rb) {
		fprintf(stderr, "kmtrace: cannot create the ring buffer: %s\n", strerror(errno));
		goto out;
	}

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	r.t0 = now_ns();
	if (o.duration > 0)
		deadline = r.t0 + (uint64_t)(o.duration * 1e9);
	fprintf(stderr,
		"kmtrace: ready: kmalloc/kfree via %s, pages via tracepoint, threads %s, "
		"modules %s, bulk frees %s\n",
		tp_kind(su.raw), su.threads ? "on" : "off", su.modules ? "on" : "off",
		su.bulk ? "on" : "off");

	if (kmt_setup_start_cmd(&su, &o))
		goto out;

	if (!o.json)
		printf("%s\n", kmt_text_header());
	while (!stop_sig && !r.out_err) {
		int n = ring_buffer__poll(rb, KMT_POLL_MS);

		/* batched events (BPF_RB_NO_WAKEUP) are read on the timeout too */
		if (n == 0)
			n = ring_buffer__consume(rb);

		if (r.out_err)
			break;
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "kmtrace: ring buffer: %s\n", strerror(-n));
			goto out;
		}
		if (deadline && now_ns() >= deadline)
			break;
		if (su.ch.pid > 0 && (cmd_status = kmt_setup_reap(&su)) >= 0)
			break;
		if (o.pid && (r.target_exited || (kill(o.pid, 0) && errno == ESRCH)))
			break;
	}
	if (!r.out_err)
		ring_buffer__consume(rb); /* drain */
	if (!r.out_err)
		summary(&r, cmd_status);
	ret = 0;
out:
	ring_buffer__free(rb);
	kmt_setup_close(&su, ret != 0);
	ksyms_free(r.kallsyms);
	ksyms_free(r.kosyms);
	free(r.syms);
	kmt_live_free(r.live);
	if (r.pf && kmt_pf_close(r.pf) && ret == 0) {
		fprintf(stderr, "kmtrace: --perfetto %s: write error: %s\n", o.perfetto,
			strerror(errno));
		ret = 1;
	}
	if (fflush(stdout) == EOF && errno != EPIPE && !r.out_err && ret == 0) {
		fprintf(stderr, "kmtrace: write error: %s\n", strerror(errno));
		ret = 1;
	}
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kmtrace's command-line surface: every option, defined once, and which
 * options each subcommand takes (the tables user/cli.c parses with).
 */
#include <stddef.h>
#include <stdint.h>
#include "cli.h"
#include "hist_report.h"
#include "netaddr.h"
#include "prom.h"
#include "stat_report.h"

#define ARG(field) offsetof(struct kmt_args, field)
#define PID_MAX	   4194304 /* PID_MAX_LIMIT on 64-bit */
#define ONE_YEAR   31536000

static const struct kmt_choice fields[] = {
    {"req", HIST_REQ}, {"bytes_req", HIST_REQ}, {"alloc", HIST_ALLOC}, {"bytes_alloc", HIST_ALLOC},
    {NULL, 0},
};

static const struct kmt_choice bys[] = {
    {"pid", KMT_BY_PID}, {"comm", KMT_BY_COMM},	  {"caller", KMT_BY_CALLER},
    {"gfp", KMT_BY_GFP}, {"cache", KMT_BY_CACHE}, {NULL, 0},
};

static const struct kmt_choice sorts[] = {
    {"bytes", STAT_SORT_BYTES},
    {"hits", STAT_SORT_HITS},
    {"frag", STAT_SORT_FRAG},
    {"outstanding", STAT_SORT_OUTSTANDING},
    {NULL, 0},
};

static const struct kmt_choice weights[] = {
    {"bytes", KMT_WEIGHT_BYTES},
    {"count", KMT_WEIGHT_COUNT},
    {NULL, 0},
};

static const struct kmt_choice mode_caller[] = {{"caller", STAT_CALLER}};
static const struct kmt_choice mode_alloc[] = {{"alloc", STAT_ALLOC}};
static const struct kmt_choice mode_page[] = {{"page", STAT_PAGE}};
static const struct kmt_choice mode_cache[] = {{"cache", STAT_CACHE}};

const struct kmt_optdef kmt_optdefs[KMT_O_MAX] = {
    [KMT_O_PID] = {KMT_O_PID, 'p', "pid", "PID",
		   "that process only (all its threads; a thread id means\nits process)", KMT_K_PID,
		   ARG(pid), 1, PID_MAX, NULL},
    [KMT_O_COMM] = {KMT_O_COMM, 'c', "comm", "COMM",
		    "tasks with that command name only (at most 15 bytes:\nthe kernel's comm)",
		    KMT_K_COMM, ARG(comm), 0, 0, NULL},
    [KMT_O_MODULE] = {KMT_O_MODULE, 'm', "module", "NAME",
		      "what module NAME allocates, directly or through kernel\n"
		      "helpers: an allocation whose call site or kernel stack\n"
		      "passes through its code (also __init code, also if\n"
		      "loaded later). When it is unloaded, what it left\n"
		      "allocated is reported as leaks",
		      KMT_K_MODULE, ARG(module), 0, 0, NULL},
    [KMT_O_MIN_SIZE] = {KMT_O_MIN_SIZE, 0, "min-size", "N",
			"kmalloc bytes_req (page bytes) at least N", KMT_K_U64, ARG(min_size), 0,
			UINT64_MAX, NULL},
    [KMT_O_MAX_SIZE] = {KMT_O_MAX_SIZE, 0, "max-size", "N",
			"kmalloc bytes_req (page bytes) at most N", KMT_K_U64, ARG(max_size), 0,
			UINT64_MAX, NULL},
    [KMT_O_CALLER] = {KMT_O_CALLER, 0, "caller", NULL, "kmalloc per call site (default)",
		      KMT_K_MODE, ARG(mode), 0, 0, mode_caller},
    [KMT_O_ALLOC] = {KMT_O_ALLOC, 0, "alloc", NULL, "kmalloc per allocation size (bytes_alloc)",
		     KMT_K_MODE, ARG(mode), 0, 0, mode_alloc},
    [KMT_O_PAGE] = {KMT_O_PAGE, 0, "page", NULL, "page allocator per order and gfp mask",
		    KMT_K_MODE, ARG(mode), 0, 0, mode_page},
    [KMT_O_CACHE] = {KMT_O_CACHE, 0, "cache", NULL,
		     "named slab caches (kmem_cache_alloc) per cache: like slabtop,\n"
		     "for one process (-p, -c) or all",
		     KMT_K_MODE, ARG(mode), 0, 0, mode_cache},
    [KMT_O_FIELD] = {KMT_O_FIELD, 0, "field", "F",
		     "req: bytes requested (default); alloc: bytes allocated", KMT_K_CHOICE,
		     ARG(field), 0, 0, fields},
    [KMT_O_BY] =
	{KMT_O_BY, 0, "by", "K",
	 "one histogram per pid (with comm), comm, caller, gfp or\ncache (named slab caches)",
	 KMT_K_CHOICE, ARG(by), 0, 0, bys},
    [KMT_O_LINEAR] = {KMT_O_LINEAR, 0, "linear", "STEP",
		      "buckets STEP bytes wide (default: powers of two)", KMT_K_U64, ARG(step), 1,
		      UINT64_MAX, NULL},
    [KMT_O_SORT] = {KMT_O_SORT, 's', "sort", "KEY",
		    "bytes (default), hits, frag or outstanding (not with --page)", KMT_K_CHOICE,
		    ARG(sort), 0, 0, sorts},
    [KMT_O_LINES] = {KMT_O_LINES, 'l', "lines", "N",
		     "print the top N rows (trace: the top N kernel stacks of\n"
		     "the outstanding and leak reports; default 10, 0 = all)",
		     KMT_K_U64, ARG(lines), 0, 1000000, NULL},
    [KMT_O_MAX_TRACKED] = {KMT_O_MAX_TRACKED, 0, "max-tracked", "N",
			   "room for N live allocations, to match their kfree\n"
			   "(default 131072; 8 per hash set, so a full set can\n"
			   "refuse one earlier: counted as untracked)",
			   KMT_K_U64, ARG(max_tracked), 1, 16777216, NULL},
    [KMT_O_LISTEN] = {KMT_O_LISTEN, 0, "listen", "ADDR",
		      "also serve the numbers at http://ADDR/metrics for\n"
		      "Prometheus while running; ADDR is [IP:]PORT (IP: IPv4,\n"
		      "[IPv6] or localhost; default 127.0.0.1; port 0: any free\n"
		      "one, said on stderr)",
		      KMT_K_PATH, ARG(listen), 0, 0, NULL},
    [KMT_O_TEXTFILE] = {KMT_O_TEXTFILE, 0, "textfile", "FILE",
			"also write the numbers to FILE for node_exporter's textfile\n"
			"collector (replaced whole: rename), every --interval",
			KMT_K_PATH, ARG(textfile), 0, 0, NULL},
    [KMT_O_INTERVAL] = {KMT_O_INTERVAL, 0, "interval", "S",
			"with --textfile: rewrite FILE every S seconds (default 15)", KMT_K_SECONDS,
			ARG(every), 0, 86400, NULL},
    [KMT_O_TOP] = {KMT_O_TOP, 0, "top", "N",
		   "with --listen/--textfile: series for the N call sites (caches,\n"
		   "modules, sizes) with the most bytes, the rest summed in one\n"
		   "\"other\" series (default 20; kept for the whole run)",
		   KMT_K_U64, ARG(top), 1, PROM_TOP_MAX, NULL},
    [KMT_O_FAMILY] = {KMT_O_FAMILY, 0, "family", "LIST",
		      "allocator families to attach, comma-separated: kmalloc,\n"
		      "cache (named slab caches), page, vmalloc, percpu, or all\n"
		      "(trace: all; hist: kmalloc)",
		      KMT_K_FAMILIES, ARG(families), 0, 0, NULL},
    [KMT_O_DIRECT] = {KMT_O_DIRECT, 0, "direct", NULL,
		      "with -m: only what the module's own code allocates (its\n"
		      "call site), not what kernel helpers allocate for it (no\n"
		      "stack walk: cheaper); pages are always by stack",
		      KMT_K_FLAG, ARG(direct), 0, 0, NULL},
    [KMT_O_SETTLE] = {KMT_O_SETTLE, 0, "settle", "S",
		      "with -m: the leak report waits S seconds after the unload\n"
		      "for late frees (RCU, work items; default 1); frees after\n"
		      "it are reported as freed_late",
		      KMT_K_SECONDS, ARG(settle), 0, 3600, NULL},
    [KMT_O_DURATION] = {KMT_O_DURATION, 'd', "duration", "S",
			"stop after S seconds (default: until Ctrl-C, or the\ntarget's exit)",
			KMT_K_SECONDS, ARG(duration), 0, ONE_YEAR, NULL},
    [KMT_O_JSON] = {KMT_O_JSON, 'j', "json", NULL, "one JSON object per line", KMT_K_FLAG,
		    ARG(json), 0, 0, NULL},
    [KMT_O_KO] = {KMT_O_KO, 0, "ko", "PATH", "the module's .ko (names its __init code)", KMT_K_PATH,
		  ARG(ko), 0, 0, NULL},
    [KMT_O_PERFETTO] = {KMT_O_PERFETTO, 0, "perfetto", "FILE",
			"also write a Chrome trace-event JSON file for\n"
			"ui.perfetto.dev / chrome://tracing: events per thread,\n"
			"mm_users (and outstanding_bytes) counters per process",
			KMT_K_PATH, ARG(perfetto), 0, 0, NULL},
    [KMT_O_STACKS] = {KMT_O_STACKS, 0, "stacks", NULL,
		      "the kernel stack of each allocation, under its event\n"
		      "(JSON: \"stack\"), and the outstanding allocations grouped\n"
		      "by stack at the end and in the leak report",
		      KMT_K_FLAG, ARG(stacks), 0, 0, NULL},
    [KMT_O_FOLDED] = {KMT_O_FOLDED, 0, "folded", "FILE",
		      "also write the allocations' kernel stacks as folded\n"
		      "stacks (flamegraph.pl, inferno, speedscope), created 0600",
		      KMT_K_PATH, ARG(folded), 0, 0, NULL},
    [KMT_O_FOLDED_WEIGHT] = {KMT_O_FOLDED_WEIGHT, 0, "folded-weight", "W",
			     "bytes: each stack weighs the bytes allocated (default);\n"
			     "count: the allocations",
			     KMT_K_CHOICE, ARG(folded_weight), 0, 0, weights},
    [KMT_O_STACK_STORAGE] = {KMT_O_STACK_STORAGE, 0, "stack-storage", "N",
			     "room for N unique kernel stacks (default 16384); an\n"
			     "allocation whose stack finds no room is counted",
			     KMT_K_U64, ARG(stack_storage), 1, 1048576, NULL},
    [KMT_O_STATS] = {KMT_O_STATS, 0, "stats", NULL,
		     "at the end, what each BPF program cost (runs, ns per run,\n"
		     "CPU share) from the kernel's run-time statistics",
		     KMT_K_FLAG, ARG(stats), 0, 0, NULL},
    [KMT_O_VERBOSE] = {KMT_O_VERBOSE, 'v', "verbose", NULL, "libbpf debug output", KMT_K_FLAG,
		       ARG(verbose), 0, 0, NULL},
    [KMT_O_HELP] = {KMT_O_HELP, 'h', "help", NULL, "this text", KMT_K_FLAG, ARG(help), 0, 0, NULL},
};

/* ---- trace ------------------------------------------------------------------------- */

static const enum kmt_opt trace_opts[] = {
    KMT_O_PID,		 KMT_O_COMM,   KMT_O_MODULE,   KMT_O_DIRECT,
    KMT_O_SETTLE,	 KMT_O_FAMILY, KMT_O_MIN_SIZE, KMT_O_MAX_SIZE,
    KMT_O_DURATION,	 KMT_O_JSON,   KMT_O_KO,       KMT_O_PERFETTO,
    KMT_O_STACKS,	 KMT_O_LINES,  KMT_O_FOLDED,   KMT_O_FOLDED_WEIGHT,
    KMT_O_STACK_STORAGE, KMT_O_STATS,  KMT_O_VERBOSE,  KMT_O_HELP,
    KMT_O_NONE,
};

static void trace_defaults(struct kmt_args *a)
{
	a->settle = 1.0;
	a->lines = 10;
	a->stack_storage = KMT_STACK_ENTRIES;
}

/* Options that only mean something with kernel stacks. */
static int stacks_check(const struct kmt_args *a, bool stacks, char *err, size_t errlen)
{
	if (!a->folded && a->given[KMT_O_FOLDED_WEIGHT])
		return kmt_fail(err, errlen, "--folded-weight needs --folded FILE");
	if (!stacks && !a->folded && a->given[KMT_O_STACK_STORAGE])
		return kmt_fail(err, errlen, "--stack-storage needs --stacks or --folded FILE");
	return 0;
}

static int trace_check(const struct kmt_args *a, char *err, size_t errlen)
{
	if (!a->stacks && a->given[KMT_O_LINES])
		return kmt_fail(err, errlen, "-l/--lines needs --stacks (the stacks it prints)");
	return stacks_check(a, a->stacks, err, errlen);
}

const struct kmt_cmd_spec kmt_trace_spec = {
    .name = "trace",
    .synopsis =
	"[-p PID | -c COMM | -- CMD [ARGS...]] [-m MODULE] [--family LIST]\n"
	"                     [--min-size N] [--max-size N] [-d SECONDS] [--json]\n"
	"                     [--direct] [--settle S] [--ko PATH] [--perfetto FILE]\n"
	"                     [--stacks [-l N]] [--folded FILE [--folded-weight bytes|count]]\n"
	"                     [--stack-storage N] [-v]\n",
    .about = "Every allocation and free (kmalloc, named caches, pages, vmalloc, per-CPU),\n"
	     "thread and module event, as it happens.\n",
    .opts = trace_opts,
    .takes_cmd = true,
    .check = trace_check,
    .defaults = trace_defaults,
};

/* ---- hist -------------------------------------------------------------------------- */

static const enum kmt_opt hist_opts[] = {
    KMT_O_PID,	    KMT_O_COMM,	 KMT_O_MODULE,	KMT_O_DIRECT, KMT_O_FAMILY,   KMT_O_MIN_SIZE,
    KMT_O_MAX_SIZE, KMT_O_FIELD, KMT_O_BY,	KMT_O_LINEAR, KMT_O_DURATION, KMT_O_JSON,
    KMT_O_KO,	    KMT_O_STATS, KMT_O_VERBOSE, KMT_O_HELP,   KMT_O_NONE,
};

const struct kmt_cmd_spec kmt_hist_spec = {
    .name = "hist",
    .synopsis = "[-p PID | -c COMM | -- CMD [ARGS...]] [-m MODULE] [--family LIST]\n"
		"                    [--min-size N] [--max-size N] [--field req|alloc]\n"
		"                    [--by pid|comm|caller|gfp] [--linear STEP] [-d SECONDS]\n"
		"                    [--json] [--ko PATH] [-v] [INTERVAL [COUNT]]\n",
    .about = "Histograms of allocation sizes (kmalloc unless --family), counted in the\n"
	     "kernel (no per-event traffic).\n"
	     "With --json: one JSON object per histogram per line; buckets with a count\n"
	     "only: {\"lo\":L,\"hi\":H,\"count\":N} for [L, H).\n",
    .opts = hist_opts,
    .takes_cmd = true,
    .takes_interval = true,
    .interval_help = "print (and reset) every INTERVAL seconds, COUNT times;\n"
		     "without: print once at Ctrl-C, -d, or when CMD/PID exits",
};

/* ---- stat -------------------------------------------------------------------------- */

static const enum kmt_opt stat_opts[] = {
    KMT_O_CALLER,      KMT_O_ALLOC,	    KMT_O_PAGE,		 KMT_O_CACHE,	 KMT_O_PID,
    KMT_O_COMM,	       KMT_O_SORT,	    KMT_O_LINES,	 KMT_O_DURATION, KMT_O_JSON,
    KMT_O_MAX_TRACKED, KMT_O_LISTEN,	    KMT_O_TEXTFILE,	 KMT_O_INTERVAL, KMT_O_TOP,
    KMT_O_FOLDED,      KMT_O_FOLDED_WEIGHT, KMT_O_STACK_STORAGE, KMT_O_STATS,	 KMT_O_VERBOSE,
    KMT_O_HELP,	       KMT_O_NONE,
};

static void stat_defaults(struct kmt_args *a)
{
	a->mode = STAT_CALLER;
	a->sort = STAT_SORT_BYTES;
	a->lines = 10;
	a->max_tracked = KMSTAT_MAX_PTRS;
	a->every = 15.0;
	a->top = PROM_TOP_DEFAULT;
	a->stack_storage = KMT_STACK_ENTRIES;
}

static int stat_check(const struct kmt_args *a, char *err, size_t errlen)
{
	if (stat_sort_valid(a->mode, a->sort))
		return kmt_fail(err, errlen, "--sort frag/outstanding do not apply to --page");
	if (a->listen) {
		struct kmt_netaddr na;

		if (kmt_netaddr_parse(a->listen, &na, err, errlen))
			return -1;
	}
	if (a->given[KMT_O_INTERVAL] && !a->textfile)
		return kmt_fail(err, errlen, "--interval goes with --textfile");
	if (a->given[KMT_O_TOP] && !a->listen && !a->textfile)
		return kmt_fail(err, errlen, "--top goes with --listen or --textfile");
	return stacks_check(a, false, err, errlen);
}

const struct kmt_cmd_spec kmt_stat_spec = {
    .name = "stat",
    .synopsis =
	"[--caller | --alloc | --page | --cache] [-p PID | -c COMM] [--sort KEY]\n"
	"                    [-l N] [-d SECONDS] [--json] [--max-tracked N] [-v]\n"
	"                    [--listen [IP:]PORT] [--textfile FILE [--interval S]] [--top N]\n"
	"                    [--folded FILE [--folded-weight bytes|count]] [--stack-storage N]\n",
    .about = "Kernel allocator statistics aggregated in BPF until Ctrl-C or -d, then a table.\n"
	     "Frees of the -p/-c tasks' allocations are matched whoever frees them.\n",
    .opts = stat_opts,
    .notes = "OUTSTANDING: bytes allocated while tracing and not freed by the end; a '+'\n"
	     "marks a lower bound (pointer table was full, see the summary).\n"
	     "--json: one JSON object per line: rows, then {\"type\":\"totals\",...}.\n"
	     "--listen/--textfile: the same numbers, live, in the Prometheus text format\n"
	     "(counters since the start; symbols and cache names, never addresses); the\n"
	     "table is still printed at the end.\n",
    .check = stat_check,
    .defaults = stat_defaults,
};

/* ---- mm ---------------------------------------------------------------------------- */

static const enum kmt_opt mm_opts[] = {
    KMT_O_PID, KMT_O_JSON, KMT_O_PERFETTO, KMT_O_STATS, KMT_O_VERBOSE, KMT_O_HELP, KMT_O_NONE,
};

static void mm_defaults(struct kmt_args *a)
{
	a->interval = 0.1;
}

static int mm_check(const struct kmt_args *a, char *err, size_t errlen)
{
	if (!a->pid && !a->cmd && (a->npos || a->perfetto))
		return kmt_fail(err, errlen,
				"INTERVAL, COUNT and --perfetto need -p PID or -- CMD");
	return 0;
}

const struct kmt_cmd_spec kmt_mm_spec = {
    .name = "mm",
    .synopsis = "[--json]\n"
		"       kmtrace mm -p PID [INTERVAL [COUNT]] [--json] [--perfetto FILE] [-v]\n"
		"       kmtrace mm [INTERVAL [COUNT]] [--json] [--perfetto FILE] [-v] -- CMD "
		"[ARGS...]\n",
    .about = "Without a target: a snapshot of every process with an mm_struct (BPF task\n"
	     "iterator), sorted by pid: PID COMM MM_USERS MM_COUNT THREADS.\n"
	     "With a target: the mm_users timeline of that process: each thread start/exit\n"
	     "(and exec, process exit) with mm_users after it, and, sampled every INTERVAL\n"
	     "seconds (default 0.1), changes of mm_users without a thread event\n"
	     "(mm_users_change). Stops when the process exits, after COUNT samples, or on\n"
	     "SIGINT/SIGTERM; then a summary.\n",
    .opts = mm_opts,
    .takes_cmd = true,
    .takes_interval = true,
    .interval_help = "sample mm_users every INTERVAL s; stop after COUNT samples",
    .notes = "For a plain multi-threaded process mm_users equals /proc/PID/status Threads.\n"
	     "MM_COUNT is -1 on a kernel without mm_struct.mm_count.\n",
    .check = mm_check,
    .defaults = mm_defaults,
};

const struct kmt_cmd_spec *const kmt_specs[] = {
    &kmt_trace_spec, &kmt_hist_spec, &kmt_stat_spec, &kmt_mm_spec, NULL,
};

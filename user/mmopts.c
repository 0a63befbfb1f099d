// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace mm` options: the trace parser (user/opts.c, kmt_parse_opts()) with
 * INTERVAL [COUNT] as positional arguments, then the trace options mm does not
 * implement (-c, -m, --min-size, --max-size, --ko, -d) refused by name.  Kept
 * apart from the timeline (user/mmtimeline.c) so that it builds without
 * libbpf: unit test (tests/unit/test_leak.c) and fuzz target
 * (tests/fuzz/fuzz_mm_opts.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mmtimeline.h"
#include "opts.h"

const char *kmt_mm_usage(void)
{
	return "usage: kmtrace mm [--json]\n"
	       "       kmtrace mm -p PID [INTERVAL [COUNT]] [--json] [--perfetto FILE] [-v]\n"
	       "       kmtrace mm [INTERVAL [COUNT]] [--json] [--perfetto FILE] [-v] -- CMD "
	       "[ARGS...]\n"
	       "Without a target: a snapshot of every process with an mm_struct (BPF task\n"
	       "iterator), sorted by pid: PID COMM MM_USERS MM_COUNT THREADS.\n"
	       "With a target: the mm_users timeline of that process: each thread start/exit\n"
	       "(and exec, process exit) with mm_users after it, and, sampled every INTERVAL\n"
	       "seconds (default 0.1), changes of mm_users without a thread event\n"
	       "(mm_users_change). Stops when the process exits, after COUNT samples, or on\n"
	       "SIGINT/SIGTERM; then a summary.\n"
	       "  -p, --pid PID       that process (a thread id means its process)\n"
	       "  -- CMD [ARGS...]    run CMD and follow it from its exec (and its children)\n"
	       "  INTERVAL [COUNT]    sample mm_users every INTERVAL s; stop after COUNT samples\n"
	       "  -j, --json          one JSON object per line\n"
	       "      --perfetto FILE also write a Chrome trace-event JSON file "
	       "(ui.perfetto.dev):\n"
	       "                      thread events and an mm_users counter track\n"
	       "  -v, --verbose       libbpf debug output\n"
	       "  -h, --help          this text\n"
	       "For a plain multi-threaded process mm_users equals /proc/PID/status Threads.\n"
	       "MM_COUNT is -1 on a kernel without mm_struct.mm_count.\n";
}

bool kmt_mm_has_target(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return true;
		if (!strcmp(argv[i], "-p") || !strncmp(argv[i], "--pid", 5) ||
		    (!strncmp(argv[i], "-p", 2) && argv[i][1] == 'p'))
			return true;
	}
	return false;
}

/* INTERVAL [COUNT]: the positional arguments before "--" (kmt_opts_ext.arg). */
struct mm_pos {
	double interval;
	uint64_t count;
	int npos;
};

static int on_arg(void *ctx, const char *a, char *err, size_t errlen)
{
	struct mm_pos *p = ctx;
	char *end;

	if (p->npos == 0) {
		errno = 0;
		p->interval = strtod(a, &end);
		if (errno || *end || end == a || !isfinite(p->interval) || p->interval < 0.001 ||
		    p->interval > 86400)
			return kmt_fail(err, errlen,
					"invalid INTERVAL '%s' (seconds, 0.001..86400)", a);
	} else if (p->npos == 1) {
		if (kmt_parse_u64(a, &p->count) || p->count == 0)
			return kmt_fail(err, errlen, "invalid COUNT '%s'", a);
	} else {
		return kmt_fail(err, errlen, "unexpected argument '%s'", a);
	}
	p->npos++;
	return 0;
}

/* The trace options mm does not implement. */
enum { U_COMM, U_MODULE, U_MIN, U_MAX, U_DURATION, U_KO, U_N };
static const struct {
	char s;		   /* short option; 0: none */
	const char *l;	   /* long option */
	const char *label; /* in the message */
} unsup[U_N] = {
    [U_COMM] = {'c', "comm", "-c/--comm"},
    [U_MODULE] = {'m', "module", "-m/--module"},
    [U_MIN] = {0, "min-size", "--min-size"},
    [U_MAX] = {0, "max-size", "--max-size"},
    [U_DURATION] = {'d', "duration", "-d/--duration"},
    [U_KO] = {0, "ko", "--ko"},
};

static int unsupported(char *err, size_t errlen, const char *opt)
{
	kmt_fail(err, errlen, "%s is not supported (it applies to trace and hist)", opt);
	return KMT_MM_UNSUPPORTED;
}

/*
 * When kmt_parse_opts() stopped at an option's value (-c '', -d 0…) or at an
 * option without its value (-d at the end): that option's label if mm does not
 * implement it, else NULL.  ARG, IND: optarg and optind then (getopt sets
 * optarg only for an option with a value; IND is past the option and value).
 */
static const char *stopped_at(int argc, char **argv, const char *arg, int ind)
{
	const char *tok, *name = NULL;
	size_t len = 0;
	char letter = 0;

	if (ind < 2 || ind > argc)
		return NULL;
	tok = argv[ind - 1];
	if (!arg) { /* no value: the option is the last argument (-d, -jd, --ko) */
		if (ind < argc)
			return NULL;
		if (!strncmp(tok, "--", 2) && !strchr(tok, '=')) {
			name = tok + 2;
			len = strlen(name);
		} else if (tok[0] == '-' && tok[1] && tok[1] != '-') {
			letter = tok[strlen(tok) - 1];
		}
	} else if (arg == tok) { /* -c VALUE, --comm VALUE, -jc VALUE */
		tok = argv[ind - 2];
		if (!strncmp(tok, "--", 2)) {
			name = tok + 2;
			len = strlen(name);
		} else if (tok[0] == '-' && tok[1]) {
			letter = tok[strlen(tok) - 1];
		}
	} else if ((uintptr_t)arg > (uintptr_t)tok &&
		   (uintptr_t)arg <= (uintptr_t)tok + strlen(tok)) { /* -cVALUE, --comm=VALUE */
		if (!strncmp(tok, "--", 2) && arg[-1] == '=') {
			name = tok + 2;
			len = (size_t)(arg - 1 - name);
		} else {
			letter = arg[-1];
		}
	}
	for (size_t i = 0; i < U_N; i++) {
		/* getopt_long took NAME: the option or an unambiguous abbreviation */
		if ((letter && letter == unsup[i].s) ||
		    (name && len && !strncmp(name, unsup[i].l, len) && len <= strlen(unsup[i].l)))
			return unsup[i].label;
	}
	return NULL;
}

/*
 * The options of O (complete, or as far as the parser got before an error)
 * that mm does not implement: KMT_MM_UNSUPPORTED with the first one named in
 * ERR, or 0.  DEF: what the parser gives for no argument at all.  A field
 * added to struct kmt_opts (a new trace option) needs its line here, or mm
 * would accept that option and ignore it.
 */
static int check_unsupported(const struct kmt_opts *o, const struct kmt_opts *def, char *err,
			     size_t errlen)
{
	if (o->comm[0])
		return unsupported(err, errlen, unsup[U_COMM].label);
	if (o->module[0])
		return unsupported(err, errlen, unsup[U_MODULE].label);
	if (o->size_filter && o->min_size != def->min_size)
		return unsupported(err, errlen, unsup[U_MIN].label);
	if (o->size_filter)
		return unsupported(err, errlen, unsup[U_MAX].label);
	if (o->duration != def->duration)
		return unsupported(err, errlen, unsup[U_DURATION].label);
	if (o->ko)
		return unsupported(err, errlen, unsup[U_KO].label);
	return 0;
}

int kmt_parse_mm(int argc, char **argv, struct kmt_mm_opts *mo, char *err, size_t errlen)
{
	struct mm_pos pos = {.interval = 0.1};
	const struct kmt_opts_ext x = {.arg = on_arg, .ctx = &pos};
	char *none[] = {argv[0], NULL};
	struct kmt_opts o, def;
	const char *stop;
	int r;

	memset(mo, 0, sizeof(*mo));
	mo->interval = pos.interval;
	if (kmt_parse_opts(1, none, NULL, &def, err, errlen))
		return -1;
	r = kmt_parse_opts(argc, argv, &x, &o, err, errlen);
	stop = r ? stopped_at(argc, argv, optarg, optind) : NULL;
	if (!r && o.help) {
		mo->help = true;
		return 0;
	}
	/* An option mm does not have is the error, also when the parser stopped
	 * at a later one (-c x -p 1: "-p, -c and -- CMD are mutually exclusive")
	 * or at its value (-d 0: "invalid duration '0'"). */
	if (check_unsupported(&o, &def, err, errlen))
		return KMT_MM_UNSUPPORTED;
	if (stop)
		return unsupported(err, errlen, stop);
	/* the whole message (it quotes no argument), "-p, -c and -- CMD are
	 * mutually exclusive" of user/opts.c: it names -c, which mm has not */
	if (r && !strcmp(err, "-p, -c and -- CMD are mutually exclusive")) {
		if (o.cmd)
			return kmt_fail(err, errlen, "-p and -- CMD are mutually exclusive");
		/* -p twice: mm has always taken the last one (and the parser
		 * checks this after the last argument: O is complete) */
		r = 0;
	}
	if (r)
		return -1;
	mo->pid = o.pid;
	mo->cmd = o.cmd;
	mo->json = o.json;
	mo->verbose = o.verbose;
	mo->perfetto = o.perfetto;
	mo->interval = pos.interval;
	mo->count = pos.count;
	if (!mo->pid && !mo->cmd)
		return kmt_fail(err, errlen,
				"INTERVAL, COUNT and --perfetto need -p PID or -- CMD");
	return 0;
}

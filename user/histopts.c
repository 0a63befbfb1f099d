// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace hist` options: the trace parser (user/opts.c, kmt_parse_opts()) with
 * --field, --by, --linear and INTERVAL [COUNT] added, and --perfetto refused.
 * Kept apart from the command (user/hist.c) so that it builds without libbpf:
 * unit test (tests/unit/test_hist.c) and fuzz target
 * (tests/fuzz/fuzz_hist_opts.c), which link only this file and user/opts.c.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"
#include "opts.h"

const char *hist_field_name(enum hist_field f)
{
	return f == HIST_ALLOC ? "bytes_alloc" : "bytes_req";
}

int hist_parse_field(const char *s, enum hist_field *out)
{
	if (!strcmp(s, "req") || !strcmp(s, "bytes_req"))
		*out = HIST_REQ;
	else if (!strcmp(s, "alloc") || !strcmp(s, "bytes_alloc"))
		*out = HIST_ALLOC;
	else
		return -1;
	return 0;
}

int hist_parse_by(const char *s, enum kmt_hist_by *out)
{
	static const char *const names[] = {
	    [KMT_BY_PID] = "pid",
	    [KMT_BY_COMM] = "comm",
	    [KMT_BY_CALLER] = "caller",
	    [KMT_BY_GFP] = "gfp",
	};

	for (size_t i = KMT_BY_PID; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum kmt_hist_by)i;
			return 0;
		}
	}
	return -1;
}

const char *hist_usage(void)
{
	return "usage: kmtrace hist [-p PID | -c COMM | -- CMD [ARGS...]] [-m MODULE]\n"
	       "                    [--min-size N] [--max-size N] [--field req|alloc]\n"
	       "                    [--by pid|comm|caller|gfp] [--linear STEP] [-d SECONDS]\n"
	       "                    [--json] [--ko PATH] [-v] [INTERVAL [COUNT]]\n"
	       "Histograms of kmalloc sizes, counted in the kernel (no per-event traffic).\n"
	       "  -p, -c, -- CMD, -m, --min-size, --max-size   filters, as for 'kmtrace trace'\n"
	       "      --field F       req: bytes requested (default); alloc: bytes allocated\n"
	       "      --by K          one histogram per pid (with comm), comm, caller or gfp\n"
	       "      --linear STEP   buckets STEP bytes wide (default: powers of two)\n"
	       "  -d, --duration S    stop after S seconds\n"
	       "  -j, --json          one JSON object per histogram per line; buckets with\n"
	       "                      a count only: {\"lo\":L,\"hi\":H,\"count\":N} for [L, H)\n"
	       "      --ko PATH       -m's .ko: names its __init code with --by caller\n"
	       "  -v, --verbose       libbpf debug output\n"
	       "  INTERVAL [COUNT]    print (and reset) every INTERVAL seconds, COUNT times;\n"
	       "                      without: print once at Ctrl-C, -d, or when CMD/PID exits\n"
	       "  -h, --help          this text\n";
}

enum { OPT_FIELD = KMT_OPT_EXT, OPT_BY, OPT_LINEAR };

static int hfail(char *err, size_t len, const char *what, const char *arg)
{
	return kmt_fail(err, len, "%s '%s'", what, arg);
}

static int on_opt(void *ctx, int val, const char *arg, char *err, size_t errlen)
{
	struct hist_args *h = ctx;

	switch (val) {
	case OPT_FIELD:
		if (hist_parse_field(arg, &h->field))
			return hfail(err, errlen, "invalid --field (req, alloc)", arg);
		return 0;
	case OPT_BY:
		if (hist_parse_by(arg, &h->by))
			return hfail(err, errlen, "invalid --by (pid, comm, caller, gfp)", arg);
		return 0;
	case OPT_LINEAR:
		if (kmt_parse_u64(arg, &h->step) || h->step == 0)
			return hfail(err, errlen, "invalid --linear STEP (bytes, > 0)", arg);
		return 0;
	}
	return hfail(err, errlen, "unknown option", arg ? arg : "");
}

static int on_arg(void *ctx, const char *arg, char *err, size_t errlen)
{
	struct hist_args *h = ctx;
	char *end;

	if (h->npos == 0) {
		errno = 0;
		h->interval = strtod(arg, &end);
		if (!(arg[0] >= '0' && arg[0] <= '9') && arg[0] != '.')
			return hfail(err, errlen, "unexpected argument", arg);
		if (*end || errno || !isfinite(h->interval) || h->interval < 0.001 ||
		    h->interval > 1e6)
			return hfail(err, errlen, "invalid INTERVAL (seconds, 0.001..1000000)",
				     arg);
	} else if (h->npos == 1) {
		if (kmt_parse_u64(arg, &h->count) || h->count == 0)
			return hfail(err, errlen, "invalid COUNT (> 0)", arg);
	} else {
		return hfail(err, errlen, "unexpected argument", arg);
	}
	h->npos++;
	return 0;
}

int hist_parse(int argc, char **argv, struct kmt_opts *o, struct hist_args *h, char *err,
	       size_t errlen)
{
	static const struct option lopts[] = {
	    {"field", required_argument, NULL, OPT_FIELD},
	    {"by", required_argument, NULL, OPT_BY},
	    {"linear", required_argument, NULL, OPT_LINEAR},
	    {NULL, 0, NULL, 0},
	};
	const struct kmt_opts_ext x = {.lopts = lopts, .opt = on_opt, .arg = on_arg, .ctx = h};

	memset(h, 0, sizeof(*h));
	if (kmt_parse_opts(argc, argv, &x, o, err, errlen))
		return -1;
	if (o->perfetto) { /* trace-only */
		snprintf(err, errlen, "--perfetto is not an option of hist");
		return -1;
	}
	return 0;
}

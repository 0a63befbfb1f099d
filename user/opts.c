// SPDX-License-Identifier: GPL-2.0
/* `kmtrace trace` options. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "opts.h"

const char *kmt_trace_usage(void)
{
	return "usage: kmtrace trace [-p PID | -c COMM | -- CMD [ARGS...]] [-m MODULE]\n"
	       "                     [--min-size N] [--max-size N] [-d SECONDS] [--json]\n"
	       "                     [--ko PATH] [--perfetto FILE] [-v]\n"
	       "  -p, --pid PID       trace that process (all its threads)\n"
	       "  -c, --comm COMM     trace tasks with that command name\n"
	       "  -- CMD [ARGS...]    run CMD, trace it from its first instruction, with its\n"
	       "                      threads and children; stop when it exits\n"
	       "  -m, --module NAME   allocations whose call site is in module NAME's code\n"
	       "                      (also its __init code, also if loaded later)\n"
	       "                      when it is unloaded, what it left allocated is\n"
	       "                      reported as leaks (and counted as outstanding)\n"
	       "      --min-size N    kmalloc bytes_req (page bytes) at least N\n"
	       "      --max-size N    kmalloc bytes_req (page bytes) at most N\n"
	       "  -d, --duration S    stop after S seconds\n"
	       "  -j, --json          one JSON object per line\n"
	       "      --ko PATH       the module's .ko (symbols of its __init code)\n"
	       "      --perfetto FILE also write a Chrome trace-event JSON file for\n"
	       "                      ui.perfetto.dev / chrome://tracing: events per thread,\n"
	       "                      mm_users and outstanding_bytes counters per process\n"
	       "  -v, --verbose       libbpf debug output\n"
	       "  -h, --help          this text\n";
}

int kmt_fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	if (len)
		kmt_one_line(err);
	return -1;
}

char *kmt_one_line(char *s)
{
	/* an argument quoted in a message must not break it into lines */
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

int kmt_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > 1e9)
		return -1;
	*out = v;
	return 0;
}

enum { OPT_MIN = 256, OPT_MAX, OPT_KO, OPT_PERFETTO };

#define SHORTOPTS "+:p:c:m:d:jvh"

/* getopt_long; positional arguments before -- go to X->arg (-2 when it refuses one). */
static int next_opt(int argc, char **argv, const struct option *lopts, const struct kmt_opts_ext *x,
		    char *err, size_t errlen)
{
	int c;

	while ((c = getopt_long(argc, argv, SHORTOPTS, lopts, NULL)) == -1 && x && x->arg &&
	       optind < argc && strcmp(argv[optind - 1], "--")) {
		if (x->arg(x->ctx, argv[optind], err, errlen))
			return -2;
		optind++;
	}
	return c;
}

int kmt_parse_trace(int argc, char **argv, struct kmt_opts *o, char *err, size_t errlen)
{
	return kmt_parse_opts(argc, argv, NULL, o, err, errlen);
}

int kmt_parse_opts(int argc, char **argv, const struct kmt_opts_ext *x, struct kmt_opts *o,
		   char *err, size_t errlen)
{
	static const struct option lopts[] = {
	    {"pid", required_argument, NULL, 'p'},
	    {"comm", required_argument, NULL, 'c'},
	    {"module", required_argument, NULL, 'm'},
	    {"min-size", required_argument, NULL, OPT_MIN},
	    {"max-size", required_argument, NULL, OPT_MAX},
	    {"duration", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'},
	    {"ko", required_argument, NULL, OPT_KO},
	    {"perfetto", required_argument, NULL, OPT_PERFETTO},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct option all[32];
	size_t nl = sizeof(lopts) / sizeof(lopts[0]) - 1, nx = 0;
	uint64_t v;
	int c, ntask = 0;

	while (x && x->lopts && x->lopts[nx].name && nl + nx + 1 < sizeof(all) / sizeof(all[0]))
		nx++;
	memcpy(all, lopts, nl * sizeof(*lopts));
	if (nx)
		memcpy(all + nl, x->lopts, nx * sizeof(*lopts));
	memset(&all[nl + nx], 0, sizeof(*all));

	memset(o, 0, sizeof(*o));
	o->max_size = UINT64_MAX;
	if (errlen)
		err[0] = '\0';
	optind = 0; /* full reset (glibc), so the parser can run more than once */
	opterr = 0;
	while ((c = next_opt(argc, argv, all, x, err, errlen)) != -1) {
		switch (c) {
		case -2:
			return -1;
		case 'p':
			if (kmt_parse_u64(optarg, &v) || v == 0 || v > 0x3fffffff)
				return kmt_fail(err, errlen, "invalid pid '%s'", optarg);
			o->pid = (pid_t)v;
			ntask++;
			break;
		case 'c':
			if (!*optarg)
				return kmt_fail(err, errlen, "empty command name");
			/* the kernel keeps 15 bytes of comm */
			snprintf(o->comm, sizeof(o->comm), "%s", optarg);
			ntask++;
			break;
		case 'm':
			if (!*optarg || strlen(optarg) >= sizeof(o->module) ||
			    strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789_-") != strlen(optarg))
				return kmt_fail(err, errlen, "invalid module name '%s'", optarg);
			for (size_t i = 0; optarg[i]; i++)
				o->module[i] = optarg[i] == '-' ? '_' : optarg[i];
			break;
		case OPT_MIN:
			if (kmt_parse_u64(optarg, &o->min_size))
				return kmt_fail(err, errlen, "invalid --min-size '%s'", optarg);
			o->size_filter = true;
			break;
		case OPT_MAX:
			if (kmt_parse_u64(optarg, &o->max_size))
				return kmt_fail(err, errlen, "invalid --max-size '%s'", optarg);
			o->size_filter = true;
			break;
		case 'd':
			if (parse_seconds(optarg, &o->duration))
				return kmt_fail(err, errlen, "invalid duration '%s'", optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case OPT_KO:
			if (!*optarg)
				return kmt_fail(err, errlen, "empty --ko path");
			o->ko = optarg;
			break;
		case OPT_PERFETTO:
			if (!*optarg)
				return kmt_fail(err, errlen, "empty --perfetto path");
			o->perfetto = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			return kmt_fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (x && x->opt && c >= KMT_OPT_EXT) {
				if (x->opt(x->ctx, c, optarg, err, errlen))
					return -1;
				break;
			}
			/* --name=VALUE: getopt_long sets optopt to the option's value
			 * when NAME is a flag without a value (its short letter would
			 * name the wrong thing), to 0 when NAME is unknown. */
			if (!strncmp(argv[optind - 1], "--", 2) && strchr(argv[optind - 1], '=')) {
				const char *a = argv[optind - 1];
				int n = (int)(strchr(a, '=') - a);

				if (optopt)
					return kmt_fail(err, errlen, "option '%.*s' takes no value",
							n, a);
				return kmt_fail(err, errlen, "unknown option '%.*s'", n, a);
			}
			if (optopt)
				return kmt_fail(err, errlen, "unknown option '-%c'", optopt);
			return kmt_fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return kmt_fail(err, errlen,
					"unexpected argument '%s' (use -- CMD to run a command)",
					argv[optind]);
		if (!argv[optind][0])
			return kmt_fail(err, errlen, "empty command name after --");
		o->cmd = &argv[optind];
		o->cmd_argc = argc - optind;
		ntask++;
	} else if (optind > 1 && !strcmp(argv[optind - 1], "--")) {
		return kmt_fail(err, errlen, "no command after --");
	}
	if (ntask > 1)
		return kmt_fail(err, errlen, "-p, -c and -- CMD are mutually exclusive");
	if (o->min_size > o->max_size)
		return kmt_fail(err, errlen, "--min-size %llu is larger than --max-size %llu",
				(unsigned long long)o->min_size, (unsigned long long)o->max_size);
	return 0;
}

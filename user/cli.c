// SPDX-License-Identifier: GPL-2.0
/*
 * The command-line engine: getopt_long driven by the option and command
 * tables of user/specs.c (see user/cli.h).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "fmt.h"

#define INTERVAL_MIN 0.001
#define INTERVAL_MAX 86400.0
#define LONG_BASE    256 /* getopt_long val of option ID: LONG_BASE + ID */

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

int kmt_parse_seconds(const char *s, double hi, double *out)
{
	char *end;
	double v;

	if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* ---- the tables ----------------------------------------------------------------- */

static bool spec_has(const struct kmt_cmd_spec *spec, enum kmt_opt id)
{
	for (const enum kmt_opt *o = spec->opts; *o; o++)
		if (*o == id)
			return true;
	return false;
}

/* "-c/--comm" or "--min-size" */
static const char *label(const struct kmt_optdef *d, char *buf, size_t len)
{
	if (d->letter)
		snprintf(buf, len, "-%c/--%s", d->letter, d->name);
	else
		snprintf(buf, len, "--%s", d->name);
	return buf;
}

static const struct kmt_optdef *by_letter(int c)
{
	for (int i = 1; i < KMT_O_MAX; i++)
		if (kmt_optdefs[i].letter && kmt_optdefs[i].letter == c)
			return &kmt_optdefs[i];
	return NULL;
}

/* The definition getopt_long's return value (or optopt) C stands for. */
static const struct kmt_optdef *def_of(int c)
{
	if (c >= LONG_BASE + 1 && c < LONG_BASE + KMT_O_MAX)
		return &kmt_optdefs[c - LONG_BASE];
	if (c > 0 && c < LONG_BASE)
		return by_letter(c);
	return NULL;
}

/* PARTS joined as "a, b and c" into LIST (LEN bytes); returns LIST. */
static const char *join_and(const char *const *parts, size_t n, char *list, size_t len)
{
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(list + used, len - used, "%s%s",
					 i == 0	      ? ""
					 : i + 1 == n ? " and "
						      : ", ",
					 parts[i]);
	return list;
}

/* "OPT is not supported (it applies to trace and hist)" */
static int unsupported(const struct kmt_optdef *d, char *err, size_t errlen)
{
	const char *names[8];
	char lab[64], list[128];
	size_t n = 0;

	for (size_t i = 0; kmt_specs[i] && n < 8; i++)
		if (spec_has(kmt_specs[i], d->id))
			names[n++] = kmt_specs[i]->name;
	return kmt_fail(err, errlen, "%s is not supported (it applies to %s)",
			label(d, lab, sizeof(lab)),
			n ? join_and(names, n, list, sizeof(list)) : "no command");
}

/* "-p, -c and -- CMD are mutually exclusive" with the target options SPEC has. */
static int exclusive(const struct kmt_cmd_spec *spec, char *err, size_t errlen)
{
	const char *parts[3];
	char list[64];
	size_t n = 0;

	if (spec_has(spec, KMT_O_PID))
		parts[n++] = "-p";
	if (spec_has(spec, KMT_O_COMM))
		parts[n++] = "-c";
	if (spec->takes_cmd)
		parts[n++] = "-- CMD";
	return kmt_fail(err, errlen, "%s %s", join_and(parts, n, list, sizeof(list)),
			n > 1 ? "are mutually exclusive" : "can be given only once");
}

/* ---- values ---------------------------------------------------------------------- */

static int set_value(const struct kmt_optdef *d, const char *v, struct kmt_args *a, char *err,
		     size_t errlen)
{
	char *field = (char *)a + d->off, lab[64];
	uint64_t u;

	switch (d->kind) {
	case KMT_K_FLAG: {
		bool t = true;

		memcpy(field, &t, sizeof(t));
		return 0;
	}
	case KMT_K_PID:
		if (kmt_parse_u64(v, &u) || u < d->lo || u > d->hi)
			return kmt_fail(err, errlen, "invalid pid '%s' (%llu..%llu)", v,
					(unsigned long long)d->lo, (unsigned long long)d->hi);
		{
			pid_t p = (pid_t)u;

			memcpy(field, &p, sizeof(p));
		}
		return 0;
	case KMT_K_U64:
		if (kmt_parse_u64(v, &u) || u < d->lo || u > d->hi) {
			if (d->lo == 0 && d->hi == UINT64_MAX)
				return kmt_fail(err, errlen, "invalid --%s '%s'", d->name, v);
			if (d->hi == UINT64_MAX)
				return kmt_fail(err, errlen, "invalid --%s '%s' (at least %llu)",
						d->name, v, (unsigned long long)d->lo);
			return kmt_fail(err, errlen, "invalid --%s '%s' (%llu..%llu)", d->name, v,
					(unsigned long long)d->lo, (unsigned long long)d->hi);
		}
		memcpy(field, &u, sizeof(u));
		return 0;
	case KMT_K_SECONDS: {
		double secs;

		if (kmt_parse_seconds(v, (double)d->hi, &secs))
			return kmt_fail(err, errlen, "invalid --%s '%s' (seconds, > 0)", d->name,
					v);
		memcpy(field, &secs, sizeof(secs));
		return 0;
	}
	case KMT_K_PATH:
		if (!*v)
			return kmt_fail(err, errlen, "empty --%s path", d->name);
		memcpy(field, &v, sizeof(v));
		return 0;
	case KMT_K_COMM:
		if (!*v)
			return kmt_fail(err, errlen, "empty command name");
		/* the kernel keeps 15 bytes of comm: a longer name never matches */
		if (strlen(v) >= KMT_COMM_LEN)
			return kmt_fail(err, errlen,
					"command name '%s' is longer than the kernel's 15 bytes "
					"(its comm is '%.15s')",
					v, v);
		memset(field, 0, KMT_COMM_LEN); /* NUL-padded: the BPF side compares words */
		snprintf(field, KMT_COMM_LEN, "%s", v);
		return 0;
	case KMT_K_MODULE:
		if (!*v || strlen(v) >= KMT_MODNAME_LEN ||
		    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			      "0123456789_-") != strlen(v))
			return kmt_fail(err, errlen, "invalid module name '%s'", v);
		memset(field, 0, KMT_MODNAME_LEN);
		for (size_t i = 0; v[i]; i++)
			field[i] = v[i] == '-' ? '_' : v[i];
		return 0;
	case KMT_K_CHOICE: {
		char names[128] = "";
		size_t len = 0;

		for (const struct kmt_choice *c = d->choices; c->name; c++) {
			if (!strcmp(v, c->name)) {
				memcpy(field, &c->value, sizeof(c->value));
				return 0;
			}
		}
		/* the names to offer: the first spelling of each value */
		for (const struct kmt_choice *c = d->choices; c->name; c++)
			if (c == d->choices || c[-1].value != c->value)
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
							len ? ", " : "", c->name);
		return kmt_fail(err, errlen, "invalid --%s '%s' (%s)", d->name, v, names);
	}
	case KMT_K_FAMILIES: {
		unsigned int mask = 0;
		char copy[128], *tok, *save = NULL;

		snprintf(copy, sizeof(copy), "%s", v);
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int f;

			for (f = 0; f < KMT_FAM_MAX; f++)
				if (!strcmp(tok, kmt_family_name(f)))
					break;
			if (f < KMT_FAM_MAX)
				mask |= 1u << f;
			else if (!strcmp(tok, "all"))
				mask |= (1u << KMT_FAM_MAX) - 1;
			else
				mask = 0, save = NULL;
			if (!mask)
				break;
		}
		if (!mask || strlen(v) >= sizeof(copy))
			return kmt_fail(err, errlen,
					"invalid --family '%s' (a list of kmalloc, cache, page, "
					"vmalloc, percpu; or all)",
					v);
		memcpy(field, &mask, sizeof(mask));
		return 0;
	}
	case KMT_K_MODE:
		/* options that share this field exclude each other */
		for (int i = 1; i < KMT_O_MAX; i++) {
			const struct kmt_optdef *o = &kmt_optdefs[i];

			if (o != d && o->kind == KMT_K_MODE && o->off == d->off && a->given[o->id])
				return kmt_fail(err, errlen,
						"%s: use only one of --caller, "
						"--alloc, --page, --cache",
						label(d, lab, sizeof(lab)));
		}
		memcpy(field, &d->choices[0].value, sizeof(d->choices[0].value));
		return 0;
	}
	return kmt_fail(err, errlen, "internal error: option --%s", d->name);
}

/* INTERVAL [COUNT] */
static int positional(const struct kmt_cmd_spec *spec, const char *s, struct kmt_args *a, char *err,
		      size_t errlen)
{
	if (!spec->takes_interval || a->npos >= 2)
		return kmt_fail(err, errlen, "unexpected argument '%s'%s", s,
				spec->takes_cmd && !spec->takes_interval
				    ? " (use -- CMD to run a command)"
				    : "");
	if (a->npos == 0) {
		if (kmt_parse_seconds(s, INTERVAL_MAX, &a->interval) || a->interval < INTERVAL_MIN)
			return kmt_fail(err, errlen, "invalid INTERVAL '%s' (seconds, %g..%g)", s,
					INTERVAL_MIN, INTERVAL_MAX);
	} else if (kmt_parse_u64(s, &a->count) || a->count == 0) {
		return kmt_fail(err, errlen, "invalid COUNT '%s'", s);
	}
	a->npos++;
	return 0;
}

/* An option getopt_long did not take (C is '?'): why, in ERR. */
static int unknown(const char *tok, char *err, size_t errlen)
{
	const struct kmt_optdef *d = def_of(optopt);

	/* --name=VALUE: getopt_long sets optopt to the option's value when
	 * NAME is a flag without a value, to 0 when NAME is unknown. */
	if (!strncmp(tok, "--", 2) && strchr(tok, '=')) {
		int n = (int)(strchr(tok, '=') - tok);

		if (d)
			return kmt_fail(err, errlen, "option '%.*s' takes no value", n, tok);
		return kmt_fail(err, errlen, "unknown option '%.*s'", n, tok);
	}
	if (optopt && optopt < LONG_BASE)
		return kmt_fail(err, errlen, "unknown option '-%c'", optopt);
	return kmt_fail(err, errlen, "unknown option '%s'", tok);
}

int kmt_cli_parse(const struct kmt_cmd_spec *spec, int argc, char **argv, struct kmt_args *a,
		  char *err, size_t errlen)
{
	struct option lopts[KMT_O_MAX];
	char shortopts[2 * KMT_O_MAX + 3] = "+:";
	size_t ns = 2, nl = 0;
	int c, ntarget = 0;

	memset(a, 0, sizeof(*a));
	a->max_size = UINT64_MAX;
	if (spec->defaults)
		spec->defaults(a);
	if (errlen)
		err[0] = '\0';
	/* Every option of every command, so another command's option is
	 * recognized (and refused by name) with its value. */
	for (int i = 1; i < KMT_O_MAX; i++) {
		const struct kmt_optdef *d = &kmt_optdefs[i];
		int has_arg = d->arg ? required_argument : no_argument;

		lopts[nl++] = (struct option){d->name, has_arg, NULL, LONG_BASE + d->id};
		if (d->letter) {
			shortopts[ns++] = d->letter;
			if (d->arg)
				shortopts[ns++] = ':';
		}
	}
	lopts[nl] = (struct option){NULL, 0, NULL, 0};
	shortopts[ns] = '\0';

	/* -h/--help anywhere before "--" wins over any error */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			a->help = true;
			return 0;
		}
	}
	optind = 0; /* full reset (glibc), so the parser can run more than once */
	opterr = 0;
	for (;;) {
		const struct kmt_optdef *d;

		c = getopt_long(argc, argv, shortopts, lopts, NULL);
		if (c == -1) {
			/* a positional argument before "--": INTERVAL [COUNT] */
			if (optind < argc && strcmp(argv[optind - 1], "--")) {
				if (positional(spec, argv[optind], a, err, errlen))
					return -1;
				optind++;
				continue;
			}
			break;
		}
		if (c == '?')
			return unknown(argv[optind - 1], err, errlen);
		d = def_of(c == ':' ? optopt : c);
		if (!d)
			return kmt_fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
		if (!spec_has(spec, d->id))
			return unsupported(d, err, errlen);
		if (c == ':')
			return kmt_fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		if (d->id == KMT_O_HELP) {
			a->help = true;
			return 0;
		}
		if ((d->id == KMT_O_PID || d->id == KMT_O_COMM) && a->given[d->id])
			return kmt_fail(err, errlen, "-%c can be given only once", d->letter);
		if (set_value(d, optarg, a, err, errlen))
			return -1;
		a->given[d->id] = true;
		if (d->id == KMT_O_PID || d->id == KMT_O_COMM)
			ntarget++;
		if (d->id == KMT_O_MIN_SIZE || d->id == KMT_O_MAX_SIZE)
			a->size_filter = true;
	}
	if (optind < argc) { /* after "--" */
		if (!spec->takes_cmd)
			return kmt_fail(err, errlen, "unexpected argument '%s'", argv[optind]);
		if (!argv[optind][0])
			return kmt_fail(err, errlen, "empty command name after --");
		a->cmd = &argv[optind];
		a->cmd_argc = argc - optind;
		ntarget++;
	} else if (optind > 1 && !strcmp(argv[optind - 1], "--")) {
		return kmt_fail(err, errlen, "no command after --");
	}
	if (ntarget > 1)
		return exclusive(spec, err, errlen);
	if (a->direct && !a->module[0])
		return kmt_fail(err, errlen, "--direct goes with -m MODULE");
	if (a->min_size > a->max_size)
		return kmt_fail(err, errlen, "--min-size %llu is larger than --max-size %llu",
				(unsigned long long)a->min_size, (unsigned long long)a->max_size);
	return spec->check ? spec->check(a, err, errlen) : 0;
}

/* ---- --help ------------------------------------------------------------------------ */

#define HELP_COL 22

static void help_line(FILE *f, const char *left, const char *help)
{
	int n = fprintf(f, "  %s", left);

	for (const char *p = help; *p;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(f, "%*s%.*s\n", n < HELP_COL ? HELP_COL - n : 1, "", len, p);
		n = 0;
		p += len + (nl ? 1 : 0);
	}
}

void kmt_cli_usage(const struct kmt_cmd_spec *spec, FILE *f)
{
	fprintf(f, "usage: kmtrace %s %s\n%s", spec->name, spec->synopsis, spec->about);
	for (const enum kmt_opt *o = spec->opts; *o; o++) {
		const struct kmt_optdef *d = &kmt_optdefs[*o];
		char left[64];

		if (d->letter)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", d->letter, d->name,
				 d->arg ? " " : "", d->arg ? d->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", d->name, d->arg ? " " : "",
				 d->arg ? d->arg : "");
		help_line(f, left, d->help);
	}
	if (spec->takes_interval)
		help_line(f, "INTERVAL [COUNT]", spec->interval_help);
	if (spec->takes_cmd)
		help_line(f, "-- CMD [ARGS...]",
			  "run CMD, traced from its first instruction with its\n"
			  "threads and children; stop when it exits");
	if (spec->notes)
		fputs(spec->notes, f);
}

int kmt_cli(const struct kmt_cmd_spec *spec, int argc, char **argv, struct kmt_args *a)
{
	char err[512];

	if (kmt_cli_parse(spec, argc, argv, a, err, sizeof(err))) {
		fprintf(stderr, "kmtrace: %s: %s (see 'kmtrace %s --help')\n", spec->name, err,
			spec->name);
		return 2;
	}
	if (a->help) {
		kmt_cli_usage(spec, stdout);
		return KMT_CLI_EXIT_OK;
	}
	return 0;
}

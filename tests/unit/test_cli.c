// SPDX-License-Identifier: GPL-2.0
/*
 * kmt_cli_parse() (user/cli.c) with every subcommand's table (user/specs.c):
 * good and bad command lines of trace, hist, stat and mm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cli.h"
#include "hist_report.h"
#include "stat_report.h"

#define ARGS(cmd, ...)	((char *[]){cmd, __VA_ARGS__, NULL})
#define NARGS(cmd, ...) ((int)(sizeof((char *[]){cmd, __VA_ARGS__}) / sizeof(char *)))
#define PARSE_AS(spec, cmd, o, err, ...)                                                           \
	kmt_cli_parse(&spec, NARGS(cmd, __VA_ARGS__), ARGS(cmd, __VA_ARGS__), o, err, sizeof(err))
#define TRACE(o, err, ...) PARSE_AS(kmt_trace_spec, "trace", o, err, __VA_ARGS__)
#define HIST(o, err, ...)  PARSE_AS(kmt_hist_spec, "hist", o, err, __VA_ARGS__)
#define STAT(o, err, ...)  PARSE_AS(kmt_stat_spec, "stat", o, err, __VA_ARGS__)
#define MM(o, err, ...)	   PARSE_AS(kmt_mm_spec, "mm", o, err, __VA_ARGS__)

/* ---- trace ---- */

static void test_defaults(void **state)
{
	struct kmt_args o;
	char err[256];
	char *argv[] = {"trace", NULL};

	(void)state;
	assert_int_equal(kmt_cli_parse(&kmt_trace_spec, 1, argv, &o, err, sizeof(err)), 0);
	assert_int_equal(o.pid, 0);
	assert_string_equal(o.comm, "");
	assert_string_equal(o.module, "");
	assert_false(o.json);
	assert_false(o.size_filter);
	assert_true(o.max_size == UINT64_MAX);
	assert_null(o.cmd);
}

static void test_good(void **state)
{
	struct kmt_args o;
	char err[256];

	(void)state;
	assert_int_equal(TRACE(&o, err, "-p", "42", "--json", "-d", "1.5", "--min-size", "10",
			       "--max-size", "4096", "-m", "kmdemo"),
			 0);
	assert_int_equal(o.pid, 42);
	assert_true(o.json);
	assert_true(o.duration > 1.49 && o.duration < 1.51);
	assert_true(o.size_filter);
	assert_int_equal(o.min_size, 10);
	assert_int_equal(o.max_size, 4096);
	assert_string_equal(o.module, "kmdemo");

	assert_int_equal(TRACE(&o, err, "-c", "threads", "-m", "my-mod", "--ko", "/x.ko"), 0);
	assert_string_equal(o.comm, "threads");
	assert_string_equal(o.module, "my_mod");
	assert_string_equal(o.ko, "/x.ko");

	/* comm: at most the kernel's 15 bytes (a longer one would never match) */
	assert_int_equal(TRACE(&o, err, "--comm", "0123456789abcde"), 0);
	assert_string_equal(o.comm, "0123456789abcde");
	assert_int_equal(TRACE(&o, err, "--comm", "a-very-long-command-name"), -1);
	assert_string_equal(err, "command name 'a-very-long-command-name' is longer than the "
				 "kernel's 15 bytes (its comm is 'a-very-long-com')");
}

static void test_cmd(void **state)
{
	struct kmt_args o;
	char err[256];

	(void)state;
	assert_int_equal(TRACE(&o, err, "--json", "--", "build/threads", "-n", "4"), 0);
	assert_non_null(o.cmd);
	assert_int_equal(o.cmd_argc, 3);
	assert_string_equal(o.cmd[0], "build/threads");
	assert_string_equal(o.cmd[1], "-n"); /* not taken as kmtrace options */
	assert_null(o.cmd[3]);

	assert_int_equal(TRACE(&o, err, "-h"), 0);
	assert_true(o.help);
}

static void expect_bad(int rc, const char *err, const char *needle)
{
	assert_int_equal(rc, -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_bad(void **state)
{
	struct kmt_args o;
	char err[256];

	(void)state;
	expect_bad(TRACE(&o, err, "-p", "12x"), err, "invalid pid");
	expect_bad(TRACE(&o, err, "-p", "-5"), err, "invalid pid");
	expect_bad(TRACE(&o, err, "-p", "0"), err, "invalid pid");
	expect_bad(TRACE(&o, err, "-p"), err, "needs a value");
	expect_bad(TRACE(&o, err, "--min-size", "10k"), err, "--min-size");
	expect_bad(TRACE(&o, err, "--max-size", ""), err, "--max-size");
	expect_bad(TRACE(&o, err, "--min-size", "99999999999999999999999"), err, "--min-size");
	expect_bad(TRACE(&o, err, "--min-size", "100", "--max-size", "10"), err, "larger");
	expect_bad(TRACE(&o, err, "-d", "0"), err, "duration");
	expect_bad(TRACE(&o, err, "-d", "1s"), err, "duration");
	expect_bad(TRACE(&o, err, "-q"), err, "unknown option");
	expect_bad(TRACE(&o, err, "--bogus"), err, "unknown option");
	expect_bad(TRACE(&o, err, "--bogus=x"), err, "unknown option '--bogus'");
	expect_bad(TRACE(&o, err, "--json=1"), err, "option '--json' takes no value");
	expect_bad(TRACE(&o, err, "--verbose=1"), err, "option '--verbose' takes no value");
	expect_bad(TRACE(&o, err, "extra"), err, "unexpected argument");
	expect_bad(TRACE(&o, err, "-p", "1", "--", "ls"), err, "mutually exclusive");
	expect_bad(TRACE(&o, err, "-p", "1", "-c", "x"), err, "mutually exclusive");
	expect_bad(TRACE(&o, err, "--"), err, "no command");
	expect_bad(TRACE(&o, err, "-m", "a/b"), err, "module");
	expect_bad(TRACE(&o, err, "-c", ""), err, "command name");
}

static void test_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(kmt_parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(kmt_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(kmt_parse_u64("18446744073709551616", &v), -1);
	assert_int_equal(kmt_parse_u64("+1", &v), -1);
	assert_int_equal(kmt_parse_u64(" 1", &v), -1);
	assert_int_equal(kmt_parse_u64("1 ", &v), -1);
	assert_int_equal(kmt_parse_u64("0x10", &v), -1);
}

/* ---- mm ---- */

/* An option of other commands, refused by name with the commands it has. */
static void refused(const char *err, const char *label)
{
	const char *applies = !strcmp(label, "-c/--comm") || !strcmp(label, "-d/--duration")
				  ? "trace, hist and stat"
				  : "trace and hist";
	char want[256];

	snprintf(want, sizeof(want), "%s is not supported (it applies to %s)", label, applies);
	assert_string_equal(err, want);
}

#define REFUSED(label, ...)                                                                        \
	do {                                                                                       \
		assert_int_equal(MM(&o, err, __VA_ARGS__), -1);                                    \
		refused(err, label);                                                               \
	} while (0)

static void test_mm_unsupported(void **state)
{
	struct kmt_args o;
	char err[256];

	(void)state;
	REFUSED("-c/--comm", "-p", "1", "-c", "foo");
	REFUSED("-c/--comm", "-c", "foo"); /* without a target too */
	REFUSED("-c/--comm", "-c", "foo", "-p", "1");
	REFUSED("-c/--comm", "-c", "foo", "--", "true");
	REFUSED("-c/--comm", "-p", "1", "--comm=foo");
	REFUSED("-c/--comm", "-p", "1", "--co", "foo");
	REFUSED("-c/--comm", "-p", "1", "-jcfoo");
	REFUSED("-c/--comm", "-p", "1", "-c", ""); /* refused before its value */
	REFUSED("-c/--comm", "-p", "1", "-c");
	REFUSED("-m/--module", "-p", "1", "-m", "kmdemo");
	REFUSED("-m/--module", "-p", "1", "--module", "a/b");
	REFUSED("--min-size", "-p", "1", "--min-size", "10");
	REFUSED("--min-size", "-p", "1", "--min-size", "x");
	REFUSED("--min-size", "-p", "1", "--min-size", "10", "--max-size", "5");
	REFUSED("--max-size", "-p", "1", "--max-size", "10");
	REFUSED("--ko", "-p", "1", "--ko", "/x.ko");
	REFUSED("--ko", "-p", "1", "--ko=");
	REFUSED("--ko", "-p", "1", "--ko");
	REFUSED("-d/--duration", "-p", "1", "-d", "1");
	REFUSED("-d/--duration", "-p", "1", "--duration", "0");
	REFUSED("-d/--duration", "-p", "1", "-jd0");
	REFUSED("-d/--duration", "-d", "1");
	REFUSED("-d/--duration", "-p", "1", "0.5", "-d");
	/* a value that looks like one of them is no option */
	assert_int_equal(MM(&o, err, "-p", "1", "--perfetto", "-c"), 0);
	assert_string_equal(o.perfetto, "-c");
	assert_int_equal(MM(&o, err, "-p", "1", "--perfetto", "-d", "x"), -1);
	assert_string_equal(err, "invalid INTERVAL 'x' (seconds, 0.001..86400)");
	assert_int_equal(MM(&o, err, "-p", "1", "--", "true", "-c", "x"), -1);
	assert_string_equal(err, "-p and -- CMD are mutually exclusive");
}

static void test_mm_options(void **state)
{
	struct kmt_args o;
	char err[256];

	(void)state;
	/* -p twice: refused, as by every command (mm used to take the last) */
	assert_int_equal(MM(&o, err, "-p", "1", "-p", "2", "0.5"), -1);
	assert_string_equal(err, "-p can be given only once");
	assert_int_equal(MM(&o, err, "-p", "1", "-p", "2", "--", "true"), -1);
	assert_string_equal(err, "-p can be given only once");
	/* options and INTERVAL COUNT in any order; -- CMD's own options are its own */
	assert_int_equal(MM(&o, err, "0.5", "-v", "3", "--perfetto", "f", "--", "sh", "-c", "x"),
			 0);
	assert_true(o.verbose);
	assert_int_equal(o.count, 3);
	assert_string_equal(o.cmd[1], "-c");
	assert_int_equal(MM(&o, err, "-p", "1", "x"), -1);
	assert_string_equal(err, "invalid INTERVAL 'x' (seconds, 0.001..86400)");
	assert_int_equal(MM(&o, err, "-p", "1", "1", "0"), -1);
	assert_string_equal(err, "invalid COUNT '0'");
	assert_int_equal(MM(&o, err, "-p", "1", "-x"), -1);
	assert_string_equal(err, "unknown option '-x'");
	assert_int_equal(MM(&o, err, "-p"), -1);
	assert_string_equal(err, "option '-p' needs a value");
	assert_int_equal(MM(&o, err, "-p", "0"), -1);
	assert_string_equal(err, "invalid pid '0' (1..4194304)");
	assert_int_equal(MM(&o, err, "-p", "1", "--perfetto", ""), -1);
	assert_string_equal(err, "empty --perfetto path");
	assert_int_equal(MM(&o, err, "--perfetto", "f"), -1);
	assert_string_equal(err, "INTERVAL, COUNT and --perfetto need -p PID or -- CMD");
	assert_int_equal(MM(&o, err, "-c", "x", "-h"), 0);
	assert_true(o.help);
}

static int parse(const char *line, struct kmt_args *o, char *err)
{
	static char copy[256];
	static char *argv[16]; /* o->cmd points into it after return */
	int argc = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	for (char *tok = strtok(copy, " "); tok && argc < 15; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return kmt_cli_parse(&kmt_mm_spec, argc, argv, o, err, 256);
}

static void test_mm_args(void **state)
{
	struct kmt_args o;
	char err[256];

	(void)state;
	/* a target makes the timeline, none the snapshot */
	assert_int_equal(parse("mm --json", &o, err), 0);
	assert_true(!o.pid && !o.cmd);
	assert_int_equal(parse("mm --pid=5", &o, err), 0);
	assert_int_equal(o.pid, 5);
	assert_int_equal(parse("mm -- true", &o, err), 0);
	assert_non_null(o.cmd);

	assert_int_equal(parse("mm -p 42", &o, err), 0);
	assert_int_equal(o.pid, 42);
	assert_true(o.interval > 0.0999 && o.interval < 0.1001);
	assert_int_equal(o.count, 0);
	assert_int_equal(parse("mm --json 0.5 10 --perfetto f.json -p 7", &o, err), 0);
	assert_true(o.json);
	assert_int_equal(o.pid, 7);
	assert_int_equal(o.count, 10);
	assert_true(o.interval > 0.4999 && o.interval < 0.5001);
	assert_string_equal(o.perfetto, "f.json");
	assert_int_equal(parse("mm --json -- threads -n 4 -s 1", &o, err), 0);
	assert_string_equal(o.cmd[0], "threads");
	assert_string_equal(o.cmd[1], "-n");
	assert_int_equal(parse("mm 0.2 -- sleep 1", &o, err), 0);
	assert_string_equal(o.cmd[0], "sleep");

	assert_int_equal(parse("mm -p 1 -- true", &o, err), -1);
	assert_string_equal(err, "-p and -- CMD are mutually exclusive");
	assert_int_equal(parse("mm --", &o, err), -1);
	assert_string_equal(err, "no command after --");
	assert_int_equal(parse("mm -p x", &o, err), -1);
	assert_int_equal(parse("mm -p 1 0", &o, err), -1);
	assert_int_equal(parse("mm -p 1 1 0", &o, err), -1);
	assert_int_equal(parse("mm -p 1 1 1 1", &o, err), -1);
	assert_string_equal(err, "unexpected argument '1'");
	assert_int_equal(parse("mm -p 1 --bogus", &o, err), -1);
	assert_int_equal(parse("mm -p", &o, err), -1);
	assert_int_equal(parse("mm 0.5", &o, err), -1);
	assert_int_equal(parse("mm -h", &o, err), 0);
	assert_true(o.help);
}

/* ---- hist ---- */

static void test_hist_good(void **state)
{
	struct kmt_args o;
	char err[256];
	char *none[] = {"hist", NULL};

	(void)state;
	assert_int_equal(kmt_cli_parse(&kmt_hist_spec, 1, none, &o, err, sizeof(err)), 0);
	assert_int_equal(o.field, HIST_REQ);
	assert_int_equal(o.by, KMT_BY_NONE);
	assert_int_equal(o.step, 0);
	assert_true(o.interval == 0 && o.count == 0 && o.npos == 0);

	assert_int_equal(HIST(&o, err, "--field", "alloc", "--by", "caller", "--linear", "64", "-p",
			      "42", "--json", "1.5", "3"),
			 0);
	assert_int_equal(o.field, HIST_ALLOC);
	assert_int_equal(o.by, KMT_BY_CALLER);
	assert_int_equal(o.step, 64);
	assert_true(o.interval > 1.49 && o.interval < 1.51);
	assert_int_equal(o.count, 3);
	assert_int_equal(o.pid, 42);
	assert_true(o.json);

	/* options after INTERVAL, then -- CMD */
	assert_int_equal(
	    HIST(&o, err, "2", "--by=gfp", "--min-size", "10", "--", "kstorm", "-n", "5"), 0);
	assert_true(o.interval == 2 && o.count == 0);
	assert_int_equal(o.by, KMT_BY_GFP);
	assert_int_equal(o.min_size, 10);
	assert_non_null(o.cmd);
	assert_string_equal(o.cmd[0], "kstorm");
	assert_int_equal(o.cmd_argc, 3);

	assert_int_equal(HIST(&o, err, "--field", "bytes_req", "--by", "pid", "-c", "x"), 0);
	assert_int_equal(o.by, KMT_BY_PID);
	assert_string_equal(o.comm, "x");
	assert_int_equal(HIST(&o, err, "-h"), 0);
	assert_true(o.help);
}

static void test_hist_bad(void **state)
{
	struct kmt_args o;
	char err[256];

	(void)state;
	assert_int_equal(HIST(&o, err, "--by", "size"), -1);
	assert_non_null(strstr(err, "--by"));
	assert_int_equal(HIST(&o, err, "--field", "bytes"), -1);
	assert_non_null(strstr(err, "--field"));
	assert_int_equal(HIST(&o, err, "--linear", "0"), -1);
	assert_int_equal(HIST(&o, err, "--linear", "1k"), -1);
	assert_int_equal(HIST(&o, err, "--linear"), -1);
	assert_int_equal(HIST(&o, err, "x"), -1);
	assert_string_equal(err, "invalid INTERVAL 'x' (seconds, 0.001..86400)");
	assert_int_equal(HIST(&o, err, "0"), -1);
	assert_int_equal(HIST(&o, err, "1s"), -1);
	assert_int_equal(HIST(&o, err, "-1"), -1);
	assert_int_equal(HIST(&o, err, "1", "0"), -1);
	assert_int_equal(HIST(&o, err, "1", "2x"), -1);
	assert_int_equal(HIST(&o, err, "1", "2", "3"), -1);
	assert_int_equal(HIST(&o, err, "--perfetto", "/x.json"), -1);
	assert_int_equal(HIST(&o, err, "-p", "1", "--", "true"), -1);
	assert_int_equal(HIST(&o, err, "--"), -1);
	assert_int_equal(HIST(&o, err, "--bogus"), -1);
}

/* ---- stat ---- */

static void test_stat(void **state)
{
	struct kmt_args o;
	char err[256];

	(void)state;
	assert_int_equal(STAT(&o, err, "--sort", "hits"), 0);
	assert_int_equal(o.sort, STAT_SORT_HITS);
	assert_int_equal(o.mode, STAT_CALLER);
	assert_int_equal(o.lines, 10);
	assert_int_equal(STAT(&o, err, "--sort", "bytes"), 0);
	assert_int_equal(o.sort, STAT_SORT_BYTES);
	assert_int_equal(STAT(&o, err, "--sort", "frag"), 0);
	assert_int_equal(o.sort, STAT_SORT_FRAG);
	assert_int_equal(STAT(&o, err, "-s", "outstanding", "--alloc"), 0);
	assert_int_equal(o.sort, STAT_SORT_OUTSTANDING);
	assert_int_equal(o.mode, STAT_ALLOC);
	assert_int_equal(STAT(&o, err, "--sort", "Hits"), -1);
	assert_string_equal(err, "invalid --sort 'Hits' (bytes, hits, frag, outstanding)");
	assert_int_equal(STAT(&o, err, "--sort", ""), -1);
	assert_int_equal(STAT(&o, err, "--page", "--sort", "frag"), -1);
	assert_int_equal(STAT(&o, err, "--alloc", "--page"), -1);
	assert_string_equal(err, "--page: use only one of --caller, --alloc, --page, --cache");
	assert_int_equal(STAT(&o, err, "-l", "1000001"), -1);
	assert_string_equal(err, "invalid --lines '1000001' (0..1000000)");
	assert_int_equal(STAT(&o, err, "-l", " 5"), -1); /* strict, as every number */
	assert_int_equal(STAT(&o, err, "--max-tracked", "0"), -1);
	assert_int_equal(STAT(&o, err, "-p", "1", "-c", "x"), -1);
	assert_string_equal(err, "-p and -c are mutually exclusive");
	/* -c: at most 15 bytes, as in trace */
	assert_int_equal(STAT(&o, err, "-c", "0123456789abcdef"), -1);
	/* an option of another command, refused by name */
	assert_int_equal(STAT(&o, err, "-m", "kmdemo"), -1);
	assert_string_equal(err, "-m/--module is not supported (it applies to trace and hist)");
	assert_int_equal(STAT(&o, err, "--", "true"), -1);
}

/* The same option, the same limits, in every command. */
static void test_same_everywhere(void **state)
{
	const struct kmt_cmd_spec *specs[] = {&kmt_trace_spec, &kmt_hist_spec, &kmt_stat_spec};
	struct kmt_args o;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		char *ok[] = {(char *)specs[i]->name, "-p", "4194304", NULL};
		char *big[] = {(char *)specs[i]->name, "-p", "4194305", NULL};
		char *d[] = {(char *)specs[i]->name, "-d", "0.5", NULL};

		assert_int_equal(kmt_cli_parse(specs[i], 3, ok, &o, err, sizeof(err)), 0);
		assert_int_equal(kmt_cli_parse(specs[i], 3, big, &o, err, sizeof(err)), -1);
		assert_string_equal(err, "invalid pid '4194305' (1..4194304)");
		assert_int_equal(kmt_cli_parse(specs[i], 3, d, &o, err, sizeof(err)), 0);
		assert_true(o.duration == 0.5);
	}
}

/* --help is generated from the tables: every option a command takes is in it. */
static void test_help(void **state)
{
	(void)state;
	for (size_t i = 0; kmt_specs[i]; i++) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		kmt_cli_usage(kmt_specs[i], f);
		fclose(f);
		assert_non_null(strstr(text, "usage: kmtrace "));
		for (const enum kmt_opt *o = kmt_specs[i]->opts; *o; o++) {
			char want[64];

			snprintf(want, sizeof(want), "--%s", kmt_optdefs[*o].name);
			if (!strstr(text, want))
				fail_msg("%s --help lacks %s", kmt_specs[i]->name, want);
		}
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),   cmocka_unit_test(test_good),
	    cmocka_unit_test(test_cmd),	       cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_u64),	       cmocka_unit_test(test_mm_unsupported),
	    cmocka_unit_test(test_mm_options), cmocka_unit_test(test_mm_args),
	    cmocka_unit_test(test_hist_good),  cmocka_unit_test(test_hist_bad),
	    cmocka_unit_test(test_stat),       cmocka_unit_test(test_same_everywhere),
	    cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

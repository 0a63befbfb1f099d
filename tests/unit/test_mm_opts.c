// SPDX-License-Identifier: GPL-2.0
/*
 * kmt_parse_mm() (user/mmopts.c): the trace options mm does not implement are
 * refused by name, however given; what mm has goes through.  (The basic mm
 * command lines are in test_leak.c's test_mm_args.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "mmtimeline.h"

#define ARGV(...)	   ((char *[]){"mm", __VA_ARGS__, NULL})
#define ARGC(...)	   ((int)(sizeof((char *[]){"mm", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, err, ...) kmt_parse_mm(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof(err))

#define REFUSED(label, ...)                                                                        \
	do {                                                                                       \
		assert_int_equal(PARSE(&o, err, __VA_ARGS__), KMT_MM_UNSUPPORTED);                 \
		assert_string_equal(err,                                                           \
				    label " is not supported (it applies to trace and hist)");     \
	} while (0)

static void test_unsupported(void **state)
{
	struct kmt_mm_opts o;
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
	assert_int_equal(PARSE(&o, err, "-p", "1", "--perfetto", "-c"), 0);
	assert_string_equal(o.perfetto, "-c");
	assert_int_equal(PARSE(&o, err, "-p", "1", "--perfetto", "-d", "x"), -1);
	assert_string_equal(err, "invalid INTERVAL 'x' (seconds, 0.001..86400)");
	assert_int_equal(PARSE(&o, err, "-p", "1", "--", "true", "-c", "x"), -1);
	assert_string_equal(err, "-p and -- CMD are mutually exclusive");
}

static void test_same_as_before(void **state)
{
	struct kmt_mm_opts o;
	char err[256];

	(void)state;
	/* -p twice: the last one, as mm has always done */
	assert_int_equal(PARSE(&o, err, "-p", "1", "-p", "2", "0.5"), 0);
	assert_int_equal(o.pid, 2);
	assert_int_equal(PARSE(&o, err, "-p", "1", "-p", "2", "--", "true"), -1);
	assert_string_equal(err, "-p and -- CMD are mutually exclusive");
	/* options and INTERVAL COUNT in any order; -- CMD's own options are its own */
	assert_int_equal(PARSE(&o, err, "0.5", "-v", "3", "--perfetto", "f", "--", "sh", "-c", "x"),
			 0);
	assert_true(o.verbose);
	assert_int_equal(o.count, 3);
	assert_string_equal(o.cmd[1], "-c");
	assert_int_equal(PARSE(&o, err, "-p", "1", "x"), -1);
	assert_string_equal(err, "invalid INTERVAL 'x' (seconds, 0.001..86400)");
	assert_int_equal(PARSE(&o, err, "-p", "1", "1", "0"), -1);
	assert_string_equal(err, "invalid COUNT '0'");
	assert_int_equal(PARSE(&o, err, "-p", "1", "-x"), -1);
	assert_string_equal(err, "unknown option '-x'");
	assert_int_equal(PARSE(&o, err, "-p"), -1);
	assert_string_equal(err, "option '-p' needs a value");
	assert_int_equal(PARSE(&o, err, "-p", "0"), -1);
	assert_string_equal(err, "invalid pid '0'");
	assert_int_equal(PARSE(&o, err, "-p", "1", "--perfetto", ""), -1);
	assert_string_equal(err, "empty --perfetto path");
	assert_int_equal(PARSE(&o, err, "--perfetto", "f"), -1);
	assert_string_equal(err, "INTERVAL, COUNT and --perfetto need -p PID or -- CMD");
	assert_int_equal(PARSE(&o, err, "-c", "x", "-h"), 0);
	assert_true(o.help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unsupported),
	    cmocka_unit_test(test_same_as_before),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

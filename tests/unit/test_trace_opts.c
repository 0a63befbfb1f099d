// SPDX-License-Identifier: GPL-2.0
/* kmt_parse_trace(): good and bad `kmtrace trace` command lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "opts.h"

#define ARGV(...) ((char *[]){"trace", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"trace", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, err, ...)                                                                         \
	kmt_parse_trace(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof(err))

static void test_defaults(void **state)
{
	struct kmt_opts o;
	char err[256];
	char *argv[] = {"trace", NULL};

	(void)state;
	assert_int_equal(kmt_parse_trace(1, argv, &o, err, sizeof(err)), 0);
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
	struct kmt_opts o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&o, err, "-p", "42", "--json", "-d", "1.5", "--min-size", "10",
			       "--max-size", "4096", "-m", "kmdemo"),
			 0);
	assert_int_equal(o.pid, 42);
	assert_true(o.json);
	assert_true(o.duration > 1.49 && o.duration < 1.51);
	assert_true(o.size_filter);
	assert_int_equal(o.min_size, 10);
	assert_int_equal(o.max_size, 4096);
	assert_string_equal(o.module, "kmdemo");

	assert_int_equal(PARSE(&o, err, "-c", "threads", "-m", "my-mod", "--ko", "/x.ko"), 0);
	assert_string_equal(o.comm, "threads");
	assert_string_equal(o.module, "my_mod");
	assert_string_equal(o.ko, "/x.ko");

	/* comm is truncated like the kernel's (15 bytes) */
	assert_int_equal(PARSE(&o, err, "--comm", "a-very-long-command-name"), 0);
	assert_string_equal(o.comm, "a-very-long-com");
}

static void test_cmd(void **state)
{
	struct kmt_opts o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&o, err, "--json", "--", "build/threads", "-n", "4"), 0);
	assert_non_null(o.cmd);
	assert_int_equal(o.cmd_argc, 3);
	assert_string_equal(o.cmd[0], "build/threads");
	assert_string_equal(o.cmd[1], "-n"); /* not taken as kmtrace options */
	assert_null(o.cmd[3]);

	assert_int_equal(PARSE(&o, err, "-h"), 0);
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
	struct kmt_opts o;
	char err[256];

	(void)state;
	expect_bad(PARSE(&o, err, "-p", "12x"), err, "invalid pid");
	expect_bad(PARSE(&o, err, "-p", "-5"), err, "invalid pid");
	expect_bad(PARSE(&o, err, "-p", "0"), err, "invalid pid");
	expect_bad(PARSE(&o, err, "-p"), err, "needs a value");
	expect_bad(PARSE(&o, err, "--min-size", "10k"), err, "--min-size");
	expect_bad(PARSE(&o, err, "--max-size", ""), err, "--max-size");
	expect_bad(PARSE(&o, err, "--min-size", "99999999999999999999999"), err, "--min-size");
	expect_bad(PARSE(&o, err, "--min-size", "100", "--max-size", "10"), err, "larger");
	expect_bad(PARSE(&o, err, "-d", "0"), err, "duration");
	expect_bad(PARSE(&o, err, "-d", "1s"), err, "duration");
	expect_bad(PARSE(&o, err, "-q"), err, "unknown option");
	expect_bad(PARSE(&o, err, "--bogus"), err, "unknown option");
	expect_bad(PARSE(&o, err, "--bogus=x"), err, "unknown option '--bogus'");
	expect_bad(PARSE(&o, err, "--json=1"), err, "option '--json' takes no value");
	expect_bad(PARSE(&o, err, "--verbose=1"), err, "option '--verbose' takes no value");
	expect_bad(PARSE(&o, err, "extra"), err, "unexpected argument");
	expect_bad(PARSE(&o, err, "-p", "1", "--", "ls"), err, "mutually exclusive");
	expect_bad(PARSE(&o, err, "-p", "1", "-c", "x"), err, "mutually exclusive");
	expect_bad(PARSE(&o, err, "--"), err, "no command");
	expect_bad(PARSE(&o, err, "-m", "a/b"), err, "module");
	expect_bad(PARSE(&o, err, "-c", ""), err, "command name");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults), cmocka_unit_test(test_good),
	    cmocka_unit_test(test_cmd),	     cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_u64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

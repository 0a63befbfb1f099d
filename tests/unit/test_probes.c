// SPDX-License-Identifier: GPL-2.0
/* kmt_check_btf(): a kernel without BTF is refused with one clear line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "probes.h"

/* Run kmt_check_btf with stderr captured into buf. */
static bool check(const char *path, char *buf, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	bool r;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	r = kmt_check_btf("trace", path);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return r;
}

static void test_no_btf(void **state)
{
	char err[512];

	(void)state;
	assert_false(check("/nonexistent/btf/vmlinux", err, sizeof(err)));
	assert_string_equal(err,
			    "kmtrace: trace: this kernel has no BTF (/nonexistent/btf/vmlinux: "
			    "No such file or directory): kmtrace's CO-RE programs need a kernel "
			    "built with CONFIG_DEBUG_INFO_BTF=y\n");
}

static void test_btf_present(void **state)
{
	char err[512];

	(void)state;
	assert_true(check("/proc/self/status", err, sizeof(err)));
	assert_string_equal(err, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_btf),
	    cmocka_unit_test(test_btf_present),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

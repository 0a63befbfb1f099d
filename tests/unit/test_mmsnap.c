// SPDX-License-Identifier: GPL-2.0
/* Unit tests of `kmtrace mm` snapshot's pure helpers (user/mmsnap.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "mm_snapshot.h"

static struct mmsnap_rec rec(__u32 pid, int users, int count, int threads, const char *comm)
{
	struct mmsnap_rec r = {
	    .pid = pid, .mm_users = users, .mm_count = count, .nr_threads = threads};

	strncpy(r.comm, comm, sizeof(r.comm));
	return r;
}

static void test_sort_dedup(void **state)
{
	struct mmsnap_rec r[5] = {rec(300, 2, 1, 2, "b"), rec(7, 1, 1, 1, "a"),
				  rec(300, 2, 1, 2, "b"), rec(42, 5, 1, 5, "threads"),
				  rec(300, 2, 1, 2, "b")};

	(void)state;
	assert_int_equal(mmsnap_sort_dedup(r, 5), 3);
	assert_int_equal(r[0].pid, 7);
	assert_int_equal(r[1].pid, 42);
	assert_int_equal(r[2].pid, 300);
	assert_int_equal(mmsnap_sort_dedup(r, 0), 0);
}

static void test_print(void **state)
{
	struct mmsnap_rec r[2] = {rec(42, 5, 1, 5, "threads"), rec(43, 1, -1, 1, "a\"b\\c")};
	char *out = NULL;
	size_t len;
	FILE *f;

	(void)state;
	r[1].comm[5] = '\n';
	f = open_memstream(&out, &len);
	mmsnap_print(f, r, 2, false);
	fclose(f);
	assert_string_equal(out, "     PID COMM             MM_USERS MM_COUNT THREADS\n"
				 "      42 threads                 5        1       5\n"
				 "      43 a\"b\\c?                  1       -1       1\n");
	free(out);

	f = open_memstream(&out, &len);
	mmsnap_print(f, r, 2, true);
	fclose(f);
	assert_string_equal(out, "{\"type\":\"mm_snapshot\",\"pid\":42,\"comm\":\"threads\","
				 "\"mm_users\":5,\"mm_count\":1,\"threads\":5}\n"
				 "{\"type\":\"mm_snapshot\",\"pid\":43,\"comm\":\"a\\\"b\\\\c\\n\","
				 "\"mm_users\":1,\"mm_count\":-1,\"threads\":1}\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sort_dedup),
	    cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

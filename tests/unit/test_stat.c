// SPDX-License-Identifier: GPL-2.0
/* Unit tests of `kmtrace stat`'s pure table logic (user/stat_report.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "stat_report.h"
#include "util.h"

/* Run a printer into a string. */
#define CAPTURE(buf, call)                                                                         \
	do {                                                                                       \
		size_t _len;                                                                       \
		FILE *f = open_memstream(&(buf), &_len);                                           \
		assert_non_null(f);                                                                \
		call;                                                                              \
		fclose(f);                                                                         \
	} while (0)

static const char *fake_sym(void *arg, __u64 addr, char *buf, size_t len)
{
	(void)arg;
	snprintf(buf, len, "func_%llx+0x10", addr);
	return buf;
}

static struct stat_row site(__u64 key, __u64 hits, __u64 req, __u64 alloc, __u64 freed)
{
	struct stat_row r = {.key = key};

	r.s.hits = hits;
	r.s.bytes_req = req;
	r.s.bytes_alloc = alloc;
	r.s.bytes_freed = freed;
	r.s.frees = freed ? 1 : 0;
	return r;
}

static void test_frag_pct(void **state)
{
	(void)state;
	assert_true(stat_frag_pct(0, 0) == 0.0);
	assert_true(stat_frag_pct(64, 64) == 0.0);
	assert_true(stat_frag_pct(48, 64) == 25.0);
	assert_true(stat_frag_pct(1, 4) == 75.0);
	assert_true(stat_frag_pct(100, 50) == 0.0); /* never negative */
	assert_true(stat_frag_pct(1000, 1024) > 2.34 && stat_frag_pct(1000, 1024) < 2.35);
}

static void test_outstanding(void **state)
{
	struct kmstat_site s = {.bytes_alloc = 1000, .bytes_freed = 400};

	(void)state;
	assert_int_equal(stat_outstanding(&s), 600);
	s.untracked_bytes = 200; /* their frees can't be seen: not outstanding */
	assert_int_equal(stat_outstanding(&s), 400);
	s.bytes_freed = 900;
	assert_int_equal(stat_outstanding(&s), 0);
	s.untracked_bytes = 5000;
	assert_int_equal(stat_outstanding(&s), 0);
}

/* The --sort names: tests/unit/test_cli.c. */
static void test_sort_valid(void **state)
{
	(void)state;
	assert_int_equal(stat_sort_valid(STAT_PAGE, STAT_SORT_FRAG), -1);
	assert_int_equal(stat_sort_valid(STAT_PAGE, STAT_SORT_OUTSTANDING), -1);
	assert_int_equal(stat_sort_valid(STAT_PAGE, STAT_SORT_HITS), 0);
	assert_int_equal(stat_sort_valid(STAT_CALLER, STAT_SORT_FRAG), 0);
}

static void test_sort_rows(void **state)
{
	struct stat_row r[4];

	(void)state;
	r[0] = site(0x30, 10, 100, 128, 0);  /* frag 21.9, out 128 */
	r[1] = site(0x10, 1, 1000, 4096, 0); /* frag 75.6, out 4096 */
	r[2] = site(0x20, 50, 64, 64, 64);   /* frag 0, out 0 */
	r[3] = site(0x05, 10, 100, 128, 0);  /* same as 0x30: tie by key */

	stat_sort_rows(r, 4, STAT_CALLER, STAT_SORT_BYTES);
	assert_int_equal(r[0].key, 0x10);
	assert_int_equal(r[1].key, 0x05);
	assert_int_equal(r[2].key, 0x30);
	assert_int_equal(r[3].key, 0x20);

	stat_sort_rows(r, 4, STAT_CALLER, STAT_SORT_HITS);
	assert_int_equal(r[0].key, 0x20);
	assert_int_equal(r[1].key, 0x05);
	assert_int_equal(r[2].key, 0x30);
	assert_int_equal(r[3].key, 0x10);

	stat_sort_rows(r, 4, STAT_CALLER, STAT_SORT_FRAG);
	assert_int_equal(r[0].key, 0x10);
	assert_int_equal(r[3].key, 0x20);

	stat_sort_rows(r, 4, STAT_CALLER, STAT_SORT_OUTSTANDING);
	assert_int_equal(r[0].key, 0x10);
	assert_int_equal(r[1].key, 0x05);
	assert_int_equal(r[2].key, 0x30);
	assert_int_equal(r[3].key, 0x20);

	stat_sort_rows(r, 0, STAT_CALLER, STAT_SORT_BYTES); /* no-op */
}

static void test_sort_pages(void **state)
{
	struct stat_row r[3] = {};

	(void)state;
	r[0].order = 0, r[0].gfp = 0xcc0, r[0].p.hits = 100, r[0].p.pages = 100;
	r[1].order = 3, r[1].gfp = 0xcc0, r[1].p.hits = 20, r[1].p.pages = 160;
	r[2].order = 0, r[2].gfp = 0x100, r[2].p.hits = 100, r[2].p.pages = 100;
	stat_sort_rows(r, 3, STAT_PAGE, STAT_SORT_BYTES);
	assert_int_equal(r[0].order, 3);
	assert_int_equal(r[1].gfp, 0x100); /* tie: order, then gfp ascending */
	assert_int_equal(r[2].gfp, 0xcc0);
	stat_sort_rows(r, 3, STAT_PAGE, STAT_SORT_HITS);
	assert_int_equal(r[0].gfp, 0x100);
	assert_int_equal(r[2].order, 3);
}

static void test_sum_u64(void **state)
{
	struct kmstat_site pc[3] = {{.hits = 1, .bytes_req = 2}, {.hits = 10}, {.hits = 100}};
	struct kmstat_site sum;

	(void)state;
	pc[2].untracked_bytes = 7;
	kmt_sum_u64((uint64_t *)&sum, pc, sizeof(pc[0]), 3);
	assert_int_equal(sum.hits, 111);
	assert_int_equal(sum.bytes_req, 2);
	assert_int_equal(sum.untracked_bytes, 7);
}

static void test_print_caller_text(void **state)
{
	struct stat_report rep = {.mode = STAT_CALLER, .limit = 1, .sym = fake_sym};
	struct stat_row r[2];
	char *out = NULL;

	(void)state;
	r[0] = site(0xab, 3, 150, 192, 64);
	r[0].s.untracked = 1;
	r[1] = site(0xcd, 1, 8, 8, 0);
	CAPTURE(out, stat_print_rows(f, &rep, r, 2));
	assert_string_equal(out, "CALLSITE           HITS      BYTES_REQ    BYTES_ALLOC   FRAG% "
				 "   OUTSTANDING      FREES\n"
				 "func_ab+0x10          3            150            192  21.88% "
				 "          128+          1\n");
	free(out);
}

static void test_print_json(void **state)
{
	struct stat_report rep = {.mode = STAT_CALLER, .json = true, .sym = fake_sym};
	struct stat_row r = site(0xffffffff81000000ULL, 2, 96, 128, 0);
	char *out = NULL;

	(void)state;
	CAPTURE(out, stat_print_rows(f, &rep, &r, 1));
	assert_string_equal(out,
			    "{\"type\":\"caller\",\"call_site\":\"0xffffffff81000000\","
			    "\"sym\":\"func_ffffffff81000000+0x10\",\"hits\":2,\"bytes_req\":96,"
			    "\"bytes_alloc\":128,\"frag_pct\":25.00,\"outstanding\":128,"
			    "\"frees\":0,\"untracked\":0}\n");
	free(out);

	rep.mode = STAT_ALLOC;
	r.key = 128;
	CAPTURE(out, stat_print_rows(f, &rep, &r, 1));
	assert_string_equal(out, "{\"type\":\"alloc\",\"size\":128,\"hits\":2,\"bytes_req\":96,"
				 "\"bytes_alloc\":128,\"frag_pct\":25.00,\"outstanding\":128,"
				 "\"frees\":0,\"untracked\":0}\n");
	free(out);

	/* Without a symbolizer the call site prints as hex, and quotes are escaped. */
	rep.mode = STAT_PAGE;
	memset(&r, 0, sizeof(r));
	r.order = 2, r.gfp = 0xcc0, r.p.hits = 5, r.p.pages = 20;
	CAPTURE(out, stat_print_rows(f, &rep, &r, 1));
	assert_string_equal(out, "{\"type\":\"page\",\"order\":2,\"gfp\":\"0xcc0\","
				 "\"gfp_flags\":\"0xcc0\",\"hits\":5,\"pages\":20,\"fails\":0}\n");
	free(out);
}

static void test_totals(void **state)
{
	struct stat_report rep = {.mode = STAT_ALLOC, .json = true, .seconds = 2};
	struct kmstat_totals t = {.allocs = 4,
				  .bytes_req = 300,
				  .bytes_alloc = 400,
				  .frees = 5,
				  .frees_matched = 2,
				  .bytes_freed = 200,
				  .cross_cpu = 1};
	char *out = NULL;

	(void)state;
	CAPTURE(out, stat_print_totals(f, &rep, &t));
	assert_string_equal(
	    out, "{\"type\":\"totals\",\"mode\":\"alloc\",\"scope\":\"all\",\"seconds\":2.000,"
		 "\"allocs\":4,"
		 "\"alloc_fails\":0,\"bytes_req\":300,\"bytes_alloc\":400,\"bytes_freed\":200,"
		 "\"outstanding\":200,\"wasted\":100,\"frag_pct\":25.00,\"frees\":5,"
		 "\"frees_matched\":2,\"frees_unmatched\":3,\"cross_cpu\":1,\"untracked\":0,"
		 "\"row_overflow\":0,\"stale\":0,\"bulk_frees\":0,\"missed_events\":0,"
		 "\"exact\":true}\n");
	free(out);

	/* Frees seen at kmem_cache_free_bulk(): a line only when there were some. */
	rep.json = false;
	CAPTURE(out, stat_print_totals(f, &rep, &t));
	assert_null(strstr(out, "kfree_bulk"));
	free(out);
	t.bulk_frees = 2;
	CAPTURE(out, stat_print_totals(f, &rep, &t));
	assert_non_null(strstr(out, "Freed by kfree_bulk:        2 (of the matched)\n"));
	free(out);
	rep.json = true;
	CAPTURE(out, stat_print_totals(f, &rep, &t));
	assert_non_null(strstr(out, "\"stale\":0,\"bulk_frees\":2,"));
	free(out);
	t.bulk_frees = 0;

	/* -p / -c: the scope in the title and in JSON */
	rep.scope = "pid 42";
	CAPTURE(out, stat_print_totals(f, &rep, &t));
	assert_non_null(strstr(out, "\"mode\":\"alloc\",\"scope\":\"pid 42\",\"seconds\""));
	free(out);
	rep.json = false;
	CAPTURE(out, stat_print_totals(f, &rep, &t));
	assert_non_null(strstr(out, "\nSUMMARY (kmalloc/kfree of pid 42, 2.0 s)\n"));
	free(out);
	rep.json = true;
	rep.scope = NULL;

	/* Overflow: outstanding becomes a lower bound and the text says so. */
	t.track_full = 1;
	t.untracked_bytes = 100;
	rep.json = false;
	CAPTURE(out, stat_print_totals(f, &rep, &t));
	assert_non_null(strstr(out, "Total bytes requested:      300\n"));
	assert_non_null(strstr(out, "Total bytes wasted on internal fragmentation: 100\n"));
	assert_non_null(strstr(out, "Internal fragmentation:     25.00%\n"));
	assert_non_null(strstr(out, "Net total bytes allocated:  100 (lower bound)\n"));
	assert_non_null(strstr(out, "Untracked allocations:      1 "));
	free(out);

	rep.json = true;
	CAPTURE(out, stat_print_totals(f, &rep, &t));
	assert_non_null(strstr(out, "\"untracked\":1,"));
	assert_non_null(strstr(out, "\"exact\":false}"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frag_pct),
	    cmocka_unit_test(test_outstanding),
	    cmocka_unit_test(test_sort_valid),
	    cmocka_unit_test(test_sort_rows),
	    cmocka_unit_test(test_sort_pages),
	    cmocka_unit_test(test_sum_u64),
	    cmocka_unit_test(test_print_caller_text),
	    cmocka_unit_test(test_print_json),
	    cmocka_unit_test(test_totals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

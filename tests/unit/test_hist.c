// SPDX-License-Identifier: GPL-2.0
/* `kmtrace hist`: bucketing (log2, linear), bars, grouping, text and JSON, options. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hist_report.h"

#define U64MAX 18446744073709551615ULL

static void test_log2_slots(void **state)
{
	(void)state;
	assert_int_equal(kmt_hist_slot(0, 0), 0);
	assert_int_equal(kmt_hist_slot(1, 0), 1);
	assert_int_equal(kmt_hist_slot(2, 0), 2);
	assert_int_equal(kmt_hist_slot(3, 0), 2);
	assert_int_equal(kmt_hist_slot(4, 0), 3);
	assert_int_equal(kmt_hist_slot(1023, 0), 10);
	assert_int_equal(kmt_hist_slot(1024, 0), 11);
	assert_int_equal(kmt_hist_slot(1282, 0), 11);
	assert_int_equal(kmt_hist_slot(2048, 0), 12);
	assert_int_equal(kmt_hist_slot((1ULL << 32) - 1, 0), 32);
	assert_int_equal(kmt_hist_slot(1ULL << 32, 0), 33);
	assert_int_equal(kmt_hist_slot((1ULL << 63) - 1, 0), 63);
	assert_int_equal(kmt_hist_slot(1ULL << 63, 0), 64);
	assert_int_equal(kmt_hist_slot(U64MAX, 0), 64);
	/* every power of two and its neighbours lands in its own bucket */
	for (int b = 0; b < 64; b++) {
		__u64 p = 1ULL << b, vals[] = {p - 1, p, p + 1, 2 * p - 1};

		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			__u64 lo, hi, v = vals[i];

			hist_bucket(kmt_hist_slot(v, 0), 0, &lo, &hi);
			assert_true(v >= lo);
			assert_true(hi == 0 || v < hi); /* hi 0 = 2^64 */
		}
	}
}

static void test_linear_slots(void **state)
{
	__u64 lo, hi;

	(void)state;
	assert_int_equal(kmt_hist_slot(0, 1), 0);
	assert_int_equal(kmt_hist_slot(1282, 1), 1282);
	assert_int_equal(kmt_hist_slot(99, 100), 0);
	assert_int_equal(kmt_hist_slot(100, 100), 1);
	assert_int_equal(kmt_hist_slot(1282, 100), 12);
	assert_true(kmt_hist_slot(U64MAX, 1) == U64MAX);
	hist_bucket(12, 100, &lo, &hi);
	assert_int_equal(lo, 1200);
	assert_int_equal(hi, 1300);
	hist_bucket(1282, 1, &lo, &hi);
	assert_int_equal(lo, 1282);
	assert_int_equal(hi, 1283);
	/* the last bucket reaches past 2^64 - 1: hi = 0 (2^64) */
	hist_bucket(kmt_hist_slot(U64MAX, 1), 1, &lo, &hi);
	assert_true(lo == U64MAX && hi == 0);
	hist_bucket(kmt_hist_slot(U64MAX, 1ULL << 63), 1ULL << 63, &lo, &hi);
	assert_true(lo == 1ULL << 63 && hi == 0);
	hist_bucket(kmt_hist_slot(U64MAX, U64MAX), U64MAX, &lo, &hi);
	assert_true(lo == U64MAX && hi == 0);
}

static void test_labels(void **state)
{
	char b[64];

	(void)state;
	hist_label(0, 0, b, sizeof(b));
	assert_string_equal(b, "[0, 1)");
	hist_label(1, 0, b, sizeof(b));
	assert_string_equal(b, "[1, 2)");
	hist_label(11, 0, b, sizeof(b));
	assert_string_equal(b, "[1024, 2048)");
	hist_label(64, 0, b, sizeof(b));
	assert_string_equal(b, "[9223372036854775808, 18446744073709551616)");
	hist_label(1282, 1, b, sizeof(b));
	assert_string_equal(b, "[1282, 1283)");
}

static void test_bar(void **state)
{
	char b[HIST_BAR_WIDTH + 1];

	(void)state;
	hist_bar(12, 140, HIST_BAR_WIDTH, b);
	assert_int_equal(strlen(b), 52);
	assert_int_equal(strspn(b, "@"), 4);
	hist_bar(140, 140, HIST_BAR_WIDTH, b);
	assert_int_equal(strspn(b, "@"), 52);
	hist_bar(0, 140, HIST_BAR_WIDTH, b);
	assert_int_equal(strspn(b, " "), 52);
	hist_bar(1, 1000000, HIST_BAR_WIDTH, b); /* not empty when not zero */
	assert_int_equal(strspn(b, "@"), 1);
	hist_bar(1ULL << 63, U64MAX, HIST_BAR_WIDTH, b); /* no overflow */
	assert_int_equal(strspn(b, "@"), 26);
	hist_bar(U64MAX, U64MAX, HIST_BAR_WIDTH, b);
	assert_int_equal(strspn(b, "@"), 52);
	hist_bar(5, 0, 10, b);
	assert_string_equal(b, "          ");
}

static struct hist_row row(__u64 key, const char *comm, __u64 slot, __u64 count)
{
	struct hist_row r;

	memset(&r, 0, sizeof(r));
	r.k.key = key;
	r.k.slot = slot;
	if (comm)
		strncpy(r.k.comm, comm, KMT_COMM_LEN);
	r.count = count;
	return r;
}

static void test_group(void **state)
{
	struct hist_row rows[] = {
	    row(7, "b", 11, 5), row(3, "a", 12, 1), row(7, "b", 3, 2),
	    row(3, "a", 2, 1),	row(9, "a", 5, 8),  row(7, "c", 3, 1),
	};
	struct hist *h;
	size_t nh;

	(void)state;
	h = hist_group(rows, 6, &nh);
	assert_non_null(h);
	assert_int_equal(nh, 4);
	/* largest total first: 9 (8), 7/b (7), 3/a (2), 7/c (1) */
	assert_int_equal(h[0].rows[0].k.key, 9);
	assert_int_equal(h[0].total, 8);
	assert_int_equal(h[1].rows[0].k.key, 7);
	assert_int_equal(h[1].n, 2);
	assert_int_equal(h[1].total, 7);
	assert_int_equal(h[1].rows[0].k.slot, 3); /* by slot */
	assert_int_equal(h[1].rows[1].k.slot, 11);
	assert_int_equal(h[2].rows[0].k.key, 3);
	assert_int_equal(h[3].rows[0].k.key, 7);
	assert_string_equal(h[3].rows[0].k.comm, "c");
	free(h);
	assert_null(hist_group(rows, 0, &nh));
	assert_int_equal(nh, 0);
}

/* Print into a string. */
static char *print(const struct hist_fmt *fm, const struct hist *h)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	hist_print(f, fm, h);
	fclose(f);
	return s;
}

static void test_text(void **state)
{
	struct hist_row rows[] = {row(0, NULL, 7, 12), row(0, NULL, 8, 140)};
	struct hist h = {.rows = rows, .n = 2, .total = 152};
	struct hist_fmt fm = {.field = HIST_ALLOC, .scope = "all processes"};
	char *s;

	(void)state;
	s = print(&fm, &h);
	assert_string_equal(
	    s, "@bytes_alloc (kmalloc, all processes):\n"
	       "[64, 128)            12 |@@@@                                                |\n"
	       "[128, 256)          140 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
	       "\n");
	free(s);

	/* empty buckets between are shown; a long run of them is one "..."; labels
	 * are aligned to the widest */
	{
		struct hist_row r2[] = {row(0, NULL, 1, 1), row(0, NULL, 3, 2),
					row(0, NULL, 40, 2)};
		struct hist h2 = {.rows = r2, .n = 3, .total = 5};

		fm.field = HIST_REQ;
		fm.scope = "pid 42";
		s = print(&fm, &h2);
		assert_string_equal(s, "@bytes_req (kmalloc, pid 42):\n"
				       "[1, 2)                             1 "
				       "|@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
				       "[2, 4)                             0 "
				       "|                                                    |\n"
				       "[4, 8)                             2 "
				       "|@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
				       "...\n"
				       "[549755813888, 1099511627776)      2 "
				       "|@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
				       "\n");
		free(s);
	}
	/* no events */
	s = print(&fm, NULL);
	assert_string_equal(s, "@bytes_req (kmalloc, pid 42): no events\n\n");
	free(s);
}

static const char *fake_sym(void *arg, __u64 v, char *buf, size_t len)
{
	(void)arg;
	if (v == 0xffffffff81000041ULL)
		snprintf(buf, len, "load_msg+0x41");
	return buf;
}

static const char *fake_gfp(void *arg, __u64 v, char *buf, size_t len)
{
	(void)arg;
	snprintf(buf, len, v == 0xcc0 ? "GFP_KERNEL" : "");
	return buf;
}

static void test_keys(void **state)
{
	struct hist_row r = row(1234, "kstorm", 12, 3);
	struct hist h = {.rows = &r, .n = 1, .total = 3};
	struct hist_fmt fm = {
	    .field = HIST_ALLOC, .by = KMT_BY_PID, .sym = fake_sym, .gfp = fake_gfp};
	char *s;

	(void)state;
	s = print(&fm, &h);
	assert_true(!strncmp(s, "@bytes_alloc[pid 1234, kstorm]:\n[2048, 4096) ", 45));
	free(s);
	fm.by = KMT_BY_COMM;
	s = print(&fm, &h);
	assert_true(!strncmp(s, "@bytes_alloc[comm kstorm]:\n", 27));
	free(s);
	fm.by = KMT_BY_CALLER;
	r.k.key = 0xffffffff81000041ULL;
	s = print(&fm, &h);
	assert_true(!strncmp(s, "@bytes_alloc[caller load_msg+0x41]:\n", 36));
	free(s);
	r.k.key = 0xffffffff81000099ULL; /* unknown: hex */
	s = print(&fm, &h);
	assert_true(!strncmp(s, "@bytes_alloc[caller 0xffffffff81000099]:\n", 41));
	free(s);
	fm.by = KMT_BY_GFP;
	r.k.key = 0xcc0;
	s = print(&fm, &h);
	assert_true(!strncmp(s, "@bytes_alloc[gfp GFP_KERNEL]:\n", 30));
	free(s);
}

static void test_json(void **state)
{
	struct hist_row rows[] = {row(1234, "ks\"t", 11, 2000), row(1234, "ks\"t", 12, 0),
				  row(1234, "ks\"t", 64, 1)};
	struct hist h = {.rows = rows, .n = 3, .total = 2001};
	struct hist_fmt fm = {.field = HIST_REQ, .json = true, .ts_ns = 5, .sym = fake_sym};
	char *s;

	(void)state;
	s = print(&fm, &h);
	assert_string_equal(s,
			    "{\"hist\":\"bytes_req\",\"key\":null,\"buckets\":["
			    "{\"lo\":1024,\"hi\":2048,\"count\":2000},"
			    "{\"lo\":9223372036854775808,\"hi\":18446744073709551616,\"count\":1}],"
			    "\"total\":2001,\"scale\":\"log2\",\"ts_ns\":5}\n");
	free(s);
	fm.by = KMT_BY_PID;
	fm.step = 1;
	fm.interval = 3;
	rows[2].count = 0;
	h.total = 2000;
	rows[0].k.slot = 1282;
	s = print(&fm, &h);
	assert_string_equal(s,
			    "{\"hist\":\"bytes_req\",\"key\":{\"pid\":1234,\"comm\":\"ks\\\"t\"},"
			    "\"buckets\":[{\"lo\":1282,\"hi\":1283,\"count\":2000}],\"total\":2000,"
			    "\"scale\":\"linear\",\"step\":1,\"ts_ns\":5,\"interval\":3}\n");
	free(s);
	fm.by = KMT_BY_COMM;
	s = print(&fm, &h);
	assert_non_null(strstr(s, "\"key\":{\"comm\":\"ks\\\"t\"},"));
	free(s);
	fm.by = KMT_BY_CALLER;
	rows[0].k.key = 0xffffffff81000041ULL;
	s = print(&fm, &h);
	assert_non_null(strstr(s, "\"key\":{\"call_site\":\"0xffffffff81000041\","
				  "\"sym\":\"load_msg+0x41\"},"));
	free(s);
	rows[0].k.key = 0x10;
	s = print(&fm, &h);
	assert_non_null(strstr(s, "\"key\":{\"call_site\":\"0x10\",\"sym\":null},"));
	free(s);
	fm.by = KMT_BY_GFP;
	fm.gfp = fake_gfp;
	rows[0].k.key = 0xcc0;
	s = print(&fm, &h);
	assert_non_null(strstr(s, "\"key\":{\"gfp\":\"GFP_KERNEL\",\"gfp_flags\":\"0xcc0\"},"));
	free(s);
	/* no events: still one line */
	s = print(&fm, NULL);
	assert_string_equal(s, "{\"hist\":\"bytes_req\",\"key\":null,\"buckets\":[],\"total\":0,"
			       "\"scale\":\"linear\",\"step\":1,\"ts_ns\":5,\"interval\":3}\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log2_slots), cmocka_unit_test(test_linear_slots),
	    cmocka_unit_test(test_labels),     cmocka_unit_test(test_bar),
	    cmocka_unit_test(test_group),      cmocka_unit_test(test_text),
	    cmocka_unit_test(test_keys),       cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

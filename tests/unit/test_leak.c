// SPDX-License-Identifier: GPL-2.0
/* The live-allocation mirror, the leak report format, `kmtrace mm` arguments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "live.h"
#include "trace_output.h"

static struct kmt_event alloc_ev(uint64_t ptr, uint64_t ts)
{
	struct kmt_event e;

	memset(&e, 0, sizeof(e));
	e.type = KMT_EV_KMALLOC;
	e.ptr = ptr;
	e.ts_ns = ts;
	e.pid = 171;
	e.tid = 171;
	e.call_site = 0xffffffffc03c3073ULL;
	e.bytes_req = 4096;
	e.bytes_alloc = 4096;
	strcpy(e.comm, "modprobe");
	return e;
}

static struct kmt_event free_ev(uint64_t ptr, bool tracked)
{
	struct kmt_event e;

	memset(&e, 0, sizeof(e));
	e.type = KMT_EV_KFREE;
	e.ptr = ptr;
	e.flags = tracked ? KMT_F_TRACKED : 0;
	e.pid = 7;
	return e;
}

/* Random adds and tracked frees against a plain array: same content. */
static void test_table_vs_reference(void **state)
{
	struct kmt_live *t = kmt_live_new(100000);
	static uint64_t ref[20000];
	size_t nref = 0, n;
	struct kmt_live_alloc gone, *all;
	uint64_t x = 88172645463325252ULL;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (nref < 20000 && (x & 1 || !nref)) {
			uint64_t p = 0xffff888000000000ULL + (x >> 20) % 50000 * 64;
			struct kmt_event e = alloc_ev(p, i);
			bool dup = false;

			for (size_t k = 0; k < nref && !dup; k++)
				dup = ref[k] == p;
			if (dup)
				continue;
			kmt_live_event(t, &e, NULL);
			ref[nref++] = p;
		} else {
			size_t k = (x >> 8) % nref;
			struct kmt_event e = free_ev(ref[k], true);

			assert_true(kmt_live_event(t, &e, &gone));
			assert_int_equal(gone.key, ref[k]);
			ref[k] = ref[--nref];
			e = free_ev(gone.key, true); /* twice: gone */
			assert_false(kmt_live_event(t, &e, NULL));
		}
		assert_int_equal(kmt_live_count(t), nref);
	}
	all = kmt_live_take_all(t, &n);
	assert_int_equal(n, nref);
	for (size_t i = 1; i < n; i++)
		assert_true(all[i - 1].ts_ns <= all[i].ts_ns);
	assert_int_equal(kmt_live_count(t), 0);
	free(all);
	kmt_live_free(t);
}

static void test_untracked_and_full(void **state)
{
	struct kmt_live *t = kmt_live_new(2);
	struct kmt_event e = alloc_ev(0xffff888000001000ULL, 1);

	(void)state;
	kmt_live_event(t, &e, NULL);
	e.ptr += 64;
	kmt_live_event(t, &e, NULL);
	e.ptr += 64;
	kmt_live_event(t, &e, NULL); /* full */
	assert_int_equal(kmt_live_count(t), 2);
	assert_int_equal(kmt_live_dropped(t), 1);
	e.ptr += 64;
	e.flags = KMT_F_UNTRACKED;
	kmt_live_event(t, &e, NULL);
	assert_int_equal(kmt_live_dropped(t), 1);
	e = free_ev(0xffff888000001000ULL, false); /* untracked kfree: stays */
	assert_false(kmt_live_event(t, &e, NULL));
	assert_int_equal(kmt_live_count(t), 2);
	kmt_live_free(t);
}

/*
 * trace's table: kmt_live_new(0) grows while memory lasts.  A 1 GiB ram disk
 * is 262144 pages, more than the 65536 entries the table used to stop at.
 */
static void test_unbounded(void **state)
{
	struct kmt_live *t = kmt_live_new(0);
	struct kmt_live_alloc *all;
	struct kmt_event e;
	size_t n;

	(void)state;
	assert_non_null(t);
	memset(&e, 0, sizeof(e));
	e.type = KMT_EV_PAGE_ALLOC;
	e.bytes_alloc = 4096;
	for (uint64_t pfn = 1; pfn <= 262144; pfn++) {
		e.pfn = pfn;
		e.ts_ns = pfn;
		kmt_live_event(t, &e, NULL);
	}
	assert_int_equal(kmt_live_count(t), 262144);
	assert_int_equal(kmt_live_dropped(t), 0);
	all = kmt_live_take_all(t, &n);
	assert_int_equal(n, 262144);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(all[i].key, i + 1);
	free(all);
	kmt_live_free(t);
}

static void test_pages(void **state)
{
	struct kmt_live *t = kmt_live_new(10);
	struct kmt_event e;
	struct kmt_live_alloc *v;
	size_t n;
	char buf[512];

	(void)state;
	memset(&e, 0, sizeof(e));
	e.type = KMT_EV_PAGE_ALLOC;
	e.pfn = 12345;
	e.order = 1;
	e.bytes_alloc = 8192;
	e.pid = 5;
	kmt_live_event(t, &e, NULL);
	v = kmt_live_take_all(t, &n);
	assert_int_equal(n, 1);
	kmt_format_leak_json(&v[0], 10, "kmdemo", "", NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"kind\":\"page\",\"pfn\":12345,\"order\":1,"));
	kmt_format_leak_text(&v[0], 10, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "pages    pfn:0x3039/1"));
	free(v);
	kmt_live_free(t);
}

static void test_leak_format(void **state)
{
	struct kmt_live *t = kmt_live_new(10);
	struct kmt_event e = alloc_ev(0xff479b4e41ea0000ULL, 3542728949ULL);
	struct kmt_live_alloc *v;
	size_t n;
	char buf[1024];

	(void)state;
	kmt_live_event(t, &e, NULL);
	v = kmt_live_take_all(t, &n);
	assert_int_equal(n, 1);
	kmt_format_leak_json(&v[0], 3576585281ULL, "kmdemo", "kmdemo_init+0x63 [kmdemo]", NULL, buf,
			     sizeof(buf));
	assert_string_equal(
	    buf, "{\"event\":\"leak\",\"kind\":\"kmalloc\",\"ptr\":\"0xff479b4e41ea0000\","
		 "\"bytes_req\":4096,\"bytes_alloc\":4096,\"call_site\":\"0xffffffffc03c3073\","
		 "\"sym\":\"kmdemo_init+0x63 [kmdemo]\",\"module\":\"kmdemo\",\"pid\":171,"
		 "\"tid\":171,\"comm\":\"modprobe\",\"ts_ns\":3542728949,"
		 "\"unload_ts_ns\":3576585281,\"age_ns\":33856332}");
	kmt_format_leak_text(&v[0], 3576585281ULL, "kmdemo_init+0x63 [kmdemo]", buf, sizeof(buf));
	assert_string_equal(buf, "kmalloc  0xff479b4e41ea0000   4096     kmdemo_init+0x63 [kmdemo]"
				 "                171     modprobe         0.034");
	kmt_format_leak_title("kmdemo", 1, 4096, 0, 0, buf, sizeof(buf));
	assert_string_equal(buf, "--- leaks: module kmdemo freed with 1 allocation (4096 bytes) "
				 "still outstanding ---");
	/* what no table held, events lost: said, never a short report that looks complete */
	kmt_format_leak_title("kmdemo", 1, 4096, 3, 1, buf, sizeof(buf));
	assert_string_equal(buf, "--- leaks: module kmdemo freed with 1 allocation (4096 bytes) "
				 "still outstanding; INCOMPLETE: 3 allocations not tracked "
				 "(table full), 1 event lost ---");
	kmt_format_leak_incomplete_json("kmdemo", 1, 3, 0, buf, sizeof(buf));
	assert_string_equal(buf, "{\"event\":\"leaks_incomplete\",\"module\":\"kmdemo\","
				 "\"leaks\":1,\"untracked\":3,\"lost\":0}");
	free(v);
	kmt_live_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_vs_reference), cmocka_unit_test(test_untracked_and_full),
	    cmocka_unit_test(test_unbounded),	       cmocka_unit_test(test_pages),
	    cmocka_unit_test(test_leak_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

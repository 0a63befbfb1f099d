// SPDX-License-Identifier: GPL-2.0
/* The --perfetto writer: file framing, metadata, instants, counters, escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "perfetto.h"

struct mem {
	char *buf;
	size_t len;
	struct kmt_pf *pf;
};

static void mem_open(struct mem *m)
{
	FILE *f = open_memstream(&m->buf, &m->len);

	assert_non_null(f);
	m->pf = kmt_pf_fdopen(f);
	assert_non_null(m->pf);
}

static void mem_close(struct mem *m)
{
	assert_int_equal(kmt_pf_close(m->pf), 0);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static struct kmt_event ev(unsigned int type, uint32_t pid, uint32_t tid, int users)
{
	struct kmt_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = 1234567;
	e.pid = pid;
	e.tid = tid;
	e.mm_users = users;
	strcpy(e.comm, "kstorm");
	return e;
}

static void test_empty(void **state)
{
	struct mem m = {0};

	(void)state;
	mem_open(&m);
	mem_close(&m);
	assert_string_equal(m.buf, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":"
				   "\"kmtrace\"},\"traceEvents\":[\n]}\n");
	free(m.buf);
}

static void test_kmalloc_kfree(void **state)
{
	struct kmt_event a = ev(KMT_EV_KMALLOC, 100, 101, 2), f;
	struct mem m = {0};

	(void)state;
	a.ptr = 0xffff888100001000ULL;
	a.bytes_req = 1282;
	a.bytes_alloc = 2048;
	f = a;
	f.type = KMT_EV_KFREE;
	f.ts_ns = 2000000;
	f.flags = KMT_F_TRACKED;
	mem_open(&m);
	kmt_pf_event(m.pf, &a, "load_msg+0x2f", 0);
	kmt_pf_event(m.pf, &f, "free_msg+0x1a", 100);
	mem_close(&m);
	/* metadata once per process and thread */
	assert_int_equal(count(m.buf,
			       "\"ph\":\"M\",\"name\":\"process_name\",\"pid\":100,\"tid\":100,"
			       "\"ts\":0.000,\"args\":{\"name\":\"kstorm\"}}"),
			 1);
	assert_int_equal(
	    count(m.buf, "\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":100,\"tid\":101,"), 1);
	assert_non_null(strstr(m.buf,
			       "{\"ph\":\"i\",\"name\":\"kmalloc\",\"pid\":100,\"tid\":101,"
			       "\"ts\":1234.567,\"s\":\"t\",\"args\":{\"mm_users\":2,"
			       "\"family\":\"kmalloc\",\"bytes\":1282,\"bytes_alloc\":2048,"
			       "\"ptr\":\"0xffff888100001000\",\"sym\":\"load_msg+0x2f\"}}"));
	assert_non_null(
	    strstr(m.buf, "{\"ph\":\"i\",\"name\":\"kfree\",\"pid\":100,\"tid\":101,"
			  "\"ts\":2000.000,\"s\":\"t\",\"args\":{\"mm_users\":2,"
			  "\"family\":\"kmalloc\",\"bytes\":2048,\"ptr\":\"0xffff888100001000\","
			  "\"tracked\":true,\"sym\":\"free_msg+0x1a\"}}"));
	/* counters: mm_users once (unchanged later), outstanding up then down */
	assert_int_equal(count(m.buf, "\"ph\":\"C\",\"name\":\"mm_users\""), 1);
	assert_non_null(strstr(m.buf, "\"ph\":\"C\",\"name\":\"outstanding_bytes\",\"pid\":100,"
				      "\"tid\":100,\"ts\":1234.567,\"args\":{\"outstanding_bytes\":"
				      "2048}}"));
	assert_non_null(strstr(m.buf, "\"ts\":2000.000,\"args\":{\"outstanding_bytes\":0}}"));
	/* events are comma-separated, the array and object closed */
	assert_int_equal(count(m.buf, ",\n{"), count(m.buf, "{\"ph\"") - 1);
	assert_string_equal(m.buf + m.len - 4, "\n]}\n");
	free(m.buf);
}

static void test_free_by_other_process(void **state)
{
	struct kmt_event a = ev(KMT_EV_KMALLOC, 100, 100, 1), f = ev(KMT_EV_KFREE, 7, 7, -1);
	struct mem m = {0};

	(void)state;
	a.ptr = f.ptr = 0xffff888100002000ULL;
	a.bytes_req = 100;
	a.bytes_alloc = f.bytes_alloc = 128;
	f.flags = KMT_F_TRACKED;
	strcpy(f.comm, "kworker/0:1");
	mem_open(&m);
	kmt_pf_event(m.pf, &a, NULL, 0);
	kmt_pf_event(m.pf, &f, NULL, 100);
	mem_close(&m);
	/* the allocating process's counter goes down, not the freeing one's */
	assert_non_null(strstr(m.buf, "\"name\":\"outstanding_bytes\",\"pid\":100,\"tid\":100,"
				      "\"ts\":1234.567,\"args\":{\"outstanding_bytes\":0}}"));
	assert_null(strstr(m.buf, "\"name\":\"outstanding_bytes\",\"pid\":7,"));
	/* no mm (kernel thread): no mm_users counter */
	assert_null(strstr(m.buf, "\"name\":\"mm_users\",\"pid\":7,"));
	free(m.buf);
}

static void test_threads_mm_users(void **state)
{
	struct mem m = {0};
	struct kmt_event e;
	int users[] = {1, 2, 3, 4, 5, 4, 3, 2, 1, 0};
	unsigned int types[] = {KMT_EV_EXEC,	     KMT_EV_THREAD_START, KMT_EV_THREAD_START,
				KMT_EV_THREAD_START, KMT_EV_THREAD_START, KMT_EV_THREAD_EXIT,
				KMT_EV_THREAD_EXIT,  KMT_EV_THREAD_EXIT,  KMT_EV_THREAD_EXIT,
				KMT_EV_PROCESS_EXIT};
	char want[128];

	(void)state;
	mem_open(&m);
	for (int i = 0; i < 10; i++) {
		e = ev(types[i], 50, i >= 1 && i <= 8 ? 50 + (i - 1) % 4 + 1 : 50, users[i]);
		strcpy(e.comm, i == 0 ? "threads" : "threads");
		e.ts_ns = 1000ULL * (i + 1);
		kmt_pf_event(m.pf, &e, NULL, 0);
	}
	kmt_pf_mm_users(m.pf, 20000, 50, "threads", 6, "mm_users_change");
	mem_close(&m);
	for (int i = 0; i < 10; i++) {
		snprintf(want, sizeof(want), "\"ts\":%d.000,\"args\":{\"mm_users\":%d}}", i + 1,
			 users[i]);
		assert_non_null(strstr(m.buf, want));
	}
	assert_int_equal(count(m.buf, "\"ph\":\"C\",\"name\":\"mm_users\""), 11);
	assert_int_equal(count(m.buf, "\"name\":\"thread_name\""), 5);
	assert_non_null(strstr(m.buf,
			       "{\"ph\":\"i\",\"name\":\"mm_users_change\",\"pid\":50,"
			       "\"tid\":50,\"ts\":20.000,\"s\":\"p\",\"args\":{\"mm_users\":6}}"));
	free(m.buf);
}

static void test_escaping(void **state)
{
	struct kmt_event e = ev(KMT_EV_MODULE_LOAD, 9, 9, 1);
	struct mem m = {0};

	(void)state;
	memcpy(e.comm, "a\"b\\c\n\x01\xff", 9);
	strcpy(e.module, "kmdemo");
	mem_open(&m);
	kmt_pf_event(m.pf, &e, NULL, 0);
	kmt_pf_leak(m.pf, 5000, 9, 9, 0xffff888100003000ULL, 4096, "kmdemo_init+0x5c [kmdemo]");
	mem_close(&m);
	assert_non_null(strstr(m.buf, "\"args\":{\"name\":\"a\\\"b\\\\c\\n\\u0001\\u00ff\"}"));
	assert_non_null(strstr(m.buf, "\"module\":\"kmdemo\""));
	assert_non_null(strstr(m.buf, "{\"ph\":\"i\",\"name\":\"leak\",\"pid\":9,\"tid\":9,"
				      "\"ts\":5.000,\"s\":\"t\",\"args\":{\"bytes\":4096,"
				      "\"ptr\":\"0xffff888100003000\","
				      "\"sym\":\"kmdemo_init+0x5c [kmdemo]\"}}"));
	free(m.buf);
}

static void test_open_error(void **state)
{
	(void)state;
	assert_null(kmt_pf_open("/nonexistent/dir/x.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_kmalloc_kfree),
	    cmocka_unit_test(test_free_by_other_process),
	    cmocka_unit_test(test_threads_mm_users),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_open_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

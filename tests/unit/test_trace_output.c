// SPDX-License-Identifier: GPL-2.0
/* kmt_format_json()/kmt_format_text(): one event, escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "fmt.h"
#include "trace_output.h"

static struct kmt_event base(unsigned int type)
{
	struct kmt_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts_ns = 123456789;
	e.pid = 100;
	e.tid = 101;
	e.mm_users = 5;
	strcpy(e.comm, "threads");
	return e;
}

static void test_kmalloc(void **state)
{
	struct kmt_event e = base(KMT_EV_KMALLOC);
	char buf[1024];

	(void)state;
	e.ptr = 0xffff888100001000ULL;
	e.call_site = 0xffffffffc000007cULL;
	e.bytes_req = 4096;
	e.bytes_alloc = 4096;
	e.gfp = 0xcc0;
	kmt_format_json(&e, "kmdemo_init+0x3c [kmdemo]", "kmdemo", NULL, buf, sizeof(buf));
	assert_string_equal(
	    buf, "{\"ts_ns\":123456789,\"event\":\"kmalloc\",\"pid\":100,\"tid\":101,"
		 "\"comm\":\"threads\",\"family\":\"kmalloc\",\"ptr\":\"0xffff888100001000\","
		 "\"call_site\":\"0xffffffffc000007c\","
		 "\"sym\":\"kmdemo_init+0x3c [kmdemo]\",\"module\":\"kmdemo\","
		 "\"bytes_req\":4096,\"bytes_alloc\":4096,\"gfp\":\"GFP_KERNEL\","
		 "\"mm_users\":5}");
}

static void test_pages_and_free(void **state)
{
	struct kmt_event e = base(KMT_EV_PAGE_FREE);
	char buf[1024];

	(void)state;
	e.pfn = 0x1234;
	e.order = 1;
	e.bytes_alloc = 8192;
	e.flags = KMT_F_TRACKED;
	kmt_format_json(&e, NULL, NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"event\":\"page_free\""));
	assert_non_null(
	    strstr(buf, "\"pfn\":4660,\"order\":1,\"bytes_alloc\":8192,\"tracked\":true"));
	assert_null(strstr(buf, "call_site"));

	e = base(KMT_EV_KFREE);
	e.ptr = 0x10;
	kmt_format_json(&e, "", NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"ptr\":\"0x10\",\"call_site\":\"0x0\",\"tracked\":false"));
	assert_null(strstr(buf, "\"sym\""));
	assert_null(strstr(buf, "\"bulk\""));

	e.flags = KMT_F_TRACKED | KMT_F_BULK;
	e.bytes_alloc = 64;
	kmt_format_json(&e, "kmem_cache_free_bulk+0x0", NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"sym\":\"kmem_cache_free_bulk+0x0\",\"bytes_alloc\":64,"
				    "\"tracked\":true,\"bulk\":true,\"mm_users\""));

	e = base(KMT_EV_PROCESS_EXIT);
	e.mm_users = 0;
	kmt_format_json(&e, NULL, NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"event\":\"process_exit\""));
	assert_non_null(strstr(buf, "\"exit_code\":0,\"mm_users\":0}"));
}

static void test_escape(void **state)
{
	struct kmt_event e = base(KMT_EV_THREAD_START);
	char buf[1024];

	(void)state;
	memcpy(e.comm, "a\"b\\c\nd\x01\xff", 10);
	e.comm[9] = 'x';
	e.ppid = 7;
	kmt_format_json(&e, NULL, NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"comm\":\"a\\\"b\\\\c\\nd\\u0001\\u00ffx\""));
	assert_non_null(strstr(buf, "\"ppid\":7"));

	/* comm is not NUL-terminated when 16 bytes long */
	memset(e.comm, 'z', sizeof(e.comm));
	kmt_format_json(&e, NULL, NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"comm\":\"zzzzzzzzzzzzzzzz\","));

	assert_int_equal(kmt_json_str("ab", 10, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "\"ab\"");
	/* truncation never overflows and reports the needed length */
	assert_int_equal(kmt_json_str("abcdef", 10, buf, 4), 8);
	assert_int_equal(strlen(buf), 3);
}

static void test_module_and_text(void **state)
{
	struct kmt_event e = base(KMT_EV_MODULE_LOAD);
	char buf[1024];
	int n;

	(void)state;
	strcpy(e.module, "kmdemo");
	e.text_base = 0xffffffffc0000000ULL;
	e.text_size = 0x1000;
	e.init_base = 0xffffffffc0100000ULL;
	e.init_size = 0x200;
	kmt_format_json(&e, NULL, NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"module\":\"kmdemo\",\"text\":\"0xffffffffc0000000\","
				    "\"text_size\":4096,\"init_text\":\"0xffffffffc0100000\","
				    "\"init_size\":512"));

	e = base(KMT_EV_KMALLOC);
	e.ts_ns = 1500000000;
	e.bytes_req = 1282;
	e.ptr = 0xffff888100001000ULL;
	n = kmt_format_text(&e, 1000000000, "load_msg+0x5e", NULL, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "0.500000 "));
	assert_non_null(strstr(buf, " kmalloc "));
	assert_non_null(strstr(buf, " 1282 "));
	assert_non_null(strstr(buf, " load_msg+0x5e "));
	assert_string_equal(kmt_event_name(KMT_EV_PAGE_ALLOC), "page_alloc");
	assert_string_equal(kmt_event_name(999), "unknown");
	assert_non_null(strstr(kmt_text_header(), "MM_USERS"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kmalloc),
	    cmocka_unit_test(test_pages_and_free),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_module_and_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

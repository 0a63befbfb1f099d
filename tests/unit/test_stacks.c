// SPDX-License-Identifier: GPL-2.0
/* Kernel stacks: naming a stack map entry, folded stacks, grouping the
 * outstanding allocations by stack, their text and JSON output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "folded.h"
#include "live.h"
#include "stacks.h"
#include "trace_output.h"

/* A tiny symbol table: what kmt_syms_name() would say of these addresses. */
static const char *fake_name(void *arg, uint64_t addr, char *buf, size_t len)
{
	static const struct {
		uint64_t addr;
		const char *name;
	} t[] = {
	    {0xffffffffc0001000ULL, ""}, /* the BPF program: no name */
	    {0xffffffff81100010ULL, "bpf_trace_run5+0x10"},
	    {0xffffffff81100120ULL, "__bpf_trace_kmalloc+0x20"},
	    {0xffffffff81100258ULL, "__traceiter_kmalloc+0x58"},
	    {0xffffffff8120025eULL, "__kmalloc_node_noprof+0x25e"},
	    {0xffffffff81300041ULL, "load_msg+0x41"},
	    {0xffffffffc0a01063ULL, "kmdemo_init+0x63 [kmdemo]"},
	    {0xffffffff8130008cULL, "do_msgsnd+0x8c"},
	    {0xffffffff81400071ULL, "do_syscall_64+0x71"},
	    {0xffffffff81500076ULL, "entry_SYSCALL_64_after_hwframe+0x76"},
	};

	(void)arg;
	snprintf(buf, len, "%s", "");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].addr == addr)
			snprintf(buf, len, "%s", t[i].name);
	return buf;
}

static void test_tracing_frames(void **state)
{
	(void)state;
	assert_true(kmt_stack_tracing_frame("__traceiter_kmalloc+0x58"));
	assert_true(kmt_stack_tracing_frame("bpf_trace_run5+0x10"));
	assert_true(kmt_stack_tracing_frame("perf_trace_kmalloc+0x99"));
	assert_true(kmt_stack_tracing_frame("trace_event_raw_event_kmalloc+0x1"));
	assert_false(kmt_stack_tracing_frame("__kmalloc_node_noprof+0x25e"));
	assert_false(kmt_stack_tracing_frame("bpf_map_kmalloc_node+0x10"));
	assert_false(kmt_stack_tracing_frame(""));
}

static void test_fn(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(kmt_stack_fn("load_msg+0x41", b, sizeof(b)), "load_msg");
	assert_string_equal(kmt_stack_fn("kmdemo_init+0x63 [kmdemo]", b, sizeof(b)),
			    "kmdemo_init [kmdemo]");
	assert_string_equal(kmt_stack_fn("0xffffffffc0a01234", b, sizeof(b)), "0xffffffffc0a01234");
	assert_string_equal(kmt_stack_fn("do_execveat_common.isra.0+0x8d", b, sizeof(b)),
			    "do_execveat_common.isra.0");
}

/* The tracing frames on top are dropped (the unnamed program above them
 * too), an unnamed frame below them is an address, counted. */
static void test_make(void **state)
{
	uint64_t ips[8] = {
	    0xffffffffc0001000ULL, 0xffffffff81100010ULL,
	    0xffffffff81100120ULL, 0xffffffff81100258ULL,
	    0xffffffff8120025eULL, 0xffffffffc0a01063ULL,
	    0xffffffffc0a0ffffULL, 0,
	};
	struct kmt_stack *st = kmt_stack_make(ips, 8, fake_name, NULL);

	(void)state;
	assert_non_null(st);
	assert_int_equal(st->n, 3);
	assert_false(st->truncated);
	assert_int_equal(st->unresolved, 1);
	assert_string_equal(st->sym[0], "__kmalloc_node_noprof+0x25e");
	assert_string_equal(st->sym[1], "kmdemo_init+0x63 [kmdemo]");
	assert_string_equal(st->sym[2], "0xffffffffc0a0ffff");
	assert_string_equal(st->fn[1], "kmdemo_init [kmdemo]");
	assert_string_equal(st->fn[2], "0xffffffffc0a0ffff");
	kmt_stack_free(st);

	/* a full entry: possibly truncated; no tracing frames: nothing dropped */
	uint64_t full[3] = {0xffffffff8120025eULL, 0xffffffff81300041ULL, 0xffffffff8130008cULL};

	st = kmt_stack_make(full, 3, fake_name, NULL);
	assert_non_null(st);
	assert_int_equal(st->n, 3);
	assert_true(st->truncated);
	assert_int_equal(st->unresolved, 0);
	kmt_stack_free(st);
}

/* fentry/fexit: the program and the BPF trampoline have no symbol: dropped
 * above the first named frame; a stack of unnamed frames only (kallsyms
 * without addresses) keeps them all. */
static void test_make_unnamed_top(void **state)
{
	uint64_t fx[5] = {0xffffffffc0001000ULL, 0xffffffffc0002000ULL, 0xffffffff8120025eULL,
			  0xffffffffc0a01063ULL, 0};
	uint64_t none[3] = {0xffffffffc0001000ULL, 0xffffffffc0002000ULL, 0};
	struct kmt_stack *st = kmt_stack_make(fx, 5, fake_name, NULL);

	(void)state;
	assert_non_null(st);
	assert_int_equal(st->n, 2);
	assert_int_equal(st->unresolved, 0);
	assert_string_equal(st->sym[0], "__kmalloc_node_noprof+0x25e");
	kmt_stack_free(st);
	st = kmt_stack_make(none, 3, fake_name, NULL);
	assert_non_null(st);
	assert_int_equal(st->n, 2);
	assert_int_equal(st->unresolved, 2);
	assert_string_equal(st->sym[0], "0xffffffffc0001000");
	kmt_stack_free(st);
}

static void test_error(void **state)
{
	(void)state;
	assert_string_equal(kmt_stack_error(-17), "hash collision in the stack map");
	assert_string_equal(kmt_stack_error(-12), "stack map full");
	assert_string_equal(kmt_stack_error(-22), "bpf_get_stackid error -22");
}

static void test_frame_sanitized(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(kmt_folded_frame("a;b\nc", b, sizeof(b)), "a_b_c");
	assert_string_equal(kmt_folded_frame("  f  [m] ", b, sizeof(b)), "f [m]");
	assert_string_equal(kmt_folded_frame("", b, sizeof(b)), "[unknown]");
	assert_string_equal(kmt_folded_frame("   ", b, sizeof(b)), "[unknown]");
	assert_string_equal(kmt_folded_frame("caf\xc3\xa9", b, sizeof(b)), "caf__");
}

/* Read F back into BUF. */
static void slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
}

static void test_folded(void **state)
{
	const char *a[] = {"__kmalloc_node_noprof", "load_msg", "do_msgsnd", "do_syscall_64"};
	const char *b[] = {"kmem_cache_alloc_noprof", "kmdemo_init [kmdemo]", "do_one_initcall"};
	struct kmt_folded *f = kmt_folded_new();
	FILE *out = tmpfile();
	char buf[1024];

	(void)state;
	assert_non_null(f);
	assert_non_null(out);
	assert_int_equal(kmt_folded_add(f, a, 4, false, 600, 614400), 0);
	assert_int_equal(kmt_folded_add(f, b, 3, true, 2, 128), 0);
	assert_int_equal(kmt_folded_add(f, NULL, 0, false, 3, 300), 0);
	assert_int_equal(kmt_folded_add(f, a, 4, false, 400, 409600), 0); /* merged */
	assert_int_equal(kmt_folded_add(f, a, 1, false, 0, 0), 0);	  /* weighs nothing */
	assert_int_equal(kmt_folded_write(f, out, false), 0);
	slurp(out, buf, sizeof(buf));
	assert_string_equal(buf,
			    "[no_stack] 300\n"
			    "[truncated];do_one_initcall;kmdemo_init [kmdemo];"
			    "kmem_cache_alloc_noprof 128\n"
			    "do_syscall_64;do_msgsnd;load_msg;__kmalloc_node_noprof 1024000\n");
	fclose(out);
	out = tmpfile();
	assert_int_equal(kmt_folded_write(f, out, true), 0);
	slurp(out, buf, sizeof(buf));
	assert_string_equal(buf, "[no_stack] 3\n"
				 "[truncated];do_one_initcall;kmdemo_init [kmdemo];"
				 "kmem_cache_alloc_noprof 2\n"
				 "do_syscall_64;do_msgsnd;load_msg;__kmalloc_node_noprof 1000\n");
	fclose(out);
	kmt_folded_free(f);
}

static struct kmt_live_alloc live(uint64_t key, int32_t stack, uint64_t bytes)
{
	struct kmt_live_alloc a;

	memset(&a, 0, sizeof(a));
	a.key = key;
	a.stack_id = stack;
	a.bytes_alloc = bytes;
	return a;
}

/* Groups: by bytes, then allocations, then id; error ids are groups too. */
static void test_by_stack(void **state)
{
	struct kmt_live_alloc v[] = {
	    live(1, 7, 64),  live(2, 3, 4096), live(3, 7, 64),	 live(4, -17, 32),
	    live(5, 9, 128), live(6, 7, 0),    live(7, -17, 32), live(8, 2, 128),
	};
	struct kmt_live_group *g;
	size_t ng;

	(void)state;
	g = kmt_live_by_stack(v, 8, &ng);
	assert_non_null(g);
	assert_int_equal(ng, 5);
	assert_int_equal(g[0].stack_id, 3);
	assert_int_equal(g[0].bytes, 4096);
	assert_int_equal(g[1].stack_id, 7); /* 128 bytes in 3: before 128 in 1 */
	assert_int_equal(g[1].count, 3);
	assert_int_equal(g[2].stack_id, 2); /* 128 in 1: the lower id first */
	assert_int_equal(g[3].stack_id, 9);
	assert_int_equal(g[4].stack_id, -17);
	assert_int_equal(g[4].count, 2);
	assert_int_equal(g[4].bytes, 64);
	free(g);
	assert_null(kmt_live_by_stack(v, 0, &ng));
	assert_int_equal(ng, 0);
}

static void test_output(void **state)
{
	const char *fr[] = {"__kmalloc_node_noprof+0x25e", "load_msg+0x41", "evil\"\n"};
	struct kmt_ev_stack st = {fr, 3, NULL}, none = {NULL, 0, "stack map full"};
	struct kmt_event e;
	char buf[2048];

	(void)state;
	kmt_format_stack_text(&st, buf, sizeof(buf));
	assert_string_equal(buf, "    __kmalloc_node_noprof+0x25e\n    load_msg+0x41\n    evil\"?");
	kmt_format_stack_text(&none, buf, sizeof(buf));
	assert_string_equal(buf, "    [no stack: stack map full]");

	memset(&e, 0, sizeof(e));
	e.type = KMT_EV_KMALLOC;
	e.ts_ns = 5;
	e.pid = e.tid = 9;
	e.ptr = 0xffff888100000000ULL;
	e.call_site = 0xffffffff81300041ULL;
	e.bytes_req = 1000;
	e.bytes_alloc = 1024;
	strcpy(e.comm, "kstorm");
	kmt_format_json_stack(&e, "load_msg+0x41", NULL, NULL, &st, buf, sizeof(buf));
	assert_non_null(strstr(buf, ",\"mm_users\":0,\"stack\":[\"__kmalloc_node_noprof+0x25e\","
				    "\"load_msg+0x41\",\"evil\\\"\\n\"]}"));
	kmt_format_json_stack(&e, "load_msg+0x41", NULL, NULL, &none, buf, sizeof(buf));
	assert_non_null(strstr(buf, ",\"stack\":[],\"stack_error\":\"stack map full\"}"));
	/* without a stack: the event as kmt_format_json() writes it */
	kmt_format_json_stack(&e, "load_msg+0x41", NULL, NULL, NULL, buf, sizeof(buf));
	assert_null(strstr(buf, "stack"));

	kmt_format_stacks_title("outstanding at the end", 3, 4224, 2, 1, buf, sizeof(buf));
	assert_string_equal(buf, "--- outstanding at the end by kernel stack: 3 allocations "
				 "(4224 bytes) in 2 stacks, the top 1 ---");
	kmt_format_stacks_title("leaks of module kmdemo", 1, 64, 1, 10, buf, sizeof(buf));
	assert_string_equal(buf, "--- leaks of module kmdemo by kernel stack: 1 allocation "
				 "(64 bytes) in 1 stack ---");
	kmt_format_stack_group_text(1, 64, buf, sizeof(buf));
	assert_string_equal(buf, "64 bytes in 1 allocation from stack:");
	kmt_format_stack_group_json("leak_stack", "kmdemo", 1, 2, 128, &st, buf, sizeof(buf));
	assert_string_equal(buf,
			    "{\"event\":\"leak_stack\",\"module\":\"kmdemo\",\"rank\":1,"
			    "\"allocations\":2,\"bytes\":128,\"stack\":[\"__kmalloc_node_noprof"
			    "+0x25e\",\"load_msg+0x41\",\"evil\\\"\\n\"]}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tracing_frames), cmocka_unit_test(test_fn),
	    cmocka_unit_test(test_make),	   cmocka_unit_test(test_make_unnamed_top),
	    cmocka_unit_test(test_error),	   cmocka_unit_test(test_frame_sanitized),
	    cmocka_unit_test(test_folded),	   cmocka_unit_test(test_by_stack),
	    cmocka_unit_test(test_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

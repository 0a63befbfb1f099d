// SPDX-License-Identifier: GPL-2.0
/* kmt_gfp_str(): gfp_t decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "gfp.h"

static const char *g(unsigned long f)
{
	static char buf[256];

	return kmt_gfp_str(f, buf, sizeof(buf));
}

static void test_gfp(void **state)
{
	(void)state;
	assert_string_equal(g(0), "none");
	assert_string_equal(g(0xcc0), "GFP_KERNEL");
	assert_string_equal(g(0xcc0 | 0x100), "GFP_KERNEL|__GFP_ZERO");
	assert_string_equal(g(0x400cc0), "GFP_KERNEL_ACCOUNT");
	assert_string_equal(g(0x400cc0 | 0x100), "GFP_KERNEL_ACCOUNT|__GFP_ZERO");
	assert_string_equal(g(0x820), "GFP_ATOMIC");
	assert_string_equal(g(0xa20), "GFP_ATOMIC"); /* 6.1: with __GFP_ATOMIC */
	assert_string_equal(g(0xc40), "GFP_NOFS");
	assert_string_equal(g(0x800), "GFP_NOWAIT");
	assert_string_equal(g(0x100cc0), "GFP_USER");
	assert_string_equal(g(0x100cca), "GFP_HIGHUSER_MOVABLE");
	assert_string_equal(g(0xcc0 | 0x2000 | 0x40000), "GFP_KERNEL|__GFP_NOWARN|__GFP_COMP");
	assert_string_equal(g(0x01), "GFP_DMA");
	assert_string_equal(g(0xcc0 | 0x80000000UL), "GFP_KERNEL|0x80000000");
}

static void test_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	kmt_gfp_str(0xcc0 | 0x100, buf, sizeof(buf));
	assert_true(buf[7] == '\0' || buf[0] == '\0' || buf[6] != '\0');
	kmt_gfp_str(0xcc0, buf, 0); /* must not write */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gfp),
	    cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

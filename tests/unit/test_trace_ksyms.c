// SPDX-License-Identifier: GPL-2.0
/* kallsyms parsing and address lookup with a fake kallsyms file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "ksyms.h"

static const char fake[] = "ffffffff81000000 T _stext\n"
			   "ffffffff81000100 t do_one_initcall\n"
			   "ffffffff81000200 D some_data\n"
			   "ffffffff81000300 T __kmalloc\n"
			   "ffffffff81000300 T __kmalloc_alias\n"
			   "ffffffff81000400 W weak_fn\n"
			   "ffffffffc0000000 t kmdemo_exit\t[kmdemo]\n"
			   "ffffffffc0000040 t init_module\t[kmdemo]\n"
			   "ffffffffc0000040 t kmdemo_init\t[kmdemo]\n"
			   "ffffffffc0000100 T other_fn\t[other_mod]\n"
			   "garbage line\n";

static struct ksyms *load_text(const char *text)
{
	char path[] = "/tmp/kmt-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	struct ksyms *ks;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ks = ksyms_load_kallsyms(path);
	unlink(path);
	assert_non_null(ks);
	return ks;
}

static struct ksyms *load_fake(void)
{
	return load_text(fake);
}

/*
 * kernel.kptr_restrict=2: /proc/kallsyms lists every symbol at 0.  A lookup
 * must find nothing (the last symbol at 0 would name every address wrongly:
 * "ftrace_trampoline+0xffffffff81a9cc6f [__builtin__ftrace]").
 */
static void test_zeroed(void **state)
{
	struct ksyms *ks = load_text("0000000000000000 T _stext\n"
				     "0000000000000000 t do_one_initcall\n"
				     "0000000000000000 T __kmalloc\n"
				     "0000000000000000 t kmdemo_init\t[kmdemo]\n"
				     "0000000000000000 t ftrace_trampoline\t[__builtin__ftrace]\n");
	uint64_t lo[2], hi[2], off;
	char buf[128];

	(void)state;
	assert_int_equal(ks->zeroed, 1);
	assert_int_equal(ks->n, 0);
	assert_null(ksyms_lookup(ks, 0xffffffff81000305ULL, &off));
	assert_string_equal(ksyms_format(ks, 0xffffffff81000305ULL, buf, sizeof(buf)), "");
	assert_int_equal(ksyms_ranges(ks, "__kmalloc", lo, hi, 2), 0);
	ksyms_free(ks);
	/* real addresses, or an empty file: not zeroed */
	ks = load_fake();
	assert_int_equal(ks->zeroed, 0);
	ksyms_free(ks);
	ks = load_text("");
	assert_int_equal(ks->zeroed, 0);
	ksyms_free(ks);
}

static void test_parse(void **state)
{
	struct ksyms *ks = load_fake();

	(void)state;
	assert_int_equal(ks->n, 9); /* data symbol and garbage skipped */
	ksyms_free(ks);
	assert_null(ksyms_load_kallsyms("/nonexistent/kallsyms"));
}

static void test_lookup(void **state)
{
	struct ksyms *ks = load_fake();
	const struct ksym *s;
	uint64_t off;
	char buf[128];

	(void)state;
	assert_null(ksyms_lookup(ks, 0xffffffff80ffffffULL, &off));
	s = ksyms_lookup(ks, 0xffffffff81000000ULL, &off);
	assert_non_null(s);
	assert_string_equal(s->name, "_stext");
	assert_int_equal(off, 0);
	s = ksyms_lookup(ks, 0xffffffff81000234ULL, &off); /* data symbols are not text */
	assert_string_equal(s->name, "do_one_initcall");
	assert_int_equal(off, 0x134);
	assert_null(s->module);
	s = ksyms_lookup(ks, 0xffffffffc000007cULL, &off);
	assert_string_equal(s->name, "kmdemo_init"); /* preferred over init_module */
	assert_string_equal(s->module, "kmdemo");
	assert_string_equal(ksyms_format(ks, 0xffffffffc000007cULL, buf, sizeof(buf)),
			    "kmdemo_init+0x3c [kmdemo]");
	s = ksyms_lookup(ks, 0xffffffff81000305ULL, &off); /* two names, one address */
	assert_non_null(strstr(s->name, "__kmalloc"));
	assert_int_equal(off, 5);
	assert_string_equal(ksyms_format(ks, 0x1000, buf, sizeof(buf)), "");
	/* far past a region's last symbol (a BPF program, freed module text):
	 * no name, not "other_fn+0x3fff00 [other_mod]" */
	assert_non_null(ksyms_lookup(ks, 0xffffffffc003ffffULL, &off));
	assert_null(ksyms_lookup(ks, 0xffffffffc0040100ULL, &off));
	assert_null(ksyms_lookup(ks, 0xffffffffc0400000ULL, &off));
	ksyms_free(ks);
}

static void test_sized_and_remove(void **state)
{
	struct ksyms *ks = ksyms_new();
	uint64_t off;
	char buf[128];

	(void)state;
	assert_int_equal(ksyms_add(ks, 0x1000, 0x40, "f_init", "m"), 0);
	assert_int_equal(ksyms_add(ks, 0x2000, 0x10, "f_exit", "m"), 0);
	assert_int_equal(ksyms_add(ks, 0x3000, 0, "g", "n"), 0);
	assert_non_null(ksyms_lookup(ks, 0x103f, &off));
	assert_null(ksyms_lookup(ks, 0x1040, &off)); /* past the sized symbol */
	assert_string_equal(ksyms_format(ks, 0x2004, buf, sizeof(buf)), "f_exit+0x4 [m]");
	ksyms_remove_module(ks, "m");
	assert_int_equal(ks->n, 1);
	assert_null(ksyms_lookup(ks, 0x2004, &off));
	assert_string_equal(ksyms_lookup(ks, 0x3008, &off)->name, "g");
	ksyms_free(ks);
}

static void test_ranges(void **state)
{
	struct ksyms *ks = ksyms_new();
	uint64_t lo[4], hi[4];

	(void)state;
	assert_non_null(ks);
	assert_int_equal(ksyms_add(ks, 0x3000, 0, "foobar", NULL), 0);
	assert_int_equal(ksyms_add(ks, 0x1000, 0, "foo", NULL), 0);
	assert_int_equal(ksyms_add(ks, 0x2000, 0, "foo.isra.0", NULL), 0);
	assert_int_equal(ksyms_add(ks, 0x2000, 0, "foo_alias", NULL), 0);
	assert_int_equal(ksyms_add(ks, 0x4000, 0x80, "bar", NULL), 0);
	assert_int_equal(ksyms_add(ks, 0x5000, 0x10, "foo", "mod"), 0);
	/* foo and its clone, each up to the next higher address; not foobar,
	 * not the module's foo */
	assert_int_equal(ksyms_ranges(ks, "foo", lo, hi, 4), 2);
	assert_int_equal(lo[0], 0x1000);
	assert_int_equal(hi[0], 0x2000);
	assert_int_equal(lo[1], 0x2000);
	assert_int_equal(hi[1], 0x3000);
	assert_int_equal(ksyms_ranges(ks, "foo", lo, hi, 1), 1);
	assert_int_equal(ksyms_ranges(ks, "bar", lo, hi, 4), 1);
	assert_int_equal(hi[0], 0x4080); /* its size */
	assert_int_equal(ksyms_ranges(ks, "baz", lo, hi, 4), 0);
	ksyms_free(ks);
}

static void test_find_ko(void **state)
{
	char dir[] = "/tmp/kmt-mods-XXXXXX", p[512];
	char *ko;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/extra", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/extra/my_mod.ko", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/modules.dep", dir);
	f = fopen(p, "w");
	fprintf(f, "kernel/foo/bar.ko.xz:\nextra/my_mod.ko:\n");
	fclose(f);
	ko = ksyms_find_ko(dir, "my-mod");
	assert_non_null(ko);
	assert_non_null(strstr(ko, "/extra/my_mod.ko"));
	free(ko);
	assert_null(ksyms_find_ko(dir, "bar")); /* compressed: not usable */
	assert_null(ksyms_find_ko(dir, "nothere"));
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),  cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_zeroed), cmocka_unit_test(test_sized_and_remove),
	    cmocka_unit_test(test_ranges), cmocka_unit_test(test_find_ko),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

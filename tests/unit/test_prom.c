// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of `kmtrace stat --listen/--textfile`'s pure parts: the
 * Prometheus exposition (user/prom.c), the listen address (user/netaddr.c)
 * and the atomic textfile (user/textfile.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <regex.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "netaddr.h"
#include "prom.h"
#include "textfile.h"

#define K1 0xffffffff81234567ULL
#define K2 0xffffffffc0a01234ULL
#define K3 0xffffffff81000010ULL
#define K4 0xffffffff8100abcdULL

/* Names: K1 load_msg in vmlinux, K2 in module kmdemo, K3 unknown, K4 the
 * same name as K1 (two keys, one label); `flip` renames K1 (labels must not
 * change once given). */
struct names {
	bool flip;
	int calls;
};

static const char *fake_name(void *arg, __u64 key, char *buf, size_t len, const char **module)
{
	struct names *n = arg;

	n->calls++;
	*module = NULL;
	if (key == K1 || key == K4)
		snprintf(buf, len, n->flip ? "renamed+0x1" : "load_msg+0x41");
	else if (key == K2) {
		snprintf(buf, len, "kmdemo_init+0x1c [kmdemo]");
		*module = "kmdemo";
	} else
		buf[0] = '\0';
	return buf;
}

static struct stat_row site(__u64 key, __u64 hits, __u64 bytes, __u64 frees)
{
	struct stat_row r = {.key = key};

	r.s.hits = hits;
	r.s.bytes_req = bytes - hits;
	r.s.bytes_alloc = bytes;
	r.s.frees = frees;
	r.s.bytes_freed = frees ? bytes / hits * frees : 0;
	return r;
}

static char *render(const struct prom_snapshot *s, struct prom_state *st)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	assert_int_equal(prom_render(f, s, st), 0);
	fclose(f);
	return out;
}

/* The value of the sample line that starts with PREFIX (whole name and labels). */
static long long value_of(const char *out, const char *prefix)
{
	const char *p = out;
	size_t n = strlen(prefix);

	while ((p = strstr(p, prefix))) {
		if ((p == out || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

/* Every line is a HELP/TYPE comment or a sample; a family's samples follow
 * its TYPE line, one family is never split; no address anywhere. */
static void check_format(const char *out)
{
	regex_t sample, comment, hex;
	char *copy = strdup(out), *save = NULL, family[128] = "";
	char seen[64][128];
	int nseen = 0;

	assert_int_equal(regcomp(&sample,
				 "^([a-z_]+)(\\{([a-z_]+=\"([^\"\\\\]|\\\\.)*\",?)*\\})? "
				 "(-?[0-9]+(\\.[0-9]+)?|\\+Inf)$",
				 REG_EXTENDED),
			 0);
	assert_int_equal(regcomp(&comment, "^# (HELP|TYPE) ([a-z_]+) .+$", REG_EXTENDED), 0);
	/* an address: 0x and hex, or a run of hex digits with ffff in it */
	assert_int_equal(
	    regcomp(&hex, "0x[0-9a-f]{4,}|[0-9a-f]*ffff[0-9a-f]*", REG_EXTENDED | REG_ICASE), 0);
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		regmatch_t m[3];

		if (regexec(&hex, l, 0, NULL, 0) != REG_NOMATCH) {
			print_error("an address in: %s\n", l);
			fail();
		}
		/* nor the keys in decimal */
		assert_null(strstr(l, "18446744"));
		if (l[0] == '#') {
			assert_int_equal(regexec(&comment, l, 3, m, 0), 0);
			if (!strncmp(l, "# TYPE", 6)) {
				snprintf(family, sizeof(family), "%.*s",
					 (int)(m[2].rm_eo - m[2].rm_so), l + m[2].rm_so);
				for (int i = 0; i < nseen; i++)
					assert_string_not_equal(seen[i], family);
				assert_true(nseen < 64);
				snprintf(seen[nseen++], sizeof(seen[0]), "%s", family);
			}
			continue;
		}
		if (regexec(&sample, l, 3, m, 0)) {
			print_error("not a sample line: %s\n", l);
			fail();
		}
		/* the sample belongs to the last TYPE's family (histograms: its suffixes) */
		assert_true(!strncmp(l, family, strlen(family)));
	}
	regfree(&sample);
	regfree(&comment);
	regfree(&hex);
	free(copy);
}

static void test_site_label(void **state)
{
	char b[64];

	(void)state;
	assert_int_equal(prom_site_label("load_msg+0x41", b, sizeof(b)), 0);
	assert_string_equal(b, "load_msg+0x41");
	assert_int_equal(prom_site_label("kmdemo_init+0x1c [kmdemo]", b, sizeof(b)), 0);
	assert_string_equal(b, "kmdemo_init+0x1c");
	assert_int_equal(prom_site_label("a.isra.0+0xfffff", b, sizeof(b)), 0);
	assert_int_equal(prom_site_label("", b, sizeof(b)), -1);
	assert_string_equal(b, "");
	assert_int_equal(prom_site_label(NULL, b, sizeof(b)), -1);
	assert_int_equal(prom_site_label("0xffffffff81234567", b, sizeof(b)), -1);
	assert_int_equal(prom_site_label("func", b, sizeof(b)), -1);
	assert_int_equal(prom_site_label("func+0x", b, sizeof(b)), -1);
	assert_int_equal(prom_site_label("+0x10", b, sizeof(b)), -1);
	assert_int_equal(prom_site_label("func+0x10z", b, sizeof(b)), -1);
	/* an offset of 1 MiB or more is no call site inside that function */
	assert_int_equal(prom_site_label("func+0x100000", b, sizeof(b)), -1);
	assert_int_equal(prom_site_label("func+0xffffffff00001234", b, sizeof(b)), -1);
	/* too long for OUT */
	assert_int_equal(prom_site_label("a_very_long_function_name+0x1", b, 8), -1);
}

static void test_put_label(void **state)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	prom_put_label(f, "a\"b\\c\nd\te\x80");
	fclose(f);
	assert_string_equal(out, "a\\\"b\\\\c\\nd?e?");
	free(out);
}

static void test_caller(void **state)
{
	struct names nm = {0};
	struct stat_row rows[] = {
	    site(K1, 1000, 1024000, 1000), /* load_msg: most bytes */
	    site(K2, 10, 40960, 4),	   /* kmdemo */
	    site(K3, 5, 640, 0),	   /* no symbol */
	    site(K4, 7, 7168, 7),	   /* also load_msg+0x41: summed with K1 */
	};
	struct prom_snapshot s = {
	    .mode = STAT_CALLER,
	    .rows = rows,
	    .n = 4,
	    .name = fake_name,
	    .name_arg = &nm,
	    .tr = {.version = "9.9",
		   .scope = "comm kstorm",
		   .start_time = 1700000000.5,
		   .ready = true,
		   .programs = 3,
		   .missed = 2},
	};
	struct kmstat_sizes sz = {0};
	struct prom_state *st = prom_state_new(2);
	char *out;

	(void)state;
	assert_non_null(st);
	s.tot.allocs = 1022;
	s.tot.bytes_req = 1000;
	s.tot.bytes_alloc = 1072768;
	s.tot.frees = 1100;
	s.tot.frees_matched = 1011;
	s.tot.bytes_freed = 1048576;
	s.tot.track_full = 1;
	s.tot.untracked_bytes = 64;
	s.tot.site_full = 3;
	sz.slot[kmstat_size_slot(1000)] = 1000; /* le=1024 */
	sz.slot[kmstat_size_slot(1)] = 20;	/* folded into le=8 */
	sz.slot[kmstat_size_slot(1 << 23)] = 2; /* above the last le */
	sz.sum = 1000 * 1000 + 20 + 2 * (1 << 23);
	s.sizes = &sz;
	out = render(&s, st);
	check_format(out);

	/* totals */
	assert_int_equal(value_of(out, "kmtrace_allocations_total{allocator=\"kmalloc\"}"), 1022);
	assert_int_equal(
	    value_of(out, "kmtrace_untracked_allocations_total{allocator=\"kmalloc\"}"), 1);
	assert_int_equal(value_of(out, "kmtrace_unattributed_events_total{allocator=\"kmalloc\"}"),
			 3);
	assert_int_equal(value_of(out, "kmtrace_outstanding_objects{allocator=\"kmalloc\"}"),
			 1022 - 1 - 1011);
	assert_int_equal(value_of(out, "kmtrace_outstanding_bytes{allocator=\"kmalloc\"}"),
			 1072768 - 64 - 1048576);
	/* K1 and K4 are one series; top 2: load_msg and kmdemo_init, "unknown" in other */
	assert_int_equal(value_of(out, "kmtrace_call_site_allocations_total{allocator=\"kmalloc\","
				       "call_site=\"load_msg+0x41\"}"),
			 1007);
	assert_int_equal(value_of(out, "kmtrace_call_site_allocations_total{allocator=\"kmalloc\","
				       "call_site=\"kmdemo_init+0x1c\"}"),
			 10);
	assert_int_equal(value_of(out, "kmtrace_call_site_allocations_total{allocator=\"kmalloc\","
				       "call_site=\"other\"}"),
			 5);
	assert_null(strstr(out, ",call_site=\"unknown\"}"));
	assert_int_equal(value_of(out,
				  "kmtrace_call_site_outstanding_objects{allocator=\"kmalloc\","
				  "call_site=\"kmdemo_init+0x1c\"}"),
			 6);
	assert_int_equal(value_of(out, "kmtrace_unresolved_call_sites"), 1);
	/* modules: vmlinux (K1, K4), kmdemo, unknown (K3): top 2 and other */
	assert_int_equal(value_of(out, "kmtrace_module_allocations_total{allocator=\"kmalloc\","
				       "module=\"vmlinux\"}"),
			 1007);
	assert_int_equal(value_of(out, "kmtrace_module_allocations_total{allocator=\"kmalloc\","
				       "module=\"kmdemo\"}"),
			 10);
	assert_int_equal(value_of(out, "kmtrace_module_allocations_total{allocator=\"kmalloc\","
				       "module=\"other\"}"),
			 5);
	/* the histogram: cumulative, +Inf = count */
	assert_int_equal(value_of(out, "kmtrace_allocation_size_bytes_bucket{allocator=\"kmalloc\","
				       "le=\"8\"}"),
			 20);
	assert_int_equal(value_of(out, "kmtrace_allocation_size_bytes_bucket{allocator=\"kmalloc\","
				       "le=\"512\"}"),
			 20);
	assert_int_equal(value_of(out, "kmtrace_allocation_size_bytes_bucket{allocator=\"kmalloc\","
				       "le=\"1024\"}"),
			 1020);
	assert_int_equal(value_of(out, "kmtrace_allocation_size_bytes_bucket{allocator=\"kmalloc\","
				       "le=\"4194304\"}"),
			 1020);
	assert_int_equal(value_of(out, "kmtrace_allocation_size_bytes_bucket{allocator=\"kmalloc\","
				       "le=\"+Inf\"}"),
			 1022);
	assert_int_equal(
	    value_of(out, "kmtrace_allocation_size_bytes_count{allocator=\"kmalloc\"}"), 1022);
	assert_int_equal(value_of(out, "kmtrace_allocation_size_bytes_sum{allocator=\"kmalloc\"}"),
			 (long long)sz.sum);
	/* the tracer */
	assert_non_null(strstr(out, "\nkmtrace_info{version=\"9.9\",mode=\"caller\","
				    "scope=\"comm kstorm\"} 1\n"));
	assert_non_null(strstr(out, "\nkmtrace_start_time_seconds 1700000000.500\n"));
	assert_int_equal(value_of(out, "kmtrace_ready"), 1);
	assert_int_equal(value_of(out, "kmtrace_bpf_programs"), 3);
	assert_int_equal(value_of(out, "kmtrace_missed_events_total"), 2);
	assert_int_equal(value_of(out, "kmtrace_series_limit"), 2);
	assert_non_null(strstr(out, "# TYPE kmtrace_allocation_size_bytes histogram\n"));
	assert_non_null(strstr(out, "# TYPE kmtrace_call_site_outstanding_bytes gauge\n"));
	free(out);

	/* Later: the unknown site grows past kmdemo, K1 gets another name:
	 * the series stay what they were, "other" only grows. */
	nm.flip = true;
	nm.calls = 0;
	rows[2] = site(K3, 500, 640000, 0);
	out = render(&s, st);
	check_format(out);
	assert_int_equal(nm.calls, 0); /* every key was named already */
	assert_int_equal(value_of(out, "kmtrace_call_site_allocations_total{allocator=\"kmalloc\","
				       "call_site=\"kmdemo_init+0x1c\"}"),
			 10);
	assert_int_equal(value_of(out, "kmtrace_call_site_allocations_total{allocator=\"kmalloc\","
				       "call_site=\"other\"}"),
			 500);
	assert_null(strstr(out, "renamed"));
	free(out);
	prom_state_free(st);
}

/* A row table below TOP: every key its series, "other" 0, unknown shown. */
static void test_room(void **state)
{
	struct names nm = {0};
	struct stat_row rows[] = {site(K3, 5, 640, 5), site(K2, 1, 64, 0)};
	struct prom_snapshot s = {
	    .mode = STAT_CALLER, .rows = rows, .n = 2, .name = fake_name, .name_arg = &nm};
	struct prom_state *st = prom_state_new(PROM_TOP_DEFAULT);
	char *out;

	(void)state;
	out = render(&s, st);
	check_format(out);
	assert_int_equal(value_of(out,
				  "kmtrace_call_site_freed_objects_total{allocator=\"kmalloc\","
				  "call_site=\"unknown\"}"),
			 5);
	assert_int_equal(value_of(out, "kmtrace_call_site_outstanding_bytes{allocator=\"kmalloc\","
				       "call_site=\"kmdemo_init+0x1c\"}"),
			 64);
	assert_int_equal(value_of(out, "kmtrace_call_site_allocations_total{allocator=\"kmalloc\","
				       "call_site=\"other\"}"),
			 0);
	/* no sizes given: an empty histogram, still complete */
	assert_int_equal(
	    value_of(out, "kmtrace_allocation_size_bytes_count{allocator=\"kmalloc\"}"), 0);
	free(out);
	prom_state_free(st);
	assert_null(prom_state_new(0));
	assert_null(prom_state_new(PROM_TOP_MAX + 1));
}

static const char *cache_name(void *arg, __u64 key, char *buf, size_t len, const char **module)
{
	(void)arg;
	*module = NULL;
	snprintf(buf, len, "%s", key == K1 ? "sock_inode_cache" : key == K2 ? "we\"ird" : "?");
	return buf;
}

static void test_cache_alloc_page(void **state)
{
	struct stat_row rows[] = {site(K1, 3, 2304, 1), site(K2, 1, 64, 0), site(K3, 1, 8, 0)};
	struct prom_snapshot s = {.mode = STAT_CACHE, .rows = rows, .n = 3, .name = cache_name};
	struct prom_state *st = prom_state_new(5);
	char *out;

	(void)state;
	out = render(&s, st);
	check_format(out);
	assert_int_equal(value_of(out, "kmtrace_cache_allocations_total{allocator=\"cache\","
				       "cache=\"sock_inode_cache\"}"),
			 3);
	assert_int_equal(value_of(out, "kmtrace_cache_allocations_total{allocator=\"cache\","
				       "cache=\"we\\\"ird\"}"),
			 1);
	assert_int_equal(value_of(out, "kmtrace_cache_allocations_total{allocator=\"cache\","
				       "cache=\"unknown\"}"),
			 1);
	assert_null(strstr(out, "call_site"));
	assert_null(strstr(out, "kmtrace_unresolved_call_sites"));
	free(out);
	prom_state_free(st);

	/* --alloc: size classes, in decimal */
	st = prom_state_new(5);
	rows[0].key = 1024, rows[1].key = 64, rows[2].key = 1024;
	s.mode = STAT_ALLOC;
	s.name = NULL;
	out = render(&s, st);
	check_format(out);
	assert_int_equal(value_of(out, "kmtrace_size_class_allocations_total{allocator=\"kmalloc\","
				       "size_class=\"1024\"}"),
			 4);
	assert_int_equal(value_of(out, "kmtrace_size_class_allocated_bytes_total{allocator="
				       "\"kmalloc\",size_class=\"64\"}"),
			 64);
	free(out);
	prom_state_free(st);

	/* --page: per order, and the histogram from the rows */
	st = prom_state_new(5);
	memset(rows, 0, sizeof(rows));
	rows[0].order = 0, rows[0].gfp = 0xcc0, rows[0].p.hits = 10, rows[0].p.pages = 10;
	rows[1].order = 0, rows[1].gfp = 0x100cca, rows[1].p.hits = 5, rows[1].p.pages = 5;
	rows[2].order = 3, rows[2].p.hits = 2, rows[2].p.pages = 16, rows[2].p.fails = 1;
	s.mode = STAT_PAGE;
	s.page_size = 4096;
	s.tot.page_allocs = 17;
	s.tot.pages_alloc = 31;
	out = render(&s, st);
	check_format(out);
	assert_int_equal(value_of(out, "kmtrace_allocations_total{allocator=\"page\"}"), 17);
	assert_int_equal(value_of(out, "kmtrace_allocated_pages_total{allocator=\"page\"}"), 31);
	assert_int_equal(value_of(out, "kmtrace_order_allocations_total{allocator=\"page\","
				       "order=\"0\"}"),
			 15);
	assert_int_equal(value_of(out, "kmtrace_order_allocated_pages_total{allocator=\"page\","
				       "order=\"3\"}"),
			 16);
	assert_int_equal(value_of(out, "kmtrace_order_allocation_failures_total{allocator=\"page\","
				       "order=\"3\"}"),
			 1);
	assert_int_equal(value_of(out, "kmtrace_allocation_size_bytes_bucket{allocator=\"page\","
				       "le=\"4096\"}"),
			 15);
	assert_int_equal(value_of(out, "kmtrace_allocation_size_bytes_bucket{allocator=\"page\","
				       "le=\"16384\"}"),
			 15);
	assert_int_equal(value_of(out, "kmtrace_allocation_size_bytes_bucket{allocator=\"page\","
				       "le=\"32768\"}"),
			 17);
	assert_int_equal(value_of(out, "kmtrace_allocation_size_bytes_sum{allocator=\"page\"}"),
			 15 * 4096 + 2 * 32768);
	free(out);
	prom_state_free(st);
}

static void test_size_slot(void **state)
{
	(void)state;
	assert_int_equal(kmstat_size_slot(0), 0);
	assert_int_equal(kmstat_size_slot(1), 0);
	assert_int_equal(kmstat_size_slot(2), 1);
	assert_int_equal(kmstat_size_slot(3), 2);
	assert_int_equal(kmstat_size_slot(4), 2);
	assert_int_equal(kmstat_size_slot(5), 3);
	assert_int_equal(kmstat_size_slot(1024), 10);
	assert_int_equal(kmstat_size_slot(1025), 11);
	assert_int_equal(kmstat_size_slot(UINT64_MAX), 64);
}

static void test_netaddr(void **state)
{
	struct kmt_netaddr a;
	char err[200], b[80];

	(void)state;
	assert_int_equal(kmt_netaddr_parse("9464", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 9464);
	assert_false(a.v6);
	assert_int_equal(a.len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), 9464);
	assert_string_equal(kmt_netaddr_str(&a, 1234, b, sizeof(b)), "127.0.0.1:1234");
	assert_int_equal(kmt_netaddr_parse("0.0.0.0:0", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "0.0.0.0");
	assert_int_equal(a.port, 0);
	assert_int_equal(kmt_netaddr_parse("localhost:80", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(kmt_netaddr_parse("[::1]:9464", &a, err, sizeof(err)), 0);
	assert_true(a.v6);
	assert_string_equal(a.host, "::1");
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_string_equal(kmt_netaddr_str(&a, 9464, b, sizeof(b)), "[::1]:9464");

	static const char *const bad[] = {
	    "",
	    ":9464",
	    "65536",
	    "-1",
	    "94 64",
	    "0x10",
	    "1.2.3:80",
	    "1.2.3.4.5:80",
	    "host:80",
	    "::1:80",
	    "[::1]",
	    "[::1]80",
	    "[]:80",
	    "[1.2.3.4]:80",
	    "1.2.3.4:",
	    "1.2.3.4:+80",
	    "999999999999",
	    "[::1]:",
	    "256.1.1.1:1",
	    "1.2.3.4:080000",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (kmt_netaddr_parse(bad[i], &a, err, sizeof(err)) != -1) {
			print_error("accepted: '%s'\n", bad[i]);
			fail();
		}
		assert_non_null(strstr(err, "--listen"));
		assert_null(strchr(err, '\n'));
	}
}

static int write_hello(void *arg, FILE *f)
{
	fprintf(f, "hello %s\n", (const char *)arg);
	return 0;
}

static int write_fail(void *arg, FILE *f)
{
	(void)arg;
	fputs("half", f);
	return -1;
}

static int files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_textfile(void **state)
{
	char dir[] = "/tmp/kmt-textfile-XXXXXX", path[64], buf[64];
	struct stat sb;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kmtrace.prom", dir);
	assert_int_equal(kmt_textfile_write(path, 0644, write_hello, "one"), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(kmt_textfile_write(path, 0644, write_hello, "two"), 0);
	/* a failed render leaves the last good file, and no temporary file */
	assert_int_equal(kmt_textfile_write(path, 0644, write_fail, NULL), -1);
	assert_int_equal(files_in(dir), 1);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "hello two\n");
	/* a file name without a directory part is relative to the cwd */
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	snprintf(path, sizeof(path), "%s/none/x.prom", dir);
	assert_int_equal(kmt_textfile_write(path, 0644, write_hello, "x"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_site_label),	     cmocka_unit_test(test_put_label),
	    cmocka_unit_test(test_caller),	     cmocka_unit_test(test_room),
	    cmocka_unit_test(test_cache_alloc_page), cmocka_unit_test(test_size_slot),
	    cmocka_unit_test(test_netaddr),	     cmocka_unit_test(test_textfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

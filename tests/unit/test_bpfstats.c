// SPDX-License-Identifier: GPL-2.0
/*
 * user/bpfstats.c: diff, totals and both output forms on fixed snapshots;
 * and, as root, kmt_bpfstats_read on a real object (kmfloor's empty raw_tp
 * programs on kmem:kmalloc/kfree) with statistics held on by
 * kmt_bpfstats_enable, against a workload with a known count of kmallocs
 * (SysV msgsnd: one kmalloc per message, freed at msgrcv).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/libbpf.h>
#include "bpfstats.h"
#include "kmfloor.skel.h"

static struct kmt_prog_stat st(const char *name, __u32 id, __u64 ns, __u64 cnt, __u64 miss)
{
	struct kmt_prog_stat s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	s.id = id;
	s.run_ns = ns;
	s.run_cnt = cnt;
	s.recursion_misses = miss;
	return s;
}

/* What FN printed for S[0..N) over SECONDS, in a malloc'ed string. */
static char *printed(int (*fn)(FILE *, const struct kmt_prog_stat *, size_t, double),
		     const struct kmt_prog_stat *s, size_t n, double seconds)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(f, s, n, seconds), 0);
	fclose(f);
	return buf;
}

static void test_diff_by_id(void **state)
{
	struct kmt_prog_stat before[2], after[3], out[3];

	(void)state;
	before[0] = st("a", 10, 1000, 10, 1);
	before[1] = st("b", 11, 500, 5, 0);
	/* after in another order; c (id 12) was loaded in between */
	after[0] = st("b", 11, 2500, 25, 0);
	after[1] = st("c", 12, 300, 3, 2);
	after[2] = st("a", 10, 1600, 16, 4);
	assert_int_equal(kmt_bpfstats_diff(before, 2, after, 3, out), 3);
	assert_string_equal(out[0].name, "b");
	assert_true(out[0].run_ns == 2000 && out[0].run_cnt == 20 && out[0].recursion_misses == 0);
	assert_string_equal(out[1].name, "c");
	assert_true(out[1].run_ns == 300 && out[1].run_cnt == 3 && out[1].recursion_misses == 2);
	assert_true(out[2].id == 10 && out[2].run_ns == 600 && out[2].run_cnt == 6 &&
		    out[2].recursion_misses == 3);
}

static void test_diff_in_place_and_backwards(void **state)
{
	struct kmt_prog_stat before[1], after[1];

	(void)state;
	before[0] = st("a", 7, 900, 9, 0);
	after[0] = st("a", 7, 800, 10, 0); /* a counter going back is taken as 0 */
	assert_int_equal(kmt_bpfstats_diff(before, 1, after, 1, after), 1);
	assert_true(after[0].run_ns == 0 && after[0].run_cnt == 1);
}

static void test_total_and_ns_per_run(void **state)
{
	struct kmt_prog_stat s[2], tot;

	(void)state;
	s[0] = st("a", 1, 700, 10, 1);
	s[1] = st("b", 2, 300, 0, 0);
	kmt_bpfstats_total(s, 2, &tot);
	assert_string_equal(tot.name, "total");
	assert_true(tot.id == 0 && tot.run_ns == 1000 && tot.run_cnt == 10 &&
		    tot.recursion_misses == 1);
	assert_true(kmt_bpfstats_ns_per_run(&tot) == 100.0);
	assert_true(kmt_bpfstats_ns_per_run(&s[1]) == 0.0);
}

static void test_print_table(void **state)
{
	struct kmt_prog_stat s[3];
	char *out;

	(void)state;
	s[0] = st("raw_kmalloc", 5, 150000000, 1000000, 0);
	s[1] = st("raw_fork", 6, 0, 0, 0); /* did not run: left out */
	s[2] = st("raw_kfree", 7, 100000000, 2000000, 3);
	out = printed(kmt_bpfstats_print, s, 3, 2.0);
	assert_string_equal(
	    out,
	    "--- BPF programs' run time (kernel statistics, 2.000 s) ---\n"
	    "PROGRAM                          RUNS     NS/RUN    TOTAL(ms)    CPU%   MISSED\n"
	    "raw_kmalloc                   1000000      150.0      150.000    7.50        0\n"
	    "raw_kfree                     2000000       50.0      100.000    5.00        3\n"
	    "total                         3000000       83.3      250.000   12.50        3\n");
	free(out);
}

static void test_print_nothing_ran(void **state)
{
	struct kmt_prog_stat s[1];
	char *out;

	(void)state;
	s[0] = st("raw_kmalloc", 5, 0, 0, 0);
	out = printed(kmt_bpfstats_print, s, 1, 1.5);
	assert_string_equal(out, "--- BPF programs' run time (kernel statistics, 1.500 s) ---\n"
				 "no program runs counted (BPF statistics off, or no events)\n");
	free(out);
}

static void test_print_json(void **state)
{
	struct kmt_prog_stat s[2];
	char *out;

	(void)state;
	s[0] = st("raw_kmalloc", 5, 1500, 10, 0);
	s[1] = st("we\"ird\\\n", 6, 0, 0, 2);
	out = printed(kmt_bpfstats_print_json, s, 2, 0.25);
	assert_string_equal(
	    out, "{\"event\":\"bpf_stats\",\"seconds\":0.250,\"progs\":["
		 "{\"name\":\"raw_kmalloc\",\"id\":5,\"run_cnt\":10,\"run_ns\":1500,"
		 "\"ns_per_run\":150.0,\"recursion_misses\":0},"
		 "{\"name\":\"we\\\"ird\\\\\\u000a\",\"id\":6,\"run_cnt\":0,\"run_ns\":0,"
		 "\"ns_per_run\":0.0,\"recursion_misses\":2}],"
		 "\"run_cnt\":10,\"run_ns\":1500,\"ns_per_run\":150.0,\"recursion_misses\":2}\n");
	free(out);
}

static void test_print_json_empty(void **state)
{
	char *out;

	(void)state;
	out = printed(kmt_bpfstats_print_json, NULL, 0, 1.0);
	assert_string_equal(out, "{\"event\":\"bpf_stats\",\"seconds\":1.000,\"progs\":[],"
				 "\"run_cnt\":0,\"run_ns\":0,\"ns_per_run\":0.0,"
				 "\"recursion_misses\":0}\n");
	free(out);
}

/* N SysV messages of 100 bytes sent and received: N kmallocs, N+ kfrees. */
static void msg_ops(int n)
{
	struct {
		long mtype;
		char mtext[100];
	} m = {.mtype = 1};
	int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	assert_true(q >= 0);
	for (int i = 0; i < n; i++) {
		assert_int_equal(msgsnd(q, &m, sizeof(m.mtext), 0), 0);
		assert_int_equal(msgrcv(q, &m, sizeof(m.mtext), 0, 0), (ssize_t)sizeof(m.mtext));
	}
	msgctl(q, IPC_RMID, NULL);
}

static const struct kmt_prog_stat *find(const struct kmt_prog_stat *s, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(s[i].name, name) == 0)
			return &s[i];
	return NULL;
}

static void test_read_real_object(void **state)
{
	struct kmt_prog_stat b[8], a[8], d[8], small[1];
	const struct kmt_prog_stat *km, *kf;
	struct kmfloor_bpf *skel;
	int nb, na, fd;

	(void)state;
	if (geteuid() != 0)
		skip(); /* loading BPF needs root; make test runs as root */
	skel = kmfloor_bpf__open();
	assert_non_null(skel);
	bpf_program__set_autoload(skel->progs.floor_tp_kmalloc, false);
	bpf_program__set_autoload(skel->progs.floor_tp_kfree, false);
	assert_int_equal(kmfloor_bpf__load(skel), 0);
	assert_int_equal(kmfloor_bpf__attach(skel), 0);

	/* Only the two loaded programs are listed; max is respected. */
	assert_int_equal(kmt_bpfstats_read(skel->obj, small, 1), 1);
	nb = kmt_bpfstats_read(skel->obj, b, 8);
	assert_int_equal(nb, 2);
	assert_non_null(find(b, nb, "floor_raw_kmalloc"));
	assert_non_null(find(b, nb, "floor_raw_kfree"));
	assert_true(b[0].id != 0 && b[1].id != 0 && b[0].id != b[1].id);

	fd = kmt_bpfstats_enable();
	assert_true(fd >= 0);
	nb = kmt_bpfstats_read(skel->obj, b, 8);
	msg_ops(1000);
	na = kmt_bpfstats_read(skel->obj, a, 8);
	close(fd);
	assert_int_equal(na, 2);
	kmt_bpfstats_diff(b, (size_t)nb, a, (size_t)na, d);
	km = find(d, na, "floor_raw_kmalloc");
	kf = find(d, na, "floor_raw_kfree");
	assert_non_null(km);
	assert_non_null(kf);
	/* every msgsnd kmallocs and every msgrcv kfrees (the rest of the machine adds) */
	assert_true(km->run_cnt >= 1000);
	assert_true(kf->run_cnt >= 1000);
	/* the kernel timed the runs: at least 1 ns each, and not absurdly long */
	assert_true(km->run_ns >= km->run_cnt && kf->run_ns >= kf->run_cnt);
	assert_true(kmt_bpfstats_ns_per_run(km) < 100000.0);
	kmfloor_bpf__destroy(skel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diff_by_id),
	    cmocka_unit_test(test_diff_in_place_and_backwards),
	    cmocka_unit_test(test_total_and_ns_per_run),
	    cmocka_unit_test(test_print_table),
	    cmocka_unit_test(test_print_nothing_ran),
	    cmocka_unit_test(test_print_json),
	    cmocka_unit_test(test_print_json_empty),
	    cmocka_unit_test(test_read_real_object),
	};

	libbpf_set_print(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/* BPF programs' own run time from the kernel's statistics: see bpfstats.h. */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfstats.h"

int kmt_bpfstats_enable(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

int kmt_bpfstats_read_fd(int prog_fd, const char *name, struct kmt_prog_stat *out)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name ? name : info.name);
	out->id = info.id;
	out->run_ns = info.run_time_ns;
	out->run_cnt = info.run_cnt;
	out->recursion_misses = info.recursion_misses;
	return 0;
}

int kmt_bpfstats_read(const struct bpf_object *obj, struct kmt_prog_stat *out, size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;
	int err;

	bpf_object__for_each_program(prog, obj)
	{
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue; /* not loaded (autoload off) */
		if (n == max)
			break;
		err = kmt_bpfstats_read_fd(fd, bpf_program__name(prog), &out[n]);
		if (err)
			return err;
		n++;
	}
	return (int)n;
}

static __u64 sub0(__u64 a, __u64 b)
{
	return a > b ? a - b : 0;
}

size_t kmt_bpfstats_diff(const struct kmt_prog_stat *before, size_t nb,
			 const struct kmt_prog_stat *after, size_t na, struct kmt_prog_stat *out)
{
	for (size_t i = 0; i < na; i++) {
		struct kmt_prog_stat d = after[i];

		for (size_t j = 0; j < nb; j++) {
			if (before[j].id != after[i].id)
				continue;
			d.run_ns = sub0(after[i].run_ns, before[j].run_ns);
			d.run_cnt = sub0(after[i].run_cnt, before[j].run_cnt);
			d.recursion_misses =
			    sub0(after[i].recursion_misses, before[j].recursion_misses);
			break;
		}
		out[i] = d;
	}
	return na;
}

void kmt_bpfstats_total(const struct kmt_prog_stat *s, size_t n, struct kmt_prog_stat *tot)
{
	memset(tot, 0, sizeof(*tot));
	snprintf(tot->name, sizeof(tot->name), "total");
	for (size_t i = 0; i < n; i++) {
		tot->run_ns += s[i].run_ns;
		tot->run_cnt += s[i].run_cnt;
		tot->recursion_misses += s[i].recursion_misses;
	}
}

double kmt_bpfstats_ns_per_run(const struct kmt_prog_stat *s)
{
	return s->run_cnt ? (double)s->run_ns / (double)s->run_cnt : 0.0;
}

static int row(FILE *f, const struct kmt_prog_stat *s, double seconds)
{
	double pct = seconds > 0 ? (double)s->run_ns / (seconds * 1e9) * 100.0 : 0.0;

	return fprintf(f, "%-24s %12llu %10.1f %12.3f %7.2f %8llu\n", s->name,
		       (unsigned long long)s->run_cnt, kmt_bpfstats_ns_per_run(s),
		       (double)s->run_ns / 1e6, pct, (unsigned long long)s->recursion_misses);
}

int kmt_bpfstats_print(FILE *f, const struct kmt_prog_stat *s, size_t n, double seconds)
{
	struct kmt_prog_stat tot;

	kmt_bpfstats_total(s, n, &tot);
	fprintf(f, "--- BPF programs' run time (kernel statistics, %.3f s) ---\n", seconds);
	if (tot.run_cnt == 0 && tot.recursion_misses == 0) {
		fprintf(f, "no program runs counted (BPF statistics off, or no events)\n");
		return ferror(f) ? -1 : 0;
	}
	fprintf(f, "%-24s %12s %10s %12s %7s %8s\n", "PROGRAM", "RUNS", "NS/RUN", "TOTAL(ms)",
		"CPU%", "MISSED");
	for (size_t i = 0; i < n; i++)
		if (s[i].run_cnt || s[i].recursion_misses)
			row(f, &s[i], seconds);
	row(f, &tot, seconds);
	return ferror(f) ? -1 : 0;
}

/* NAME as a JSON string: quotes, backslash and control characters escaped. */
static void json_name(FILE *f, const char *name)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_counts(FILE *f, const struct kmt_prog_stat *s)
{
	fprintf(f, "\"run_cnt\":%llu,\"run_ns\":%llu,\"ns_per_run\":%.1f,\"recursion_misses\":%llu",
		(unsigned long long)s->run_cnt, (unsigned long long)s->run_ns,
		kmt_bpfstats_ns_per_run(s), (unsigned long long)s->recursion_misses);
}

int kmt_bpfstats_print_json(FILE *f, const struct kmt_prog_stat *s, size_t n, double seconds)
{
	struct kmt_prog_stat tot;

	kmt_bpfstats_total(s, n, &tot);
	fprintf(f, "{\"event\":\"bpf_stats\",\"seconds\":%.3f,\"progs\":[", seconds);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_name(f, s[i].name);
		fprintf(f, ",\"id\":%u,", s[i].id);
		json_counts(f, &s[i]);
		fputc('}', f);
	}
	fputs("],", f);
	json_counts(f, &tot);
	fputs("}\n", f);
	return ferror(f) ? -1 : 0;
}

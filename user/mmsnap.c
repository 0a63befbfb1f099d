// SPDX-License-Identifier: GPL-2.0
/*
 * kmtrace mm [--json]: snapshot of every user process's mm_struct.
 *
 * bpf/mmsnap.bpf.c is a task iterator that writes one struct mmsnap_rec per
 * process with an mm; reading the iterator fd runs it. Sorted by pid, printed
 * as a table or one JSON object per process.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mmsnap.skel.h"
#include "mmsnap.h"
#include "opts.h"
#include "probe.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: kmtrace mm [--json]\n"
		   "Snapshot of every process with an mm_struct (BPF task iterator),\n"
		   "sorted by pid: PID COMM MM_USERS MM_COUNT THREADS.\n"
		   "  --json      one JSON object per process\n"
		   "  -h, --help  this text\n"
		   "MM_COUNT is -1 on a kernel without mm_struct.mm_count.\n");
}

static int cmp_pid(const void *a, const void *b)
{
	const struct mmsnap_rec *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

size_t mmsnap_sort_dedup(struct mmsnap_rec *recs, size_t n)
{
	size_t out = 0;

	/* Stable for equal pids is not needed: duplicates describe the same mm. */
	qsort(recs, n, sizeof(*recs), cmp_pid);
	for (size_t i = 0; i < n; i++) {
		if (out && recs[out - 1].pid == recs[i].pid)
			continue;
		recs[out++] = recs[i];
	}
	return out;
}

static void json_comm(FILE *f, const char *s, size_t max)
{
	fputc('"', f);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void mmsnap_print(FILE *f, const struct mmsnap_rec *recs, size_t n, bool json)
{
	if (!json)
		fprintf(f, "%8s %-16s %8s %8s %7s\n", "PID", "COMM", "MM_USERS", "MM_COUNT",
			"THREADS");
	for (size_t i = 0; i < n; i++) {
		const struct mmsnap_rec *r = &recs[i];

		if (json) {
			fprintf(f, "{\"type\":\"mm_snapshot\",\"pid\":%u,\"comm\":", r->pid);
			json_comm(f, r->comm, sizeof(r->comm));
			fprintf(f, ",\"mm_users\":%d,\"mm_count\":%d,\"threads\":%d}\n",
				r->mm_users, r->mm_count, r->nr_threads);
		} else {
			char comm[MMSNAP_COMM_LEN + 1];
			size_t j;

			/* Keep the table one line per process: no control bytes. */
			for (j = 0; j < sizeof(r->comm) && r->comm[j]; j++)
				comm[j] = (unsigned char)r->comm[j] < 0x20 || r->comm[j] == 0x7f
					      ? '?'
					      : r->comm[j];
			comm[j] = '\0';
			fprintf(f, "%8u %-16s %8d %8d %7d\n", r->pid, comm, r->mm_users,
				r->mm_count, r->nr_threads);
		}
	}
}

struct mmsnap_iter {
	struct mmsnap_bpf *obj;
	struct bpf_link *link;
};

struct mmsnap_iter *mmsnap_iter_open(void)
{
	struct mmsnap_iter *it = calloc(1, sizeof(*it));
	int err;

	if (!it)
		return NULL;
	it->obj = mmsnap_bpf__open_and_load();
	if (!it->obj)
		goto fail;
	it->link = bpf_program__attach_iter(it->obj->progs.mm_snapshot, NULL);
	if (!it->link)
		goto fail;
	return it;
fail:
	err = errno;
	mmsnap_iter_close(it);
	errno = err;
	return NULL;
}

void mmsnap_iter_close(struct mmsnap_iter *it)
{
	if (!it)
		return;
	bpf_link__destroy(it->link);
	mmsnap_bpf__destroy(it->obj);
	free(it);
}

struct mmsnap_rec *mmsnap_iter_run(struct mmsnap_iter *it, size_t *n)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, err = 0;
	ssize_t r;

	*n = 0;
	fd = bpf_iter_create(bpf_link__fd(it->link));
	if (fd < 0)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				err = ENOMEM;
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*n = len / sizeof(struct mmsnap_rec);
out:
	close(fd);
	if (err) {
		free(buf);
		*n = 0;
		errno = err;
		return NULL;
	}
	if (!buf)
		buf = malloc(1);
	return (struct mmsnap_rec *)buf;
}

/* Run the iterator once; *n records into a malloc'd array. */
static struct mmsnap_rec *snapshot(size_t *n)
{
	struct mmsnap_iter *it = mmsnap_iter_open();
	struct mmsnap_rec *recs;
	int err;

	*n = 0;
	if (!it)
		return NULL;
	recs = mmsnap_iter_run(it, n);
	err = errno;
	mmsnap_iter_close(it);
	errno = err;
	return recs;
}

int cmd_mm_snapshot(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct mmsnap_rec *recs;
	bool json = false;
	size_t n;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr,
				"kmtrace: mm: unknown option '%s' (see kmtrace mm --help)\n",
				kmt_one_line(argv[optind - 1]));
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kmtrace: mm: unexpected argument '%s' (see kmtrace mm --help)\n",
			kmt_one_line(argv[optind]));
		return 2;
	}
	if (!kmt_check_caps("mm") || !kmt_check_btf("mm", KMT_VMLINUX_BTF))
		return 1;
	recs = snapshot(&n);
	if (!recs) {
		fprintf(stderr, "kmtrace: mm: task iterator failed: %s\n", strerror(errno));
		return 1;
	}
	n = mmsnap_sort_dedup(recs, n);
	mmsnap_print(stdout, recs, n, json);
	fflush(stdout);
	free(recs);
	return 0;
}

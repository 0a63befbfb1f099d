// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace mm`'s snapshot: the records bpf/mm.bpf.c's task iterator writes
 * (one struct mmsnap_rec per process with an mm), read, sorted by pid and
 * printed as a table or one JSON object per process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fmt.h"
#include "mm_snapshot.h"

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

void mmsnap_print(FILE *f, const struct mmsnap_rec *recs, size_t n, bool json)
{
	if (!json)
		fprintf(f, "%8s %-16s %8s %8s %7s\n", "PID", "COMM", "MM_USERS", "MM_COUNT",
			"THREADS");
	for (size_t i = 0; i < n; i++) {
		const struct mmsnap_rec *r = &recs[i];

		if (json) {
			fprintf(f, "{\"type\":\"mm_snapshot\",\"pid\":%u,\"comm\":", r->pid);
			kmt_fput_json_str(f, r->comm, sizeof(r->comm));
			fprintf(f, ",\"mm_users\":%d,\"mm_count\":%d,\"threads\":%d}\n",
				r->mm_users, r->mm_count, r->nr_threads);
		} else {
			char comm[KMT_COMM_LEN + 1];

			kmt_comm_text(r->comm, comm); /* one line per process */
			fprintf(f, "%8u %-16s %8d %8d %7d\n", r->pid, comm, r->mm_users,
				r->mm_count, r->nr_threads);
		}
	}
}

struct mmsnap_rec *mmsnap_iter_run(struct bpf_link *link, size_t *n)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, err = 0;
	ssize_t r;

	*n = 0;
	fd = bpf_iter_create(bpf_link__fd(link));
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

// SPDX-License-Identifier: GPL-2.0
/* Time, per-CPU sums, stop signals, private files (see util.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "util.h"

uint64_t kmt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void kmt_sum_u64(uint64_t *dst, const void *percpu, size_t value_size, int ncpu)
{
	size_t nf = value_size / sizeof(uint64_t);
	const uint64_t *v = percpu;

	memset(dst, 0, value_size);
	for (int c = 0; c < ncpu; c++)
		for (size_t i = 0; i < nf; i++)
			dst[i] += v[(size_t)c * nf + i];
}

int kmt_percpu_sum(int fd, const void *key, void *out, size_t value_size)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	void *vals;

	memset(out, 0, value_size);
	if (ncpu <= 0) {
		errno = -ncpu;
		return -1;
	}
	/* per-CPU values are 8-byte aligned, value_size is a multiple of 8 here */
	vals = calloc((size_t)ncpu, value_size);
	if (!vals)
		return -1;
	err = bpf_map_lookup_elem(fd, key, vals);
	if (!err)
		kmt_sum_u64(out, vals, value_size, ncpu);
	free(vals);
	return err ? -1 : 0;
}

uint64_t kmt_counter(int fd, uint32_t idx)
{
	uint64_t v = 0;

	kmt_percpu_sum(fd, &idx, &v, sizeof(v));
	return v;
}

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

void kmt_stop_on_signals(void)
{
	struct sigaction sa = {.sa_handler = on_stop};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int kmt_stop_signal(void)
{
	return stop_sig;
}

void kmt_nap_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	if (!stop_sig)
		nanosleep(&ts, NULL); /* EINTR on a stop signal */
}

static int out_errno; /* of stdout's first failed write */

void kmt_out_failed(void)
{
	if (!out_errno)
		out_errno = errno ? errno : EIO;
}

int kmt_out(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	if (n < 0)
		kmt_out_failed();
	return n;
}

bool kmt_out_error(void)
{
	return out_errno != 0 || ferror(stdout);
}

int kmt_out_end(int ret)
{
	errno = 0;
	if (fflush(stdout) == EOF || ferror(stdout))
		kmt_out_failed();
	if (!out_errno || out_errno == EPIPE)
		return ret;
	fprintf(stderr, "kmtrace: write error: %s\n", strerror(out_errno));
	return 1;
}

FILE *kmt_fopen_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), e;
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) ||
	    (S_ISREG(st.st_mode) && (st.st_mode & 077) && fchmod(fd, st.st_mode & 0700))) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

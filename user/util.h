// SPDX-License-Identifier: GPL-2.0
/* Small utilities every command uses: time, per-CPU map sums, stop signals,
 * private output files. */
#ifndef KMT_UTIL_H
#define KMT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* CLOCK_MONOTONIC in ns (the clock of bpf_ktime_get_ns()). */
uint64_t kmt_now_ns(void);

/*
 * Sum the per-CPU values of KEY in the per-CPU map FD into OUT: a struct of
 * VALUE_SIZE / 8 uint64_t fields (a plain uint64_t counter too).  0, or -1
 * with errno (OUT zeroed).
 */
int kmt_percpu_sum(int fd, const void *key, void *out, size_t value_size);

/* Sum N per-CPU copies of a struct made of uint64_t fields (VALUE_SIZE bytes). */
void kmt_sum_u64(uint64_t *dst, const void *percpu, size_t value_size, int ncpu);

/* Counter IDX (enum kmt_counter) of a `counters` map FD, summed over CPUs. */
uint64_t kmt_counter(int fd, uint32_t idx);

/*
 * SIGINT and SIGTERM set the stop flag (SA_RESTART off, so blocking calls
 * return EINTR); SIGPIPE is ignored (a closed stdout is a write error).
 */
void kmt_stop_on_signals(void);
/* The signal that asked to stop, 0 if none yet. */
int kmt_stop_signal(void);
/* Sleep up to MS milliseconds; returns early on a stop signal. */
void kmt_nap_ms(unsigned int ms);

/*
 * stdout's write errors.  kmt_out_failed() after a write to stdout that
 * failed (or when ferror(stdout)): remembers the errno of the first failure.
 * kmt_out_end(RET) at the end of a command: flushes stdout; a failure other
 * than EPIPE (the reader went away: quiet) is said once,
 * "kmtrace: write error: ...", and makes the exit status 1.  Returns RET or 1.
 */
void kmt_out_failed(void);
/* Whether a write to stdout has failed (any errno). */
bool kmt_out_error(void);
int kmt_out_end(int ret);
/* printf to stdout; a failed write is recorded at once (kmt_out_failed),
 * while errno still says why. */
int kmt_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * PATH opened for writing (truncated) as a file that can hold kernel
 * addresses: created 0600 like perf.data; a regular file that already exists
 * loses its group and other permissions before anything is written to it
 * (failing that, it is not written).  Devices and FIFOs (/dev/stdout, a
 * pipe) are left as they are.  NULL with errno.
 */
FILE *kmt_fopen_private(const char *path);

#endif /* KMT_UTIL_H */

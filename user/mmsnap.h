// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace mm` without a target: a snapshot of every process with an mm
 * (pid, comm, mm_users, mm_count, threads) taken by a BPF task iterator.
 */
#ifndef KMTRACE_MMSNAP_H
#define KMTRACE_MMSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "../bpf/mmsnap.h" /* the record layout (same basename as this file) */

/* kmtrace mm [--json]; argv[0] = "mm". Returns the exit code (0, 1 runtime, 2 usage). */
int cmd_mm_snapshot(int argc, char **argv);

/*
 * Pure helpers (no BPF): records parsed from the iterator's byte stream,
 * sorted by pid with duplicates (one per thread when the leader is gone)
 * dropped; then printed as a table or JSON lines.
 */
size_t mmsnap_sort_dedup(struct mmsnap_rec *recs, size_t n);
void mmsnap_print(FILE *f, const struct mmsnap_rec *recs, size_t n, bool json);

/*
 * The iterator kept loaded, for repeated snapshots (`kmtrace mm -p` samples):
 * open (NULL with errno), run (one pass: a malloc()ed array of *N records,
 * unsorted; NULL with errno on error), close.
 */
struct mmsnap_iter;
struct mmsnap_iter *mmsnap_iter_open(void);
struct mmsnap_rec *mmsnap_iter_run(struct mmsnap_iter *it, size_t *n);
void mmsnap_iter_close(struct mmsnap_iter *it);

#endif /* KMTRACE_MMSNAP_H */

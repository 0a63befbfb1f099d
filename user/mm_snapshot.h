// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace mm`: a snapshot of every process with an mm (pid, comm, mm_users,
 * mm_count, threads) taken by bpf/mm.bpf.c's task iterator.
 */
#ifndef KMT_MM_SNAPSHOT_H
#define KMT_MM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "mm.h" /* bpf/mm.h: the record layout */

/*
 * Pure helpers (no BPF): records parsed from the iterator's byte stream,
 * sorted by pid with duplicates (one per thread when the leader is gone)
 * dropped; then printed as a table or JSON lines.
 */
size_t mmsnap_sort_dedup(struct mmsnap_rec *recs, size_t n);
void mmsnap_print(FILE *f, const struct mmsnap_rec *recs, size_t n, bool json);

/*
 * One pass of the iterator LINK (bpf_program__attach_iter of mm_snapshot): a
 * malloc()ed array of *N records, unsorted; NULL with errno on error.
 */
struct bpf_link;
struct mmsnap_rec *mmsnap_iter_run(struct bpf_link *link, size_t *n);

#endif /* KMT_MM_SNAPSHOT_H */

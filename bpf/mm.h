/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * mmsnap: one record per process with an mm, written by the task iterator in
 * bpf/mm.bpf.c (bpf_seq_write) and read back by user/mm_snapshot.c.
 */
#ifndef KMT_MM_H
#define KMT_MM_H

#include "common.h"

struct mmsnap_rec {
	__u32 pid;	  /* tgid */
	__s32 mm_users;	  /* mm->mm_users */
	__s32 mm_count;	  /* mm->mm_count, -1 when this kernel has no such field */
	__s32 nr_threads; /* signal->nr_threads */
	char comm[KMT_COMM_LEN];
};

#endif /* KMT_MM_H */

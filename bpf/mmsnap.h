/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * mmsnap: one record per process with an mm, written by the task iterator in
 * bpf/mmsnap.bpf.c (bpf_seq_write) and read back by user/mmsnap.c.
 */
#ifndef MMSNAP_H
#define MMSNAP_H

#define MMSNAP_COMM_LEN 16

struct mmsnap_rec {
	__u32 pid;	  /* tgid */
	__s32 mm_users;	  /* mm->mm_users */
	__s32 mm_count;	  /* mm->mm_count, -1 when this kernel has no such field */
	__s32 nr_threads; /* signal->nr_threads */
	char comm[MMSNAP_COMM_LEN];
};

#endif /* MMSNAP_H */

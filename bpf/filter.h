/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The in-kernel filter every kmtrace command applies before it records
 * anything: one read-only struct, filled by user space (user/target.c) before
 * the object is loaded, so the verifier prunes the tests it does not need.
 * The BPF side is bpf/filter.bpf.h.
 */
#ifndef KMT_FILTER_H
#define KMT_FILTER_H

#include "common.h"

struct kmt_filter {
	__u64 min_size;	  /* with size: bytes_req (pages: bytes) at least ... */
	__u64 max_size;	  /* ... and at most */
	__u32 self_tgid;  /* kmtrace itself, never traced */
	__u8 pid;	  /* the task's tgid must be in the `pids` map (-p, -- CMD) */
	__u8 follow_fork; /* children forked by followed tgids join `pids` (-- CMD) */
	__u8 comm;	  /* the task's comm must equal comm_name (-c) */
	__u8 module;	  /* the call site (pages: a stack frame) must lie in the module (-m) */
	__u8 size;	  /* min_size/max_size given */
	__u8 direct;	  /* -m --direct: a kmalloc's own call site only, no stack walk */
	__u8 no_scan;	  /* -m: walk every stack, no scan first (KMTRACE_NO_STACK_SCAN, testing) */
	__u8 _pad[5];
	char comm_name[KMT_COMM_LEN];
	char module_name[KMT_MODNAME_LEN];
	/* -m: text of the allocators that take pages for their own objects
	 * (slab refills, large kmallocs, vmalloc areas, per-CPU chunks; from
	 * kallsyms).  A page allocated there backs those objects, which their own
	 * events report: not a page of the module's. */
	__u64 slab_lo[KMT_SLAB_RANGES];
	__u64 slab_hi[KMT_SLAB_RANGES];
	/* bit I: range I is a large kmalloc's own page allocation, which ends
	 * the walk of a page event only (the kmalloc event of that very
	 * allocation has the frame too, and is the module's) */
	__u32 slab_pages_only;
	__u32 _pad2;
};

#endif /* KMT_FILTER_H */

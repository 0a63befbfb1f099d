// SPDX-License-Identifier: GPL-2.0
/*
 * Folded stacks, the format flamegraph.pl, inferno and speedscope read: one
 * line per stack, its frames root first separated by ';', a space, and its
 * weight (bytes allocated, or allocations):
 *
 *   entry_SYSCALL_64_after_hwframe;do_syscall_64;do_msgsnd;load_msg;__kmalloc_node_noprof 1000000
 *
 * A frame is "func" or "func [module]", or an address when it has no symbol;
 * ';', control and non-ASCII bytes in a name become '_', a frame never has
 * a leading, trailing or double space and is never empty.  Allocations
 * without a stack weigh under the one frame "[no_stack]"; a stack as deep as
 * the map holds (its root may be cut) starts with "[truncated]".  Lines are
 * sorted, equal stacks merged, zero weights left out.  Pure (unit-tested).
 */
#ifndef KMT_FOLDED_H
#define KMT_FOLDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KMT_FOLDED_NO_STACK  "[no_stack]"
#define KMT_FOLDED_TRUNCATED "[truncated]"

struct kmt_folded;

struct kmt_folded *kmt_folded_new(void);
void kmt_folded_free(struct kmt_folded *f);

/* COUNT allocations, BYTES bytes, with the stack of frames FN[0..N)
 * (innermost first; TRUNCATED: its root may be cut), or without a stack (FN
 * NULL).  0, or -1 on ENOMEM. */
int kmt_folded_add(struct kmt_folded *f, const char *const *fn, size_t n, bool truncated,
		   uint64_t count, uint64_t bytes);

/* Every stack as one line to OUT, weighted by allocations (COUNT) or bytes.
 * 0, or -1 (errno: ENOMEM, or OUT's write error). */
int kmt_folded_write(struct kmt_folded *f, FILE *out, bool count);

/* FRAME as a folded frame into OUT (see above).  Returns OUT. */
char *kmt_folded_frame(const char *frame, char *out, size_t len);

#endif /* KMT_FOLDED_H */

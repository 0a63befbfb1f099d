// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel stacks of allocations (--stacks, --folded): the stack map of
 * bpf/stacks.bpf.h read and named.  An id is read and named once, the first
 * time it is seen (while the modules on it are still known: user/symbols.c),
 * then kept.  Frames are named "func+0xoff [module]" like call sites; a frame
 * without a symbol is its address ("0xffffffffc0a01234"), everywhere, and
 * counted.  The tracing frames on top of a stack (the BPF program that took
 * it, bpf_trace_run*() or the BPF trampoline, the tracepoint's own) are
 * dropped, so a stack starts at the allocator.
 * Weights per stack (count and bytes) make the folded file (user/folded.c).
 */
#ifndef KMT_STACKS_H
#define KMT_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct kmt_syms;

/* One kernel stack, named, innermost frame first. */
struct kmt_stack {
	uint32_t n;	     /* frames */
	uint32_t unresolved; /* frames without a symbol (named by their address) */
	bool truncated;	     /* as deep as a map entry holds: outer frames may be cut */
	char **sym;	     /* "func+0xoff [module]", or "0x..." */
	char **fn;	     /* the same without the offset (folded stacks): "func [module]" */
};

/* Names address ADDR into BUF ("" when it has no symbol). */
typedef const char *(*kmt_namer)(void *arg, uint64_t addr, char *buf, size_t len);

/*
 * A stack map entry IPS (DEPTH slots, innermost first, zero after the last
 * frame) named with NAME, the tracing frames at its top dropped; NULL on
 * ENOMEM.  Pure (unit-tested).
 */
struct kmt_stack *kmt_stack_make(const uint64_t *ips, size_t depth, kmt_namer name, void *arg);
void kmt_stack_free(struct kmt_stack *st);

/* Whether SYM ("func+0xoff ...") is a frame of the tracing machinery that
 * ran the BPF program (__traceiter_*, bpf_trace_run*, perf_trace_*, ...). */
bool kmt_stack_tracing_frame(const char *sym);

/* "func [module]" of SYM "func+0xoff [module]" into OUT (SYM itself when it
 * has no offset: an address).  Returns OUT. */
char *kmt_stack_fn(const char *sym, char *out, size_t len);

/* Why an allocation has no stack: its negative stack id (a bpf_get_stackid()
 * error), in words. */
const char *kmt_stack_error(int32_t id);

struct kmt_stacks;

/* The stack map MAP_FD of ENTRIES entries (--stack-storage), named with
 * SYMS; NULL on ENOMEM. */
struct kmt_stacks *kmt_stacks_new(int map_fd, uint32_t entries, struct kmt_syms *syms);
void kmt_stacks_free(struct kmt_stacks *s);

/* Stack ID named (read on first use, then kept); NULL when ID is an error or
 * the map has no such entry (counted: kmt_stacks_report). */
const struct kmt_stack *kmt_stacks_get(struct kmt_stacks *s, int32_t id);

/* COUNT allocations of BYTES bytes with stack ID (an error id too: they are
 * folded as "[no_stack]"); names the stack on first use.  0, or -1 on ENOMEM. */
int kmt_stacks_add(struct kmt_stacks *s, int32_t id, uint64_t count, uint64_t bytes);

/* The folded stacks of everything kmt_stacks_add() got, weighted by bytes or
 * by COUNT, to F (user/folded.c).  0, or -1 (errno: ENOMEM or F's). */
int kmt_stacks_write_folded(struct kmt_stacks *s, FILE *f, bool count);

/*
 * What the run lost, said on stderr (nothing when all went well): allocations
 * without a stack per reason (COLLIDE, FULL, ERR from the object's counters),
 * stacks that could not be read, frames without a symbol, stacks as deep as
 * a map entry holds.  WHAT: "--stacks" or "--folded FILE".
 */
void kmt_stacks_report(struct kmt_stacks *s, const char *what, uint64_t collide, uint64_t full,
		       uint64_t err);

/* Unique stacks named so far, frames of them without a symbol. */
uint64_t kmt_stacks_count(const struct kmt_stacks *s);
uint64_t kmt_stacks_unresolved(const struct kmt_stacks *s);

#endif /* KMT_STACKS_H */

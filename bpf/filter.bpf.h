/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The in-kernel filter (bpf/filter.h): which task, which module, which sizes.
 * Every command's object includes this once; user space fills `filter`
 * before load, the `pids` map (-p, -- CMD) and, for a module loaded before
 * kmtrace started, the module ranges after it.
 */
#ifndef KMT_FILTER_BPF_H
#define KMT_FILTER_BPF_H

#include "core_fixes.bpf.h"
#include "filter.h"
#include "maps.bpf.h"

const volatile struct kmt_filter filter = {.max_size = ~0ULL};

/* Followed tgids (-p, -- CMD and its children). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

/* -m: the module's text ranges: [0] core and [1] __init text (module_load,
 * bpf/modules.bpf.h), [2] core text of a module already loaded (user space);
 * cleared at module_free. */
__u64 mod_lo[KMT_MAX_RANGES];
__u64 mod_hi[KMT_MAX_RANGES];

/* -c: the current task's comm equals filter.comm_name.  Both are NUL-padded
 * to 16 bytes (the kernel sets comm with strscpy_pad; user space zeroes the
 * filter), so two word compares say it, read through the task's BTF pointer
 * (no helper call, no copy). */
static __always_inline bool kmt_comm_ok(void)
{
	const __u64 *c = (const __u64 *)bpf_get_current_task_btf()->comm;
	const volatile __u64 *want = (const volatile __u64 *)filter.comm_name;

	_Static_assert(KMT_COMM_LEN == 16, "comm is two words");
	return c[0] == want[0] && c[1] == want[1];
}

/* Task filter (-p / -c / -- CMD) for the current task of TGID; no copies
 * unless -c. */
static __always_inline bool kmt_task_ok(__u32 tgid)
{
	if (tgid == filter.self_tgid)
		return false;
	if (filter.pid && !bpf_map_lookup_elem(&pids, &tgid))
		return false;
	if (filter.comm && !kmt_comm_ok())
		return false;
	return true;
}

/* --min-size / --max-size */
static __always_inline bool kmt_size_ok(__u64 bytes)
{
	return !filter.size || (bytes >= filter.min_size && bytes <= filter.max_size);
}

static __always_inline bool kmt_in_module(__u64 addr)
{
	for (int i = 0; i < KMT_MAX_RANGES; i++)
		if (addr >= mod_lo[i] && addr < mod_hi[i])
			return true;
	return false;
}

/* Whether -m's module has any text known (loaded). */
static __always_inline bool kmt_module_known(void)
{
	return mod_hi[0] || mod_hi[1] || mod_hi[2] || mod_hi[3];
}

static __always_inline bool kmt_in_slab_refill(__u64 addr, bool page)
{
	for (int i = 0; i < KMT_SLAB_RANGES; i++)
		if (addr >= filter.slab_lo[i] && addr < filter.slab_hi[i] &&
		    (page || !(filter.slab_pages_only & (1u << i))))
			return true;
	return false;
}

/* The live part of the task's kernel stack the scan copies: 16 KiB, the
 * x86-64 task stack (a larger one is not scanned: the walk decides). */
#define KMT_SCAN_WORDS 2048

struct kmt_stackbuf {
	__u64 ip[KMT_STACK_DEPTH];
	__u64 word[KMT_SCAN_WORDS]; /* the live stack, copied by kmt_stack_has_module() */
	__u64 sp, top;		    /* stack pointers as plain numbers (see there) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kmt_stackbuf);
} stackbuf SEC(".maps");

struct kmt_walk {
	struct kmt_stackbuf *sb;
	__u32 n;    /* frames in sb */
	bool stop;  /* stop at an allocator's own frames */
	bool page;  /* a page event: large kmallocs' frames stop it too */
	__u64 site; /* out: the module frame, 0 if none */
};

/* bpf_loop callback: frame I of the walk; 1 ends the loop. */
static long kmt_walk_frame(__u64 i, void *arg)
{
	struct kmt_walk *w = arg;
	__u64 ip;

	if (i >= w->n || i >= KMT_STACK_DEPTH)
		return 1;
	ip = w->sb->ip[i];
	if (kmt_in_module(ip)) {
		w->site = ip;
		return 1;
	}
	return w->stop && kmt_in_slab_refill(ip, w->page);
}

struct kmt_scan {
	struct kmt_stackbuf *sb;
	__u64 lo, span; /* the module ranges' hull: [lo, lo + span) */
	bool hit;
};

/* bpf_loop callback: words 32*I .. 32*I+31 of the copy against the hull;
 * 1 (a hit) ends the loop.  One block per call, no per-word bounds: the
 * copy is whole blocks. */
static long kmt_scan_block(__u64 i, void *arg)
{
	struct kmt_scan *s = arg;
	const __u64 *w = &s->sb->word[(i * 32) & (KMT_SCAN_WORDS - 32)];
	__u64 lo = s->lo, span = s->span;

#pragma unroll
	for (int j = 0; j < 32; j++)
		if (w[j] - lo < span) {
			s->hit = true;
			return 1;
		}
	return 0;
}

/*
 * -m's cheap test before the stack walk: false only when no word of the
 * current task's live kernel stack, from the traced code's deepest frame up
 * to the task's pt_regs at its top, lies in the module's text (their hull).
 * Every return address the unwinder would report is such a word, so false
 * means the walk would find no module frame.  True (a word in the hull, or
 * not sure: not on the task stack, as on an interrupt stack; deeper than
 * 16 KiB; return addresses replaced by a tracer's trampoline) means walk.
 * Unwinding (bpf_get_stack) costs ~3 us per event on the 6.18 host, copying
 * and scanning the ~2 KiB of a syscall's stack a few hundred ns, and most
 * allocations are not the module's.
 *
 * Where the live stack starts: a raw_tp (or fentry) program's CTX is the
 * argument array on the traced code's stack, below its frames; a classic
 * tracepoint's CTX is a per-CPU record whose first word is the pt_regs perf
 * filled at the event (perf_fetch_caller_regs: sp is its frame).  The
 * program's own frame pointer (r10) is no guide: 6.14+ may run it on a
 * private per-CPU stack.  Pointers become numbers through the per-CPU map
 * value (a privileged program may store a pointer there): the verifier
 * refuses comparisons of a pointer with a number.
 */
static __always_inline bool kmt_stack_has_module(void *ctx, bool tp, struct kmt_stackbuf *sb)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct kmt_scan s = {.sb = sb};
	__u64 sp, base, len, lo = ~0ULL, hi = 0;

	if (filter.no_scan)
		return true;
	for (int i = 0; i < KMT_MAX_RANGES; i++) {
		if (mod_hi[i] <= mod_lo[i])
			continue;
		if (mod_lo[i] < lo)
			lo = mod_lo[i];
		if (mod_hi[i] > hi)
			hi = mod_hi[i];
	}
	if (hi <= lo)
		return false; /* no text known: nothing can match */
	if (kmt_task_ret_hijacked(t))
		return true; /* return addresses replaced on the stack: walk */
	if (tp) {
		struct pt_regs *regs = NULL;

		if (bpf_probe_read_kernel(&regs, sizeof(regs), ctx) || !regs ||
		    bpf_core_read(&sp, sizeof(sp), &regs->sp))
			return true;
	} else {
		sb->sp = (__u64)ctx;
		asm volatile("" ::: "memory");
		sp = *(volatile __u64 *)&sb->sp;
	}
	sb->top = (__u64)bpf_task_pt_regs(t) + sizeof(struct pt_regs);
	asm volatile("" ::: "memory");
	base = (__u64)t->stack;
	/* from the 256-byte block of SP (whole blocks: the words below it are
	 * this stack's too) up to the top */
	sp &= ~255ULL;
	if (sp < base || sp >= *(volatile __u64 *)&sb->top)
		return true; /* not on the task stack: walk */
	len = *(volatile __u64 *)&sb->top - sp;
	if (len > sizeof(sb->word) || (len & 255))
		return true;
	/* len in [64, 16384]: said again in a form old verifiers keep (6.1
	 * loses the bounds of a spilled length) */
	barrier_var(len);
	if (bpf_probe_read_kernel(sb->word, ((len - 1) & (sizeof(sb->word) - 1)) + 1, (void *)sp))
		return true;
	s.lo = lo;
	s.span = hi - lo;
	bpf_loop(len / 256, kmt_scan_block, &s, 0);
	return s.hit;
}

/* -m: the first kernel stack frame of CTX's event inside the module's text,
 * 0 if none; with STOP also 0 when an allocator working for its own objects
 * lies between (filter.slab_lo/hi: slab refills, large kmallocs, vmalloc
 * areas, per-CPU chunks).  The frames are walked with bpf_loop(): the
 * verifier checks one frame, not every path through 32 of them.  The walk
 * is skipped when the live stack holds no address in the module's text
 * (kmt_stack_has_module; TP: CTX is a classic tracepoint's record). */
static __always_inline __u64 kmt_module_frame(void *ctx, bool tp, bool stop, bool page)
{
	__u32 zero = 0;
	struct kmt_walk w = {.stop = stop, .page = page};
	long n;

	w.sb = bpf_map_lookup_elem(&stackbuf, &zero);
	if (!w.sb)
		return 0;
	if (!kmt_stack_has_module(ctx, tp, w.sb))
		return 0;
	n = bpf_get_stack(ctx, w.sb->ip, sizeof(w.sb->ip), 0);
	if (n <= 0) {
		kmt_count(KMT_CNT_STACK_FAIL);
		return 0;
	}
	w.n = (__u32)(n / 8);
	bpf_loop(KMT_STACK_DEPTH, kmt_walk_frame, &w, 0);
	return w.site;
}

#endif /* KMT_FILTER_BPF_H */

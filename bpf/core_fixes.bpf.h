/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel layouts that changed between 6.1 and 6.18, as CO-RE flavors, and
 * the accessors that pick the right one at load time.  The only place that
 * knows about kernel versions.
 */
#ifndef KMT_CORE_FIXES_BPF_H
#define KMT_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* 6.1: kmem:kmalloc and kmem:kmalloc_node use the kmem_alloc(_node) event
 * classes; 6.2+ has trace_event_raw_kmalloc. */
struct trace_event_raw_kmem_alloc {
	struct trace_entry ent;
	unsigned long call_site;
	const void *ptr;
	size_t bytes_req;
	size_t bytes_alloc;
	unsigned long gfp_flags;
} __attribute__((preserve_access_index));

/* 6.1 .. 6.3: struct module has core_layout/init_layout instead of mem[]. */
struct module_layout {
	void *base;
	unsigned int size;
	unsigned int text_size;
} __attribute__((preserve_access_index));

struct module___old {
	struct module_layout core_layout;
	struct module_layout init_layout;
} __attribute__((preserve_access_index));

/* Read a classic tracepoint field with its real size: the two context
 * flavors would otherwise make clang compute ctx+offset in a register, which
 * the verifier refuses. */
#define KMT_TP_READ(dst, c, f) bpf_core_read(&(dst), bpf_core_field_size((c)->f), &(c)->f)

/* Core and __init text of MOD: base and size of each. */
static __always_inline void kmt_module_text(struct module *mod, __u64 *text, __u64 *text_size,
					    __u64 *init, __u64 *init_size)
{
	if (bpf_core_field_exists(mod->mem)) {
		/* 6.4+: mem[MOD_TEXT] and mem[MOD_INIT_TEXT] */
		*text = (__u64)BPF_CORE_READ(mod, mem[0].base);
		*text_size = BPF_CORE_READ(mod, mem[0].size);
		*init = (__u64)BPF_CORE_READ(mod, mem[4].base);
		*init_size = BPF_CORE_READ(mod, mem[4].size);
	} else {
		struct module___old *m = (void *)mod;

		*text = (__u64)BPF_CORE_READ(m, core_layout.base);
		*text_size = BPF_CORE_READ(m, core_layout.text_size);
		*init = (__u64)BPF_CORE_READ(m, init_layout.base);
		*init_size = BPF_CORE_READ(m, init_layout.text_size);
	}
}

/* Tracers that replace return addresses on a task's stack with a trampoline
 * (the function graph tracer, kretprobes / rethook; fields absent on kernels
 * built without them). */
struct task_struct___fgraph {
	void *ret_stack;
} __attribute__((preserve_access_index));

struct task_struct___rethook {
	struct llist_head rethooks;
} __attribute__((preserve_access_index));

struct task_struct___kretprobe {
	struct llist_head kretprobe_instances;
} __attribute__((preserve_access_index));

/* Whether T's stack may hold trampolines in place of return addresses (that
 * the unwinder puts back): its function-graph return stack exists (allocated
 * for every task once the graph tracer ran: conservative), or kretprobe /
 * rethook instances are pending. */
static __always_inline bool kmt_task_ret_hijacked(struct task_struct *t)
{
	struct task_struct___fgraph *g = (void *)t;
	struct task_struct___rethook *r = (void *)t;
	struct task_struct___kretprobe *k = (void *)t;

	if (bpf_core_field_exists(g->ret_stack) && BPF_CORE_READ(g, ret_stack))
		return true;
	if (bpf_core_field_exists(r->rethooks) && BPF_CORE_READ(r, rethooks.first))
		return true;
	if (bpf_core_field_exists(k->kretprobe_instances) &&
	    BPF_CORE_READ(k, kretprobe_instances.first))
		return true;
	return false;
}

#endif /* KMT_CORE_FIXES_BPF_H */

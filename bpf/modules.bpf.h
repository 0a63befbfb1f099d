/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Module load and free: the -m module's text ranges for the filter
 * (bpf/filter.bpf.h), set before its init function runs and cleared when it
 * is freed, and one ring-buffer event per load/free (every module without
 * -m; only -m's with it) so user space can name the module's code.
 */
#ifndef KMT_MODULES_BPF_H
#define KMT_MODULES_BPF_H

#include "core_fixes.bpf.h"
#include "filter.bpf.h"
#include "ringbuf.bpf.h"

static __always_inline int kmt_on_module(struct module *mod, __u32 type)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct kmt_event *e;
	bool target;

	e = kmt_ev_reserve(type, sizeof(*e));
	if (!e)
		return 0;
	bpf_core_read_str(e->module, sizeof(e->module), &mod->name);
	target = filter.module &&
		 bpf_strncmp(e->module, sizeof(e->module), (const char *)filter.module_name) == 0;
	if (filter.module && !target) {
		/* Another module's __init text may now reuse the target's freed
		 * init text: stop attributing that range. */
		if (type == KMT_EV_MODULE_LOAD) {
			mod_lo[1] = 0;
			mod_hi[1] = 0;
		}
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	kmt_ev_current(e, id);
	kmt_module_text(mod, &e->text_base, &e->text_size, &e->init_base, &e->init_size);
	if (target) {
		/* Ranges first: the module's init function runs right after this. */
		if (type == KMT_EV_MODULE_LOAD) {
			mod_lo[0] = e->text_base;
			mod_hi[0] = e->text_base + e->text_size;
			mod_lo[1] = e->init_base;
			mod_hi[1] = e->init_base + e->init_size;
		} else {
			for (int i = 0; i < KMT_MAX_RANGES; i++) {
				mod_lo[i] = 0;
				mod_hi[i] = 0;
			}
		}
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("raw_tp/module_load")
int BPF_PROG(raw_module_load, struct module *mod)
{
	return kmt_on_module(mod, KMT_EV_MODULE_LOAD);
}

SEC("raw_tp/module_free")
int BPF_PROG(raw_module_free, struct module *mod)
{
	return kmt_on_module(mod, KMT_EV_MODULE_FREE);
}

#endif /* KMT_MODULES_BPF_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Naming kernel addresses for every command: kallsyms (re-read when a module
 * comes), each loaded module's .ko symbols placed where the kernel put them
 * (the only names of __init code, and of a module already unloaded), and a
 * cache for the hot call sites.  The symbol tables themselves: user/ksyms.c.
 */
#ifndef KMT_SYMBOLS_H
#define KMT_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct ksyms;
struct kmt_syms;

/*
 * Read kallsyms.  KO: the .ko of module MODULE (--ko), else modules' .ko files
 * are looked up under /lib/modules/$(uname -r).  NULL (errno set) when
 * kallsyms cannot be read.
 */
struct kmt_syms *kmt_syms_open(const char *module, const char *ko);
void kmt_syms_close(struct kmt_syms *s);

/*
 * ADDR as "func+0xoff [module]" into BUF ("" when unknown, or when it lies in
 * BPF program text: freed module text, not a BPF caller).  *MODULE (may be
 * NULL) gets the module it is in, NULL for vmlinux.  Returns BUF.
 */
const char *kmt_syms_name(struct kmt_syms *s, uint64_t addr, char *buf, size_t len,
			  const char **module);

/* Module NAME was loaded with core text at TEXT and __init text at INIT:
 * re-read kallsyms (if it is still there) and place its .ko's symbols. */
void kmt_syms_module_load(struct kmt_syms *s, const char *name, uint64_t text, uint64_t init);
/* Module NAME was freed: forget its .ko symbols. */
void kmt_syms_module_free(struct kmt_syms *s, const char *name);
/* Re-read kallsyms (modules came and went). */
void kmt_syms_reload(struct kmt_syms *s);

/* The kallsyms table (for text ranges of kernel functions). */
struct ksyms *kmt_syms_kallsyms(struct kmt_syms *s);

#endif /* KMT_SYMBOLS_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel symbols: /proc/kallsyms (text symbols, refreshed on module load) and
 * a module's .ko ELF symbols placed at the addresses the module_load event
 * reported (that is how __init functions get names: their text is freed, and
 * gone from kallsyms, right after init).
 */
#ifndef KMTRACE_KSYMS_H
#define KMTRACE_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	uint64_t size; /* 0: unknown (kallsyms), up to the next symbol */
	char *name;
	char *module; /* NULL for vmlinux */
};

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	int sorted;
	/* kallsyms listed symbols, every one at address 0 (kptr_restrict):
	 * none are kept, since any name found would be wrong */
	int zeroed;
};

struct ksyms *ksyms_new(void);
void ksyms_free(struct ksyms *ks);
int ksyms_add(struct ksyms *ks, uint64_t addr, uint64_t size, const char *name, const char *module);
/* Drop every symbol of MODULE. */
void ksyms_remove_module(struct ksyms *ks, const char *module);

/*
 * Text symbols (t/T/w/W) of a kallsyms-format file; NULL on error (errno set).
 * When every address is 0 (kernel.kptr_restrict hides them) the table is
 * empty and ->zeroed is set.
 */
struct ksyms *ksyms_load_kallsyms(const char *path);

/*
 * Symbol containing ADDR: the highest symbol at or below it (within its size
 * when known, else less than 256 KiB below it: past the last function of a
 * region lie BPF programs and freed module text); *off gets ADDR -
 * sym->addr.  NULL when none.
 */
const struct ksym *ksyms_lookup(struct ksyms *ks, uint64_t addr, uint64_t *off);

/* [LO[i], HI[i]) of vmlinux function NAME and of its compiler clones
 * (NAME.isra.0, ...), up to the next symbol when a size is unknown; at most
 * MAX.  Returns how many. */
int ksyms_ranges(struct ksyms *ks, const char *name, uint64_t *lo, uint64_t *hi, int max);

/* S at offset OFF as "func+0xoff" or "func+0xoff [module]". Returns buf. */
const char *ksym_format(const struct ksym *s, uint64_t off, char *buf, size_t len);

/* ksym_format of the symbol containing ADDR; "" when not found. Returns buf. */
const char *ksyms_format(struct ksyms *ks, uint64_t addr, char *buf, size_t len);

/*
 * Add the function symbols of the .ko at PATH as module MODNAME, laid out the
 * way the kernel's layout_sections() does: executable non-.init sections from
 * TEXT_BASE, .init* executable sections from INIT_BASE (a base of 0 skips
 * those sections).
 * Returns the number of symbols added or -1.
 */
int ksyms_add_ko(struct ksyms *ks, const char *path, const char *modname, uint64_t text_base,
		 uint64_t init_base);

/*
 * Find MODNAME's .ko under MODDIR (/lib/modules/$(uname -r)): modules.dep,
 * then extra/<name>.ko, then a recursive search; '-' and '_' are the same.
 * Uncompressed .ko only.  Returns a malloc()ed path or NULL.
 */
char *ksyms_find_ko(const char *moddir, const char *modname);

#endif

// SPDX-License-Identifier: GPL-2.0
/* kallsyms parsing, address lookup, .ko ELF symbols (libelf). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ksyms.h"

struct ksyms *ksyms_new(void)
{
	return calloc(1, sizeof(struct ksyms));
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ks->n; i++) {
		free(ks->syms[i].name);
		free(ks->syms[i].module);
	}
	free(ks->syms);
	free(ks);
}

int ksyms_add(struct ksyms *ks, uint64_t addr, uint64_t size, const char *name, const char *module)
{
	struct ksym *s;

	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 1024;
		struct ksym *p = realloc(ks->syms, cap * sizeof(*p));

		if (!p)
			return -1;
		ks->syms = p;
		ks->cap = cap;
	}
	s = &ks->syms[ks->n];
	s->addr = addr;
	s->size = size;
	s->name = strdup(name);
	s->module = module ? strdup(module) : NULL;
	if (!s->name || (module && !s->module)) {
		free(s->name);
		free(s->module);
		return -1;
	}
	ks->n++;
	ks->sorted = 0;
	return 0;
}

void ksyms_remove_module(struct ksyms *ks, const char *module)
{
	size_t j = 0;

	for (size_t i = 0; i < ks->n; i++) {
		if (ks->syms[i].module && !strcmp(ks->syms[i].module, module)) {
			free(ks->syms[i].name);
			free(ks->syms[i].module);
			continue;
		}
		ks->syms[j++] = ks->syms[i];
	}
	ks->n = j;
}

/* Aliases that hide the real name of a module's init/exit function. */
static int alias_rank(const struct ksym *s)
{
	if (!strcmp(s->name, "init_module") || !strcmp(s->name, "cleanup_module"))
		return 1;
	if (!strncmp(s->name, "__pfx_", 6) || !strncmp(s->name, "__cfi_", 6))
		return 2;
	return 0;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address the preferred name sorts last (lookup takes the last) */
	return alias_rank(y) - alias_rank(x);
}

struct ksyms *ksyms_load_kallsyms(const char *path)
{
	struct ksyms *ks;
	char line[512], name[256], mod[128];
	unsigned long long addr;
	char type;
	bool nonzero = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	ks = ksyms_new();
	if (!ks) {
		fclose(f);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, mod);

		if (n < 3)
			continue;
		if (addr)
			nonzero = true;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (ksyms_add(ks, addr, 0, name, n == 4 ? mod : NULL)) {
			ksyms_free(ks);
			fclose(f);
			errno = ENOMEM;
			return NULL;
		}
	}
	fclose(f);
	if (ks->n && !nonzero) {
		for (size_t i = 0; i < ks->n; i++) {
			free(ks->syms[i].name);
			free(ks->syms[i].module);
		}
		ks->n = 0;
		ks->zeroed = 1;
	}
	return ks;
}

static void ensure_sorted(struct ksyms *ks)
{
	if (!ks->sorted) {
		qsort(ks->syms, ks->n, sizeof(*ks->syms), cmp_sym);
		ks->sorted = 1;
	}
}

/* NAME itself or a compiler clone of it (NAME.isra.0, NAME.constprop.0, ...) */
static int same_func(const char *sym, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(sym, name, n) && (sym[n] == '\0' || sym[n] == '.');
}

int ksyms_ranges(struct ksyms *ks, const char *name, uint64_t *lo, uint64_t *hi, int max)
{
	int found = 0;

	if (!ks || !ks->n)
		return 0;
	ensure_sorted(ks);
	for (size_t i = 0; i < ks->n && found < max; i++) {
		const struct ksym *s = &ks->syms[i];
		uint64_t end = 0;

		if (s->module || !same_func(s->name, name))
			continue;
		if (s->size) {
			end = s->addr + s->size;
		} else {
			/* up to the next symbol at a higher address */
			for (size_t j = i + 1; j < ks->n && !end; j++)
				if (ks->syms[j].addr > s->addr)
					end = ks->syms[j].addr;
		}
		if (!end)
			continue;
		lo[found] = s->addr;
		hi[found++] = end;
	}
	return found;
}

/* The largest offset into a symbol of unknown size that still names an
 * address: vmlinux's largest functions are ~20 KiB (6.18). */
#define KSYM_MAX_UNSIZED (256ULL * 1024)

const struct ksym *ksyms_lookup(struct ksyms *ks, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi;
	const struct ksym *s;

	if (!ks || !ks->n)
		return NULL;
	ensure_sorted(ks);
	/* last symbol with addr <= ADDR */
	hi = ks->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	s = &ks->syms[lo - 1];
	if (s->size && addr >= s->addr + s->size)
		return NULL;
	/* A symbol of unknown size (kallsyms) reaches up to the next one; past
	 * the last one of a region (vmlinux's _einittext, a module's last
	 * function) lie BPF programs, freed __init text, unloaded modules:
	 * no function is KSYM_MAX_UNSIZED long, so those have no name. */
	if (!s->size && addr - s->addr >= KSYM_MAX_UNSIZED)
		return NULL;
	if (off)
		*off = addr - s->addr;
	return s;
}

const char *ksym_format(const struct ksym *s, uint64_t off, char *buf, size_t len)
{
	if (s->module)
		snprintf(buf, len, "%s+0x%llx [%s]", s->name, (unsigned long long)off, s->module);
	else
		snprintf(buf, len, "%s+0x%llx", s->name, (unsigned long long)off);
	return buf;
}

const char *ksyms_format(struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	uint64_t off;
	const struct ksym *s = ksyms_lookup(ks, addr, &off);

	if (!len)
		return buf;
	buf[0] = '\0';
	return s ? ksym_format(s, off, buf, len) : buf;
}

static bool is_init(const char *secname)
{
	return !strncmp(secname, ".init", 5);
}

int ksyms_add_ko(struct ksyms *ks, const char *path, const char *modname, uint64_t text_base,
		 uint64_t init_base)
{
	Elf *e = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx, nsec;
	uint64_t *secaddr = NULL, core_off = 0, init_off = 0;
	int fd, added = -1;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx) ||
	    elf_getshdrnum(e, &nsec))
		goto out;
	secaddr = calloc(nsec, sizeof(*secaddr));
	if (!secaddr)
		goto out;
	/* layout_sections(): executable sections in index order, each aligned. */
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *nm;
		uint64_t *off, al;

		if (!gelf_getshdr(scn, &sh))
			goto out;
		nm = elf_strptr(e, shstrndx, sh.sh_name);
		if (!nm ||
		    (sh.sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) != (SHF_ALLOC | SHF_EXECINSTR))
			continue;
		off = is_init(nm) ? &init_off : &core_off;
		al = sh.sh_addralign ? sh.sh_addralign : 1;
		*off = (*off + al - 1) / al * al;
		if (is_init(nm))
			secaddr[elf_ndxscn(scn)] = init_base ? init_base + *off : 0;
		else
			secaddr[elf_ndxscn(scn)] = text_base ? text_base + *off : 0;
		*off += sh.sh_size;
	}
	added = 0;
	scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		for (size_t i = 0; i < sh.sh_size / (sh.sh_entsize ? sh.sh_entsize : 1); i++) {
			GElf_Sym sym;
			const char *nm;

			if (!gelf_getsym(d, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
			    sym.st_shndx >= nsec || !secaddr[sym.st_shndx])
				continue;
			nm = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!nm || !*nm)
				continue;
			if (ksyms_add(ks, secaddr[sym.st_shndx] + sym.st_value, sym.st_size, nm,
				      modname) == 0)
				added++;
		}
	}
out:
	free(secaddr);
	if (e)
		elf_end(e);
	close(fd);
	return added;
}

/* Module names treat '-' and '_' alike. */
static bool modname_eq(const char *a, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < blen && a[i]; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];

		if (x != y)
			return false;
	}
	return i == blen && !a[i];
}

/* "…/name.ko" → whether name is MODNAME. */
static bool ko_matches(const char *path, size_t len, const char *modname)
{
	const char *base = path, *p;

	for (p = path; p < path + len; p++)
		if (*p == '/')
			base = p + 1;
	if (len < 3 || strncmp(path + len - 3, ".ko", 3))
		return false;
	return modname_eq(modname, base, (size_t)(path + len - 3 - base));
}

static char *find_rec(const char *dir, const char *modname, int depth)
{
	DIR *d;
	struct dirent *de;
	char *found = NULL;

	if (depth > 8 || !(d = opendir(dir)))
		return NULL;
	while (!found && (de = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
			continue;
		if (lstat(p, &st))
			continue;
		if (S_ISDIR(st.st_mode) && strcmp(de->d_name, "build") &&
		    strcmp(de->d_name, "source"))
			found = find_rec(p, modname, depth + 1);
		else if (S_ISREG(st.st_mode) && ko_matches(p, strlen(p), modname))
			found = strdup(p);
	}
	closedir(d);
	return found;
}

char *ksyms_find_ko(const char *moddir, const char *modname)
{
	char p[PATH_MAX + 4096 + 2], line[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/modules.dep", moddir);
	f = fopen(p, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');

			if (colon && ko_matches(line, (size_t)(colon - line), modname)) {
				*colon = '\0';
				fclose(f);
				if (line[0] == '/')
					snprintf(p, sizeof(p), "%s", line);
				else
					snprintf(p, sizeof(p), "%s/%s", moddir, line);
				return access(p, R_OK) == 0 ? strdup(p) : NULL;
			}
		}
		fclose(f);
	}
	snprintf(p, sizeof(p), "%s/extra/%s.ko", moddir, modname);
	if (access(p, R_OK) == 0)
		return strdup(p);
	return find_rec(moddir, modname, 0);
}

// SPDX-License-Identifier: GPL-2.0
/* Naming kernel addresses: kallsyms, .ko symbols, a cache (see symbols.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "ksyms.h"
#include "symbols.h"

/* Direct-mapped cache of kmt_syms_name(): a workload has few hot call sites. */
#define CACHE_SLOTS 1024

struct cache_slot {
	uint64_t addr;
	unsigned int gen; /* s->gen + 1 when filled */
	const char *module;
	char str[232];
};

struct kmt_syms {
	struct ksyms *kallsyms;
	struct ksyms *kosyms; /* .ko symbols of loaded modules (init text included) */
	char moddir[300];
	const char *module, *ko;	/* --ko for -m's module */
	struct cache_slot *cache;	/* optional */
	unsigned int gen;		/* bumped whenever kallsyms/kosyms change */
	unsigned int noko, noko_listed; /* modules loaded whose .ko could not be read */
	char noko_names[128];		/* the first of them */
};

/*
 * kallsyms with every address 0 (kernel.kptr_restrict=2, or 1 without
 * CAP_SYSLOG) names nothing right: its table is empty (user/ksyms.c), call
 * sites are printed as raw addresses, and that is said once.
 */
static void say_zeroed(const struct ksyms *ks)
{
	static bool said;
	char v[16] = "?";
	FILE *f;

	if (!ks->zeroed || said)
		return;
	said = true;
	f = fopen("/proc/sys/kernel/kptr_restrict", "re");
	if (f) {
		if (fscanf(f, "%15s", v) != 1)
			snprintf(v, sizeof(v), "?");
		fclose(f);
	}
	fprintf(stderr,
		"kmtrace: warning: /proc/kallsyms shows no addresses (kernel.kptr_restrict=%s): "
		"call sites are printed as raw addresses; sysctl kernel.kptr_restrict=1 to "
		"name them\n",
		v);
}

struct kmt_syms *kmt_syms_open(const char *module, const char *ko)
{
	struct kmt_syms *s = calloc(1, sizeof(*s));
	struct utsname u;
	int e;

	if (!s)
		return NULL;
	s->kallsyms = ksyms_load_kallsyms("/proc/kallsyms");
	e = errno;
	s->kosyms = ksyms_new();
	if (!s->kallsyms || !s->kosyms) {
		kmt_syms_close(s);
		errno = e ? e : ENOMEM;
		return NULL;
	}
	say_zeroed(s->kallsyms);
	s->cache = calloc(CACHE_SLOTS, sizeof(*s->cache));
	s->module = module && *module ? module : NULL;
	s->ko = ko;
	uname(&u);
	snprintf(s->moddir, sizeof(s->moddir), "/lib/modules/%s", u.release);
	return s;
}

void kmt_syms_close(struct kmt_syms *s)
{
	if (!s)
		return;
	if (s->noko)
		fprintf(stderr,
			"kmtrace: warning: %u module%s loaded without a readable .ko (%s%s): "
			"call sites in %s __init code%s are printed as raw addresses\n",
			s->noko, s->noko == 1 ? "" : "s", s->noko_names,
			s->noko > s->noko_listed ? ", ..." : "", s->noko == 1 ? "its" : "their",
			s->kallsyms && s->kallsyms->zeroed ? " (and, kallsyms showing no "
							     "addresses, in all of it)"
							   : "");
	ksyms_free(s->kallsyms);
	ksyms_free(s->kosyms);
	free(s->cache);
	free(s);
}

struct ksyms *kmt_syms_kallsyms(struct kmt_syms *s)
{
	return s->kallsyms;
}

void kmt_syms_reload(struct kmt_syms *s)
{
	struct ksyms *ks = ksyms_load_kallsyms("/proc/kallsyms");

	if (ks) {
		say_zeroed(ks);
		ksyms_free(s->kallsyms);
		s->kallsyms = ks;
		s->gen++;
	}
}

const char *kmt_syms_name(struct kmt_syms *s, uint64_t addr, char *buf, size_t len,
			  const char **module)
{
	struct cache_slot *c = NULL;
	const struct ksym *k;
	const char *mod = NULL;
	uint64_t off;

	if (module)
		*module = NULL;
	if (len)
		buf[0] = '\0';
	if (!addr)
		return buf;
	if (s->cache) {
		c = &s->cache[(addr ^ (addr >> 12)) % CACHE_SLOTS];
		if (c->gen == s->gen + 1 && c->addr == addr) {
			size_t n = strnlen(c->str, sizeof(c->str));

			if (module)
				*module = c->module;
			if (len) { /* the hot path: no snprintf */
				n = n < len ? n : len - 1;
				memcpy(buf, c->str, n);
				buf[n] = '\0';
			}
			return buf;
		}
	}
	k = ksyms_lookup(s->kosyms, addr, &off);
	if (!k)
		k = ksyms_lookup(s->kallsyms, addr, &off);
	/* BPF programs do not allocate: that is freed module text (no name) */
	if (k && !(k->module && !strcmp(k->module, "bpf"))) {
		mod = k->module;
		ksym_format(k, off, buf, len);
	}
	if (module)
		*module = mod;
	if (c && len && strlen(buf) < sizeof(c->str)) {
		c->addr = addr;
		c->gen = s->gen + 1;
		c->module = mod;
		memcpy(c->str, buf, strlen(buf) + 1);
	}
	return buf;
}

/*
 * Whether the .ko-derived core text symbols agree with kallsyms wherever
 * kallsyms still knows the module (it may already be unloaded).
 */
static bool core_layout_ok(struct ksyms *kallsyms, struct ksyms *core, const char *name)
{
	for (size_t i = 0; i < core->n; i++) {
		const struct ksym *ks = &core->syms[i], *k;
		uint64_t off;

		if (!strncmp(ks->name, "__pfx_", 6) || !strncmp(ks->name, "__cfi_", 6))
			continue;
		k = ksyms_lookup(kallsyms, ks->addr, &off);
		if (k && k->module && !strcmp(k->module, name) && off != 0)
			return false;
	}
	return true;
}

static bool module_present(const char *name)
{
	char p[128];

	snprintf(p, sizeof(p), "/sys/module/%s", name);
	return access(p, F_OK) == 0;
}

/*
 * The .ko symbols of module NAME: the __init text ones always (only the .ko
 * can name them once init is over), the core text ones when their layout
 * agrees with kallsyms (they name the module's code even after it is gone).
 */
void kmt_syms_module_load(struct kmt_syms *s, const char *name, uint64_t text, uint64_t init)
{
	struct ksyms *core;
	char *path;

	/* Only kallsyms of a module that is still there has its symbols: when
	 * the event is read after the module is gone (a backlog of load/unload
	 * cycles), re-reading it (~1 s under TCG) gains nothing. */
	if (module_present(name))
		kmt_syms_reload(s);
	ksyms_remove_module(s->kosyms, name);
	s->gen++;
	if (s->ko && s->module && !strcmp(name, s->module))
		path = strdup(s->ko);
	else
		path = ksyms_find_ko(s->moddir, name);
	if (!path || ksyms_add_ko(s->kosyms, path, name, 0, init) < 0) {
		/* counted, said once at the end (kmt_syms_close) */
		size_t l = strlen(s->noko_names);

		if (l + strlen(name) + 3 < sizeof(s->noko_names)) {
			snprintf(s->noko_names + l, sizeof(s->noko_names) - l, "%s%s",
				 l ? ", " : "", name);
			s->noko_listed++;
		}
		s->noko++;
		free(path);
		return;
	}
	core = ksyms_new();
	if (core && text && ksyms_add_ko(core, path, name, text, 0) > 0 &&
	    core_layout_ok(s->kallsyms, core, name)) {
		for (size_t i = 0; i < core->n; i++)
			ksyms_add(s->kosyms, core->syms[i].addr, core->syms[i].size,
				  core->syms[i].name, name);
	}
	ksyms_free(core);
	free(path);
}

void kmt_syms_module_free(struct kmt_syms *s, const char *name)
{
	ksyms_remove_module(s->kosyms, name);
	s->gen++;
}

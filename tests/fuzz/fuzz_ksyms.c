// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the kallsyms parser and symbol lookup of user/ksyms.c.
 * The input is a /proc/kallsyms-format file (first byte 'E': the rest is an
 * ELF .ko for ksyms_add_ko instead); every address that occurs in it, and
 * its neighbours, is looked up and formatted, then one module's symbols are
 * removed and the lookups repeated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ksyms.h"

static int to_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static void probe(struct ksyms *ks, uint64_t addr)
{
	char buf[64], small[8];
	uint64_t off = 0;
	const struct ksym *s = ksyms_lookup(ks, addr, &off);

	if (s && (s->addr > addr || off != addr - s->addr || !s->name))
		abort();
	if (s && s->size && addr >= s->addr + s->size)
		abort();
	ksyms_format(ks, addr, buf, sizeof(buf));
	if (strlen(buf) >= sizeof(buf))
		abort();
	ksyms_format(ks, addr, small, sizeof(small));
	ksyms_format(ks, addr, small, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct ksyms *ks;
	int fd;

	if (size && data[0] == 'E') {
		/* a .ko: symbols laid out at two bases */
		fd = to_file(data + 1, size - 1, path, sizeof(path));
		ks = ksyms_new();
		if (!ks)
			abort();
		ksyms_add_ko(ks, path, "fuzz", 0xffffffffc0000000ULL, 0xffffffffc1000000ULL);
		for (size_t i = 0; i < ks->n; i++)
			probe(ks, ks->syms[i].addr + 1);
		probe(ks, 0xffffffffc0000000ULL);
		ksyms_free(ks);
		close(fd);
		return 0;
	}
	fd = to_file(data, size, path, sizeof(path));
	ks = ksyms_load_kallsyms(path);
	close(fd);
	if (!ks)
		return 0;
	probe(ks, 0);
	probe(ks, UINT64_MAX);
	for (size_t i = 0; i < ks->n && i < 256; i++) {
		uint64_t a = ks->syms[i].addr;

		if (!ks->syms[i].name || !ks->syms[i].name[0])
			abort();
		probe(ks, a);
		probe(ks, a - 1);
		probe(ks, a + 1);
	}
	if (ks->n && ks->syms[ks->n / 2].module) {
		char *m = strdup(ks->syms[ks->n / 2].module);

		ksyms_remove_module(ks, m);
		for (size_t i = 0; i < ks->n; i++)
			if (ks->syms[i].module && !strcmp(ks->syms[i].module, m))
				abort();
		free(m);
	}
	ksyms_add(ks, 0x1000, 16, "added", "mod");
	probe(ks, 0x1008);
	probe(ks, 0x1010);
	ksyms_free(ks);
	return 0;
}

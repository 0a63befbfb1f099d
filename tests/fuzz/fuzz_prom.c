// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the Prometheus exposition of `kmtrace stat --listen`
 * (user/prom.c).  The input: a mode byte, a --top byte, then rows of 12 bytes
 * (a key index and counts), then NUL-separated names that the name callback
 * hands out per key index (symbols "func+0xoff [mod]" or cache names, any
 * bytes).  The snapshot is rendered twice, the second time with every count
 * grown.  Checks: each line is a HELP/TYPE comment or a well-formed sample
 * (label values escaped, printable ASCII), no key appears in hex or decimal,
 * every series of the first render is in the second (sticky) and no counter
 * went down, and no family is split.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom.h"

#define NKEYS 16
#define ROW   12

struct input {
	const char *names[NKEYS];
	const char *mods[NKEYS];
};

static __u64 key_of(unsigned i)
{
	return 0xffffffff81000000ULL + 0x1000ULL * i + 0x123;
}

static const char *name_fn(void *arg, __u64 key, char *buf, size_t len, const char **module)
{
	const struct input *in = arg;
	unsigned i = (unsigned)((key - 0xffffffff81000000ULL) >> 12) % NKEYS;

	snprintf(buf, len, "%s", in->names[i] ? in->names[i] : "");
	*module = in->mods[i];
	return buf;
}

static bool sample_ok(const char *l)
{
	const char *p = l;

	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	if (p == l)
		return false;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			const char *n = p;

			while ((*p >= 'a' && *p <= 'z') || *p == '_')
				p++;
			if (p == n || p[0] != '=' || p[1] != '"')
				return false;
			for (p += 2; *p != '"'; p++) {
				unsigned char c = (unsigned char)*p;

				if (!c || c < 0x20 || c >= 0x7f)
					return false;
				if (c == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == 'n'))
					p++;
				else if (c == '\\')
					return false;
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return false;
		}
		p++;
	}
	if (*p++ != ' ')
		return false;
	if (!strcmp(p, "+Inf"))
		return true;
	if (!*p)
		return false;
	while ((*p >= '0' && *p <= '9') || *p == '.')
		p++;
	return !*p;
}

static char *render(const struct prom_snapshot *s, struct prom_state *st)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fputc('\n', f); /* every line starts after a '\n' */
	if (prom_render(f, s, st))
		abort();
	fclose(f);
	return out;
}

static void check_lines(const char *out, const struct input *in)
{
	char *copy = strdup(out), *save = NULL, fam[160] = "", done[4096] = " ";

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "# HELP ", 7))
			continue;
		if (!strncmp(l, "# TYPE ", 7)) {
			char key[170];

			snprintf(fam, sizeof(fam), "%.*s", (int)strcspn(l + 7, " "), l + 7);
			snprintf(key, sizeof(key), " %s ", fam);
			if (strstr(done, key))
				abort(); /* a family twice */
			if (strlen(done) + strlen(key) < sizeof(done))
				strcat(done, key + 1);
			continue;
		}
		if (!sample_ok(l) || strncmp(l, fam, strlen(fam)))
			abort();
	}
	free(copy);
	/* no key, in hex or decimal, unless a name itself spells it */
	for (unsigned i = 0; i < NKEYS; i++) {
		char hex[24], dec[24];
		bool named = false;

		snprintf(hex, sizeof(hex), "%llx", key_of(i));
		snprintf(dec, sizeof(dec), "%llu", key_of(i));
		for (unsigned j = 0; j < NKEYS; j++)
			named |= (in->names[j] && (strstr(in->names[j], hex) || strstr(in->names[j], dec))) ||
				 (in->mods[j] && (strstr(in->mods[j], hex) || strstr(in->mods[j], dec)));
		if (!named && (strstr(out, hex) || strstr(out, dec)))
			abort();
	}
}

/* Every sample of A is in B, and a counter's value did not go down. */
static void check_grown(const char *a, const char *b)
{
	const char *p = a;

	while ((p = strchr(p, '\n')) && p[1]) {
		const char *l = p + 1, *end = strchr(l, '\n'), *sp, *q;
		char want[1200];
		size_t n;

		p = l;
		if (*l == '#' || !end)
			continue;
		sp = memrchr(l, ' ', (size_t)(end - l));
		n = (size_t)(sp - l + 1);
		if (!sp || n + 2 > sizeof(want))
			continue;
		want[0] = '\n';
		memcpy(want + 1, l, n);
		want[n + 1] = '\0';
		q = strstr(b, want);
		if (!q)
			abort(); /* a series went away */
		if (strstr(want, "_total") && !strstr(want, "kmtrace_info") &&
		    strtod(q + n + 1, NULL) < strtod(sp + 1, NULL))
			abort(); /* a counter went down */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stat_row rows[64];
	struct input in;
	struct kmstat_sizes sz = {0};
	struct prom_snapshot s = {0};
	struct prom_state *st;
	size_t n = 0, off = 2;
	unsigned int k = 0;
	char *names, *a, *b;

	if (size < 2 || size > 4096)
		return 0;
	memset(&in, 0, sizeof(in));
	s.mode = (enum stat_mode)(data[0] % 4);
	st = prom_state_new(1 + data[1] % 16);
	if (!st)
		return 0;
	for (; off + ROW <= size && n < 64 && data[off] != 0xff; off += ROW, n++) {
		const uint8_t *r = data + off;
		struct stat_row *w = &rows[n];

		memset(w, 0, sizeof(*w));
		w->key = s.mode == STAT_ALLOC ? 8u << (r[0] % 20) : key_of(r[0] % NKEYS);
		w->s.hits = r[1] | (unsigned)r[2] << 8;
		w->s.bytes_req = (__u64)(r[3] | (unsigned)r[4] << 8) * 8;
		w->s.bytes_alloc = w->s.bytes_req + r[5];
		w->s.frees = r[6] % (w->s.hits + 1);
		w->s.bytes_freed = r[7];
		w->s.untracked = r[8] % 3;
		w->order = r[9] % 12;
		w->gfp = r[10];
		w->p.hits = r[11];
		w->p.pages = (__u64)r[11] << w->order;
		w->p.fails = r[1] & 1;
		sz.slot[r[3] % KMSTAT_SIZE_SLOTS] += r[1];
		sz.sum += r[4];
	}
	if (off < size)
		off++; /* the 0xff */
	names = malloc(size - off + 1);
	if (!names) {
		prom_state_free(st);
		return 0;
	}
	memcpy(names, data + off, size - off);
	names[size - off] = '\0';
	for (char *p = names, *e = names + (size - off); p < e && p; p = memchr(p, 0, (size_t)(e - p))) {
		unsigned int i = k++ % (2 * NKEYS);

		if (*p == '\0') {
			p++;
			continue;
		}
		if (i < NKEYS)
			in.names[i] = p;
		else
			in.mods[i - NKEYS] = p;
		p += strlen(p);
	}
	s.rows = rows;
	s.n = n;
	s.sizes = &sz;
	s.page_size = 4096;
	s.name = name_fn;
	s.name_arg = &in;
	s.tr.version = "fuzz";
	s.tr.scope = in.names[0];
	a = render(&s, st);
	for (size_t i = 0; i < n; i++) { /* everything grows */
		rows[i].s.hits += 3;
		rows[i].s.bytes_req += 100;
		rows[i].s.bytes_alloc += 100;
		rows[i].p.hits += 1;
		rows[i].p.pages += 1ULL << rows[i].order;
	}
	sz.slot[10] += 7;
	b = render(&s, st);
	if (a && b) {
		check_lines(a, &in);
		check_lines(b, &in);
		check_grown(a, b);
	}
	free(a);
	free(b);
	free(names);
	prom_state_free(st);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/* Folded stacks for flame graphs (see folded.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "folded.h"

struct entry {
	char *line; /* frames, root first, without the weight */
	uint64_t count, bytes;
};

struct kmt_folded {
	struct entry *e;
	size_t n, cap;
};

struct kmt_folded *kmt_folded_new(void)
{
	return calloc(1, sizeof(struct kmt_folded));
}

void kmt_folded_free(struct kmt_folded *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->e[i].line);
	free(f->e);
	free(f);
}

char *kmt_folded_frame(const char *frame, char *out, size_t len)
{
	size_t k = 0;

	if (!len)
		return out;
	for (const unsigned char *p = (const unsigned char *)frame; *p && k + 1 < len; p++) {
		unsigned char c = *p;

		if (c == ' ') {
			/* one space between words: none leading, doubled or trailing */
			if (k && out[k - 1] != ' ')
				out[k++] = ' ';
			continue;
		}
		out[k++] = c < 0x20 || c >= 0x7f || c == ';' ? '_' : (char)c;
	}
	while (k && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
	if (!k)
		snprintf(out, len, "[unknown]");
	return out;
}

/* Append S to the growing string *BUF (*USED bytes of *CAP). */
static int append(char **buf, size_t *used, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*used + n + 1 > *cap) {
		size_t c = *cap ? *cap : 256;
		char *t;

		while (*used + n + 1 > c)
			c *= 2;
		t = realloc(*buf, c);
		if (!t)
			return -1;
		*buf = t;
		*cap = c;
	}
	memcpy(*buf + *used, s, n + 1);
	*used += n;
	return 0;
}

int kmt_folded_add(struct kmt_folded *f, const char *const *fn, size_t n, bool truncated,
		   uint64_t count, uint64_t bytes)
{
	char *line = NULL, frame[512];
	size_t used = 0, cap = 0;
	int err = 0;

	if (!fn)
		err = append(&line, &used, &cap, KMT_FOLDED_NO_STACK);
	else if (truncated)
		err = append(&line, &used, &cap, KMT_FOLDED_TRUNCATED);
	for (size_t i = n; fn && i-- > 0 && !err;) {
		if (used)
			err = append(&line, &used, &cap, ";");
		if (!err)
			err = append(&line, &used, &cap,
				     kmt_folded_frame(fn[i], frame, sizeof(frame)));
	}
	if (!err && !used) /* a stack of no frames */
		err = append(&line, &used, &cap, "[unknown]");
	if (err)
		goto nomem;
	if (f->n == f->cap) {
		size_t c = f->cap ? 2 * f->cap : 64;
		struct entry *t = realloc(f->e, c * sizeof(*t));

		if (!t)
			goto nomem;
		f->e = t;
		f->cap = c;
	}
	f->e[f->n++] = (struct entry){line, count, bytes};
	return 0;
nomem:
	free(line);
	errno = ENOMEM;
	return -1;
}

static int by_line(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->line, ((const struct entry *)b)->line);
}

int kmt_folded_write(struct kmt_folded *f, FILE *out, bool count)
{
	size_t i = 0, j;

	qsort(f->e, f->n, sizeof(*f->e), by_line);
	while (i < f->n) {
		uint64_t w = 0;

		for (j = i; j < f->n && !strcmp(f->e[j].line, f->e[i].line); j++)
			w += count ? f->e[j].count : f->e[j].bytes;
		if (w && fprintf(out, "%s %llu\n", f->e[i].line, (unsigned long long)w) < 0)
			return -1;
		i = j;
	}
	return ferror(out) ? -1 : 0;
}

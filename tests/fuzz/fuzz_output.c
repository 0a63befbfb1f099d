// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the event decoder/formatter of user/output.c.  The input
 * is taken as a ring-buffer record (a struct kmt_event, possibly short, the
 * way trace.c's on_event copies it), followed by the symbol and module
 * strings; it is formatted as JSON and text into buffers of several sizes.
 * Checks: no memory error (ASan), the result is NUL-terminated within the
 * buffer, the returned length is what a big enough buffer gets, and the JSON
 * has no raw control bytes, balanced quotes and ends with '}'.  The two
 * strings are also a kernel stack of two frames (--stacks): JSON with it,
 * its text lines (each "    " and printable), and each as a folded frame
 * (user/folded.c: never empty, no ';', no control byte, no edge or double
 * space).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "folded.h"
#include "trace_output.h"

static void check_json(const char *s, size_t n)
{
	int inq = 0;

	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			abort(); /* must have been escaped */
		if (inq && c == '\\') {
			i++;
			continue;
		}
		if (c == '"')
			inq = !inq;
	}
	if (inq)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char big[16384];
	char small[64], *heap;
	struct kmt_event e;
	size_t n = size < sizeof(e) ? size : sizeof(e), lim;
	const char *sym = NULL, *mod = NULL;
	char strs[512];
	int len, len2;

	memset(&e, 0, sizeof(e));
	memcpy(&e, data, n);
	if (size > n) {
		/* "sym\0module" after the record */
		size_t m = size - n < sizeof(strs) - 2 ? size - n : sizeof(strs) - 2;

		memcpy(strs, data + n, m);
		strs[m] = strs[m + 1] = '\0';
		sym = strs;
		mod = strs + strlen(strs) + 1;
		if (mod >= strs + m)
			mod = NULL;
	}
	len = kmt_format_json(&e, sym, mod, NULL, big, sizeof(big));
	if (len < 0 || (size_t)len >= sizeof(big) || strlen(big) != (size_t)len)
		abort();
	check_json(big, (size_t)len);
	/* truncated: same length reported, NUL-terminated within the buffer */
	lim = size ? data[0] % sizeof(small) : 0;
	if (kmt_format_json(&e, sym, mod, NULL, small, lim) != len)
		abort();
	if (lim && strlen(small) >= lim)
		abort();
	heap = malloc((size_t)len + 1);
	if (!heap)
		return 0;
	if (kmt_format_json(&e, sym, mod, NULL, heap, (size_t)len + 1) != len || strcmp(heap, big))
		abort();
	free(heap);

	len2 = kmt_format_text(&e, size > 8 ? data[1] : 0, sym, NULL, big, sizeof(big));
	if (len2 < 0 || strlen(big) != (size_t)len2 || strchr(big, '\n'))
		abort();
	kmt_format_text(&e, 0, sym, NULL, small, lim);
	if (lim && strlen(small) >= lim)
		abort();

	/* the string escaper alone */
	if (sym) {
		size_t l = kmt_json_str(sym, strlen(sym), big, sizeof(big));

		if (l < 2 || l >= sizeof(big) || strlen(big) != l)
			abort();
		kmt_json_str(sym, strlen(sym), small, lim);
		if (lim && strlen(small) >= lim)
			abort();
	}
	if (sym && mod) {
		const char *fr[2] = {sym, mod};
		struct kmt_ev_stack st = {fr, 2, NULL}, none = {NULL, 0, sym};
		char f[256];

		len = kmt_format_json_stack(&e, sym, mod, NULL, size & 1 ? &st : &none, big,
					    sizeof(big));
		if (len < 0 || (size_t)len >= sizeof(big) || strlen(big) != (size_t)len)
			abort();
		check_json(big, (size_t)len);
		len = kmt_format_stack_text(size & 1 ? &st : &none, big, sizeof(big));
		if (len < 0 || strlen(big) != (size_t)len || strncmp(big, "    ", 4))
			abort();
		for (const char *p = big; *p; p++)
			if ((*p == '\n' && strncmp(p + 1, "    ", 4)) ||
			    (*p != '\n' && ((unsigned char)*p < 0x20 || *p == 0x7f)))
				abort();
		/* folded frames, in buffers of 1 .. 256 bytes */
		lim = size > 2 ? 1 + data[2] % sizeof(f) : sizeof(f);
		for (int i = 0; i < 2; i++) {
			size_t l = strlen(kmt_folded_frame(fr[i], f, lim));

			if (l >= lim || (lim > 1 && !l) ||
			    (l && (f[0] == ' ' || f[l - 1] == ' ')) || strstr(f, "  ") ||
			    strchr(f, ';'))
				abort();
			for (size_t j = 0; j < l; j++)
				if ((unsigned char)f[j] < 0x20 || (unsigned char)f[j] >= 0x7f)
					abort();
		}
	}
	(void)kmt_event_name(e.type);
	return 0;
}

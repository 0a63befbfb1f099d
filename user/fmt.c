// SPDX-License-Identifier: GPL-2.0
/* JSON strings, comm and one-line sanitizing (see fmt.h). */
#include <stdlib.h>
#include "fmt.h"

size_t kmt_json_str(const char *s, size_t maxlen, char *out, size_t outlen)
{
	struct kmt_sb b = {out, outlen, 0};

	if (outlen)
		out[0] = '\0';
	kmt_sb_json_str(&b, s, maxlen);
	return b.used;
}

void kmt_fput_json_str(FILE *f, const char *s, size_t maxlen)
{
	char buf[1024];
	size_t n = kmt_json_str(s, maxlen, buf, sizeof(buf));

	if (n < sizeof(buf)) {
		fputs(buf, f);
	} else {
		char *big = malloc(n + 1);

		if (big) {
			kmt_json_str(s, maxlen, big, n + 1);
			fputs(big, f);
			free(big);
		} else {
			fputs("\"\"", f);
		}
	}
}

char *kmt_comm_text(const char *comm, char *out)
{
	size_t i;

	for (i = 0; i < KMT_COMM_LEN && comm[i]; i++)
		out[i] = (comm[i] > ' ' && comm[i] < 0x7f) ? comm[i] : '?';
	out[i] = '\0';
	return out;
}

char *kmt_one_line(char *s)
{
	/* an argument quoted in a message must not break it into lines */
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the `kmtrace trace` command-line parser (user/opts.c).
 * The input is split at NUL bytes into argv[1..] (argv[0] = "trace").
 * Checks: no memory error, and the result is consistent: a failure has a
 * one-line reason; a success has at most one of -p, -c, -- CMD, a pid in
 * range, min_size <= max_size, a NUL-terminated comm and module without '/',
 * and a command that is argv's tail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[66];
	char err[256];
	struct kmt_opts o;
	int argc = 1, r;

	if (size > 4096)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "trace";
	for (size_t i = 0; i <= size && argc < 65;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	if (size == 0)
		argc = 1;
	argv[argc] = NULL;
	r = kmt_parse_trace(argc, argv, &o, err, sizeof(err));
	if (r) {
		if (r != -1 || !err[0] || strchr(err, '\n'))
			abort();
	} else if (!o.help) {
		int ntask = (o.pid != 0) + (o.comm[0] != 0) + (o.cmd != NULL);

		if (ntask > 1 || o.pid < 0 || o.pid > 0x3fffffff || o.min_size > o.max_size)
			abort();
		if (memchr(o.comm, 0, sizeof(o.comm)) == NULL ||
		    memchr(o.module, 0, sizeof(o.module)) == NULL || strchr(o.module, '/'))
			abort();
		if (o.duration < 0 || o.duration != o.duration)
			abort();
		if (o.cmd && (o.cmd + o.cmd_argc != argv + argc || !o.cmd[0][0]))
			abort();
	}
	free(buf);
	return 0;
}

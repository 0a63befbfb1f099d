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
#include "fuzz_argv.h"
#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[FUZZ_MAX_ARGS + 2];
	char err[256];
	struct kmt_opts o;
	int argc, r;

	buf = fuzz_argv(data, size, "trace", argv, &argc);
	if (!buf)
		return 0;
	r = kmt_parse_trace(argc, argv, &o, err, sizeof(err));
	if (r) {
		if (r != -1 || !fuzz_one_line(err))
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
		if (o.cmd && fuzz_cmd_tail(o.cmd, argv, argc) != o.cmd_argc)
			abort();
	}
	free(buf);
	return 0;
}

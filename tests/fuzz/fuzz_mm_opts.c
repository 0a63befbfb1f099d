// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the `kmtrace mm` command-line parser (user/mmopts.c, on
 * top of the trace parser of user/opts.c).  The input is split at NUL bytes
 * into argv[1..] (argv[0] = "mm"), as in fuzz_opts.c.
 * Checks: no memory error, and the result is consistent: a failure is -1 or
 * KMT_MM_UNSUPPORTED with a one-line reason; a success has exactly one of -p
 * and -- CMD, a pid in range, INTERVAL in 0.001..86400, and a command that is
 * a non-empty tail of argv.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_argv.h"
#include "mmtimeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[FUZZ_MAX_ARGS + 2];
	char err[256];
	struct kmt_mm_opts o;
	int argc, r;

	buf = fuzz_argv(data, size, "mm", argv, &argc);
	if (!buf)
		return 0;
	r = kmt_parse_mm(argc, argv, &o, err, sizeof(err));
	if (r) {
		if ((r != -1 && r != KMT_MM_UNSUPPORTED) || !fuzz_one_line(err))
			abort();
	} else if (!o.help) {
		if ((o.pid != 0) == (o.cmd != NULL) || o.pid < 0 || o.pid > 0x3fffffff)
			abort();
		if (!(o.interval >= 0.001 && o.interval <= 86400))
			abort();
		if (o.cmd && fuzz_cmd_tail(o.cmd, argv, argc) < 0)
			abort();
	}
	free(buf);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the `kmtrace hist` command-line parser (user/histopts.c,
 * on top of the trace parser of user/opts.c).  The input is split at NUL
 * bytes into argv[1..] (argv[0] = "hist"), as in fuzz_mm_opts.c.
 * Checks: no memory error, and the result is consistent: a failure is -1
 * with a non-empty one-line reason; a success (not --help) has a known
 * --field and --by, INTERVAL 0 (none) or in 0.001..1000000, COUNT only
 * after an INTERVAL (npos agreeing with both), a --linear STEP only when a
 * --linear option was given (0: log2 buckets), no --perfetto, at most one of
 * -p, -c, -- CMD, and a command that is a non-empty tail of argv.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_argv.h"
#include "hist.h"
#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[FUZZ_MAX_ARGS + 2];
	char err[256];
	struct kmt_opts o;
	struct hist_args h;
	int argc, r;

	buf = fuzz_argv(data, size, "hist", argv, &argc);
	if (!buf)
		return 0;
	r = hist_parse(argc, argv, &o, &h, err, sizeof(err));
	if (r) {
		if (r != -1 || !fuzz_one_line(err))
			abort();
	} else if (!o.help) {
		int nargs = o.cmd ? argc - o.cmd_argc : argc, linear = 0;

		if (h.field != HIST_REQ && h.field != HIST_ALLOC)
			abort();
		if ((unsigned int)h.by > KMT_BY_GFP)
			abort();
		/* INTERVAL: 0 without one, else 0.001..1e6; COUNT (> 0) only after it */
		if (!isfinite(h.interval) || h.interval < 0)
			abort();
		if (h.interval != 0 && !(h.interval >= 0.001 && h.interval <= 1e6))
			abort();
		if (h.npos < 0 || h.npos > 2 || (h.npos >= 1) != (h.interval > 0) ||
		    (h.npos == 2) != (h.count > 0))
			abort();
		if (h.count && !(h.interval > 0))
			abort();
		/* STEP: 0 (log2) unless --linear (or an abbreviation) was given */
		for (int i = 1; i < nargs; i++)
			if (!strncmp(argv[i], "--l", 3))
				linear = 1;
		if (h.step && !linear)
			abort();
		if (o.perfetto)
			abort();
		if ((o.pid != 0) + (o.comm[0] != '\0') + (o.cmd != NULL) > 1)
			abort();
		if (o.cmd && fuzz_cmd_tail(o.cmd, argv, argc) != o.cmd_argc)
			abort();
	}
	free(buf);
	return 0;
}

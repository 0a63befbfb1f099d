// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the command-line parser of every subcommand (user/cli.c
 * with the tables of user/specs.c).  The input is split at NUL bytes; the
 * first piece names the subcommand (trace, hist, stat or mm; anything else
 * is trace), the rest is its argv[1..].  Checks: no memory error, and the
 * result is consistent: a failure has a one-line reason; a success has at
 * most one of -p, -c, -- CMD, a pid in range, min_size <= max_size, a
 * NUL-terminated comm and module without '/', a finite duration, INTERVAL
 * in range, a command that is argv's tail, and only options of that
 * subcommand.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "fuzz_argv.h"

static const struct kmt_cmd_spec *spec_of(const char *name)
{
	for (size_t i = 0; kmt_specs[i]; i++)
		if (!strcmp(kmt_specs[i]->name, name))
			return kmt_specs[i];
	return &kmt_trace_spec;
}

static bool takes(const struct kmt_cmd_spec *s, enum kmt_opt id)
{
	for (const enum kmt_opt *o = s->opts; *o; o++)
		if (*o == id)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[FUZZ_MAX_ARGS + 2];
	const struct kmt_cmd_spec *spec;
	struct kmt_args a;
	char err[256];
	int argc, r;

	buf = fuzz_argv(data, size, "kmtrace", argv, &argc);
	if (!buf)
		return 0;
	if (argc < 2) {
		free(buf);
		return 0;
	}
	spec = spec_of(argv[1]);
	r = kmt_cli_parse(spec, argc - 1, argv + 1, &a, err, sizeof(err));
	if (r) {
		if (r != -1 || !fuzz_one_line(err))
			abort();
	} else if (!a.help) {
		int ntarget = (a.pid != 0) + (a.comm[0] != 0) + (a.cmd != NULL);

		if (ntarget > 1 || a.pid < 0 || a.pid > 4194304 || a.min_size > a.max_size)
			abort();
		if (memchr(a.comm, 0, sizeof(a.comm)) == NULL ||
		    memchr(a.module, 0, sizeof(a.module)) == NULL || strchr(a.module, '/'))
			abort();
		if (a.duration < 0 || a.duration != a.duration)
			abort();
		if (a.npos && !(a.interval >= 0.001 && a.interval <= 86400))
			abort();
		if (a.cmd && fuzz_cmd_tail(a.cmd, argv + 1, argc - 1) != a.cmd_argc)
			abort();
		for (int id = 1; id < KMT_O_MAX; id++)
			if (a.given[id] && !takes(spec, (enum kmt_opt)id))
				abort();
	}
	free(buf);
	return 0;
}

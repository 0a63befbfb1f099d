// SPDX-License-Identifier: GPL-2.0
/*
 * kmtrace: what the kernel's memory allocators do on behalf of a module or a
 * process.  main(): subcommand dispatch, --help, --version.
 */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "fmt.h"

#ifndef KMTRACE_VERSION
#define KMTRACE_VERSION "0.1"
#endif

struct subcmd {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
};

static void usage(FILE *f, const struct subcmd *cmds, size_t n)
{
	fprintf(f, "usage: kmtrace [--help | --version] COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'kmtrace COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	const struct subcmd cmds[] = {
	    {"trace", cmd_trace, "every allocation, free, thread and module event"},
	    {"stat", cmd_stat, "allocator statistics, aggregated in the kernel"},
	    {"hist", cmd_hist, "histograms of allocation sizes, aggregated in the kernel"},
	    {"mm", cmd_mm, "mm_users/mm_count of every process, or one's mm_users timeline"},
	};
	size_t n = sizeof(cmds) / sizeof(cmds[0]);

	if (argc < 2) {
		fprintf(stderr, "kmtrace: missing command (see 'kmtrace --help')\n");
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout, cmds, n);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("kmtrace %s\n", KMTRACE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "kmtrace: unknown command '%s' (see 'kmtrace --help')\n",
		kmt_one_line(argv[1]));
	return 2;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the command-line fuzz targets share: the input split at NUL bytes into
 * argv[1..] after a fixed argv[0], and the checks every parser's result must
 * pass (a one-line reason on failure; a `-- CMD` that is argv's tail).
 */
#ifndef FUZZ_ARGV_H
#define FUZZ_ARGV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_ARGS 64

/*
 * Split DATA into ARGV (room for FUZZ_MAX_ARGS + 2 pointers), ARGV[0] = ARGV0,
 * NULL-terminated; *ARGC gets the count.  Returns the buffer the arguments
 * live in (free() it), NULL to skip this input.
 */
static inline char *fuzz_argv(const uint8_t *data, size_t size, char *argv0, char **argv, int *argc)
{
	char *buf;

	if (size > 4096)
		return NULL;
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = argv0;
	*argc = 1;
	for (size_t i = 0; size && i <= size && *argc < FUZZ_MAX_ARGS + 1;) {
		argv[(*argc)++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[*argc] = NULL;
	return buf;
}

/* A failure's reason: non-empty, one line, no control characters. */
static inline bool fuzz_one_line(const char *err)
{
	if (!err[0])
		return false;
	for (const char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* The length of CMD (NULL-terminated) when it is a non-empty tail of
 * ARGV[0..ARGC), else -1. */
static inline int fuzz_cmd_tail(char **cmd, char **argv, int argc)
{
	int i = 0;

	while (cmd[i])
		i++;
	return cmd + i == argv + argc && i > 0 && cmd[0][0] ? i : -1;
}

#endif /* FUZZ_ARGV_H */

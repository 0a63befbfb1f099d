// SPDX-License-Identifier: GPL-2.0
/* `kmtrace trace`. */
#ifndef KMTRACE_TRACE_H
#define KMTRACE_TRACE_H

/* argv[0] = "trace". Returns the exit status: 0, 1 (runtime error), 2 (usage). */
int cmd_trace(int argc, char **argv);

#endif

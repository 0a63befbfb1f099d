// SPDX-License-Identifier: GPL-2.0
/*
 * The subcommands: argv[0] is the subcommand's name; each returns the exit
 * status: 0, 1 (runtime error) or 2 (usage error).
 */
#ifndef KMT_COMMANDS_H
#define KMT_COMMANDS_H

int cmd_trace(int argc, char **argv); /* user/trace.c */
int cmd_hist(int argc, char **argv);  /* user/hist.c */
int cmd_stat(int argc, char **argv);  /* user/stat.c */
int cmd_mm(int argc, char **argv);    /* user/mm.c */

#endif /* KMT_COMMANDS_H */

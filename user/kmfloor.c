// SPDX-License-Identifier: GPL-2.0
/*
 * kmfloor: attach EMPTY BPF programs (return 0) to the kmem kmalloc and kfree
 * tracepoints, so a benchmark can measure the floor cost of any BPF tracer
 * of those events with the same attach type.
 *
 *   kmfloor [--attach raw_tp|tracepoint|none] [--stats]
 *
 * Prints "ready" (flushed) on stdout once both programs are attached, then
 * waits for SIGINT or SIGTERM, detaches and exits 0.  Usage errors exit 2,
 * load/attach failures exit 1.
 *
 * --stats holds the kernel's BPF run-time statistics on while kmfloor runs
 * (BPF_ENABLE_STATS: every BPF program's run_time_ns and run_cnt count, as
 * with sysctl kernel.bpf_stats_enabled=1, but reference-counted and undone by
 * the kernel when the fd closes, whatever way kmfloor ends).  With it kmfloor
 * also exits when its parent dies, so a killed benchmark cannot leave the
 * statistics on.  '--attach none --stats' is the bench's stats switch.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kmfloor.skel.h"

#define TRACEFS "/sys/kernel/tracing"

static void usage(FILE *f)
{
	fputs("usage: kmfloor [--attach raw_tp|tracepoint|none] [--stats]\n"
	      "  -a, --attach TYPE  raw_tp (default) or tracepoint: how the empty programs\n"
	      "                     attach to kmem:kmalloc and kmem:kfree; none: no programs\n"
	      "  -s, --stats        keep the kernel's BPF run-time statistics (run_time_ns,\n"
	      "                     run_cnt of every program) on while running; exit when\n"
	      "                     the parent process dies\n"
	      "  -h, --help         this text\n"
	      "Prints 'ready' once attached; runs until SIGINT/SIGTERM.\n",
	      f);
}

static void bad_arg(const char *fmt, const char *arg)
{
	fputs("kmfloor: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

static void on_signal(int sig)
{
	(void)sig; /* only reached if a stop signal arrives unblocked */
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	fputs("kmfloor: libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/* Classic tracepoints need tracefs for their ids; mount it when missing. */
static void ensure_tracefs(void)
{
	struct stat st;

	if (stat(TRACEFS "/events", &st) == 0 || stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) == -1)
		fprintf(stderr, "kmfloor: mount tracefs on %s: %s\n", TRACEFS, strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"attach", required_argument, NULL, 'a'},
	    {"stats", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct sigaction sa = {.sa_handler = on_signal};
	struct kmfloor_bpf *skel = NULL;
	int c, raw = 1, progs = 1, stats = 0, stats_fd = -1, sig, err = 0;
	pid_t ppid = getppid();
	sigset_t set;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:sh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			progs = strcmp(optarg, "none") != 0;
			if (strcmp(optarg, "raw_tp") == 0)
				raw = 1;
			else if (strcmp(optarg, "tracepoint") == 0)
				raw = 0;
			else if (progs)
				bad_arg("invalid attach type '%s' (expected raw_tp, tracepoint or "
					"none)",
					optarg);
			break;
		case 's':
			stats = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			bad_arg("option '%s' needs an argument", argv[optind - 1]);
			break;
		case '?':
		default:
			bad_arg("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_arg("unexpected argument '%s'", argv[optind]);

	/*
	 * Block the stop signals first, so one arriving early is not lost, and
	 * give them a handler: a background job of a non-interactive shell
	 * starts with SIGINT ignored, and an ignored signal never reaches sigwait.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	libbpf_set_print(print_libbpf);
	if (stats) {
		/* Die with the parent; it may be gone already (then we were reparented). */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != ppid) {
			fprintf(stderr, "kmfloor: no parent to follow (PR_SET_PDEATHSIG)\n");
			return 1;
		}
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0) {
			fprintf(stderr, "kmfloor: enable BPF run-time statistics: %s\n",
				strerror(-stats_fd));
			return 1;
		}
	}
	if (!progs)
		goto ready;
	if (!raw)
		ensure_tracefs();

	skel = kmfloor_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "kmfloor: open BPF skeleton: %s\n", strerror(-err));
		goto out;
	}
	bpf_program__set_autoload(skel->progs.floor_raw_kmalloc, raw);
	bpf_program__set_autoload(skel->progs.floor_raw_kfree, raw);
	bpf_program__set_autoload(skel->progs.floor_tp_kmalloc, !raw);
	bpf_program__set_autoload(skel->progs.floor_tp_kfree, !raw);

	err = kmfloor_bpf__load(skel);
	if (err) {
		fprintf(stderr, "kmfloor: load BPF programs: %s\n", strerror(-err));
		goto out;
	}
	err = kmfloor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "kmfloor: attach to kmem:kmalloc/kfree (%s): %s\n",
			raw ? "raw_tp" : "tracepoint", strerror(-err));
		goto out;
	}

ready:
	printf("ready\n");
	fflush(stdout);
	if (sigwait(&set, &sig))
		err = -EINTR;
out:
	kmfloor_bpf__destroy(skel);
	if (stats_fd >= 0)
		close(stats_fd);
	return err ? 1 : 0;
}

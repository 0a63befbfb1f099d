// SPDX-License-Identifier: GPL-2.0
/*
 * kmfloor: attach EMPTY BPF programs (return 0) to the kmem kmalloc and kfree
 * tracepoints, so a benchmark can measure the floor cost of any BPF tracer
 * of those events with the same attach type.
 *
 *   kmfloor [--attach raw_tp|tracepoint|none] [--events LIST] [--stats]
 *
 * --events LIST attaches one empty program to each listed event instead of
 * the kmalloc/kfree pair, e.g. raw_tp:kmalloc,tracepoint:mm_page_alloc: the
 * same set as a tracer under test, so that its floor is measured with the
 * tracepoints it attaches (make bench copies a tracer's set from the links it
 * holds).  Each program is its own (one run_cnt per event); they are named
 * raw_<event> / tp_<event> (the kernel keeps 15 characters).
 *
 * Prints "ready" (flushed) on stdout once all programs are attached, then
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

#include <dirent.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kmfloor.skel.h"

#define TRACEFS	   "/sys/kernel/tracing"
#define MAX_EVENTS 64

static void usage(FILE *f)
{
	fputs("usage: kmfloor [--attach raw_tp|tracepoint|none] [--events LIST] [--stats]\n"
	      "  -a, --attach TYPE  raw_tp (default) or tracepoint: how the empty programs\n"
	      "                     attach to kmem:kmalloc and kmem:kfree; none: no programs\n"
	      "  -e, --events LIST  one empty program on each of these events instead,\n"
	      "                     comma-separated raw_tp:NAME or tracepoint:NAME (the\n"
	      "                     tracepoint's name without its system, e.g.\n"
	      "                     raw_tp:kmalloc,tracepoint:mm_page_alloc)\n"
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

/* ---- --events: one empty program per event ------------------------------------------ */

struct floor_ev {
	int raw;	  /* raw_tp, else classic tracepoint */
	char name[64];	  /* the tracepoint's name */
	int prog_fd, pfd; /* the program; the perf event (tracepoint) */
	int link_fd;
};

/* Parses LIST into EV (at most MAX_EVENTS); exits 2 on a bad item. */
static int parse_events(const char *list, struct floor_ev *ev)
{
	char buf[4096], *save = NULL, *it;
	int n = 0;

	if (strlen(list) >= sizeof(buf))
		bad_arg("event list too long: '%.40s...'", list);
	snprintf(buf, sizeof(buf), "%s", list);
	for (it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		const char *name = strchr(it, ':');
		size_t tl = name ? (size_t)(name - it) : 0;

		if (!name || !name[1] || strlen(name + 1) >= sizeof(ev->name) ||
		    strspn(name + 1, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name + 1))
			bad_arg("bad event '%s' (expected raw_tp:NAME or tracepoint:NAME)", it);
		if (tl == 6 && !strncmp(it, "raw_tp", tl))
			ev[n].raw = 1;
		else if ((tl == 10 && !strncmp(it, "tracepoint", tl)) ||
			 (tl == 2 && !strncmp(it, "tp", tl)))
			ev[n].raw = 0;
		else
			bad_arg("bad event type in '%s' (expected raw_tp or tracepoint)", it);
		if (n == MAX_EVENTS)
			bad_arg("more than 64 events in '%.40s...'", list);
		snprintf(ev[n].name, sizeof(ev[n].name), "%s", name + 1);
		ev[n].prog_fd = ev[n].pfd = ev[n].link_fd = -1;
		n++;
	}
	if (!n)
		bad_arg("--events needs at least one event, got '%s'", list);
	return n;
}

/* The tracefs id of tracepoint NAME, whatever its system; -1 if none. */
static long tracepoint_id(const char *name)
{
	const char *roots[] = {TRACEFS "/events", "/sys/kernel/debug/tracing/events"};
	char path[512];
	long id = -1;

	for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]) && id < 0; r++) {
		DIR *d = opendir(roots[r]);
		struct dirent *de;

		if (!d)
			continue;
		while (id < 0 && (de = readdir(d))) {
			FILE *f;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s/id", roots[r], de->d_name, name);
			f = fopen(path, "re");
			if (!f)
				continue;
			if (fscanf(f, "%ld", &id) != 1)
				id = -1;
			fclose(f);
		}
		closedir(d);
	}
	return id;
}

/* Loads and attaches an empty program for E; 0 or a negative errno (said). */
static int attach_event(struct floor_ev *e)
{
	const struct bpf_insn empty[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	char pname[BPF_OBJ_NAME_LEN];
	int err;

	snprintf(pname, sizeof(pname), "%s_%s", e->raw ? "raw" : "tp", e->name);
	e->prog_fd = bpf_prog_load(e->raw ? BPF_PROG_TYPE_RAW_TRACEPOINT : BPF_PROG_TYPE_TRACEPOINT,
				   pname, "GPL", empty, 2, NULL);
	if (e->prog_fd < 0) {
		err = -errno;
		fprintf(stderr, "kmfloor: load an empty program for %s: %s\n", e->name,
			strerror(-err));
		return err;
	}
	if (e->raw) {
		e->link_fd = bpf_raw_tracepoint_open(e->name, e->prog_fd);
	} else {
		struct perf_event_attr attr = {
		    .type = PERF_TYPE_TRACEPOINT,
		    .size = sizeof(attr),
		    .sample_period = 1,
		    .wakeup_events = 1,
		};
		long id = tracepoint_id(e->name);

		if (id < 0) {
			fprintf(stderr, "kmfloor: no tracepoint %s in tracefs\n", e->name);
			return -ENOENT;
		}
		attr.config = (__u64)id;
		e->pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
		if (e->pfd < 0) {
			err = -errno;
			fprintf(stderr, "kmfloor: perf_event_open tracepoint %s: %s\n", e->name,
				strerror(-err));
			return err;
		}
		e->link_fd = bpf_link_create(e->prog_fd, e->pfd, BPF_PERF_EVENT, NULL);
	}
	if (e->link_fd < 0) {
		err = -errno;
		fprintf(stderr, "kmfloor: attach to %s (%s): %s\n", e->name,
			e->raw ? "raw_tp" : "tracepoint", strerror(-err));
		return err;
	}
	return 0;
}

static void detach_events(struct floor_ev *ev, int n)
{
	for (int i = 0; i < n; i++) {
		if (ev[i].link_fd >= 0)
			close(ev[i].link_fd);
		if (ev[i].pfd >= 0)
			close(ev[i].pfd);
		if (ev[i].prog_fd >= 0)
			close(ev[i].prog_fd);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"attach", required_argument, NULL, 'a'},
	    {"events", required_argument, NULL, 'e'},
	    {"stats", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct sigaction sa = {.sa_handler = on_signal};
	struct kmfloor_bpf *skel = NULL;
	static struct floor_ev ev[MAX_EVENTS];
	int c, raw = 1, progs = 1, stats = 0, stats_fd = -1, sig, err = 0, nev = 0, attach = 0;
	pid_t ppid = getppid();
	sigset_t set;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:e:sh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			attach = 1;
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
		case 'e':
			nev = parse_events(optarg, ev);
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
	if (nev && attach)
		bad_arg("%s", "--events and --attach exclude each other");

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
	if (!raw || nev)
		ensure_tracefs();
	if (nev) {
		for (int i = 0; i < nev && !err; i++)
			err = attach_event(&ev[i]);
		if (err)
			goto out;
		goto ready;
	}

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
	detach_events(ev, nev);
	kmfloor_bpf__destroy(skel);
	if (stats_fd >= 0)
		close(stats_fd);
	return err ? 1 : 0;
}

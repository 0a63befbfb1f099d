// SPDX-License-Identifier: GPL-2.0
/*
 * threads: the seed's process with N threads sharing one mm_struct.
 *
 *   threads [-n N] [-s SECONDS] [--stagger MS]
 *
 * Prints "PID: <pid>" (flushed) first, then starts N threads (default 4) that
 * each sleep SECONDS (default 30) and exit.  With --stagger MS the threads are
 * started MS milliseconds apart, so they also end MS apart and a tracer sees
 * mm_users climb 1..N+1 and fall back one step at a time.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 4096

static void usage(FILE *f)
{
	fprintf(f,
		"usage: threads [-n N] [-s SECONDS] [--stagger MS]\n"
		"  -n, --threads N   threads to start (1..%d, default 4)\n"
		"  -s, --sleep S     seconds each thread sleeps (0..86400, default 30)\n"
		"  --stagger MS      start threads MS milliseconds apart (0..60000, default 0)\n"
		"  -h, --help        this text\n",
		MAX_THREADS);
}

static void bad_arg(const char *fmt, const char *arg)
{
	fputs("threads: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

/* Parse a decimal integer in [lo, hi]; no sign tricks, no trailing garbage. */
static long parse_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < lo || v > hi) {
		fprintf(stderr, "threads: invalid %s '%s' (expected %ld..%ld)\n", what, s, lo, hi);
		usage(stderr);
		exit(2);
	}
	return v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void *worker(void *arg)
{
	sleep_ms(*(const long *)arg * 1000);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"threads", required_argument, NULL, 'n'},
	    {"sleep", required_argument, NULL, 's'},
	    {"stagger", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	long n = 4, secs = 30, stagger = 0;
	pthread_t *tids;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = parse_num(optarg, 1, MAX_THREADS, "thread count");
			break;
		case 's':
			secs = parse_num(optarg, 0, 86400, "sleep time");
			break;
		case 'g':
			stagger = parse_num(optarg, 0, 60000, "stagger");
			break;
		case 'h':
			usage(stdout);
			return 0;
		case '?':
		default:
			bad_arg("unknown option or missing argument: '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_arg("unexpected argument '%s'", argv[optind]);

	printf("PID: %d\n", (int)getpid());
	fflush(stdout);

	tids = calloc((size_t)n, sizeof(*tids));
	if (!tids) {
		perror("threads: calloc");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		int err;

		if (i && stagger)
			sleep_ms(stagger);
		err = pthread_create(&tids[i], NULL, worker, &secs);
		if (err) {
			fprintf(stderr, "threads: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (long i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return 0;
}

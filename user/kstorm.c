// SPDX-License-Identifier: GPL-2.0
/*
 * kstorm: a workload with known kernel allocation counts, for kmtrace's
 * correctness checks and benchmarks.
 *
 *   kstorm [-m msg|pipe|sock] [-s SIZE] [-n OPS] [-t THREADS] [-d SECONDS]
 *
 * msg mode (default): each thread owns a private SysV message queue and loops
 * msgsnd(SIZE bytes) + msgrcv.  Each msgsnd of S <= 4096 - 48 bytes does
 * exactly one kmalloc of sizeof(struct msg_msg) + S = 48 + S bytes (load_msg ->
 * alloc_msg), freed by kfree when msgrcv consumes it; the kmem tracepoints see
 * 1 kmalloc + 2 kfree per op.
 * pipe mode: each thread loops pipe2() + close() + close().  Each pipe does one
 * kcalloc of its pipe_buffer array (16 x 40 = 640 bytes) and one kzalloc of its
 * pipe_inode_info (176 bytes on 6.18, varies with the kernel), both kfree'd at
 * the last close; file, inode and dentry come from kmem caches.  We claim the
 * 640-byte count only.
 * Verified on 6.18 with bpftrace (kmem:kmalloc bytes_req per comm): exactly
 * ops kmallocs of 48+S (S = 0, 952, 4048; 1 and 3 threads), exactly ops of 640
 * and of 176 in pipe mode; the only other kmallocs come from process and
 * thread start-up.
 * sock mode: each thread loops socket(AF_UNIX, SOCK_DGRAM) + close().  Each
 * socket takes exactly one object from the named slab cache sock_inode_cache
 * (sock_alloc -> new_inode_pseudo -> sock_alloc_inode: kmem_cache_alloc_lru,
 * kmem:kmem_cache_alloc event with name "sock_inode_cache"), freed through RCU
 * after the close.  The cache has a constructor, so the kernel never merges
 * it with another cache and the event's name is that on every kernel.  The
 * socket also takes a file (filp), a dentry and its sock (UNIX) from named
 * caches, and on kernels with LSM socket blobs a kmalloc; we claim the
 * sock_inode_cache count only, and no kmalloc count (kmalloc_bytes=0
 * expected_kmallocs=0).  Verified on 6.18 with bpftrace and tracefs (by the
 * event's name field and by call site), and on Debian 6.1 and 6.12 with
 * tracefs by call site (tests/host/kstorm.sh, tests/guest/kstorm.sh): N ops,
 * exactly N such allocations by kstorm's pid.
 *
 * All threads wait on a start barrier, so they begin together.  At the end
 * kstorm prints one line of key=value pairs (parsed by scripts and tests):
 *
 *   mode=msg threads=1 ops=1000 size=952 kmalloc_bytes=1000 expected_kmallocs=1000
 *   elapsed_s=0.0123 ops_per_s=81234
 *
 * (on one line) where ops is the total over all threads and expected_kmallocs
 * is how many kmallocs of kmalloc_bytes (bytes_req) the workload itself
 * causes.  sock mode adds, before elapsed_s, cache=sock_inode_cache
 * cache_caller=sock_alloc_inode cache_allocs_per_op=1
 * expected_cache_allocs=<ops>: how many allocations from that named cache
 * the workload itself causes, and the function whose call site the events
 * carry (kernels before 6.14 have no name field in kmem:kmem_cache_alloc).  Queues are removed at
 * exit, also on error and on SIGINT/SIGTERM/ SIGHUP (then the line is still printed, for the ops
 * done, and the exit status is 128 + signal).  Usage errors exit 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* sizeof(struct msg_msg) on 64-bit kernels; larger messages take a 2nd segment */
#define MSG_HDR	     48
#define MAX_MSG_SIZE (4096 - MSG_HDR)
/* 48 + 952 = 1000 bytes requested (kmalloc-1k) */
#define DEF_MSG_SIZE 952
#define DEF_OPS	     100000
#define MAX_THREADS  1024
/* kcalloc(PIPE_DEF_BUFFERS = 16, sizeof(struct pipe_buffer) = 40) */
#define PIPE_BUFS_BYTES 640
/* sock mode: the named slab cache each socket() takes exactly one object from */
#define SOCK_CACHE "sock_inode_cache"
/* ... from this kernel function (the event's call_site), on every kernel */
#define SOCK_CACHE_CALLER "sock_alloc_inode"
#define SOCK_CACHE_PER_OP 1

enum mode { MODE_MSG, MODE_PIPE, MODE_SOCK };
static const char *const mode_names[] = {"msg", "pipe", "sock"};

struct worker {
	pthread_t tid;
	int qid; /* msg mode: this thread's private queue, -1 when none */
	unsigned long long ops;
	struct timespec start, end;
	int err; /* errno of the failing call, 0 when fine */
	const char *what;
};

static enum mode mode = MODE_MSG;
static long msg_size = DEF_MSG_SIZE;
static long ops_per_thread = DEF_OPS;
static double duration; /* seconds; 0: run ops_per_thread ops */
static pthread_barrier_t start_barrier;
static atomic_int stop_flag;
static volatile sig_atomic_t got_signal;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kstorm [-m msg|pipe|sock] [-s SIZE] [-n OPS] [-t THREADS] [-d SECONDS]\n"
		"  -m, --mode MODE      msg: SysV msgsnd+msgrcv of SIZE bytes, one kmalloc of\n"
		"                       48+SIZE bytes per op (default); pipe: pipe2+close+close,\n"
		"                       one kmalloc of %d bytes (pipe_buffer array) per op;\n"
		"                       sock: socket(AF_UNIX, SOCK_DGRAM)+close, one allocation\n"
		"                       from the named slab cache %s per op\n"
		"                       (kmem:kmem_cache_alloc, call site in %s),\n"
		"                       no kmalloc count claimed\n"
		"  -s, --size SIZE      message size for msg mode (0..%d, default %d)\n"
		"  -n, --ops OPS        operations per thread (1..1000000000, default %d)\n"
		"  -t, --threads N      worker threads (1..%d, default 1)\n"
		"  -d, --duration SECS  run for SECS seconds (0.001..86400) instead of -n ops\n"
		"  -h, --help           this text\n"
		"Prints one line: mode= threads= ops= size= kmalloc_bytes= expected_kmallocs=\n"
		"[cache= cache_caller= cache_allocs_per_op= expected_cache_allocs=] elapsed_s=\n"
		"ops_per_s= (ops and expected_* are totals over all threads; cache=... in sock\n"
		"mode only).\n",
		PIPE_BUFS_BYTES, SOCK_CACHE, SOCK_CACHE_CALLER, MAX_MSG_SIZE, DEF_MSG_SIZE, DEF_OPS,
		MAX_THREADS);
}

static void bad_arg(const char *fmt, const char *arg)
{
	fputs("kstorm: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	exit(2);
}

/* Parse a decimal integer in [lo, hi]; no trailing garbage. */
static long parse_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < lo || v > hi) {
		fprintf(stderr, "kstorm: invalid %s '%s' (expected %ld..%ld)\n", what, s, lo, hi);
		usage(stderr);
		exit(2);
	}
	return v;
}

static double parse_secs(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno || !(v >= 0.001 && v <= 86400)) {
		fprintf(stderr, "kstorm: invalid duration '%s' (expected 0.001..86400 seconds)\n",
			s);
		usage(stderr);
		exit(2);
	}
	return v;
}

static double ts_sec(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	got_signal = sig;
	atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

static int should_stop(unsigned long long done)
{
	if (atomic_load_explicit(&stop_flag, memory_order_relaxed))
		return 1;
	return duration == 0 && done >= (unsigned long long)ops_per_thread;
}

static void fail(struct worker *w, const char *what)
{
	w->err = errno;
	w->what = what;
	atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
}

static void run_msg(struct worker *w)
{
	struct {
		long mtype;
		char mtext[MAX_MSG_SIZE];
	} buf;

	buf.mtype = 1;
	memset(buf.mtext, 'k', sizeof(buf.mtext));
	while (!should_stop(w->ops)) {
		if (msgsnd(w->qid, &buf, (size_t)msg_size, 0) == -1) {
			fail(w, "msgsnd");
			return;
		}
		if (msgrcv(w->qid, &buf, sizeof(buf.mtext), 0, 0) == -1) {
			fail(w, "msgrcv");
			return;
		}
		w->ops++;
	}
}

static void run_pipe(struct worker *w)
{
	int fds[2];

	while (!should_stop(w->ops)) {
		if (pipe2(fds, O_CLOEXEC) == -1) {
			fail(w, "pipe2");
			return;
		}
		close(fds[0]);
		close(fds[1]);
		w->ops++;
	}
}

static void run_sock(struct worker *w)
{
	int fd;

	while (!should_stop(w->ops)) {
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			fail(w, "socket");
			return;
		}
		close(fd);
		w->ops++;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start_barrier);
	clock_gettime(CLOCK_MONOTONIC, &w->start);
	if (mode == MODE_MSG)
		run_msg(w);
	else if (mode == MODE_PIPE)
		run_pipe(w);
	else
		run_sock(w);
	clock_gettime(CLOCK_MONOTONIC, &w->end);
	return NULL;
}

/* Sleep until the duration has passed or a signal/error asked to stop. */
static void wait_duration(void)
{
	struct timespec now, end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)duration;
	end.tv_nsec += (long)((duration - (double)(time_t)duration) * 1e9);
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		struct timespec step = {0, 20 * 1000000L};

		if (atomic_load_explicit(&stop_flag, memory_order_relaxed))
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_sec(&now) >= ts_sec(&end))
			return;
		if (ts_sec(&end) - ts_sec(&now) < 0.02) {
			double left = ts_sec(&end) - ts_sec(&now);

			step.tv_nsec = (long)(left * 1e9);
		}
		nanosleep(&step, NULL);
	}
}

static void remove_queues(struct worker *ws, long n)
{
	for (long i = 0; i < n; i++) {
		if (ws[i].qid != -1 && msgctl(ws[i].qid, IPC_RMID, NULL) == -1)
			fprintf(stderr, "kstorm: msgctl(IPC_RMID, %d): %s\n", ws[i].qid,
				strerror(errno));
		ws[i].qid = -1;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"mode", required_argument, NULL, 'm'},
	    {"size", required_argument, NULL, 's'},
	    {"ops", required_argument, NULL, 'n'},
	    {"threads", required_argument, NULL, 't'},
	    {"duration", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	long threads = 1, size_bytes, expected;
	int c, have_size = 0, have_ops = 0, started = 0, rc = 0;
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block, old;
	struct worker *ws;
	double t0 = 0, t1 = 0, elapsed;
	unsigned long long total = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:s:n:t:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "msg") == 0)
				mode = MODE_MSG;
			else if (strcmp(optarg, "pipe") == 0)
				mode = MODE_PIPE;
			else if (strcmp(optarg, "sock") == 0)
				mode = MODE_SOCK;
			else
				bad_arg("invalid mode '%s' (expected msg, pipe or sock)", optarg);
			break;
		case 's':
			msg_size = parse_num(optarg, 0, MAX_MSG_SIZE, "size");
			have_size = 1;
			break;
		case 'n':
			ops_per_thread = parse_num(optarg, 1, 1000000000L, "op count");
			have_ops = 1;
			break;
		case 't':
			threads = parse_num(optarg, 1, MAX_THREADS, "thread count");
			break;
		case 'd':
			duration = parse_secs(optarg);
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
	if (have_ops && duration > 0)
		bad_arg("%s", "-n and -d are mutually exclusive");
	if (have_size && mode != MODE_MSG)
		bad_arg("%s", "-s applies to msg mode only");

	ws = calloc((size_t)threads, sizeof(*ws));
	if (!ws) {
		perror("kstorm: calloc");
		return 1;
	}
	for (long i = 0; i < threads; i++)
		ws[i].qid = -1;

	/* Signals go to the main thread only; workers poll stop_flag. */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	pthread_sigmask(SIG_BLOCK, &block, &old);

	if (mode == MODE_MSG) {
		for (long i = 0; i < threads; i++) {
			ws[i].qid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
			if (ws[i].qid == -1) {
				perror("kstorm: msgget");
				rc = 1;
				goto out;
			}
		}
	}
	errno = pthread_barrier_init(&start_barrier, NULL, (unsigned)threads);
	if (errno) {
		perror("kstorm: pthread_barrier_init");
		rc = 1;
		goto out;
	}
	for (; started < threads; started++) {
		errno = pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]);
		if (errno) {
			perror("kstorm: pthread_create");
			/*
			 * The barrier can never open now: the started threads stay
			 * blocked on it, so skip joining and just clean up.
			 */
			rc = 1;
			goto out;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (duration > 0)
		wait_duration();
	if (duration > 0)
		atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
	for (long i = 0; i < started; i++) {
		pthread_join(ws[i].tid, NULL);
		if (i == 0 || ts_sec(&ws[i].start) < t0)
			t0 = ts_sec(&ws[i].start);
		if (i == 0 || ts_sec(&ws[i].end) > t1)
			t1 = ts_sec(&ws[i].end);
		total += ws[i].ops;
		if (ws[i].err) {
			fprintf(stderr, "kstorm: thread %ld: %s: %s\n", i, ws[i].what,
				strerror(ws[i].err));
			rc = 1;
		}
	}
out:
	if (mode == MODE_MSG)
		remove_queues(ws, threads);
	if (rc) {
		free(ws);
		return rc;
	}
	elapsed = t1 - t0;
	if (mode == MODE_MSG) {
		size_bytes = MSG_HDR + msg_size;
		expected = (long)total;
	} else if (mode == MODE_PIPE) {
		size_bytes = PIPE_BUFS_BYTES;
		expected = (long)total;
	} else {
		size_bytes = 0; /* no kmalloc claim */
		expected = 0;
	}
	printf("mode=%s threads=%ld ops=%llu size=%ld kmalloc_bytes=%ld expected_kmallocs=%ld ",
	       mode_names[mode], threads, total, mode == MODE_MSG ? msg_size : 0, size_bytes,
	       expected);
	if (mode == MODE_SOCK)
		printf(
		    "cache=%s cache_caller=%s cache_allocs_per_op=%d expected_cache_allocs=%llu ",
		    SOCK_CACHE, SOCK_CACHE_CALLER, SOCK_CACHE_PER_OP, total * SOCK_CACHE_PER_OP);
	printf("elapsed_s=%.4f ops_per_s=%.0f\n", elapsed,
	       elapsed > 0 ? (double)total / elapsed : 0.0);
	fflush(stdout);
	free(ws);
	return got_signal ? 128 + got_signal : 0;
}

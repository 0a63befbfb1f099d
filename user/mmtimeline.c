// SPDX-License-Identifier: GPL-2.0
/*
 * kmtrace mm -p PID | -- CMD [INTERVAL [COUNT]] [--json] [--perfetto FILE]:
 * the mm_users timeline of one process.
 *
 * Thread events (exec, thread_start, thread_exit, process_exit) come from
 * bpf/kmtrace.bpf.c, loaded by the setup `kmtrace trace` uses (kmt_setup_*)
 * with only its thread programs; each carries mm_users after the event.  Every
 * INTERVAL the mmsnap task iterator samples mm_users: a value that differs
 * from the last known one in two samples in a row, with no thread event of
 * that process in between, is a change without a thread event (a vfork/
 * CLONE_VM child, a get_task_mm() user, …): an mm_users_change line.  Two
 * samples, so the microseconds between a counter update and its thread
 * event's tracepoint never show up as a change.
 *
 * Options and usage: user/mmopts.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kmtrace.skel.h"
#include "mmsnap.h"
#include "mmtimeline.h"
#include "opts.h"
#include "output.h"
#include "perfetto.h"
#include "trace.h"

#define MM_MAX_PIDS 1024 /* processes followed (-- CMD's children included) */

/* ---- state ------------------------------------------------------------------------ */

struct mm_proc {
	uint32_t pid;
	int known; /* last mm_users seen (event or sample); -1: none yet */
	int cand;  /* a sampled value != known waiting for its second sample; -1 */
	uint64_t cand_ts;
	bool live;
	char comm[KMT_COMM_LEN];
};

struct tl {
	const struct kmt_mm_opts *o;
	struct kmt_pf *pf;
	struct mmsnap_iter *it;
	struct mm_proc procs[MM_MAX_PIDS];
	size_t nprocs;
	uint32_t target; /* the tgid followed */
	bool target_exited;
	uint64_t t0, samples, changes, events, sample_fail;
	int max_users;
	bool out_err;
	char line[2048];
};

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct mm_proc *proc_get(struct tl *t, uint32_t pid, bool add)
{
	struct mm_proc *free_slot = NULL;

	for (size_t i = 0; i < t->nprocs; i++) {
		if (t->procs[i].pid == pid)
			return &t->procs[i];
		if (!t->procs[i].live && !free_slot)
			free_slot = &t->procs[i];
	}
	if (!add)
		return NULL;
	if (!free_slot && t->nprocs < MM_MAX_PIDS)
		free_slot = &t->procs[t->nprocs++];
	if (!free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->pid = pid;
	free_slot->known = free_slot->cand = -1;
	free_slot->live = true;
	return free_slot;
}

static void out_line(struct tl *t)
{
	if (fputs(t->line, stdout) == EOF || putchar('\n') == EOF || ferror(stdout))
		t->out_err = true;
}

static void text_line(struct tl *t, uint64_t ts, const char *ev, uint32_t pid, const char *tid,
		      int users, const char *comm, const char *detail)
{
	char c[KMT_COMM_LEN + 1];
	size_t i;

	for (i = 0; i < KMT_COMM_LEN && comm[i]; i++)
		c[i] = (comm[i] > ' ' && comm[i] < 0x7f) ? comm[i] : '?';
	c[i] = '\0';
	snprintf(t->line, sizeof(t->line), "%-12.6f %-16s %-7u %-7s %-8d %-16s %s",
		 ts >= t->t0 ? (double)(ts - t->t0) / 1e9 : 0.0, ev, pid, tid, users, c, detail);
	out_line(t);
}

static const char *text_header(void)
{
	return "TIME(s)      EVENT            PID     TID     MM_USERS COMM             DETAIL";
}

static void note_users(struct tl *t, int users)
{
	if (users > t->max_users)
		t->max_users = users;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct tl *t = ctx;
	struct kmt_event e;
	struct mm_proc *p;
	char tid[16], detail[64] = "";

	if (size < KMT_EVENT_BASE_SIZE)
		return 0;
	memset(&e, 0, sizeof(e));
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	if (e.type != KMT_EV_EXEC && e.type != KMT_EV_THREAD_START &&
	    e.type != KMT_EV_THREAD_EXIT && e.type != KMT_EV_PROCESS_EXIT)
		return 0;
	t->events++;
	p = proc_get(t, e.pid, e.type != KMT_EV_PROCESS_EXIT);
	if (p) {
		p->known = e.mm_users;
		p->cand = -1;
		if (e.type == KMT_EV_EXEC || e.tid == e.pid || !p->comm[0])
			memcpy(p->comm, e.comm, sizeof(p->comm));
		p->live = e.type != KMT_EV_PROCESS_EXIT; /* a reused pid lives again */
	}
	note_users(t, e.mm_users);
	if (e.type == KMT_EV_PROCESS_EXIT && e.pid == t->target)
		t->target_exited = true;
	kmt_pf_event(t->pf, &e, NULL, 0);
	if (t->o->json) {
		kmt_format_json(&e, NULL, NULL, t->line, sizeof(t->line));
		out_line(t);
	} else {
		snprintf(tid, sizeof(tid), "%u", e.tid);
		if (e.type == KMT_EV_THREAD_START)
			snprintf(detail, sizeof(detail), "ppid=%u", e.ppid);
		else if (e.type == KMT_EV_EXEC)
			snprintf(detail, sizeof(detail), "old_pid=%u", e.ppid);
		else
			snprintf(detail, sizeof(detail), "exit_code=%d", e.exit_code);
		text_line(t, e.ts_ns, kmt_event_name(e.type), e.pid, tid, e.mm_users, e.comm,
			  detail);
	}
	return t->out_err ? -EPIPE : 0;
}

/* A sampled value: "snapshot" (first value of a -p target) or "mm_users_change". */
static void sample_line(struct tl *t, const char *ev, uint64_t ts, struct mm_proc *p, int users,
			int prev, int threads)
{
	char comm[4 * KMT_COMM_LEN + 8], detail[64];

	note_users(t, users);
	kmt_pf_mm_users(t->pf, ts, p->pid, p->comm, users, ev);
	if (t->o->json) {
		kmt_json_str(p->comm, sizeof(p->comm), comm, sizeof(comm));
		if (prev >= 0)
			snprintf(detail, sizeof(detail), ",\"prev_mm_users\":%d", prev);
		else
			detail[0] = '\0';
		snprintf(t->line, sizeof(t->line),
			 "{\"ts_ns\":%llu,\"event\":\"%s\",\"pid\":%u,\"comm\":%s,\"threads\":%d%s,"
			 "\"mm_users\":%d}",
			 (unsigned long long)ts, ev, p->pid, comm, threads, detail, users);
		out_line(t);
	} else {
		if (prev >= 0)
			snprintf(detail, sizeof(detail), "prev=%d threads=%d", prev, threads);
		else
			snprintf(detail, sizeof(detail), "threads=%d", threads);
		text_line(t, ts, ev, p->pid, "-", users, p->comm, detail);
	}
}

static void sample(struct tl *t)
{
	uint64_t ts = now_ns();
	struct mmsnap_rec *recs;
	size_t n;

	recs = mmsnap_iter_run(t->it, &n);
	if (!recs) {
		t->sample_fail++;
		return;
	}
	t->samples++;
	for (size_t i = 0; i < n; i++) {
		struct mm_proc *p = proc_get(t, recs[i].pid, false);
		int v = recs[i].mm_users;

		if (!p || !p->live)
			continue;
		if (!p->comm[0])
			memcpy(p->comm, recs[i].comm, sizeof(p->comm));
		if (p->known < 0) {
			p->known = v;
			sample_line(t, "snapshot", ts, p, v, -1, recs[i].nr_threads);
		} else if (v == p->known) {
			p->cand = -1;
		} else if (v == p->cand) {
			t->changes++;
			sample_line(t, "mm_users_change", p->cand_ts, p, v, p->known,
				    recs[i].nr_threads);
			p->known = v;
			p->cand = -1;
		} else {
			p->cand = v;
			p->cand_ts = ts;
		}
	}
	free(recs);
}

static uint64_t lost_events(struct kmtrace_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	uint32_t idx = KMT_CNT_LOST;
	uint64_t *v, sum = 0;

	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &idx, v))
		for (int c = 0; c < ncpu; c++)
			sum += v[c];
	free(v);
	return sum;
}

static void summary(struct tl *t, struct kmtrace_bpf *skel, int status)
{
	double secs = (double)(now_ns() - t->t0) / 1e9;
	unsigned long long lost = lost_events(skel);

	if (t->o->json) {
		printf("{\"event\":\"summary\",\"duration_s\":%.3f,\"thread_events\":%llu,"
		       "\"samples\":%llu,\"mm_users_changes\":%llu,\"max_mm_users\":%d,"
		       "\"lost\":%llu",
		       secs, (unsigned long long)t->events, (unsigned long long)t->samples,
		       (unsigned long long)t->changes, t->max_users, lost);
		if (status >= 0)
			printf(",\"exit_status\":%d", status);
		printf("}\n");
		return;
	}
	printf("\n--- kmtrace mm summary (%.3f s) ---\n", secs);
	printf("thread events: %llu, mm_users samples: %llu, changes without a thread event: "
	       "%llu\n",
	       (unsigned long long)t->events, (unsigned long long)t->samples,
	       (unsigned long long)t->changes);
	printf("max mm_users: %d, lost events: %llu\n", t->max_users, lost);
	if (status >= 0)
		printf("command exit status: %d\n", status);
}

/* Only the thread/process programs: no allocation or module events. */
static void threads_only(struct kmtrace_bpf *s, void *arg)
{
	struct bpf_program *off[] = {
	    s->progs.raw_kmalloc,     s->progs.tp_kmalloc,   s->progs.raw_kmalloc_node,
	    s->progs.tp_kmalloc_node, s->progs.raw_kfree,    s->progs.tp_kfree,
	    s->progs.tp_page_alloc,   s->progs.tp_page_free, s->progs.raw_module_load,
	    s->progs.raw_module_free, s->progs.fe_free_bulk,
	};

	(void)arg;
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		bpf_program__set_autoload(off[i], false);
}

static int timeline(const struct kmt_mm_opts *mo)
{
	struct kmt_opts o;
	struct kmt_setup su = {.name = "mm", .tweak = threads_only};
	struct tl *t;
	struct ring_buffer *rb = NULL;
	struct sigaction sa = {0};
	int ret = 1, status = -1;
	uint64_t step = (uint64_t)(mo->interval * 1e9), next;

	t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(stderr, "kmtrace: out of memory\n");
		return 1;
	}
	t->o = mo;
	memset(&o, 0, sizeof(o));
	o.pid = mo->pid;
	o.cmd = mo->cmd;
	o.json = mo->json;
	o.verbose = mo->verbose;
	o.max_size = UINT64_MAX;
	setvbuf(stdout, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, 1 << 16);
	if (mo->perfetto) {
		t->pf = kmt_pf_open(mo->perfetto);
		if (!t->pf) {
			fprintf(stderr, "kmtrace: cannot create --perfetto %s: %s\n", mo->perfetto,
				strerror(errno));
			free(t);
			return 1;
		}
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (kmt_setup_open(&su, &o))
		goto out;
	if (!su.threads) {
		fprintf(stderr, "kmtrace: mm: this kernel has no usable thread events "
				"(raw_tp sched_process_fork/exit)\n");
		goto out;
	}
	t->it = mmsnap_iter_open();
	if (!t->it) {
		fprintf(stderr, "kmtrace: mm: task iterator failed: %s\n", strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(su.skel->maps.events), on_event, t, NULL);
	if (!rb) {
		fprintf(stderr, "kmtrace: cannot create the ring buffer: %s\n", strerror(errno));
		goto out;
	}
	t->target = o.pid ? (uint32_t)o.pid : (uint32_t)su.ch.pid;
	t->t0 = now_ns();
	fprintf(stderr, "kmtrace: ready: mm_users timeline of pid %u, samples every %.3f s\n",
		t->target, mo->interval);
	if (!mo->json)
		printf("%s\n", text_header());
	if (o.pid) {
		proc_get(t, t->target, true);
		sample(t); /* the starting point: "snapshot" */
	}
	if (kmt_setup_start_cmd(&su, &o))
		goto out;
	next = now_ns() + step;
	while (!stop_sig && !t->out_err) {
		uint64_t now = now_ns();
		int ms = now >= next ? 0 : (int)((next - now) / 1000000) + 1, n;

		n = ring_buffer__poll(rb, ms > 100 ? 100 : ms);
		if (t->out_err)
			break;
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "kmtrace: ring buffer: %s\n", strerror(-n));
			goto out;
		}
		if (su.ch.pid > 0 && (status = kmt_setup_reap(&su)) >= 0)
			break;
		if (o.pid && (t->target_exited || (kill(o.pid, 0) && errno == ESRCH)))
			break;
		if (now_ns() >= next) {
			ring_buffer__consume(rb); /* events before the sample first */
			sample(t);
			next += step;
			if (next < now_ns())
				next = now_ns() + step;
			if (mo->count && t->samples >= mo->count)
				break;
		}
	}
	if (!t->out_err)
		ring_buffer__consume(rb);
	if (!t->out_err)
		summary(t, su.skel, status);
	ret = 0;
out:
	ring_buffer__free(rb);
	mmsnap_iter_close(t->it);
	kmt_setup_close(&su, ret != 0);
	if (t->pf && kmt_pf_close(t->pf) && ret == 0) {
		fprintf(stderr, "kmtrace: --perfetto %s: write error: %s\n", mo->perfetto,
			strerror(errno));
		ret = 1;
	}
	if (fflush(stdout) == EOF && errno != EPIPE && !t->out_err && ret == 0) {
		fprintf(stderr, "kmtrace: write error: %s\n", strerror(errno));
		ret = 1;
	}
	free(t);
	return ret;
}

int cmd_mm(int argc, char **argv)
{
	struct kmt_mm_opts mo;
	char err[256];
	int r;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(kmt_mm_usage(), stdout);
			return 0;
		}
	}
	r = kmt_parse_mm(argc, argv, &mo, err, sizeof(err));
	if (r == KMT_MM_UNSUPPORTED) { /* with or without a target */
		fprintf(stderr, "kmtrace: mm: %s\n", err);
		return 2;
	}
	if (!kmt_mm_has_target(argc, argv)) {
		for (int i = 1; i < argc; i++) {
			if (!strncmp(argv[i], "--perfetto", 10) ||
			    strspn(argv[i], "0123456789.") == strlen(argv[i])) {
				fprintf(
				    stderr,
				    "kmtrace: mm: INTERVAL, COUNT and --perfetto need -p PID or "
				    "-- CMD (see 'kmtrace mm --help')\n");
				return 2;
			}
		}
		return cmd_mm_snapshot(argc, argv);
	}
	if (r) {
		fprintf(stderr, "kmtrace: mm: %s (see 'kmtrace mm --help')\n", err);
		return 2;
	}
	if (mo.help) {
		fputs(kmt_mm_usage(), stdout);
		return 0;
	}
	return timeline(&mo);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kmtrace mm: without a target the snapshot of every process's mm
 * (user/mm_snapshot.c); with -p PID or -- CMD [INTERVAL [COUNT]] the
 * mm_users timeline of that process.  Both from bpf/mm.bpf.c.
 *
 * Thread events (exec, thread_start, thread_exit, process_exit) come from
 * bpf/tasks.bpf.h; each carries mm_users after the event.  Every INTERVAL the
 * task iterator samples mm_users: a value that differs
 * from the last known one in two samples in a row, with no thread event of
 * that process in between, is a change without a thread event (a vfork/
 * CLONE_VM child, a get_task_mm() user, …): an mm_users_change line.  Two
 * samples, so the microseconds between a counter update and its thread
 * event's tracepoint never show up as a change.
 *
 * Options and usage: user/specs.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "events.h" /* before the skeleton: the types it names */
#include "filter.h"
#include "mm.skel.h"
#include "cli.h"
#include "fmt.h"
#include "loader.h"
#include "mm_snapshot.h"
#include "perfetto.h"
#include "target.h"
#include "trace_output.h"
#include "util.h"

KMT_SKEL_OPS(mm_bpf);

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

struct timeline {
	const struct kmt_args *a;
	struct kmt_target tg;
	struct kmt_loader ld;
	struct kmt_pf *pf;
	struct bpf_link *iter;
	struct mm_proc procs[MM_MAX_PIDS];
	size_t nprocs;
	uint32_t target; /* the tgid followed */
	uint64_t t0, samples, changes, events, sample_fail;
	int max_users;
	bool out_err;
	char line[2048];
};

static struct mm_proc *proc_get(struct timeline *t, uint32_t pid, bool add)
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

static void out_line(struct timeline *t)
{
	if (fputs(t->line, stdout) == EOF || putchar('\n') == EOF || ferror(stdout)) {
		kmt_out_failed();
		t->out_err = true;
	}
}

static void text_line(struct timeline *t, uint64_t ts, const char *ev, uint32_t pid,
		      const char *tid, int users, const char *comm, const char *detail)
{
	char c[KMT_COMM_LEN + 1];

	kmt_comm_text(comm, c);
	snprintf(t->line, sizeof(t->line), "%-12.6f %-16s %-7u %-7s %-8d %-16s %s",
		 ts >= t->t0 ? (double)(ts - t->t0) / 1e9 : 0.0, ev, pid, tid, users, c, detail);
	out_line(t);
}

static const char *text_header(void)
{
	return "TIME(s)      EVENT            PID     TID     MM_USERS COMM             DETAIL";
}

static void note_users(struct timeline *t, int users)
{
	if (users > t->max_users)
		t->max_users = users;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct timeline *t = ctx;
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
		t->tg.gone = true;
	kmt_pf_event(t->pf, &e, NULL, 0);
	if (t->a->json) {
		kmt_format_json(&e, NULL, NULL, NULL, t->line, sizeof(t->line));
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
static void sample_line(struct timeline *t, const char *ev, uint64_t ts, struct mm_proc *p,
			int users, int prev, int threads)
{
	char comm[4 * KMT_COMM_LEN + 8], detail[64];

	note_users(t, users);
	kmt_pf_mm_users(t->pf, ts, p->pid, p->comm, users, ev);
	if (t->a->json) {
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

static void sample(struct timeline *t)
{
	uint64_t ts = kmt_now_ns();
	struct mmsnap_rec *recs;
	size_t n;

	recs = mmsnap_iter_run(t->iter, &n);
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

static void summary(struct timeline *t, int status)
{
	struct mm_bpf *skel = t->ld.skel;
	double secs = (double)(kmt_now_ns() - t->t0) / 1e9;
	unsigned long long lost = kmt_counter(bpf_map__fd(skel->maps.counters), KMT_CNT_LOST);

	if (t->a->json) {
		kmt_out("{\"event\":\"summary\",\"duration_s\":%.3f,\"thread_events\":%llu,"
			"\"samples\":%llu,\"mm_users_changes\":%llu,\"max_mm_users\":%d,"
			"\"lost\":%llu",
			secs, (unsigned long long)t->events, (unsigned long long)t->samples,
			(unsigned long long)t->changes, t->max_users, lost);
		if (status >= 0)
			kmt_out(",\"exit_status\":%d", status);
		kmt_out("}\n");
		return;
	}
	kmt_out("\n--- kmtrace mm summary (%.3f s) ---\n", secs);
	kmt_out("thread events: %llu, mm_users samples: %llu, changes without a thread event: "
		"%llu\n",
		(unsigned long long)t->events, (unsigned long long)t->samples,
		(unsigned long long)t->changes);
	kmt_out("max mm_users: %d, lost events: %llu\n", t->max_users, lost);
	if (status >= 0)
		kmt_out("command exit status: %d\n", status);
}

static int prepare(void *skel, void *arg)
{
	struct mm_bpf *s = skel;
	struct timeline *t = arg;

	if (t)
		kmt_target_filter(&t->tg, t->a, (struct kmt_filter *)&s->rodata->filter);
	return 0;
}

static int follow(struct timeline *t)
{
	const struct kmt_args *a = t->a;
	struct mm_bpf *skel = t->ld.skel;
	uint64_t step = (uint64_t)(a->interval * 1e9), next;
	struct ring_buffer *rb;
	char what[96];
	int status = -1;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, t, NULL);
	if (!rb) {
		fprintf(stderr, "kmtrace: cannot create the ring buffer: %s\n", strerror(errno));
		return 1;
	}
	t->target = t->tg.pid ? (uint32_t)t->tg.pid : (uint32_t)t->tg.child;
	t->t0 = kmt_now_ns();
	snprintf(what, sizeof(what), "mm_users timeline of pid %u, samples every %.3f s", t->target,
		 a->interval);
	kmt_ready(&t->ld, what);
	if (!a->json)
		kmt_out("%s\n", text_header());
	if (t->tg.pid) {
		proc_get(t, t->target, true);
		sample(t); /* the starting point: "snapshot" */
	}
	if (kmt_target_start(&t->tg)) {
		ring_buffer__free(rb);
		return 1;
	}
	next = kmt_now_ns() + step;
	while (!kmt_stop_signal() && !t->out_err) {
		uint64_t now = kmt_now_ns();
		int ms = now >= next ? 0 : (int)((next - now) / 1000000) + 1, n;

		n = ring_buffer__poll(rb, ms > 100 ? 100 : ms);
		if (t->out_err)
			break;
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "kmtrace: ring buffer: %s\n", strerror(-n));
			ring_buffer__free(rb);
			return 1;
		}
		if (kmt_target_done(&t->tg, &status))
			break;
		if (kmt_now_ns() >= next) {
			ring_buffer__consume(rb); /* events before the sample first */
			sample(t);
			next += step;
			if (next < kmt_now_ns())
				next = kmt_now_ns() + step;
			if (a->count && t->samples >= a->count)
				break;
		}
	}
	if (!t->out_err)
		ring_buffer__consume(rb);
	if (!t->out_err)
		summary(t, status);
	kmt_stats_report(&t->ld);
	ring_buffer__free(rb);
	return 0;
}

static int timeline(const struct kmt_args *a)
{
	struct timeline *t;
	int ret = 1;

	t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(stderr, "kmtrace: out of memory\n");
		return 1;
	}
	t->a = a;
	setvbuf(stdout, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, 1 << 16);
	if (kmt_target_open(&t->tg, a))
		goto out;
	if (a->perfetto && !(t->pf = kmt_pf_open(a->perfetto))) {
		fprintf(stderr, "kmtrace: cannot create --perfetto %s: %s\n", a->perfetto,
			strerror(errno));
		goto out;
	}
	kmt_stop_on_signals();
	t->ld = (struct kmt_loader){
	    .cmd = "mm",
	    .ops = &mm_bpf_ops,
	    .want = {[KMT_G_THREADS] = true},
	    .need = {[KMT_G_THREADS] = "the timeline needs thread events"},
	    .verbose = a->verbose,
	    .stats = a->stats,
	    .prepare = prepare,
	    .arg = t,
	};
	if (kmt_load(&t->ld))
		goto out;
	t->iter = bpf_program__attach_iter(((struct mm_bpf *)t->ld.skel)->progs.mm_snapshot, NULL);
	if (!t->iter) {
		fprintf(stderr, "kmtrace: mm: task iterator failed: %s\n", strerror(errno));
		goto out;
	}
	if (kmt_target_attach(&t->tg, &t->ld))
		goto out;
	ret = follow(t);
out:
	bpf_link__destroy(t->iter);
	kmt_unload(&t->ld);
	kmt_target_close(&t->tg, ret != 0);
	if (t->pf && kmt_pf_close(t->pf) && ret == 0) {
		fprintf(stderr, "kmtrace: --perfetto %s: write error: %s\n", a->perfetto,
			strerror(errno));
		ret = 1;
	}
	ret = kmt_target_exit_status(&t->tg, kmt_out_end(ret));
	free(t);
	return ret;
}

/* Every process's mm, once. */
static int snapshot(const struct kmt_args *a)
{
	struct kmt_loader ld = {.cmd = "mm", .ops = &mm_bpf_ops, .verbose = a->verbose};
	struct bpf_link *link = NULL;
	struct mmsnap_rec *recs = NULL;
	size_t n = 0;
	int ret = 1;

	if (kmt_load(&ld))
		return 1;
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is EPIPE: kmt_out_end() */
	link = bpf_program__attach_iter(((struct mm_bpf *)ld.skel)->progs.mm_snapshot, NULL);
	if (link)
		recs = mmsnap_iter_run(link, &n);
	if (!recs) {
		fprintf(stderr, "kmtrace: mm: task iterator failed: %s\n", strerror(errno));
		goto out;
	}
	n = mmsnap_sort_dedup(recs, n);
	mmsnap_print(stdout, recs, n, a->json);
	ret = kmt_out_end(0);
out:
	free(recs);
	bpf_link__destroy(link);
	kmt_unload(&ld);
	return ret;
}

int cmd_mm(int argc, char **argv)
{
	struct kmt_args a;
	int ret = kmt_cli(&kmt_mm_spec, argc, argv, &a);

	if (ret)
		return ret == KMT_CLI_EXIT_OK ? 0 : ret;
	if (kmt_loader_check("mm"))
		return 1;
	return a.pid || a.cmd ? timeline(&a) : snapshot(&a);
}

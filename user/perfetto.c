// SPDX-License-Identifier: GPL-2.0
/*
 * Chrome trace-event JSON writer for --perfetto (see perfetto.h).  Memory is
 * bounded: a fixed table of processes (counters) and a direct-mapped cache of
 * thread names (a name is written again when evicted: harmless).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "trace_output.h"
#include "perfetto.h"
#include "util.h"

#define PF_PROCS   8192 /* processes with counters (power of two) */
#define PF_THREADS 4096 /* thread-name cache slots */

struct pf_proc {
	uint32_t pid; /* 0: free slot */
	int mm_users; /* last written; -2: none */
	int64_t outstanding;
	char name[KMT_COMM_LEN];
};

struct pf_thread {
	uint32_t tid;
	char name[KMT_COMM_LEN];
};

struct kmt_pf {
	FILE *f;
	bool first; /* no event written yet */
	bool err;
	size_t nprocs;
	struct pf_proc procs[PF_PROCS];
	struct pf_thread threads[PF_THREADS];
};

struct kmt_pf *kmt_pf_fdopen(FILE *f)
{
	struct kmt_pf *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return NULL;
	pf->f = f;
	pf->first = true;
	if (fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"kmtrace\"},"
		  "\"traceEvents\":[",
		  f) == EOF)
		pf->err = true;
	return pf;
}

/* The file holds kernel addresses (allocation pointers, call sites): created
 * 0600 like perf.data (kmt_fopen_private). */
struct kmt_pf *kmt_pf_open(const char *path)
{
	FILE *f = kmt_fopen_private(path);
	struct kmt_pf *pf;

	if (!f)
		return NULL;
	pf = kmt_pf_fdopen(f);
	if (!pf) {
		fclose(f);
		errno = ENOMEM;
	}
	return pf;
}

int kmt_pf_close(struct kmt_pf *pf)
{
	int err;

	if (!pf)
		return 0;
	if (fputs("\n]}\n", pf->f) == EOF || ferror(pf->f))
		pf->err = true;
	err = pf->err ? (errno ? errno : EIO) : 0;
	if (fclose(pf->f) == EOF && !err)
		err = errno;
	free(pf);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* ---- low level ---------------------------------------------------------------- */

/* Start one event: {"ph":PH,"name":NAME,"pid":..,"tid":..,"ts":.. (no closing brace). */
static void ev_begin(struct kmt_pf *pf, const char *ph, const char *name, uint32_t pid,
		     uint32_t tid, uint64_t ts_ns)
{
	if (fprintf(pf->f,
		    "%s\n{\"ph\":\"%s\",\"name\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":%llu.%03llu",
		    pf->first ? "" : ",", ph, name, pid, tid, (unsigned long long)(ts_ns / 1000),
		    (unsigned long long)(ts_ns % 1000)) < 0)
		pf->err = true;
	pf->first = false;
}

static void ev_end(struct kmt_pf *pf)
{
	if (fputs("}", pf->f) == EOF)
		pf->err = true;
}

static void put_str(struct kmt_pf *pf, const char *s, size_t max)
{
	char buf[1100];

	kmt_json_str(s ? s : "", max, buf, sizeof(buf));
	fputs(buf, pf->f);
}

static void meta(struct kmt_pf *pf, const char *what, uint32_t pid, uint32_t tid, const char *name)
{
	ev_begin(pf, "M", what, pid, tid, 0);
	fputs(",\"args\":{\"name\":", pf->f);
	put_str(pf, name, KMT_COMM_LEN);
	fputc('}', pf->f);
	ev_end(pf);
}

static void counter(struct kmt_pf *pf, const char *name, uint32_t pid, uint64_t ts_ns, long long v)
{
	ev_begin(pf, "C", name, pid, pid, ts_ns);
	fprintf(pf->f, ",\"args\":{\"%s\":%lld}", name, v);
	ev_end(pf);
}

static struct pf_proc *proc(struct kmt_pf *pf, uint32_t pid, const char *comm, bool is_leader)
{
	size_t i = (pid * 2654435761u) & (PF_PROCS - 1);
	struct pf_proc *p;

	if (!pid)
		return NULL;
	for (size_t n = 0; n < PF_PROCS; n++, i = (i + 1) & (PF_PROCS - 1)) {
		p = &pf->procs[i];
		if (p->pid == pid)
			break;
		if (p->pid == 0) {
			if (pf->nprocs >= PF_PROCS * 3 / 4)
				return NULL; /* full: no more counters */
			pf->nprocs++;
			p->pid = pid;
			p->mm_users = -2;
			break;
		}
	}
	if (p->pid != pid)
		return NULL;
	/* Name it on first sight, rename when its main thread changes comm (exec). */
	if (comm && comm[0] &&
	    (!p->name[0] || (is_leader && strncmp(p->name, comm, KMT_COMM_LEN)))) {
		memcpy(p->name, comm, KMT_COMM_LEN);
		meta(pf, "process_name", pid, pid, p->name);
	}
	return p;
}

static void thread(struct kmt_pf *pf, uint32_t pid, uint32_t tid, const char *comm)
{
	struct pf_thread *t = &pf->threads[tid & (PF_THREADS - 1)];

	if (!tid || !comm || !comm[0])
		return;
	if (t->tid == tid && !strncmp(t->name, comm, KMT_COMM_LEN))
		return;
	t->tid = tid;
	memcpy(t->name, comm, KMT_COMM_LEN);
	meta(pf, "thread_name", pid, tid, t->name);
}

static void set_mm_users(struct kmt_pf *pf, struct pf_proc *p, uint64_t ts_ns, int users)
{
	if (!p || users < 0 || users == p->mm_users)
		return;
	p->mm_users = users;
	counter(pf, "mm_users", p->pid, ts_ns, users);
}

static void add_outstanding(struct kmt_pf *pf, struct pf_proc *p, uint64_t ts_ns, int64_t d)
{
	if (!p || !d)
		return;
	p->outstanding += d;
	if (p->outstanding < 0)
		p->outstanding = 0;
	counter(pf, "outstanding_bytes", p->pid, ts_ns, (long long)p->outstanding);
}

/* ---- events ------------------------------------------------------------------- */

static void arg_hex(struct kmt_pf *pf, const char *k, uint64_t v)
{
	fprintf(pf->f, ",\"%s\":\"0x%llx\"", k, (unsigned long long)v);
}

static void arg_u64(struct kmt_pf *pf, const char *k, uint64_t v)
{
	fprintf(pf->f, ",\"%s\":%llu", k, (unsigned long long)v);
}

void kmt_pf_event(struct kmt_pf *pf, const struct kmt_event *e, const char *sym, uint32_t owner)
{
	bool alloc = kmt_event_is_alloc(e->type), free_ = kmt_event_is_free(e->type);
	struct pf_proc *p;

	if (!pf || !e->pid)
		return;
	p = proc(pf, e->pid, e->comm, e->pid == e->tid);
	thread(pf, e->pid, e->tid, e->comm);
	ev_begin(pf, "i", kmt_event_name(e->type), e->pid, e->tid, e->ts_ns);
	fprintf(pf->f, ",\"s\":\"t\",\"args\":{\"mm_users\":%d", e->mm_users);
	if (alloc || free_) {
		fputs(",\"family\":", pf->f);
		put_str(pf, kmt_family_name(kmt_event_family(e->type)), 16);
	}
	if (e->type == KMT_EV_CACHE_ALLOC || e->type == KMT_EV_CACHE_FREE) {
		fputs(",\"cache\":", pf->f);
		put_str(pf, e->cache, KMT_CACHE_LEN);
	}
	switch (e->type) {
	case KMT_EV_KMALLOC:
	case KMT_EV_KFREE:
	case KMT_EV_CACHE_ALLOC:
	case KMT_EV_CACHE_FREE:
	case KMT_EV_VMALLOC:
	case KMT_EV_VFREE:
	case KMT_EV_PERCPU_ALLOC:
	case KMT_EV_PERCPU_FREE:
		arg_u64(pf, "bytes", alloc ? e->bytes_req : e->bytes_alloc);
		if (alloc)
			arg_u64(pf, "bytes_alloc", e->bytes_alloc);
		arg_hex(pf, "ptr", e->ptr);
		break;
	case KMT_EV_PAGE_ALLOC:
	case KMT_EV_PAGE_FREE:
		arg_u64(pf, "bytes", e->bytes_alloc);
		arg_u64(pf, "pfn", e->pfn);
		arg_u64(pf, "order", e->order);
		break;
	case KMT_EV_THREAD_START:
		arg_u64(pf, "ppid", e->ppid);
		break;
	case KMT_EV_THREAD_EXIT:
	case KMT_EV_PROCESS_EXIT:
		fprintf(pf->f, ",\"exit_code\":%d", e->exit_code);
		break;
	case KMT_EV_MODULE_LOAD:
	case KMT_EV_MODULE_FREE:
		fputs(",\"module\":", pf->f);
		put_str(pf, e->module, KMT_MODNAME_LEN);
		arg_hex(pf, "text", e->text_base);
		break;
	}
	if (free_)
		fprintf(pf->f, ",\"tracked\":%s", e->flags & KMT_F_TRACKED ? "true" : "false");
	if (sym && *sym) {
		fputs(",\"sym\":", pf->f);
		put_str(pf, sym, 256);
	}
	fputc('}', pf->f);
	ev_end(pf);

	set_mm_users(pf, p, e->ts_ns, e->mm_users);
	if (alloc && !(e->flags & KMT_F_UNTRACKED) &&
	    (e->type == KMT_EV_PAGE_ALLOC || e->ptr >= 4096))
		add_outstanding(pf, p, e->ts_ns, (int64_t)e->bytes_alloc);
	else if (free_ && (e->flags & KMT_F_TRACKED) && owner)
		add_outstanding(pf, owner == e->pid ? p : proc(pf, owner, NULL, false), e->ts_ns,
				-(int64_t)e->bytes_alloc);
}

void kmt_pf_mm_users(struct kmt_pf *pf, uint64_t ts_ns, uint32_t pid, const char *comm,
		     int mm_users, const char *name)
{
	struct pf_proc *p;

	if (!pf || !pid)
		return;
	p = proc(pf, pid, comm, true);
	if (name) {
		ev_begin(pf, "i", name, pid, pid, ts_ns);
		fprintf(pf->f, ",\"s\":\"p\",\"args\":{\"mm_users\":%d}", mm_users);
		ev_end(pf);
	}
	set_mm_users(pf, p, ts_ns, mm_users);
}

void kmt_pf_leak(struct kmt_pf *pf, uint64_t ts_ns, uint32_t pid, uint32_t tid, uint64_t ptr,
		 uint64_t bytes, const char *sym)
{
	if (!pf || !pid)
		return;
	ev_begin(pf, "i", "leak", pid, tid, ts_ns);
	fputs(",\"s\":\"t\",\"args\":{", pf->f);
	fprintf(pf->f, "\"bytes\":%llu", (unsigned long long)bytes);
	arg_hex(pf, "ptr", ptr);
	if (sym && *sym) {
		fputs(",\"sym\":", pf->f);
		put_str(pf, sym, 256);
	}
	fputc('}', pf->f);
	ev_end(pf);
}

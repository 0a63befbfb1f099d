/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kmtrace trace: kmalloc/kfree, page allocations, thread/process lifecycle and
 * module load/free events, filtered in the kernel and sent through a ring
 * buffer.  One object for every kernel (6.1 .. 6.18): the loader picks, per
 * kernel, which of the alternative programs below to load (raw_tp first,
 * classic tracepoints as the fallback; see user/probe.c and user/trace.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "kmtrace.h"
#include "ptrtab.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load. */
const volatile __u32 self_tgid;
const volatile bool filter_pid;	 /* tgid must be in `pids` */
const volatile bool follow_fork; /* add forked children of followed tgids to `pids` */
const volatile bool filter_comm; /* comm must equal target_comm */
const volatile bool filter_mod;	 /* call site must be in mod_lo/mod_hi */
const volatile bool size_filter; /* min_size/max_size given */
const volatile __u64 min_size;
const volatile __u64 max_size = ~0ULL;
const volatile char target_comm[KMT_COMM_LEN];
const volatile char target_mod[KMT_MODNAME_LEN];
/* `kmtrace hist`: kmallocs that pass the filters go to the `hist` map, not the
 * ring buffer; fork/exit only keep the pid filter (module events are as usual). */
const volatile bool hist_mode;
const volatile bool hist_alloc; /* bucket bytes_alloc (else bytes_req) */
const volatile __u32 hist_by;	/* enum kmt_hist_by */
const volatile __u64 hist_step; /* 0: log2 buckets, else linear of that width */
__u32 hist_gen;			/* flipped by user space at each interval */
/* Wakeup batching for the high-rate events (kmalloc/kfree/pages): 0 = the
 * kernel's default (wake the reader whenever it has caught up); else submit
 * without a wakeup and force one once this many bytes wait in the ring (the
 * reader also polls with a short timeout).  Rare events always wake. */
const volatile __u64 wakeup_bytes;
/* allocs has pt_mask + 1 sets (set by user space). */
const volatile __u32 pt_mask;

/* -m: text of the slab allocator's refill path (allocate_slab, new_slab, ...;
 * from kallsyms).  A page allocated there backs kmalloc objects and stays
 * with the slab cache when they are freed: not the module's page. */
const volatile __u64 slab_lo[KMT_SLAB_RANGES];
const volatile __u64 slab_hi[KMT_SLAB_RANGES];

/* Module text ranges for -m: written by user space (module already loaded) and by
 * the module_load program (module loaded later), cleared at module_free. */
__u64 mod_lo[KMT_MAX_RANGES];
__u64 mod_hi[KMT_MAX_RANGES];

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	/* 4 MiB: ~20 ms of kstorm's peak event rate; with wakeup batching the
	 * reader drains it long before.  Its pages count twice in the loader's RSS
	 * (libbpf maps the data area twice), so 16 MiB cost 32 MiB of RSS. */
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

/* Outstanding allocations within the filter (bpf/ptrtab.h; tag: KMT_EV_KMALLOC
 * or KMT_EV_PAGE_ALLOC, aux: page order).  Key: kmalloc ptr (a kernel address,
 * bit 63 set) or pfn (bit 63 clear), so the two never collide.  User space
 * sizes it (8192 sets of 8: 65536 entries). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct pt_set);
} allocs SEC(".maps");

/* tgid -> mm_struct pointer, remembered for sched_process_exit (which may run
 * after exit_mm() cleared task->mm).  Never dereferenced except through
 * bpf_probe_read_kernel, never a reference. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} mms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KMT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per CPU: high-rate events submitted since the last ring fill check. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rb_tick SEC(".maps");

struct stackbuf {
	__u64 ip[KMT_STACK_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stackbuf);
} stacks SEC(".maps");

/* hist mode: per-CPU counts; the loader sizes it (1 entry unless hist). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1);
	__type(key, struct kmt_hist_key);
	__type(value, __u64);
} hist SEC(".maps");

/* ---- CO-RE flavors for layouts that changed ---------------------------------- */

/* 6.1: kmem:kmalloc and kmem:kmalloc_node use the kmem_alloc(_node) classes. */
struct trace_event_raw_kmem_alloc {
	struct trace_entry ent;
	unsigned long call_site;
	const void *ptr;
	size_t bytes_req;
	size_t bytes_alloc;
	unsigned long gfp_flags;
} __attribute__((preserve_access_index));

/* 6.1 .. 6.3: struct module has core_layout/init_layout instead of mem[]. */
struct module_layout {
	void *base;
	unsigned int size;
	unsigned int text_size;
} __attribute__((preserve_access_index));

struct module___old {
	struct module_layout core_layout;
	struct module_layout init_layout;
} __attribute__((preserve_access_index));

/* ---- helpers ---------------------------------------------------------------- */

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

static __always_inline bool comm_is_target(const char *c)
{
	for (int i = 0; i < KMT_COMM_LEN; i++) {
		if (c[i] != target_comm[i])
			return false;
		if (!c[i])
			break;
	}
	return true;
}

/* Task filter (-p / -c / -- CMD) for the current task. No copies unless -c. */
static __always_inline bool task_match(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (filter_pid && !bpf_map_lookup_elem(&pids, &tgid))
		return false;
	if (filter_comm) {
		char c[KMT_COMM_LEN];

		bpf_get_current_comm(c, sizeof(c));
		if (!comm_is_target(c))
			return false;
	}
	return true;
}

static __always_inline bool in_module(__u64 addr)
{
	for (int i = 0; i < KMT_MAX_RANGES; i++)
		if (addr >= mod_lo[i] && addr < mod_hi[i])
			return true;
	return false;
}

static __always_inline int mm_users_of(struct mm_struct *mm)
{
	if (!mm)
		return -1;
	return BPF_CORE_READ(mm, mm_users.counter);
}

static __always_inline struct task_struct *cur_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* Module events carry the whole struct, kmalloc/kfree stop before `pfn`, the
 * others before `module`. */
static __always_inline struct kmt_event *ev_reserve_sz(__u32 type, const __u32 size)
{
	struct kmt_event *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e) {
		count(KMT_CNT_LOST);
		return NULL;
	}
	__builtin_memset(e, 0, size);
	e->type = type;
	e->ts_ns = bpf_ktime_get_ns();
	return e;
}

static __always_inline struct kmt_event *ev_reserve(__u32 type)
{
	return ev_reserve_sz(type, KMT_EVENT_BASE_SIZE);
}

/* kmalloc/kfree: the record stops before the page and lifecycle fields. */
static __always_inline struct kmt_event *ev_reserve_kmem(__u32 type)
{
	return ev_reserve_sz(type, KMT_EVENT_KMEM_SIZE);
}

/* The fill level is checked on every 16th event of a CPU (at most
 * 16 x ncpus records past the threshold before the wakeup): while the reader
 * drains a ring above the threshold every check forces a wakeup, each an
 * irq_work self-IPI plus the epoll callback, which cost ~5% of a kmalloc-heavy
 * workload when done per event. */
#define KMT_RB_CHECK_EVERY 16

static __always_inline void ev_submit_batched(struct kmt_event *e)
{
	__u64 fl = 0;

	if (wakeup_bytes) {
		__u32 zero = 0, *n = bpf_map_lookup_elem(&rb_tick, &zero);

		fl = BPF_RB_NO_WAKEUP;
		if ((!n || ++*n % KMT_RB_CHECK_EVERY == 0) &&
		    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
			fl = BPF_RB_FORCE_WAKEUP;
	}
	bpf_ringbuf_submit(e, fl);
}

/* Common fields from the current task.  task->mm->mm_users through BTF
 * pointers: plain loads the verifier guards, no probe_read helper calls. */
static __always_inline void ev_current(struct kmt_event *e, __u64 id)
{
	struct mm_struct *mm = bpf_get_current_task_btf()->mm;

	e->pid = id >> 32;
	e->tid = (__u32)id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->mm_users = mm ? mm->mm_users.counter : -1;
}

static __always_inline void track(__u64 key, __u64 bytes, __u32 kind, __u32 order, __u32 *flags)
{
	struct pt_ent old;

	/* PT_STALE (key live, its free unseen) just takes the entry over. */
	if (pt_insert(&allocs, pt_mask, key, kind, bytes, order, &old) == PT_FULL) {
		count(KMT_CNT_TRACK_FULL);
		*flags |= KMT_F_UNTRACKED;
	}
}

/* hist mode: one per-CPU count; comm copied only when the key needs it. */
static __always_inline void hist_add(__u64 id, __u64 call_site, __u64 req, __u64 alloc, __u64 gfp)
{
	struct kmt_hist_key k = {};
	__u64 one = 1, *v;

	k.slot = kmt_hist_slot(hist_alloc ? alloc : req, hist_step);
	k.gen = hist_gen;
	if (hist_by == KMT_BY_PID)
		k.key = id >> 32;
	else if (hist_by == KMT_BY_CALLER)
		k.key = call_site;
	else if (hist_by == KMT_BY_GFP)
		k.key = gfp;
	if (hist_by == KMT_BY_PID || hist_by == KMT_BY_COMM)
		bpf_get_current_comm(k.comm, sizeof(k.comm));
	v = bpf_map_lookup_elem(&hist, &k);
	if (v) {
		(*v)++;
		return;
	}
	if (!bpf_map_update_elem(&hist, &k, &one, BPF_NOEXIST))
		return;
	v = bpf_map_lookup_elem(&hist, &k); /* created meanwhile on another CPU */
	if (v)
		(*v)++;
	else
		count(KMT_CNT_HIST_FULL);
}

/* ---- kmalloc / kfree -------------------------------------------------------- */

static __always_inline int on_kmalloc(__u64 call_site, __u64 ptr, __u64 req, __u64 alloc, __u64 gfp,
				      __u32 flags)
{
	__u64 id;
	struct kmt_event *e;

	if (size_filter && (req < min_size || req > max_size))
		return 0;
	id = bpf_get_current_pid_tgid();
	if (!task_match(id >> 32))
		return 0;
	if (filter_mod && !in_module(call_site))
		return 0;
	if (hist_mode) {
		hist_add(id, call_site, req, alloc, gfp);
		return 0;
	}
	if (ptr > 16) /* not NULL, not ZERO_SIZE_PTR */
		track(ptr, alloc, KMT_EV_KMALLOC, 0, &flags);
	e = ev_reserve_kmem(KMT_EV_KMALLOC);
	if (!e)
		return 0;
	ev_current(e, id);
	e->call_site = call_site;
	e->ptr = ptr;
	e->bytes_req = req;
	e->bytes_alloc = alloc;
	e->gfp = gfp;
	e->flags = flags;
	ev_submit_batched(e);
	return 0;
}

/* A kfree record (both kinds of free: kmem:kfree and kfree_bulk). */
static __always_inline void emit_kfree(__u64 id, __u64 call_site, __u64 ptr, __u64 bytes,
				       __u32 flags)
{
	struct kmt_event *e = ev_reserve_kmem(KMT_EV_KFREE);

	if (!e)
		return;
	ev_current(e, id);
	e->call_site = call_site;
	e->ptr = ptr;
	e->bytes_alloc = bytes;
	e->flags = flags;
	ev_submit_batched(e);
}

static __always_inline int on_kfree(__u64 call_site, __u64 ptr)
{
	__u64 bytes = 0, id;
	struct pt_ent a;
	__u32 flags = 0;

	if (ptr <= 16) /* kfree(NULL), kfree(ZERO_SIZE_PTR) */
		return 0;
	id = bpf_get_current_pid_tgid();
	if (pt_delete(&allocs, pt_mask, ptr, &a)) {
		bytes = a.bytes;
		flags = KMT_F_TRACKED;
	} else {
		/* Not ours: only the filtered tasks' own kfrees (size unknown, so
		 * none when a size range is given). */
		if (size_filter || !task_match(id >> 32))
			return 0;
		if (filter_mod && !in_module(call_site))
			return 0;
	}
	emit_kfree(id, call_site, ptr, bytes, flags);
	return 0;
}

/* raw_tp: args are the tracepoint's TP_PROTO (same on 6.1 .. 6.18). */
SEC("raw_tp/kmalloc")
int BPF_PROG(raw_kmalloc, unsigned long call_site, const void *ptr, size_t req, size_t alloc,
	     gfp_t gfp)
{
	return on_kmalloc(call_site, (__u64)ptr, req, alloc, gfp, 0);
}

SEC("raw_tp/kmalloc_node")
int BPF_PROG(raw_kmalloc_node, unsigned long call_site, const void *ptr, size_t req, size_t alloc,
	     gfp_t gfp)
{
	return on_kmalloc(call_site, (__u64)ptr, req, alloc, gfp, KMT_F_NODE);
}

SEC("raw_tp/kfree")
int BPF_PROG(raw_kfree, unsigned long call_site, const void *ptr)
{
	return on_kfree(call_site, (__u64)ptr);
}

/*
 * kfree_bulk() (which frees kfree_rcu()'s batches) and kmem_cache_free_bulk()
 * free many objects without a kmem:kfree event each: seen with fentry where
 * the kernel allows it (probed by the loader), tracked allocations only (the
 * freeing task is a kworker or softirq, not the filtered one).  fentry runs
 * before the objects are freed, so none can be reallocated meanwhile.
 */
#define KMT_BULK_MAX 4096

struct bulk_ctx {
	void **p;
	__u64 func;
	__u64 id;
};

static long bulk_one(__u64 i, void *arg)
{
	struct bulk_ctx *c = arg;
	struct pt_ent a;
	__u64 ptr = 0;

	if (bpf_probe_read_kernel(&ptr, sizeof(ptr), &c->p[i & (KMT_BULK_MAX - 1)]))
		return 1;
	if (ptr > 16 && pt_delete(&allocs, pt_mask, ptr, &a))
		emit_kfree(c->id, c->func, ptr, a.bytes, KMT_F_TRACKED | KMT_F_BULK);
	return 0;
}

/* kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p); the
 * verifier refuses a direct read of `void **` from the context ("not a
 * struct"), bpf_get_func_arg() gives it as a number. */
SEC("fentry/kmem_cache_free_bulk")
int fe_free_bulk(void *ctx)
{
	struct bulk_ctx c = {.func = bpf_get_func_ip(ctx), .id = bpf_get_current_pid_tgid()};
	__u64 cache = 1, size = 0, p = 0;

	/* kfree_bulk() passes no cache; a named cache's objects (skbs, maple
	 * nodes, ...) never came from kmalloc: skip the walk. */
	if (bpf_get_func_arg(ctx, 0, &cache) || cache)
		return 0;
	if (bpf_get_func_arg(ctx, 1, &size) || bpf_get_func_arg(ctx, 2, &p) || !p)
		return 0;
	c.p = (void **)p;
	if (size > KMT_BULK_MAX) {
		count(KMT_CNT_BULK_CUT);
		size = KMT_BULK_MAX;
	}
	bpf_loop(size, bulk_one, &c, 0);
	return 0;
}

/*
 * Classic tracepoints (fallback).  Fields are read with bpf_core_read(): the
 * two context flavors would otherwise make clang compute ctx+offset in a
 * register, which the verifier refuses; gfp_flags is read with its real size.
 */
#define TP_READ(dst, c, f) bpf_core_read(&(dst), bpf_core_field_size((c)->f), &(c)->f)

static __always_inline int tp_kmalloc_common(void *ctx, __u32 flags)
{
	__u64 call_site = 0, ptr = 0, req = 0, alloc = 0, gfp = 0;

	if (bpf_core_type_exists(struct trace_event_raw_kmalloc)) {
		struct trace_event_raw_kmalloc *c = ctx;

		TP_READ(call_site, c, call_site);
		TP_READ(ptr, c, ptr);
		TP_READ(req, c, bytes_req);
		TP_READ(alloc, c, bytes_alloc);
		TP_READ(gfp, c, gfp_flags);
	} else {
		struct trace_event_raw_kmem_alloc *c = ctx;

		TP_READ(call_site, c, call_site);
		TP_READ(ptr, c, ptr);
		TP_READ(req, c, bytes_req);
		TP_READ(alloc, c, bytes_alloc);
		TP_READ(gfp, c, gfp_flags);
	}
	return on_kmalloc(call_site, ptr, req, alloc, gfp, flags);
}

SEC("tracepoint/kmem/kmalloc")
int tp_kmalloc(void *ctx)
{
	return tp_kmalloc_common(ctx, 0);
}

/* 6.1 only; its context has the kmem_alloc fields first, then node. */
SEC("tracepoint/kmem/kmalloc_node")
int tp_kmalloc_node(struct trace_event_raw_kmem_alloc *c)
{
	__u64 call_site = 0, ptr = 0, req = 0, alloc = 0, gfp = 0;

	TP_READ(call_site, c, call_site);
	TP_READ(ptr, c, ptr);
	TP_READ(req, c, bytes_req);
	TP_READ(alloc, c, bytes_alloc);
	TP_READ(gfp, c, gfp_flags);
	return on_kmalloc(call_site, ptr, req, alloc, gfp, KMT_F_NODE);
}

SEC("tracepoint/kmem/kfree")
int tp_kfree(struct trace_event_raw_kfree *c)
{
	__u64 call_site = 0, ptr = 0;

	TP_READ(call_site, c, call_site);
	TP_READ(ptr, c, ptr);
	return on_kfree(call_site, ptr);
}

/* ---- pages ------------------------------------------------------------------ */

static __always_inline bool in_slab(__u64 addr)
{
	for (int i = 0; i < KMT_SLAB_RANGES; i++)
		if (addr >= slab_lo[i] && addr < slab_hi[i])
			return true;
	return false;
}

/* -m: the first kernel stack frame inside the module's text, 0 if none or
 * when a slab refill lies between (a kmalloc's page, not the module's). */
static __always_inline __u64 stack_module_frame(void *ctx)
{
	__u32 zero = 0;
	struct stackbuf *sb = bpf_map_lookup_elem(&stacks, &zero);
	long n;

	if (!sb)
		return 0;
	n = bpf_get_stack(ctx, sb->ip, sizeof(sb->ip), 0);
	if (n <= 0) {
		count(KMT_CNT_STACK_FAIL);
		return 0;
	}
	for (int i = 0; i < KMT_STACK_DEPTH; i++) {
		if (i >= n / 8)
			break;
		if (in_module(sb->ip[i]))
			return sb->ip[i];
		if (in_slab(sb->ip[i]))
			return 0;
	}
	return 0;
}

/* Classic tracepoint: it has the pfn (raw_tp only has the struct page *). */
SEC("tracepoint/kmem/mm_page_alloc")
int tp_page_alloc(struct trace_event_raw_mm_page_alloc *c)
{
	__u64 id, pfn, gfp = 0, site = 0;
	__u32 order, flags = 0;
	struct kmt_event *e;

	id = bpf_get_current_pid_tgid();
	if (!task_match(id >> 32))
		return 0;
	order = c->order;
	if (size_filter && ((4096ULL << order) < min_size || (4096ULL << order) > max_size))
		return 0;
	if (filter_mod) {
		if (!mod_hi[0] && !mod_hi[1] && !mod_hi[2] && !mod_hi[3])
			return 0;
		site = stack_module_frame(c);
		if (!site)
			return 0;
		flags |= KMT_F_STACK_ATTR;
	}
	pfn = c->pfn;
	bpf_core_read(&gfp, bpf_core_field_size(c->gfp_flags), &c->gfp_flags);
	track(pfn, 4096ULL << order, KMT_EV_PAGE_ALLOC, order, &flags);
	e = ev_reserve(KMT_EV_PAGE_ALLOC);
	if (!e)
		return 0;
	ev_current(e, id);
	e->pfn = pfn;
	e->order = order;
	e->gfp = gfp;
	e->call_site = site;
	e->bytes_alloc = 4096ULL << order;
	e->flags = flags;
	ev_submit_batched(e);
	return 0;
}

SEC("tracepoint/kmem/mm_page_free")
int tp_page_free(struct trace_event_raw_mm_page_free *c)
{
	__u64 pfn = c->pfn, bytes = 0, id;
	struct kmt_event *e;
	struct pt_ent a;
	__u32 flags = 0;

	id = bpf_get_current_pid_tgid();
	if (pt_delete(&allocs, pt_mask, pfn, &a)) {
		bytes = a.bytes;
		flags = KMT_F_TRACKED;
	} else if (filter_mod || size_filter || !task_match(id >> 32)) {
		return 0;
	}
	e = ev_reserve(KMT_EV_PAGE_FREE);
	if (!e)
		return 0;
	ev_current(e, id);
	e->pfn = pfn;
	e->order = c->order;
	e->bytes_alloc = bytes ? bytes : 4096ULL << e->order;
	e->flags = flags;
	ev_submit_batched(e);
	return 0;
}

/* ---- threads and processes -------------------------------------------------- */

static __always_inline void remember_mm(__u32 tgid, struct mm_struct *mm)
{
	__u64 v = (__u64)mm;

	if (mm)
		bpf_map_update_elem(&mms, &tgid, &v, BPF_ANY);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct mm_struct *mm;
	struct kmt_event *e;

	if (ptgid == self_tgid)
		return 0;
	if (filter_pid) {
		if (!bpf_map_lookup_elem(&pids, &ptgid))
			return 0;
		if (ctgid != ptgid) {
			__u8 one = 1;

			if (!follow_fork)
				return 0;
			if (bpf_map_update_elem(&pids, &ctgid, &one, BPF_ANY))
				count(KMT_CNT_PIDS_FULL);
		}
	}
	if (hist_mode)
		return 0;
	if (filter_comm) {
		char c[KMT_COMM_LEN];

		bpf_get_current_comm(c, sizeof(c));
		if (!comm_is_target(c))
			return 0;
	}
	mm = BPF_CORE_READ(child, mm);
	remember_mm(ctgid, mm);
	e = ev_reserve(KMT_EV_THREAD_START);
	if (!e)
		return 0;
	e->pid = ctgid;
	e->tid = BPF_CORE_READ(child, pid);
	e->ppid = ptgid;
	BPF_CORE_READ_STR_INTO(&e->comm, child, comm);
	e->mm_users = mm_users_of(mm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * sched_process_exit runs after exit_mm() on 6.1/6.12 (task->mm is NULL, the
 * exiting task's mm_users reference already dropped) and before it on newer
 * kernels.  Either way mm_users is reported as the value after this task let
 * go of the mm, so the numbers agree across kernels.
 */
SEC("raw_tp/sched_process_exit")
int raw_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct task_struct *t;
	struct mm_struct *mm;
	struct kmt_event *e;
	int users, live;

	if (!task_match(tgid))
		return 0;
	t = cur_task();
	if (hist_mode) { /* only forget a followed process */
		if (filter_pid && BPF_CORE_READ(t, signal, live.counter) == 0)
			bpf_map_delete_elem(&pids, &tgid);
		return 0;
	}
	mm = BPF_CORE_READ(t, mm);
	if (mm) {
		users = mm_users_of(mm) - 1;
	} else {
		__u64 *p = bpf_map_lookup_elem(&mms, &tgid);

		mm = p ? (struct mm_struct *)*p : BPF_CORE_READ(t, active_mm);
		users = mm_users_of(mm);
	}
	live = BPF_CORE_READ(t, signal, live.counter);
	e = ev_reserve(live == 0 ? KMT_EV_PROCESS_EXIT : KMT_EV_THREAD_EXIT);
	if (e) {
		ev_current(e, id);
		e->mm_users = users < 0 ? 0 : users;
		e->exit_code = BPF_CORE_READ(t, exit_code);
		bpf_ringbuf_submit(e, 0);
	}
	if (live == 0) {
		bpf_map_delete_elem(&mms, &tgid);
		if (filter_pid)
			bpf_map_delete_elem(&pids, &tgid);
	}
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_exec, struct task_struct *p, pid_t old_pid)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct kmt_event *e;

	if (!task_match(id >> 32))
		return 0;
	remember_mm(id >> 32, BPF_CORE_READ(p, mm));
	e = ev_reserve(KMT_EV_EXEC);
	if (!e)
		return 0;
	ev_current(e, id);
	e->ppid = old_pid;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ---- modules ---------------------------------------------------------------- */

static __always_inline bool mod_is_target(const char *n)
{
	for (int i = 0; i < KMT_MODNAME_LEN; i++) {
		if (n[i] != target_mod[i])
			return false;
		if (!n[i])
			break;
	}
	return true;
}

static __always_inline void mod_text(struct module *mod, struct kmt_event *e)
{
	if (bpf_core_field_exists(mod->mem)) {
		/* 6.4+: mem[MOD_TEXT] and mem[MOD_INIT_TEXT] */
		e->text_base = (__u64)BPF_CORE_READ(mod, mem[0].base);
		e->text_size = BPF_CORE_READ(mod, mem[0].size);
		e->init_base = (__u64)BPF_CORE_READ(mod, mem[4].base);
		e->init_size = BPF_CORE_READ(mod, mem[4].size);
	} else {
		struct module___old *m = (void *)mod;

		e->text_base = (__u64)BPF_CORE_READ(m, core_layout.base);
		e->text_size = BPF_CORE_READ(m, core_layout.text_size);
		e->init_base = (__u64)BPF_CORE_READ(m, init_layout.base);
		e->init_size = BPF_CORE_READ(m, init_layout.text_size);
	}
}

static __always_inline int on_module(struct module *mod, __u32 type)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct kmt_event *e;
	bool target;

	e = ev_reserve_sz(type, sizeof(*e));
	if (!e)
		return 0;
	bpf_core_read_str(e->module, sizeof(e->module), &mod->name);
	target = filter_mod && mod_is_target(e->module);
	if (filter_mod && !target) {
		/* Another module's __init text may now reuse the target's freed
		 * init text: stop attributing that range. */
		if (type == KMT_EV_MODULE_LOAD) {
			mod_lo[1] = 0;
			mod_hi[1] = 0;
		}
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	ev_current(e, id);
	mod_text(mod, e);
	if (target) {
		/* Ranges first: the module's init function runs right after this. */
		if (type == KMT_EV_MODULE_LOAD) {
			mod_lo[0] = e->text_base;
			mod_hi[0] = e->text_base + e->text_size;
			mod_lo[1] = e->init_base;
			mod_hi[1] = e->init_base + e->init_size;
		} else {
			for (int i = 0; i < KMT_MAX_RANGES; i++) {
				mod_lo[i] = 0;
				mod_hi[i] = 0;
			}
		}
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("raw_tp/module_load")
int BPF_PROG(raw_module_load, struct module *mod)
{
	return on_module(mod, KMT_EV_MODULE_LOAD);
}

SEC("raw_tp/module_free")
int BPF_PROG(raw_module_free, struct module *mod)
{
	return on_module(mod, KMT_EV_MODULE_FREE);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Loading a command's BPF object: the feature probes, one fallback ladder
 * for every command, libbpf's log under -v, and one ready-line format.
 *
 * Which programs of the object load is decided from their section names, so
 * a command only says which groups of events it wants:
 *   raw_tp/NAME            when raw_tp works and tracepoint NAME exists
 *   tracepoint/SYS/NAME    when there is no raw_tp/NAME twin in use
 *   fentry/FUNC            where the kernel lets fentry attach to FUNC
 *   iter/...               always (attached by the command)
 * The ladder: load; on failure drop the fentry programs; then raw_tp (the
 * classic tracepoints replace what they can); then give up with libbpf's
 * last message.
 */
#ifndef KMT_LOADER_H
#define KMT_LOADER_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;
struct kmt_prog_stat;

/* Event groups: what a command can ask for, and what the ready line reports. */
enum kmt_group {
	KMT_G_KMALLOC, /* kmalloc/kfree */
	KMT_G_CACHE,   /* kmem_cache_alloc/free */
	KMT_G_PAGE,    /* mm_page_alloc/free/free_batched */
	KMT_G_VMALLOC, /* alloc_vmap_area/free_vmap_area_noflush */
	KMT_G_PERCPU,  /* percpu_alloc_percpu/percpu_free_percpu */
	KMT_G_BULK,    /* kfree_bulk() frees (fentry kmem_cache_free_bulk) */
	KMT_G_THREADS, /* sched_process_fork/exit/exec */
	KMT_G_MODULES, /* module_load/free */
	KMT_G_MAX,
};

/* A skeleton's functions, for the ladder (KMT_SKEL_OPS(trace_bpf) makes them). */
struct kmt_skel_ops {
	void *(*open)(void);
	struct bpf_object *(*object)(void *skel);
	int (*load)(void *skel);
	int (*attach)(void *skel);
	void (*destroy)(void *skel);
};

#define KMT_SKEL_OPS(NAME)                                                                         \
	static void *NAME##_open_(void)                                                            \
	{                                                                                          \
		return NAME##__open();                                                             \
	}                                                                                          \
	static struct bpf_object *NAME##_object_(void *s)                                          \
	{                                                                                          \
		return ((struct NAME *)s)->obj;                                                    \
	}                                                                                          \
	static int NAME##_load_(void *s)                                                           \
	{                                                                                          \
		return NAME##__load(s);                                                            \
	}                                                                                          \
	static int NAME##_attach_(void *s)                                                         \
	{                                                                                          \
		return NAME##__attach(s);                                                          \
	}                                                                                          \
	static void NAME##_destroy_(void *s)                                                       \
	{                                                                                          \
		NAME##__destroy(s);                                                                \
	}                                                                                          \
	static const struct kmt_skel_ops NAME##_ops = {NAME##_open_, NAME##_object_, NAME##_load_, \
						       NAME##_attach_, NAME##_destroy_}

/* The group of allocator family FAM (enum kmt_family). */
int kmt_family_group(int fam);
/* Want the groups of the families in MASK (1 << enum kmt_family); bulk frees
 * with kmalloc. */
struct kmt_loader;
void kmt_want_families(struct kmt_loader *l, unsigned int mask);

struct kmt_loader {
	/* in */
	const char *cmd; /* the subcommand, in messages */
	const struct kmt_skel_ops *ops;
	bool want[KMT_G_MAX]; /* the groups the command uses */
	/* Groups the command cannot do without: why, for the error when off. */
	const char *need[KMT_G_MAX];
	bool verbose; /* -v: libbpf's debug output */
	bool stats;   /* --stats: the programs' own run time, said at the end */
	/* Before each load attempt: rodata, map sizes.  0, or -1 (gives up). */
	int (*prepare)(void *skel, void *arg);
	void *arg;
	/* out */
	void *skel;
	bool raw;		    /* raw_tp programs in use */
	bool on[KMT_G_MAX];	    /* the groups that loaded */
	bool has[KMT_G_MAX];	    /* the groups the object has programs for */
	const char *via[KMT_G_MAX]; /* "raw_tp", "tracepoint" or "fentry" */
	/* --stats: the kernel's BPF statistics held on, a snapshot at attach */
	int stats_fd;
	struct kmt_prog_stat *stats_before;
	size_t stats_n;
	unsigned long long stats_t0;
};

/* --stats: print on stderr what each program cost since it was attached
 * (the kernel's run_time_ns / run_cnt).  No-op without --stats. */
void kmt_stats_report(struct kmt_loader *l);

/*
 * Whether this process can trace at all (capabilities, kernel BTF): 0, or 1
 * after printing one "kmtrace: CMD: ..." line.  Commands check it first.
 */
int kmt_loader_check(const char *cmd);

/*
 * Check capabilities and kernel BTF, probe, open, prepare and load L's
 * object down the ladder (warning once for each wanted group that is off,
 * except bulk frees, which the ready line reports).  0, or 1 after printing
 * one "kmtrace: ..." line (nothing left to free).
 */
int kmt_load(struct kmt_loader *l);

/* Attach every loaded program.  0, or 1 after printing why. */
int kmt_attach(struct kmt_loader *l);

/* Events the kernel did not run the loaded programs for (a BPF program was
 * already running on that CPU: recursion_misses), summed. */
unsigned long long kmt_missed(const struct kmt_loader *l);

/* Destroy the object (NULL-safe). */
void kmt_unload(struct kmt_loader *l);

/*
 * The ready line on stderr: "kmtrace: ready: WHAT: kmalloc via raw_tp, page
 * via tracepoint, bulk frees via fentry, threads via raw_tp, modules off"
 * (the groups the command wanted, in that order).  WHAT: the command and
 * what it does ("trace", "hist of bytes_req", ...).
 */
void kmt_ready(const struct kmt_loader *l, const char *what);

/* libbpf's last warning or error line (for a message), "" if none. */
const char *kmt_libbpf_last(void);

/* Set libbpf's log: everything under VERBOSE, else the last line remembered. */
void kmt_libbpf_log(bool verbose);

#endif /* KMT_LOADER_H */

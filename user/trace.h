// SPDX-License-Identifier: GPL-2.0
/* `kmtrace trace`, and the setup it shares with `kmtrace hist`. */
#ifndef KMTRACE_TRACE_H
#define KMTRACE_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct kmtrace_bpf;
struct kmt_opts;
struct ksyms;

/* argv[0] = "trace". Returns the exit status: 0, 1 (runtime error), 2 (usage). */
int cmd_trace(int argc, char **argv);

/* -- CMD, forked but held before exec until kmt_setup_start_cmd(). */
struct kmt_child {
	pid_t pid; /* -1: none (or reaped) */
	int go_w;  /* parent writes a byte: exec now */
	int err_r; /* child writes errno if exec fails (CLOEXEC) */
};

/*
 * Everything between parsing and the event loop: -p/--ko checks (-p becomes its
 * tgid), RLIMIT_MEMLOCK, tracefs, feature probes, -- CMD spawned (held), the
 * bpf/kmtrace.bpf.c object loaded (raw_tp, else classic tracepoints) with the
 * filters of O in rodata, -m ranges of an already loaded module, the pid
 * filter, attach.
 */
struct kmt_setup {
	/* in */
	bool hist;	  /* only what `hist` uses: kmalloc, fork/exit for -- CMD, modules for -m */
	const char *name; /* the subcommand, in messages; NULL: "hist" or "trace" */
	void (*tweak)(struct kmtrace_bpf *skel, void *arg); /* before load: rodata, maps */
	void *arg;
	/* out */
	struct kmtrace_bpf *skel;
	bool raw, threads, modules; /* kmalloc via raw_tp; fork/exit and module programs on */
	bool bulk;		    /* kmem_cache_free_bulk() frees seen (fentry) */
	struct kmt_child ch;
};

/* 0, or 1 after printing one "kmtrace: …" line (nothing left to close). */
int kmt_setup_open(struct kmt_setup *su, struct kmt_opts *o);
/* Let the held -- CMD exec (no-op without one). 0, or 1 after printing why. */
int kmt_setup_start_cmd(struct kmt_setup *su, const struct kmt_opts *o);
/* -- CMD's exit status (128 + signal if killed) once it exited, else -1. */
int kmt_setup_reap(struct kmt_setup *su);
/* Destroy the BPF object; close the pipes; KILL_CHILD: SIGKILL and reap -- CMD. */
void kmt_setup_close(struct kmt_setup *su, bool kill_child);

/*
 * At module_load of NAME (text/init bases from the event): replace NAME's
 * symbols in KOSYMS with those of its .ko (--ko of O for -m's module, else
 * found under MODDIR): the __init ones always, the core text ones when they
 * agree with KALLSYMS.
 */
void kmt_load_ko_syms(struct ksyms *kosyms, struct ksyms *kallsyms, const char *moddir,
		      const struct kmt_opts *o, const char *name, uint64_t text, uint64_t init);

#endif

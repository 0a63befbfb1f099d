// SPDX-License-Identifier: GPL-2.0
/*
 * The target of a command: -p PID (its tgid), -c COMM, or -- CMD (forked and
 * held before exec until the tracer is attached, then reaped), and the
 * in-kernel filter (bpf/filter.h) that the target and the allocation filter
 * options make.
 */
#ifndef KMT_TARGET_H
#define KMT_TARGET_H

#include <stdbool.h>
#include <sys/types.h>
#include "filter.h"

struct kmt_args;

struct kmt_target {
	pid_t pid;   /* -p as its tgid; 0: none */
	char **cmd;  /* -- CMD; NULL: none */
	pid_t child; /* the held or running CMD; -1: none (or reaped) */
	int go_w;    /* the parent writes a byte: exec now */
	int err_r;   /* the child writes errno if exec fails (CLOEXEC) */
	bool gone;   /* -p's process exited */
	int status;  /* CMD's exit status once reaped (128 + signal if killed); -1: not yet */
};

/*
 * Check A's target (-p must exist; CMD must be executable) and, for -- CMD,
 * fork it held.  0, or 1 after printing one "kmtrace: ..." line.
 */
int kmt_target_open(struct kmt_target *t, const struct kmt_args *a);

/* The filter of T and A for bpf/filter.bpf.h (self_tgid, pid/comm/module/size). */
void kmt_target_filter(const struct kmt_target *t, const struct kmt_args *a, struct kmt_filter *f);

/* The lifecycle events A's target needs from loader L: thread events to
 * follow -- CMD's children, module events for -m. */
struct kmt_loader;
void kmt_target_events(const struct kmt_args *a, struct kmt_loader *l);

/* Put the followed tgid (-p, or CMD's child) in the `pids` map FD.  0, or 1
 * after printing why. */
int kmt_target_set_pids(const struct kmt_target *t, int pids_fd);

/* Put the target in L's loaded object's `pids` map, then attach L's
 * programs.  0, or 1 after printing why. */
int kmt_target_attach(const struct kmt_target *t, struct kmt_loader *l);

/* Let the held CMD exec (no-op without one).  0, or 1 after printing why. */
int kmt_target_start(struct kmt_target *t);

/* CMD's exit status (128 + signal if killed) once it exited, else -1. */
int kmt_target_reap(struct kmt_target *t);

/* Whether the target ended: CMD exited (*STATUS gets its status) or -p's
 * process is gone. */
bool kmt_target_done(struct kmt_target *t, int *status);

/*
 * What a command exits with: RET when the tracer failed (RET != 0) or no CMD was
 * reaped, else CMD's own exit status (as strace, time and perf stat do).
 */
int kmt_target_exit_status(const struct kmt_target *t, int ret);

/* Close the pipes; KILL_CHILD: SIGKILL and reap a CMD still there. */
void kmt_target_close(struct kmt_target *t, bool kill_child);

/* "pid 42", "comm NAME", "CMD and its children" or "all processes" (LEN bytes). */
const char *kmt_target_scope(const struct kmt_target *t, const struct kmt_args *a, char *buf,
			     size_t len);

/*
 * Whether execvp(CMD) could run CMD, searched on PATH the way execvp does:
 * 0, or the errno it would fail with (ENOENT, EACCES, ...).
 */
int kmt_can_exec(const char *cmd);

/* Tgid of thread PID (from /proc/PID/status), PID itself if unknown. */
pid_t kmt_tgid_of(pid_t pid);

#endif /* KMT_TARGET_H */

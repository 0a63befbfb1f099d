// SPDX-License-Identifier: GPL-2.0
/* What this kernel and this process allow (user/probes.c). */
#ifndef KMT_PROBES_H
#define KMT_PROBES_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Make sure tracefs is reachable (libbpf needs it to attach classic
 * tracepoints): mounts it at /sys/kernel/tracing when neither that nor
 * /sys/kernel/debug/tracing has an events/ directory.  Returns the tracefs
 * root, or NULL after printing a "kmtrace: …" line saying what to do.
 */
const char *kmt_tracefs(void);

/* Whether the tracepoint SYS:NAME exists on this kernel (tracefs events/). */
bool kmt_tp_exists(const char *sys, const char *name);

/* Whether a tracepoint NAME exists in any subsystem (what a raw_tp attaches to);
 * a dynamic event of that name (a kprobe event, `perf probe`'s) is none. */
bool kmt_tp_exists_any(const char *name);

/* Whether the kernel accepts BPF_PROG_TYPE_RAW_TRACEPOINT programs. */
bool kmt_have_raw_tp(void);

/* 0 when an fentry program can be loaded and attached to kernel function
 * FUNC (as libbpf-tools' fentry_can_attach()), else -errno (-ENOENT: no
 * such function in the kernel's BTF). */
int kmt_fentry_can_attach(const char *func);

/*
 * Whether this process may load and attach tracing BPF programs: CAP_BPF and
 * CAP_PERFMON, or CAP_SYS_ADMIN, in its effective set.  When not, prints one
 * "kmtrace: WHAT: …" line naming the capabilities and returns false.
 */
bool kmt_check_caps(const char *what);

/* The kernel's BTF, which every CO-RE program of kmtrace is relocated against. */
#define KMT_VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/*
 * Whether the kernel BTF at PATH (KMT_VMLINUX_BTF) is readable.  When not,
 * prints one "kmtrace: WHAT: …" line saying what the kernel lacks.
 */
bool kmt_check_btf(const char *what, const char *path);

#endif

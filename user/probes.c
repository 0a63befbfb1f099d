// SPDX-License-Identifier: GPL-2.0
/*
 * What this kernel and this process allow: tracefs (mounted when missing),
 * tracepoints, BPF program types, fentry, capabilities, kernel BTF.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probes.h"

static const char *tracefs_root;

static bool has_events(const char *root)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/events", root);
	return access(p, F_OK) == 0;
}

const char *kmt_tracefs(void)
{
	static const char *const roots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

	if (tracefs_root)
		return tracefs_root;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (has_events(roots[i]))
			return tracefs_root = roots[i];
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
	    has_events("/sys/kernel/tracing"))
		return tracefs_root = "/sys/kernel/tracing";
	fprintf(stderr,
		"kmtrace: tracefs is not mounted and mounting it failed (%s); run as root: "
		"mount -t tracefs nodev /sys/kernel/tracing\n",
		strerror(errno));
	return NULL;
}

bool kmt_tp_exists(const char *sys, const char *name)
{
	const char *root = kmt_tracefs();
	char p[PATH_MAX];

	if (!root)
		return false;
	snprintf(p, sizeof(p), "%s/events/%s/%s", root, sys, name);
	return access(p, F_OK) == 0;
}

/* Whether GROUP/NAME is one of tracefs's dynamic events (kprobe, uprobe,
 * eprobe, synthetic: one "TYPE:GROUP/EVENT ..." line each in
 * dynamic_events), not a tracepoint of the kernel. */
static bool dynamic_event(const char *root, const char *group, const char *name)
{
	char p[PATH_MAX], line[4096], want[512];
	bool found = false;
	FILE *f;

	snprintf(p, sizeof(p), "%s/dynamic_events", root);
	f = fopen(p, "re");
	if (!f)
		return false;
	snprintf(want, sizeof(want), "%s/%s", group, name);
	while (!found && fgets(line, sizeof(line), f)) {
		char *s = strchr(line, ':');

		if (!s || strcspn(line, " \t") < (size_t)(s - line))
			continue;
		s++;
		s[strcspn(s, " \t\n")] = '\0';
		found = strcmp(s, want) == 0;
	}
	fclose(f);
	return found;
}

bool kmt_tp_exists_any(const char *name)
{
	const char *root = kmt_tracefs();
	char p[PATH_MAX];
	bool found = false;
	glob_t g;

	if (!root)
		return false;
	snprintf(p, sizeof(p), "%s/events/*/%s", root, name);
	if (glob(p, GLOB_NOSORT, NULL, &g) == 0) {
		/* a kprobe event of that name (perf probe's, a test's) is no
		 * tracepoint: raw_tp cannot attach to it */
		for (size_t i = 0; i < g.gl_pathc && !found; i++) {
			char grp[256];
			const char *e = g.gl_pathv[i] + strlen(root) + strlen("/events/");
			size_t n = strcspn(e, "/");

			snprintf(grp, sizeof(grp), "%.*s", (int)n, e);
			found = !dynamic_event(root, grp, name);
		}
	}
	globfree(&g);
	return found;
}

/* CapEff of /proc/self/status; all bits set when it cannot be read (let the
 * kernel decide). */
static unsigned long long cap_eff(void)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

bool kmt_check_caps(const char *what)
{
	const unsigned long long sys_admin = 1ULL << 21, perfmon = 1ULL << 38, bpf = 1ULL << 39;
	unsigned long long eff = cap_eff();

	if ((eff & sys_admin) || ((eff & perfmon) && (eff & bpf)))
		return true;
	fprintf(stderr,
		"kmtrace: %s: permission denied: loading BPF programs needs root "
		"(CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)\n",
		what);
	return false;
}

bool kmt_check_btf(const char *what, const char *path)
{
	if (!access(path, R_OK))
		return true;
	fprintf(stderr,
		"kmtrace: %s: this kernel has no BTF (%s: %s): kmtrace's CO-RE programs need a "
		"kernel built with CONFIG_DEBUG_INFO_BTF=y\n",
		what, path, strerror(errno));
	return false;
}

bool kmt_have_raw_tp(void)
{
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL) > 0;
}

int kmt_fentry_can_attach(const char *func)
{
	/* r0 = 0; exit */
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	struct bpf_prog_load_opts opts = {.sz = sizeof(opts),
					  .expected_attach_type = BPF_TRACE_FENTRY};
	/* parsed once: each probe would parse the whole of it again (seconds
	 * under emulation); kept for the process's life */
	static struct btf *vmlinux;
	int id, prog, link, err = 0;

	if (!vmlinux && !(vmlinux = btf__load_vmlinux_btf()))
		return -errno;
	id = btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC);
	if (id < 0)
		return -ENOENT;
	opts.attach_btf_id = id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "kmt_probe", "GPL", insns, 2, &opts);
	if (prog < 0)
		return -errno;
	link = bpf_link_create(prog, 0, BPF_TRACE_FENTRY, NULL);
	if (link < 0)
		err = -errno;
	else
		close(link);
	close(prog);
	return err;
}

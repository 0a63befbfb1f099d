// SPDX-License-Identifier: GPL-2.0
/* Feature probes and the tracefs mount. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "probe.h"

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

bool kmt_have_raw_tp(void)
{
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL) > 0;
}

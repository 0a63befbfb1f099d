// SPDX-License-Identifier: GPL-2.0
/* The command's target: -p, -c, -- CMD (see target.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "fmt.h"
#include "loader.h"
#include "target.h"

static int exec_ok(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return errno;
	if (S_ISDIR(st.st_mode))
		return EACCES;
	return access(path, X_OK) ? errno : 0;
}

int kmt_can_exec(const char *cmd)
{
	const char *path = getenv("PATH"), *p, *end;
	char full[PATH_MAX];
	int e = ENOENT, r;

	if (!cmd || !*cmd)
		return ENOENT;
	if (strchr(cmd, '/'))
		return exec_ok(cmd);
	if (!path)
		path = "/bin:/usr/bin"; /* glibc's execvp default */
	for (p = path;; p = end + 1) {
		size_t dl;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dl = (size_t)(end - p);
		/* an empty element is the current directory */
		if (snprintf(full, sizeof(full), "%.*s%s%s", (int)dl, p, dl ? "/" : "", cmd) <
		    (int)sizeof(full)) {
			r = exec_ok(full);
			if (!r)
				return 0;
			if (r == EACCES)
				e = EACCES; /* execvp reports EACCES if any candidate had it */
		}
		if (!*end)
			break;
	}
	return e;
}

pid_t kmt_tgid_of(pid_t pid)
{
	char p[64], line[256];
	pid_t tgid = pid;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	f = fopen(p, "re");
	if (!f)
		return pid;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid > 0 ? tgid : pid;
}

static int spawn_held(struct kmt_target *t)
{
	int go[2], er[2];

	if (pipe2(go, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
		fprintf(stderr, "kmtrace: pipe: %s\n", strerror(errno));
		return 1;
	}
	fflush(NULL);
	t->child = fork();
	if (t->child < 0) {
		fprintf(stderr, "kmtrace: fork: %s\n", strerror(errno));
		return 1;
	}
	if (t->child == 0) {
		char b;
		int e;

		close(go[1]);
		close(er[0]);
		signal(SIGPIPE, SIG_DFL);
		if (read(go[0], &b, 1) != 1)
			_exit(127);
		execvp(t->cmd[0], t->cmd);
		e = errno;
		if (write(er[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(er[1]);
	t->go_w = go[1];
	t->err_r = er[0];
	return 0;
}

int kmt_target_open(struct kmt_target *t, const struct kmt_args *a)
{
	int e;

	*t = (struct kmt_target){.child = -1, .go_w = -1, .err_r = -1, .cmd = a->cmd, .status = -1};
	if (a->cmd && (e = kmt_can_exec(a->cmd[0]))) {
		char name[256];

		snprintf(name, sizeof(name), "%s", a->cmd[0]);
		fprintf(stderr, "kmtrace: cannot run %s: %s\n", kmt_one_line(name), strerror(e));
		return 1;
	}
	if (a->pid) {
		if (kill(a->pid, 0) && errno == ESRCH) {
			fprintf(stderr, "kmtrace: no such process: %d\n", (int)a->pid);
			return 1;
		}
		t->pid = kmt_tgid_of(a->pid); /* a thread id means its process */
	}
	return a->cmd ? spawn_held(t) : 0;
}

void kmt_target_filter(const struct kmt_target *t, const struct kmt_args *a, struct kmt_filter *f)
{
	f->self_tgid = (uint32_t)getpid();
	f->pid = t->pid || t->cmd;
	f->follow_fork = t->cmd != NULL;
	f->comm = a->comm[0] != '\0';
	memcpy(f->comm_name, a->comm, sizeof(f->comm_name));
	f->module = a->module[0] != '\0';
	memcpy(f->module_name, a->module, sizeof(f->module_name));
	f->size = a->size_filter;
	f->direct = a->direct;
	/* KMTRACE_NO_STACK_SCAN=1 (testing, make bench): -m walks every
	 * allocation's stack, without the scan that skips most walks */
	{
		const char *v = getenv("KMTRACE_NO_STACK_SCAN");

		f->no_scan = v && *v && strcmp(v, "0");
	}
	f->min_size = a->min_size;
	f->max_size = a->max_size;
}

void kmt_target_events(const struct kmt_args *a, struct kmt_loader *l)
{
	if (a->cmd)
		l->want[KMT_G_THREADS] = true;
	if (a->module[0]) {
		l->want[KMT_G_MODULES] = true;
		l->need[KMT_G_MODULES] = "-m needs module events (loadable modules)";
	}
}

int kmt_target_set_pids(const struct kmt_target *t, int pids_fd)
{
	uint32_t pid = t->pid ? (uint32_t)t->pid : (uint32_t)t->child;
	uint8_t one = 1;

	if (!t->pid && !t->cmd)
		return 0;
	if (bpf_map_update_elem(pids_fd, &pid, &one, BPF_ANY)) {
		fprintf(stderr, "kmtrace: cannot set the pid filter: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int kmt_target_attach(const struct kmt_target *t, struct kmt_loader *l)
{
	struct bpf_map *pids = bpf_object__find_map_by_name(l->ops->object(l->skel), "pids");

	if (!pids) {
		fprintf(stderr, "kmtrace: %s: the BPF object has no pids map\n", l->cmd);
		return 1;
	}
	return kmt_target_set_pids(t, bpf_map__fd(pids)) || kmt_attach(l);
}

int kmt_target_start(struct kmt_target *t)
{
	char b = 1;
	ssize_t n;
	int e;

	if (t->child <= 0)
		return 0;
	if (write(t->go_w, &b, 1) != 1) {
		fprintf(stderr, "kmtrace: cannot start %s: %s\n", t->cmd[0], strerror(errno));
		return 1;
	}
	close(t->go_w);
	t->go_w = -1;
	do
		n = read(t->err_r, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		fprintf(stderr, "kmtrace: cannot run %s: %s\n", t->cmd[0], strerror(e));
		waitpid(t->child, NULL, 0);
		t->child = -1;
		return 1;
	}
	return 0;
}

int kmt_target_reap(struct kmt_target *t)
{
	int st;

	if (t->child <= 0 || waitpid(t->child, &st, WNOHANG) != t->child)
		return -1;
	t->child = -1;
	t->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return t->status;
}

int kmt_target_exit_status(const struct kmt_target *t, int ret)
{
	return ret || t->status < 0 ? ret : t->status;
}

bool kmt_target_done(struct kmt_target *t, int *status)
{
	if (t->child > 0 && (*status = kmt_target_reap(t)) >= 0)
		return true;
	if (t->pid && (t->gone || (kill(t->pid, 0) && errno == ESRCH)))
		return t->gone = true;
	return false;
}

void kmt_target_close(struct kmt_target *t, bool kill_child)
{
	if (t->child > 0 && kill_child) {
		kill(t->child, SIGKILL);
		waitpid(t->child, NULL, 0);
		t->child = -1;
	}
	if (t->go_w >= 0)
		close(t->go_w);
	if (t->err_r >= 0)
		close(t->err_r);
	t->go_w = t->err_r = -1;
}

const char *kmt_target_scope(const struct kmt_target *t, const struct kmt_args *a, char *buf,
			     size_t len)
{
	if (t->pid)
		snprintf(buf, len, "pid %d", (int)t->pid);
	else if (a->comm[0])
		snprintf(buf, len, "comm %s", a->comm);
	else if (t->cmd)
		snprintf(buf, len, "%s and its children", t->cmd[0]);
	else
		snprintf(buf, len, "all processes");
	return buf;
}

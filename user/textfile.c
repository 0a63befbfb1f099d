// SPDX-License-Identifier: GPL-2.0
/* Atomic replacement of a text file (see user/textfile.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "textfile.h"

int kmt_textfile_write(const char *path, unsigned int mode, kmt_render_fn render, void *arg)
{
	const char *slash = strrchr(path, '/');
	char tmp[PATH_MAX];
	size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
	int fd, err, bad;
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", (int)dirlen, path,
		     slash ? slash + 1 : path) >= (int)sizeof(tmp))
		return errno = ENAMETOOLONG, -1;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) || !(f = fdopen(fd, "w"))) {
		err = errno;
		close(fd);
		unlink(tmp);
		return errno = err, -1;
	}
	errno = 0;
	bad = render(arg, f);
	err = errno ? errno : EIO;
	if (fclose(f) && !bad) {
		bad = -1;
		err = errno;
	}
	if (!bad && rename(tmp, path)) {
		bad = -1;
		err = errno;
	}
	if (bad) {
		unlink(tmp);
		return errno = err, -1;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * `kmtrace stat --textfile FILE`: FILE for node_exporter's textfile
 * collector, replaced whole each time (a temporary file in FILE's directory,
 * then rename()), so a reader never sees half a file.
 */
#ifndef KMT_TEXTFILE_H
#define KMT_TEXTFILE_H

#include "httpd.h" /* kmt_render_fn */

/*
 * RENDER(ARG, ...) into ".NAME.XXXXXX" beside PATH, mode MODE, then renamed
 * over PATH.  0, or -1 with errno (the temporary file removed).
 */
int kmt_textfile_write(const char *path, unsigned int mode, kmt_render_fn render, void *arg);

#endif /* KMT_TEXTFILE_H */

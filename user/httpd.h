// SPDX-License-Identifier: GPL-2.0
/*
 * A small HTTP server for `kmtrace stat --listen`: GET (or HEAD) /metrics
 * answers with what a render callback writes, rendered at each request;
 * everything else is 404 (405 for other methods).  libmicrohttpd does the
 * HTTP, in this thread: kmt_httpd_run() serves for up to some milliseconds,
 * so the command's loop stays single-threaded.  The socket is bound first,
 * on its own (kmt_httpd_bind), so that "address in use" is said before the
 * BPF programs load.  The static build (make static) has no libmicrohttpd:
 * kmt_httpd_available() is false there.
 */
#ifndef KMT_HTTPD_H
#define KMT_HTTPD_H

#include <stdbool.h>
#include <stdio.h>
#include "netaddr.h"

/* Writes the body into F: 0, or -1 (a 500 answer). */
typedef int (*kmt_render_fn)(void *arg, FILE *f);

struct kmt_httpd;

bool kmt_httpd_available(void);

/* A listening TCP socket on A: its fd, and the port bound in *PORT (A's, or
 * the one the kernel chose for port 0).  -1 after printing one "kmtrace: CMD:
 * ..." line. */
int kmt_httpd_bind(const char *cmd, const struct kmt_netaddr *a, unsigned int *port);

/* Serve /metrics on FD (taken over: closed by kmt_httpd_stop) with
 * RENDER(ARG, ...) and CONTENT_TYPE; libmicrohttpd's messages only under
 * VERBOSE.  NULL after printing one line. */
struct kmt_httpd *kmt_httpd_start(const char *cmd, int fd, kmt_render_fn render, void *arg,
				  const char *content_type, bool verbose);
/* Serve what comes for up to MS milliseconds (less when a signal comes). */
void kmt_httpd_run(struct kmt_httpd *h, unsigned int ms);
/* Requests answered with 200 so far. */
unsigned long long kmt_httpd_served(const struct kmt_httpd *h);
void kmt_httpd_stop(struct kmt_httpd *h);

#endif /* KMT_HTTPD_H */

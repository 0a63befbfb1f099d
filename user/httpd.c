// SPDX-License-Identifier: GPL-2.0
/* /metrics over HTTP with libmicrohttpd (see user/httpd.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "fmt.h"
#include "httpd.h"

int kmt_httpd_bind(const char *cmd, const struct kmt_netaddr *a, unsigned int *port)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len = sizeof(u);
	char where[80];
	int fd, one = 1;

	kmt_netaddr_str(a, a->port, where, sizeof(where));
	fd = socket(a->v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* a restart right after a stop binds again (TIME_WAIT); a second
	 * listener on the port is still refused */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) || listen(fd, 64) ||
	    (memset(&u, 0, sizeof(u)), getsockname(fd, &u.sa, &len)))
		goto fail;
	*port = ntohs(a->v6 ? u.in6.sin6_port : u.in.sin_port);
	return fd;
fail:
	fprintf(stderr, "kmtrace: %s: cannot listen on %s: %s\n", cmd, where, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

#ifdef KMT_NO_HTTPD

bool kmt_httpd_available(void)
{
	return false;
}

struct kmt_httpd *kmt_httpd_start(const char *cmd, int fd, kmt_render_fn render, void *arg,
				  const char *content_type, bool verbose)
{
	(void)render, (void)arg, (void)content_type, (void)verbose;
	close(fd);
	fprintf(stderr, "kmtrace: %s: --listen: this build has no HTTP server (libmicrohttpd)\n",
		cmd);
	return NULL;
}

void kmt_httpd_run(struct kmt_httpd *h, unsigned int ms)
{
	(void)h, (void)ms;
}

unsigned long long kmt_httpd_served(const struct kmt_httpd *h)
{
	(void)h;
	return 0;
}

void kmt_httpd_stop(struct kmt_httpd *h)
{
	(void)h;
}

#else /* libmicrohttpd */

#include <microhttpd.h>

#define CONN_LIMIT   32 /* connections at once */
#define CONN_TIMEOUT 10 /* seconds an idle connection is kept */

struct kmt_httpd {
	struct MHD_Daemon *d;
	kmt_render_fn render;
	void *arg;
	const char *content_type;
	bool verbose;
	unsigned long long served;
};

bool kmt_httpd_available(void)
{
	return true;
}

static void logger(void *cls, const char *fmt, va_list ap)
{
	struct kmt_httpd *h = cls;
	char msg[256];

	if (!h->verbose)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	fprintf(stderr, "kmtrace: http: %s\n", kmt_one_line(msg));
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned int status, const char *msg)
{
	return reply(c, status, (char *)msg, strlen(msg), MHD_RESPMEM_PERSISTENT,
		     "text/plain; charset=utf-8");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	struct kmt_httpd *h = cls;
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int bad;

	(void)version, (void)upload;
	if (!*req) { /* headers only so far: answer at the next call */
		*req = h;
		return MHD_YES;
	}
	if (*upload_size) { /* a body is not wanted: skip it */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (!strcmp(url, "/"))
		return text(c, MHD_HTTP_OK, "kmtrace: metrics at /metrics\n");
	if (strcmp(url, "/metrics"))
		return text(c, MHD_HTTP_NOT_FOUND, "not found: kmtrace serves /metrics\n");
	f = open_memstream(&body, &len);
	if (!f)
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "kmtrace: out of memory\n");
	bad = h->render(h->arg, f);
	if (fclose(f) || bad) {
		free(body);
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "kmtrace: cannot read the maps\n");
	}
	h->served++;
	return reply(c, MHD_HTTP_OK, body, len, MHD_RESPMEM_MUST_FREE, h->content_type);
}

struct kmt_httpd *kmt_httpd_start(const char *cmd, int fd, kmt_render_fn render, void *arg,
				  const char *content_type, bool verbose)
{
	struct kmt_httpd *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss = {0};
	socklen_t sl = sizeof(ss);
	unsigned int flags = MHD_USE_ERROR_LOG;

	if (!h) {
		close(fd);
		fprintf(stderr, "kmtrace: %s: out of memory\n", cmd);
		return NULL;
	}
	h->render = render;
	h->arg = arg;
	h->content_type = content_type;
	h->verbose = verbose;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONN_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT,
				MHD_OPTION_EXTERNAL_LOGGER, logger, h, MHD_OPTION_END);
	if (!h->d) {
		close(fd);
		free(h);
		fprintf(stderr, "kmtrace: %s: libmicrohttpd cannot serve on the socket\n", cmd);
		return NULL;
	}
	return h;
}

void kmt_httpd_run(struct kmt_httpd *h, unsigned int ms)
{
	MHD_run_wait(h->d, (int32_t)ms);
}

unsigned long long kmt_httpd_served(const struct kmt_httpd *h)
{
	return h->served;
}

void kmt_httpd_stop(struct kmt_httpd *h)
{
	if (!h)
		return;
	/* MHD_stop_daemon closes the listening socket it was given */
	MHD_stop_daemon(h->d);
	free(h);
}

#endif /* KMT_NO_HTTPD */

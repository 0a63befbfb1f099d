// SPDX-License-Identifier: GPL-2.0
/* "[ADDR:]PORT" for --listen (see user/netaddr.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "netaddr.h"

#define HOST_MAX 64 /* longer is no address */

/* Strict decimal 0..65535. */
static int parse_port(const char *s, unsigned int *port)
{
	uint64_t v;

	if (strlen(s) > 5 || kmt_parse_u64(s, &v) || v > 65535)
		return -1;
	*port = (unsigned int)v;
	return 0;
}

int kmt_netaddr_parse(const char *s, struct kmt_netaddr *a, char *err, size_t errlen)
{
	char host[HOST_MAX + 1];
	const char *colon, *port;
	size_t hl;

	memset(a, 0, sizeof(*a));
	if (!s || !*s)
		return kmt_fail(err, errlen, "--listen: empty address");
	if (s[0] == '[') { /* [IPv6]:PORT */
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return kmt_fail(err, errlen, "--listen: '%.80s' is not [IPv6]:PORT", s);
		hl = (size_t)(end - s - 1);
		port = end + 2;
		if (hl == 0 || hl > HOST_MAX)
			return kmt_fail(err, errlen, "--listen: '%.80s' is not [IPv6]:PORT", s);
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		a->v6 = true;
	} else if ((colon = strrchr(s, ':'))) { /* IPv4:PORT or localhost:PORT */
		hl = (size_t)(colon - s);
		port = colon + 1;
		if (hl == 0)
			return kmt_fail(
			    err, errlen,
			    "--listen: ':%.20s' has no address (write 127.0.0.1:PORT, or "
			    "0.0.0.0:PORT to serve every interface)",
			    port);
		if (hl > HOST_MAX || memchr(s, ':', hl))
			return kmt_fail(
			    err, errlen,
			    "--listen: '%.80s' is not ADDR:PORT (an IPv6 address goes in "
			    "brackets: [::1]:PORT)",
			    s);
		memcpy(host, s, hl);
		host[hl] = '\0';
	} else { /* PORT */
		port = s;
		snprintf(host, sizeof(host), "127.0.0.1");
	}
	if (parse_port(port, &a->port))
		return kmt_fail(err, errlen,
				"--listen: bad port '%.20s' (0..65535; 0: any free one)", port);
	if (!a->v6 && !strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (a->v6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return kmt_fail(err, errlen, "--listen: '%.64s' is not an IPv6 address",
					host);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)a->port);
		a->len = sizeof(*in6);
		inet_ntop(AF_INET6, &in6->sin6_addr, a->host, sizeof(a->host));
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;

		/* inet_pton: exactly four decimal parts, no hostnames */
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return kmt_fail(err, errlen,
					"--listen: '%.64s' is not an IPv4 address (nor localhost, "
					"nor [IPv6])",
					host);
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)a->port);
		a->len = sizeof(*in);
		inet_ntop(AF_INET, &in->sin_addr, a->host, sizeof(a->host));
	}
	return 0;
}

const char *kmt_netaddr_str(const struct kmt_netaddr *a, unsigned int port, char *buf, size_t len)
{
	snprintf(buf, len, a->v6 ? "[%s]:%u" : "%s:%u", a->host, port);
	return buf;
}

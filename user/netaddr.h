// SPDX-License-Identifier: GPL-2.0
/*
 * The address `kmtrace stat --listen` serves /metrics on: "[ADDR:]PORT",
 * parsed without a resolver (pure, unit-tested and fuzzed through the option
 * parser).  ADDR is an IPv4 address, "localhost", or an IPv6 address in
 * brackets; without ADDR the address is loopback (127.0.0.1): kmtrace never
 * listens on another interface unless it is told which.  PORT 0: the kernel
 * picks a free port (said on stderr when serving).
 */
#ifndef KMT_NETADDR_H
#define KMT_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct kmt_netaddr {
	struct sockaddr_storage ss; /* sockaddr_in or sockaddr_in6, port set */
	socklen_t len;
	bool v6;
	unsigned int port;
	char host[INET6_ADDRSTRLEN]; /* the address as written back ("127.0.0.1", "::1") */
};

/* Parse S into *A.  0, or -1 with a one-line reason in ERR. */
int kmt_netaddr_parse(const char *s, struct kmt_netaddr *a, char *err, size_t errlen);

/* "127.0.0.1:9464" or "[::1]:9464" with PORT (the one bound) into BUF. */
const char *kmt_netaddr_str(const struct kmt_netaddr *a, unsigned int port, char *buf, size_t len);

#endif /* KMT_NETADDR_H */

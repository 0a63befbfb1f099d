// SPDX-License-Identifier: GPL-2.0
/*
 * kmfloor: EMPTY programs on the kmem kmalloc and kfree tracepoints.  They
 * measure the floor, the cost of merely running a BPF program per event,
 * which no tracer attached the same way can go below.  user/kmfloor.c turns
 * autoload off for the pair it does not want (raw_tp or classic tracepoint).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("raw_tp/kmalloc")
int floor_raw_kmalloc(void *ctx)
{
	return 0;
}

SEC("raw_tp/kfree")
int floor_raw_kfree(void *ctx)
{
	return 0;
}

SEC("tp/kmem/kmalloc")
int floor_tp_kmalloc(void *ctx)
{
	return 0;
}

SEC("tp/kmem/kfree")
int floor_tp_kfree(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

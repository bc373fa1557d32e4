/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP program of the AF_XDP driver: a frame that arrives on a queue whose
 * AF_XDP socket is in xsks_map goes to that socket; any other frame (no
 * socket on its queue) goes on to the kernel's network stack. Built with
 * clang -target bpf and embedded in libhugemem (af_xdp_bpf.c, generated).
 */

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Index: the device's receive queue; value: the socket's fd (as written by the driver). */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

SEC("xdp")
int
hm_xdp_redirect(struct xdp_md *ctx)
{
	/* The low bits of the flags are the action when the queue has no socket. */
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcpca: a TCP congestion control in BPF, registered twice through struct_ops.
 *
 * The same four callbacks fill two structures: tcpca (SEC(".struct_ops"), registered by
 * updating the map: any kernel with struct_ops) and tcpca_link (SEC(".struct_ops.link"),
 * registered by a BPF link: Linux 6.4). Each callback counts its calls in .bss.
 *
 * struct tcp_congestion_ops is declared here with only the members used, in an order of
 * its own: the kernel's layout (which differs between kernels) is found at run time by
 * member name. The window stays where the kernel starts it; a connection using either
 * name still moves data.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct sock;

struct tcp_congestion_ops {
	char name[16];
	__u32 (*undo_cwnd)(struct sock *sk);
	void (*init)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	__u32 (*ssthresh)(struct sock *sk);
};

/* The kernel hands struct_ops TCP callbacks a tcp_sock; CO-RE finds the field. */
struct tcp_sock {
	__u32 snd_cwnd;
} __attribute__((preserve_access_index));

__u64 init_calls;
__u64 ssthresh_calls;
__u64 cong_avoid_calls;
__u64 undo_calls;

SEC("struct_ops/init")
void BPF_PROG(tcpca_init, struct sock *sk)
{
	__sync_fetch_and_add(&init_calls, 1);
}

SEC("struct_ops/ssthresh")
__u32 BPF_PROG(tcpca_ssthresh, struct sock *sk)
{
	__u32 cwnd = ((struct tcp_sock *)sk)->snd_cwnd;

	__sync_fetch_and_add(&ssthresh_calls, 1);
	return cwnd > 4 ? cwnd / 2 : 2;
}

SEC("struct_ops/cong_avoid")
void BPF_PROG(tcpca_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	__sync_fetch_and_add(&cong_avoid_calls, 1);
}

SEC("struct_ops/undo_cwnd")
__u32 BPF_PROG(tcpca_undo_cwnd, struct sock *sk)
{
	__sync_fetch_and_add(&undo_calls, 1);
	return ((struct tcp_sock *)sk)->snd_cwnd;
}

SEC(".struct_ops")
struct tcp_congestion_ops tcpca = {
	.init = (void *)tcpca_init,
	.ssthresh = (void *)tcpca_ssthresh,
	.cong_avoid = (void *)tcpca_cong_avoid,
	.undo_cwnd = (void *)tcpca_undo_cwnd,
	.name = "skg_tcpca",
};

SEC(".struct_ops.link")
struct tcp_congestion_ops tcpca_link = {
	.init = (void *)tcpca_init,
	.ssthresh = (void *)tcpca_ssthresh,
	.cong_avoid = (void *)tcpca_cong_avoid,
	.undo_cwnd = (void *)tcpca_undo_cwnd,
	.name = "skg_tcpca_link",
};

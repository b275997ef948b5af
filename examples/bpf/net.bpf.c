// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * net: packet counters at XDP and TC.
 *
 *  - xdp_count_proto (SEC "xdp") parses Ethernet/IPv4/IPv6 and counts
 *    packets and bytes per IP protocol number in a per-cpu array;
 *  - xdp_frags_len (SEC "xdp.frags", multi-buffer aware) sums the full
 *    frame length, fragments included;
 *  - tc_count_ethertype (SEC "tc") counts per EtherType in a hash map;
 *  - tcx_ingress_count (SEC "tcx/ingress", attach with BPF_TCX_INGRESS on
 *    6.6+) counts into .bss and passes the packet on with TCX_NEXT.
 *
 * Trigger: attach to an interface (e.g. lo, or a veth pair) and send
 * traffic (ping). Or run them with BPF_PROG_TEST_RUN and a packet buffer.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* From the tcx UAPI (6.6), missing in older headers. */
#ifndef TCX_NEXT
#define TCX_NEXT -1
#endif

struct proto_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);	/* IP protocol number */
	__type(value, struct proto_stats);
} proto_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);	/* EtherType, host order */
	__type(value, __u64);
} ethertype_counts SEC(".maps");

/* .bss */
__u64 xdp_non_ip;
__u64 xdp_short;
__u64 frags_packets;
__u64 frags_bytes;
__u64 tcx_packets;
__u64 tcx_bytes;

/* Set before load: count only frames of this EtherType at tcx (0: all). */
const volatile __u16 tcx_ethertype = 0;

SEC("xdp")
int xdp_count_proto(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct proto_stats *st;
	__u32 proto;

	if ((void *)(eth + 1) > data_end) {
		xdp_short++;
		return XDP_PASS;
	}

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > data_end) {
			xdp_short++;
			return XDP_PASS;
		}
		proto = ip->protocol;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end) {
			xdp_short++;
			return XDP_PASS;
		}
		proto = ip6->nexthdr;
	} else {
		xdp_non_ip++;
		return XDP_PASS;
	}

	st = bpf_map_lookup_elem(&proto_counts, &proto);
	if (st) {
		st->packets++;
		st->bytes += data_end - data;
	}
	return XDP_PASS;
}

SEC("xdp.frags")
int xdp_frags_len(struct xdp_md *ctx)
{
	frags_packets++;
	frags_bytes += bpf_xdp_get_buff_len(ctx);
	return XDP_PASS;
}

SEC("tc")
int tc_count_ethertype(struct __sk_buff *skb)
{
	__u16 type = bpf_ntohs(skb->protocol);
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&ethertype_counts, &type);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&ethertype_counts, &type, &one, BPF_NOEXIST);
	return TC_ACT_OK;
}

SEC("tcx/ingress")
int tcx_ingress_count(struct __sk_buff *skb)
{
	if (tcx_ethertype && bpf_ntohs(skb->protocol) != tcx_ethertype)
		return TCX_NEXT;
	__sync_fetch_and_add(&tcx_packets, 1);
	__sync_fetch_and_add(&tcx_bytes, skb->len);
	return TCX_NEXT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

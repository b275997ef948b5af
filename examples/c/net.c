// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * net: the C light skeleton of examples/bpf/net.bpf.o with packets through a veth pair.
 *
 *   sudo ./net IFNAME NETNS PEER_IP
 *
 * IFNAME is the host end of a veth pair whose other end is in network namespace NETNS
 * (/var/run/netns/NETNS) and has an IPv4 address on PEER_IP's subnet; PEER_IP is IFNAME's
 * own address. Attaches xdp_count_proto with an XDP link and tcx_ingress_count with tcx to
 * IFNAME, sends UDP datagrams to PEER_IP from a socket opened inside NETNS (so they cross
 * the pair and arrive on IFNAME), then reads the per-CPU protocol counters and .bss back.
 * Every line it prints is "key value"; the last is "ok".
 */
#define _GNU_SOURCE
#include "net.lskel.h"
#include "check.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#define DATAGRAMS 5
#define MAX_CPUS 1024

/* The value of proto_counts (struct proto_stats in net.bpf.c). Map value types appear in
 * the header only when a global-data view uses them. */
struct proto_stats {
	uint64_t packets;
	uint64_t bytes;
};

/* A UDP socket created inside network namespace `ns`; this thread returns to its own. */
static int socket_in(const char *ns)
{
	char path[256];
	int self = open("/proc/self/ns/net", O_RDONLY), other, sock = -1;

	snprintf(path, sizeof(path), "/var/run/netns/%s", ns);
	other = open(path, O_RDONLY);
	if (self >= 0 && other >= 0 && setns(other, CLONE_NEWNET) == 0) {
		sock = socket(AF_INET, SOCK_DGRAM, 0);
		CHECK(setns(self, CLONE_NEWNET) == 0);
	}
	if (other >= 0)
		close(other);
	if (self >= 0)
		close(self);
	return sock;
}

static void send_datagrams(const char *ns, const char *ip)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	int sock = socket_in(ns), i;

	CHECK(sock >= 0);
	CHECK(inet_pton(AF_INET, ip, &to.sin_addr) == 1);
	for (i = 0; i < DATAGRAMS && sock >= 0; i++)
		CHECK(sendto(sock, "skelgen", 7, 0, (struct sockaddr *)&to, sizeof(to)) == 7);
	if (sock >= 0)
		close(sock);
	usleep(200 * 1000); /* the packets cross the pair asynchronously */
}

/* Sum over CPUs of the UDP (17) entry of the per-CPU proto_counts map. */
static unsigned long long udp_packets(struct net *skel)
{
	static struct proto_stats per_cpu[MAX_CPUS];
	uint32_t key = IPPROTO_UDP, cpus = skelgen_possible_cpus(), i;
	unsigned long long sum = 0;

	if (cpus > MAX_CPUS || skelgen_map_lookup_elem(skel->maps.proto_counts.map_fd, &key, per_cpu))
		return 0;
	for (i = 0; i < cpus; i++)
		sum += per_cpu[i].packets;
	return sum;
}

int main(int argc, char **argv)
{
	int fds_before = open_fds(), ifindex, err;
	struct net *skel;

	if (argc != 4) {
		fprintf(stderr, "usage: %s IFNAME NETNS PEER_IP\n", argv[0]);
		return 2;
	}
	ifindex = (int)if_nametoindex(argv[1]);
	CHECK(ifindex > 0);
	skel = net__open();
	CHECK(skel != NULL);
	if (!skel)
		return 1;
	skel->rodata->tcx_ethertype = 0x0800; /* count IPv4 only at tcx */
	err = net__load(skel);
	printf("load %d\n", err);
	CHECK(err == 0);
	if (!err) {
		err = net__xdp_count_proto__attach_xdp(skel, ifindex, 0);
		printf("attach_xdp %d\n", err);
		err = net__tcx_ingress_count__attach_tcx(skel, ifindex);
		printf("attach_tcx %d\n", err);
		send_datagrams(argv[2], argv[3]);
		printf("xdp_udp_at_least_sent %d\n", udp_packets(skel) >= DATAGRAMS);
		printf("tcx_at_least_sent %d\n", skel->bss->tcx_packets >= DATAGRAMS);
		printf("tcx_bytes_counted %d\n", skel->bss->tcx_bytes >= DATAGRAMS * 7ull);
		net__detach(skel);
		printf("detached %d\n", skel->links.xdp_count_proto_fd == 0);
	}
	net__destroy(skel);
	printf("fds_leaked %d\n", open_fds() - fds_before);
	if (failures)
		return 1;
	printf("ok\n");
	return 0;
}

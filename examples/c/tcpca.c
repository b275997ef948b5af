// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcpca: the C light skeleton of examples/bpf/tcpca.bpf.o, a TCP congestion control
 * registered through struct_ops, end to end.
 *
 *   skelgen --lang c examples/bpf/tcpca.bpf.o -o tcpca.lskel.h
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -I. examples/c/tcpca.c -o tcpca
 *   sudo ./tcpca          # both structures (.struct_ops.link needs Linux 6.4)
 *   sudo ./tcpca plain    # the .struct_ops map only: tcpca_link's autocreate is 0
 *   sudo ./tcpca hold     # as the first, and while registered prints "hold <link id> <map id>"
 *                         # and waits for a line on stdin
 *
 * First an attach that must fail, leaving no fd behind: a program of the structure was not
 * loaded. Then open, load (the kernel's layout of struct tcp_congestion_ops comes from its
 * BTF), attach (each structure's name joins the available congestion controls), a loopback
 * TCP connection per name that moves data and calls the programs, the link of the
 * .struct_ops.link map, detach (the names go), a second attach, destroy. Every line is "key value"; the last is "ok" when every check
 * passed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tcpca.lskel.h"
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define CHUNK 16384
#define CHUNKS 64
#define BPF_OBJ_GET_INFO_BY_FD 15
#define BPF_LINK_TYPE_STRUCT_OPS 9

static int plain;

/* bpf_map_info / bpf_link_info of `fd`, the first 80 bytes. */
static int obj_info(int fd, uint32_t *info)
{
	struct {
		uint32_t fd, len;
		uint64_t info;
	} a;

	memset(info, 0, 80);
	memset(&a, 0, sizeof(a));
	a.fd = (uint32_t)fd;
	a.len = 80;
	a.info = skelgen_ptr(info);
	return (int)syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &a, sizeof(a));
}

/* Whether `name` is among the congestion controls the kernel offers. */
static int available(const char *name)
{
	char buf[1024], *w, *save = NULL;

	if (skelgen_read_file("/proc/sys/net/ipv4/tcp_available_congestion_control", buf, sizeof(buf)) <= 0)
		return 0;
	for (w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		if (strcmp(w, name) == 0)
			return 1;
	return 0;
}

/* Moves CHUNK * CHUNKS bytes over a loopback connection whose client uses congestion
 * control `name`: the bytes received, or -errno. */
static long transfer(const char *name)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	static char out[CHUNK], in[CHUNK];
	char used[16] = "";
	socklen_t used_len = sizeof(used);
	int lst, cli = -1, srv = -1, i;
	long got = -EIO;
	ssize_t n, k;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lst = socket(AF_INET, SOCK_STREAM, 0);
	if (lst < 0 || bind(lst, (struct sockaddr *)&addr, sizeof(addr)) || listen(lst, 1) ||
	    getsockname(lst, (struct sockaddr *)&addr, &len))
		goto out;
	cli = socket(AF_INET, SOCK_STREAM, 0);
	if (cli < 0)
		goto out;
	if (setsockopt(cli, IPPROTO_TCP, TCP_CONGESTION, name, (socklen_t)strlen(name))) {
		got = -errno;
		goto out;
	}
	if (connect(cli, (struct sockaddr *)&addr, sizeof(addr)))
		goto out;
	srv = accept(lst, NULL, NULL);
	if (srv < 0 || getsockopt(cli, IPPROTO_TCP, TCP_CONGESTION, used, &used_len))
		goto out;
	printf("congestion_control %s\n", used);
	for (got = 0, i = 0; i < CHUNKS; i++) {
		memset(out, i, sizeof(out));
		if (send(cli, out, sizeof(out), 0) != (ssize_t)sizeof(out))
			break;
		for (n = 0; n < CHUNK; n += k) {
			k = recv(srv, in + n, (size_t)(CHUNK - n), 0);
			if (k <= 0)
				break;
		}
		if (n != CHUNK || memcmp(in, out, sizeof(in)))
			break;
		got += n;
	}
out:
	if (srv >= 0)
		close(srv);
	if (cli >= 0)
		close(cli);
	if (lst >= 0)
		close(lst);
	return got;
}

/* A connection through `name` moves every byte and calls init at its set-up. */
static void use(struct tcpca *skel, const char *name)
{
	uint64_t inits = skel->bss->init_calls;
	long got = transfer(name);

	printf("transfer %s %ld\n", name, got);
	CHECK(got == (long)CHUNK * CHUNKS);
	printf("init_called %s %d\n", name, skel->bss->init_calls > inits);
}

/* An attach that must fail, naming the program that was not loaded. */
static void failing_attach(void)
{
	struct tcpca *skel = tcpca__open();
	int err;

	CHECK(skel != NULL);
	if (!skel)
		return;
	skel->progs.tcpca_init.autoload = 0;	/* tcpca.init names it */
	if (plain)
		skel->struct_ops.tcpca_link.autocreate = 0;
	err = tcpca__load(skel);
	CHECK(err == 0);
	err = tcpca__tcpca__attach(skel);
	printf("unloaded_attach %d\n", err);
	printf("unloaded_step %s\n", skel->err_step ? skel->err_step : "(none)");
	printf("unloaded_available %d\n", available("skg_tcpca"));
	tcpca__destroy(skel);
}

/* The link of the .struct_ops.link map is a struct_ops link to that map. */
static void check_link(struct tcpca *skel)
{
	uint32_t link[20], map[20];

	printf("link_fd %d\n", skel->links.tcpca_link_fd > 0);
	CHECK(obj_info(skel->links.tcpca_link_fd, link) == 0);
	CHECK(obj_info(skel->maps.tcpca_link.map_fd, map) == 0);
	printf("link_type_struct_ops %d\n", link[0] == BPF_LINK_TYPE_STRUCT_OPS);
	printf("link_map_matches %d\n", link[4] == map[1]);
}

static void real_run(int hold)
{
	struct tcpca *skel = tcpca__open();
	uint32_t info[20];
	char line[16];
	int err;

	CHECK(skel != NULL);
	if (!skel)
		return;
	if (plain)
		skel->struct_ops.tcpca_link.autocreate = 0;	/* BPF_F_LINK maps need Linux 6.4 */
	err = tcpca__load(skel);
	printf("load %d\n", err);
	if (err) {
		printf("load_error %s\n", skel->err_step ? skel->err_step : "(none)");
		failures++;
		tcpca__destroy(skel);
		return;
	}
	/* The value size is the kernel's bpf_struct_ops_tcp_congestion_ops, not the object's. */
	CHECK(obj_info(skel->maps.tcpca.map_fd, info) == 0);
	printf("value_size_is_the_kernels %d\n", info[3] == skel->maps.tcpca.value_size && info[3] > 48);
	printf("link_map_created %d\n", skel->maps.tcpca_link.map_fd > 0);
	/* Where this kernel puts the callbacks (members in the object's order: name, undo_cwnd,
	 * init, cong_avoid, ssthresh), which differs between kernels. */
	printf("kernel_layout value_size %u undo_cwnd %u init %u cong_avoid %u ssthresh %u\n",
	       skel->struct_ops_values.tcpca.size, skel->struct_ops_values.tcpca.fd_offset[1],
	       skel->struct_ops_values.tcpca.fd_offset[2], skel->struct_ops_values.tcpca.fd_offset[3],
	       skel->struct_ops_values.tcpca.fd_offset[4]);
	err = tcpca__attach(skel);
	printf("attach %d\n", err);
	if (err)
		printf("attach_error %s\n", skel->err_step);
	printf("available skg_tcpca %d\n", available("skg_tcpca"));
	use(skel, "skg_tcpca");
	if (!plain) {
		printf("available skg_tcpca_link %d\n", available("skg_tcpca_link"));
		use(skel, "skg_tcpca_link");
		check_link(skel);
	}
	if (hold) {
		/* The link's id and its map's, for bpftool to find while they are registered. */
		CHECK(obj_info(skel->links.tcpca_link_fd, info) == 0);
		printf("hold %u", info[1]);
		CHECK(obj_info(skel->maps.tcpca_link.map_fd, info) == 0);
		printf(" %u\n", info[1]);
		fflush(stdout);
		CHECK(fgets(line, sizeof(line), stdin) != NULL);
	}

	tcpca__detach(skel);
	printf("detached skg_tcpca %d\n", !available("skg_tcpca"));
	printf("detached skg_tcpca_link %d\n", !available("skg_tcpca_link"));
	printf("gone_after_detach %ld\n", transfer("skg_tcpca"));
	err = tcpca__tcpca__attach(skel);
	printf("reattach_plain %d\n", err);
	printf("reattach_plain_step %s\n", err ? skel->err_step : "(none)");
	if (!plain) {
		err = tcpca__tcpca_link__attach(skel);
		printf("reattach_link %d\n", err);
		printf("available_again skg_tcpca_link %d\n", available("skg_tcpca_link"));
		use(skel, "skg_tcpca_link");
	}
	tcpca__destroy(skel);
	printf("destroyed skg_tcpca_link %d\n", !available("skg_tcpca_link"));
}

int main(int argc, char **argv)
{
	int before = open_fds();

	plain = argc > 1 && strcmp(argv[1], "plain") == 0;
	tcpca__destroy(NULL);
	failing_attach();
	printf("fds_after_failure %d\n", open_fds() - before);
	real_run(argc > 1 && strcmp(argv[1], "hold") == 0);
	printf("fds_leaked %d\n", open_fds() - before);
	if (failures)
		printf("failures %d\n", failures);
	else
		printf("ok\n");
	return failures ? 1 : 0;
}

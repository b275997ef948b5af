// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * many: the C light skeleton of examples/bpf/many.bpf.o (52 programs, 80 maps), and every
 * kind of attach function the C skeleton offers.
 *
 *   skelgen --lang c examples/bpf/many.bpf.o -o many.lskel.h
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -I. examples/c/many.c -o many
 *   sudo ./many
 *
 * Runs in a new network namespace (its loopback takes the XDP and tcx programs) and
 * attaches the cgroup programs to a new, empty cgroup, so the host is not affected. Each
 * line is "<what> <result>"; the last is "ok" when every check passed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "many.lskel.h"
#include "check.h"

#include <dirent.h>
#include <sched.h>
#include <sys/stat.h>

#define ATTACH(what, call)                                   \
	do {                                                 \
		int err_ = (call);                           \
		printf("%s %d\n", what, err_);               \
		CHECK(err_ == 0);                            \
	} while (0)

static int count_links(const struct many__links *l)
{
	const int *fd = (const int *)l;
	size_t i, n = sizeof(*l) / sizeof(int);
	int linked = 0;

	for (i = 0; i < n; i++)
		linked += fd[i] > 0;
	return linked;
}

static int match_pid(void *ctx, const void *data, uint32_t size)
{
	uint64_t v, me = ((uint64_t)getpid() << 32) | (uint64_t)getpid();

	if (size == sizeof(v)) {
		memcpy(&v, data, sizeof(v));
		*(int *)ctx += v == me;
	}
	return 0;
}

/* tp_read writes the pid_tgid of every read(2) into the ring buffer rb. */
static void ring_buffer(struct many *skel)
{
	struct skelgen_ringbuf rb;
	char c;
	int fd, err, n, i, mine = 0;

	err = many__rb__ringbuf_open(skel, &rb);
	printf("ringbuf_open %d\n", err);
	if (err)
		return;
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd >= 0);
	for (i = 0; i < 3; i++)
		CHECK(read(fd, &c, 1) == 0);
	close(fd);
	for (i = 0; i < 10 && mine < 3; i++) {
		n = skelgen_ringbuf_poll(&rb, 100, match_pid, &mine);
		CHECK(n >= 0);
	}
	printf("ringbuf_mine_ok %d\n", mine >= 3);
	skelgen_ringbuf_close(&rb);
}

/* Perf samples carry the raw data padded to 8 bytes after its u32 size: 12 here. */
static int match_pid_cpu(void *ctx, int cpu, const void *data, uint32_t size)
{
	(void)cpu;
	return size >= 8 ? match_pid(ctx, data, 8) : 0;
}

/* tp_read also writes them into the perf event array events. */
static void perf_buffer(struct many *skel)
{
	struct skelgen_perfbuf pb;
	char c;
	int fd, err, i, mine = 0;

	err = many__events__perfbuf_open(skel, &pb, 8);
	printf("perfbuf_open %d\n", err);
	if (err)
		return;
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd >= 0);
	for (i = 0; i < 3; i++)
		CHECK(read(fd, &c, 1) == 0);
	close(fd);
	for (i = 0; i < 10 && mine < 3; i++)
		CHECK(skelgen_perfbuf_poll(&pb, 100, match_pid_cpu, &mine) >= 0);
	printf("perfbuf_mine_ok %d\n", mine >= 3);
	skelgen_perfbuf_close(&pb);
}

static void attach_all(struct many *skel, int cgroup_fd, int netns_fd)
{
	struct skelgen_perf_attr attr;
	int pfd, itfd, auto_links, ret = -1;
	char buf[256];
	ssize_t n;

	/* A failure in __attach undoes what that call attached: give tp_fork a map fd. */
	pfd = skel->progs.tp_fork.prog_fd;
	skel->progs.tp_fork.prog_fd = skel->maps.cnt00.map_fd;
	printf("failing_attach %d\n", many__attach(skel));
	printf("links_after_failing_attach %d\n", count_links(&skel->links));
	skel->progs.tp_fork.prog_fd = pfd;

	ATTACH("attach", many__attach(skel));
	auto_links = count_links(&skel->links);
	printf("auto_links %d\n", auto_links);
	ring_buffer(skel);
	perf_buffer(skel);
	ATTACH("raw_tp_by_name", many__tail_raw__attach_raw_tp(skel, "sys_enter"));
	ATTACH("xdp", many__xdp_to_dev__attach_xdp(skel, 1, 0));
	ATTACH("tcx_ingress", many__tcx_in__attach_tcx(skel, 1));
	ATTACH("tcx_egress", many__tcx_out__attach_tcx(skel, 1));
	ATTACH("cgroup_skb", many__cg_skb_in__attach_cgroup(skel, cgroup_fd));
	ATTACH("cgroup_sock", many__cg_sock_create__attach_cgroup(skel, cgroup_fd));
	ATTACH("cgroup_sock_addr", many__cg_connect4__attach_cgroup(skel, cgroup_fd));
	ATTACH("cgroup_sockopt", many__cg_getsockopt__attach_cgroup(skel, cgroup_fd));
	ATTACH("cgroup_sysctl", many__cg_sysctl__attach_cgroup(skel, cgroup_fd));
	ATTACH("cgroup_dev", many__cg_dev__attach_cgroup(skel, cgroup_fd));
	ATTACH("sock_ops", many__sock_ops__attach_cgroup(skel, cgroup_fd));
	ATTACH("sk_skb_parser", many__skb_parser__attach_sockmap(skel, skel->maps.socks.map_fd));
	ATTACH("sk_skb_verdict", many__skb_verdict__attach_sockmap(skel, skel->maps.socks.map_fd));
	ATTACH("sk_msg", many__msg_verdict__attach_sockmap(skel, skel->maps.socks_hash.map_fd));
	ATTACH("sk_lookup", many__lookup__attach_netns(skel, netns_fd));
	ATTACH("flow_dissector", many__dissect__attach_netns(skel, netns_fd));

	memset(&attr, 0, sizeof(attr));
	attr.type = 1;			/* PERF_TYPE_SOFTWARE */
	attr.size = sizeof(attr);
	attr.config = 0;		/* PERF_COUNT_SW_CPU_CLOCK */
	attr.sample_period = 1000000;
	pfd = skelgen_perf_event_open(&attr, 0, -1);
	CHECK(pfd >= 0);
	ATTACH("perf_event", many__on_perf_event__attach_perf_event(skel, pfd));
	if (pfd >= 0)
		close(pfd);	/* the link keeps the event */
	printf("twice %d\n", many__xdp_to_dev__attach_xdp(skel, 1, 0));
	printf("links %d\n", count_links(&skel->links) - auto_links);

	n = many__run_syscall__run(skel, NULL, 0, &ret);
	printf("syscall_run %d %d\n", (int)n, ret);

	itfd = many__iter_tasks__iter_create(skel);
	CHECK(itfd >= 0);
	n = itfd >= 0 ? read(itfd, buf, sizeof(buf) - 1) : -1;
	printf("iter_read_ok %d\n", n > 0);
	if (itfd >= 0)
		close(itfd);
}

/* A load the verifier refuses (the queue's values made larger than what the program
 * pushes), with a log buffer: the failing step and the verifier's words come back. */
static void verifier_log(void)
{
	static char log[1 << 22];
	struct many *skel = many__open();
	int err;

	CHECK(skel != NULL);
	if (!skel)
		return;
	skel->maps.fifo.value_size = 64;
	skel->log_buf = log;
	skel->log_size = sizeof(log);
	skel->log_level = 1;
	err = many__load(skel);
	printf("verifier_load %d\n", err);
	printf("verifier_step %s\n", skel->err_step ? skel->err_step : "(none)");
	printf("verifier_log_has_reason %d\n", strstr(log, "invalid read from stack") != NULL);
	printf("verifier_no_fds %d\n", skel->maps.fifo.map_fd == 0 && skel->progs.tp_read.prog_fd == 0);
	many__destroy(skel);
}

/* Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified in hybrid setups). */
static int cgroup2_root(char *out, size_t size)
{
	char dev[256], dir[256], type[64];
	FILE *f = fopen("/proc/self/mounts", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		found = strcmp(type, "cgroup2") == 0;
	fclose(f);
	if (found)
		snprintf(out, size, "%s", dir);
	return found;
}

int main(void)
{
	char root[256];
	char cgroup[300];
	int before, cgroup_fd, netns_fd;
	struct many *skel;

	if (syscall(__NR_unshare, CLONE_NEWNET) != 0) {
		printf("unshare failed: %s\n", strerror(errno));
		return 1;
	}
	if (!cgroup2_root(root, sizeof(root))) {
		printf("no cgroup2 mount\n");
		return 1;
	}
	snprintf(cgroup, sizeof(cgroup), "%s/skelgen-many-%d", root, (int)getpid());
	if (mkdir(cgroup, 0755) != 0) {
		printf("mkdir %s failed: %s\n", cgroup, strerror(errno));
		return 1;
	}
	cgroup_fd = open(cgroup, O_RDONLY);
	netns_fd = open("/proc/self/ns/net", O_RDONLY);
	CHECK(cgroup_fd >= 0 && netns_fd >= 0);
	before = open_fds();
	verifier_log();
	printf("fds_after_failure %d\n", open_fds() - before);

	skel = many__open_and_load();
	printf("open_and_load %d\n", skel != NULL);
	if (skel) {
		attach_all(skel, cgroup_fd, netns_fd);
		many__detach(skel);
		printf("links_after_detach %d\n", count_links(&skel->links));
		many__destroy(skel);
	} else {
		failures++;
	}
	printf("fds_leaked %d\n", open_fds() - before);
	close(cgroup_fd);
	close(netns_fd);
	rmdir(cgroup);
	if (failures)
		printf("failures %d\n", failures);
	else
		printf("ok\n");
	return failures ? 1 : 0;
}

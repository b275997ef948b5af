// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * bpf_listing: the userspace side of iterators_kmod, and the id checks of the
 * kernel-module tests. Plain bpf(2) calls, no library.
 *
 *   bpf_listing read NAME...   finds the iterator links whose program is NAME
 *                              (BPF_LINK_GET_NEXT_ID, BPF_LINK_GET_FD_BY_ID) and
 *                              prints what a read of each writes (BPF_ITER_CREATE)
 *   bpf_listing maxids         prints "P M L": the highest id of a program, a map
 *                              and a link that exist now
 *   bpf_listing newer P M L    lists the objects with a higher id than P, M, L;
 *                              exits 1 when there is one
 *   bpf_listing gone P M L     like newer, but waits up to 5 s for the kernel's
 *                              deferred frees; exits 1 when something remains
 *
 * Ids only grow, so the objects newer than the ids taken before insmod are the
 * ones the module created (nothing else creates BPF objects in the test VM).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum kind { PROG, MAP, LINK, NR_KINDS };

static const struct {
	const char *name;
	int next_cmd;
	int fd_cmd;
} kinds[NR_KINDS] = {
	[PROG] = { "prog", BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID },
	[MAP] = { "map", BPF_MAP_GET_NEXT_ID, BPF_MAP_GET_FD_BY_ID },
	[LINK] = { "link", BPF_LINK_GET_NEXT_ID, BPF_LINK_GET_FD_BY_ID },
};

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* The id after `id` of `kind`, 0 at the end. */
static __u32 next_id(enum kind kind, __u32 id)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.start_id = id;
	if (sys_bpf(kinds[kind].next_cmd, &attr))
		return 0;
	return attr.next_id;
}

/* An fd of the object `id` of `kind`, or -1 when it does not exist (any more). */
static int fd_by_id(enum kind kind, __u32 id)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	/* prog_id, map_id and link_id share their place in the union. */
	attr.prog_id = id;
	return sys_bpf(kinds[kind].fd_cmd, &attr);
}

static int info_by_fd(int fd, void *info, __u32 len)
{
	union bpf_attr attr;

	memset(info, 0, len);
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = len;
	attr.info.info = (__u64)(unsigned long)info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
}

/* Describes object `id` of `kind` into buf; returns -1 when it does not exist. */
static int describe(enum kind kind, __u32 id, char *buf, size_t size)
{
	struct bpf_prog_info prog;
	struct bpf_map_info map;
	struct bpf_link_info link;
	int fd = fd_by_id(kind, id), err = 0;

	if (fd < 0)
		return -1;
	switch (kind) {
	case PROG:
		err = info_by_fd(fd, &prog, sizeof(prog));
		snprintf(buf, size, "prog %u %s", id, err ? "?" : prog.name);
		break;
	case MAP:
		err = info_by_fd(fd, &map, sizeof(map));
		snprintf(buf, size, "map %u %s", id, err ? "?" : map.name);
		break;
	default:
		err = info_by_fd(fd, &link, sizeof(link));
		snprintf(buf, size, "link %u type %u prog %u", id, err ? 0 : link.type,
			 err ? 0 : link.prog_id);
		break;
	}
	close(fd);
	return 0;
}

static int cmd_maxids(void)
{
	__u32 max[NR_KINDS] = { 0 }, id;
	int k;

	for (k = 0; k < NR_KINDS; k++)
		for (id = next_id(k, 0); id; id = next_id(k, id))
			max[k] = id;
	printf("%u %u %u\n", max[PROG], max[MAP], max[LINK]);
	return 0;
}

/* Prints the objects newer than `after`; returns how many there are. */
static int list_newer(const __u32 after[NR_KINDS], int quiet)
{
	char desc[128];
	__u32 id;
	int k, n = 0;

	for (k = 0; k < NR_KINDS; k++)
		for (id = next_id(k, after[k]); id; id = next_id(k, id))
			if (describe(k, id, desc, sizeof(desc)) == 0) {
				n++;
				if (!quiet)
					printf("%s\n", desc);
			}
	return n;
}

static int cmd_newer(char **argv, int wait)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	__u32 after[NR_KINDS];
	int k, tries = wait ? 50 : 1;

	for (k = 0; k < NR_KINDS; k++)
		after[k] = (__u32)strtoul(argv[k], NULL, 10);
	/* Programs and maps are freed after an RCU grace period and a work item. */
	while (--tries > 0 && list_newer(after, 1) > 0)
		nanosleep(&pause, NULL);
	return list_newer(after, 0) > 0;
}

/* The name of program `id`; -1 when it does not exist. */
static int prog_name(__u32 id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info prog;
	int fd = fd_by_id(PROG, id), err;

	if (fd < 0)
		return -1;
	err = info_by_fd(fd, &prog, sizeof(prog));
	close(fd);
	if (err)
		return -1;
	memcpy(name, prog.name, BPF_OBJ_NAME_LEN);
	return 0;
}

/* Reads an iterator link to the end and prints what it writes. */
static int read_iter(int link_fd)
{
	union bpf_attr attr;
	char buf[4096];
	ssize_t n;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.iter_create.link_fd = link_fd;
	fd = sys_bpf(BPF_ITER_CREATE, &attr);
	if (fd < 0) {
		perror("BPF_ITER_CREATE");
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Finds the iterator link of program `name` and prints its listing. */
static int read_named(const char *name)
{
	struct bpf_link_info link;
	char prog[BPF_OBJ_NAME_LEN];
	__u32 id;
	int fd, err;

	for (id = next_id(LINK, 0); id; id = next_id(LINK, id)) {
		fd = fd_by_id(LINK, id);
		if (fd < 0)
			continue;
		if (info_by_fd(fd, &link, sizeof(link)) || link.type != BPF_LINK_TYPE_ITER ||
		    prog_name(link.prog_id, prog) || strncmp(prog, name, sizeof(prog))) {
			close(fd);
			continue;
		}
		printf("== link %u prog %u %s\n", id, link.prog_id, name);
		err = read_iter(fd);
		close(fd);
		return err;
	}
	fprintf(stderr, "bpf_listing: no iterator link of a program named %s\n", name);
	return -1;
}

int main(int argc, char **argv)
{
	int i, err = 0;

	if (argc >= 3 && !strcmp(argv[1], "read")) {
		for (i = 2; i < argc; i++)
			err |= read_named(argv[i]);
		return err ? 1 : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "maxids"))
		return cmd_maxids();
	if (argc == 5 && !strcmp(argv[1], "newer"))
		return cmd_newer(argv + 2, 0);
	if (argc == 5 && !strcmp(argv[1], "gone"))
		return cmd_newer(argv + 2, 1);
	fprintf(stderr, "usage: bpf_listing read NAME... | maxids | newer P M L | gone P M L\n");
	return 2;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup_lsm: the C light skeleton of an lsm_cgroup program (examples/c/cgroup_lsm.bpf.c).
 *
 *   clang-19 -g -O2 -target bpf -I/usr/include/x86_64-linux-gnu -c examples/c/cgroup_lsm.bpf.c -o cgroup_lsm.bpf.o
 *   skelgen --lang c cgroup_lsm.bpf.o -o cgroup_lsm.lskel.h
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -I. examples/c/cgroup_lsm.c -o cgroup_lsm
 *   sudo ./cgroup_lsm
 *
 * Attaches the socket_bind hook to this process's own cgroup (v2), binds a UDP socket,
 * detaches, binds again. The last line is "ok" when every check passed.
 */
#include "cgroup_lsm.lskel.h"
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* This process's cgroup v2 directory: the cgroup2 mount plus the path in /proc/self/cgroup. */
static int own_cgroup(char *out, size_t size)
{
	char dev[256], dir[256], type[64], line[512];
	FILE *f = fopen("/proc/self/mounts", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		found = strcmp(type, "cgroup2") == 0;
	fclose(f);
	f = fopen("/proc/self/cgroup", "r");
	if (!found || !f) {
		if (f)
			fclose(f);
		return 0;
	}
	found = 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, size, "%s%s", dir, line + 3);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static void bind_once(void)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	CHECK(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	close(fd);
}

int main(void)
{
	struct cgroup_lsm *skel = cgroup_lsm__open();
	char path[600];
	int err, cg;

	CHECK(skel != NULL);
	if (!skel)
		return 1;
	skel->rodata->target_tgid = (uint32_t)getpid();
	err = cgroup_lsm__load(skel);
	printf("load %d\n", err);
	if (err) {
		printf("load_error %s\n", skel->err_step ? skel->err_step : "(none)");
		cgroup_lsm__destroy(skel);
		return 1;
	}
	CHECK(own_cgroup(path, sizeof(path)));
	cg = open(path, O_RDONLY);
	CHECK(cg >= 0);
	printf("attach_cgroup %d\n", cgroup_lsm__count_bind__attach_cgroup(skel, cg));
	bind_once();
	printf("binds %llu\n", (unsigned long long)skel->bss->binds);
	cgroup_lsm__detach(skel);
	bind_once();
	printf("binds_after_detach %llu\n", (unsigned long long)skel->bss->binds);
	close(cg);
	cgroup_lsm__destroy(skel);
	if (failures)
		printf("failures %d\n", failures);
	else
		printf("ok\n");
	return failures ? 1 : 0;
}

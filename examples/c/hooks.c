// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hooks: the C light skeleton of examples/bpf/hooks.bpf.o, whose targets the runtime
 * resolves on the running kernel.
 *
 *   skelgen --lang c examples/bpf/hooks.bpf.o -o hooks.lskel.h
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -I. examples/c/hooks.c -o hooks
 *   sudo ./hooks
 *
 * On a kernel with kprobes, __attach attaches the ksyscall and kretsyscall programs on
 * openat, the caller attaches ksys_named to getppid, and opening a file and calling
 * getppid(2) trigger them. On a kernel without kprobes (the test host), __attach fails,
 * names the program it could not attach and leaves nothing attached. The last line is "ok"
 * when every check passed.
 */
#include "hooks.lskel.h"
#include "check.h"

static int have_kprobes(void)
{
	return access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
}

static void links_left(const struct hooks *skel)
{
	printf("links_left %d\n", skel->links.ksys_openat_fd > 0 || skel->links.kretsys_openat_fd > 0 ||
					  skel->links.ksys_named_fd > 0);
}

static void ksyscalls(struct hooks *skel)
{
	int fd, err = hooks__attach(skel);

	printf("attach %d\n", err);
	if (err) {
		printf("attach_step %s\n", skel->err_step ? skel->err_step : "(none)");
		links_left(skel);
		printf("named_attach_fails %d\n", hooks__ksys_named__attach_ksyscall(skel, "getppid") < 0);
		return;
	}
	CHECK(hooks__ksys_named__attach_ksyscall(skel, "getppid") == 0);
	fd = open("/proc/self/comm", O_RDONLY);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(getppid() > 0);
	printf("ksyscall_hits_ok %d\n", skel->bss->ksyscall_hits >= 1);
	printf("kretsyscall_hits_ok %d\n", skel->bss->kretsyscall_hits >= 1);
	printf("kretsyscall_last_ret_ok %d\n", skel->bss->kretsyscall_last_ret >= 0);
	printf("named_syscall_hits_ok %d\n", skel->bss->named_syscall_hits >= 1);
	hooks__detach(skel);
	links_left(skel);
}

int main(void)
{
	struct hooks *skel = hooks__open();
	int fds = open_fds(), err;

	CHECK(skel != NULL);
	if (!skel)
		return 1;
	skel->rodata->filter_tgid = (uint32_t)getpid();
	err = hooks__load(skel);
	printf("load %d\n", err);
	if (err) {
		printf("load_error %s\n", skel->err_step ? skel->err_step : "(none)");
		hooks__destroy(skel);
		return 1;
	}
	printf("kprobes %d\n", have_kprobes());
	ksyscalls(skel);
	hooks__destroy(skel);
	printf("fds_left %d\n", open_fds() - fds);
	if (failures)
		return 1;
	printf("ok\n");
	return 0;
}

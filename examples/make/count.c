// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * count: loads the two skeletons make generated, attaches both, makes 3 getpid() and
 * 2 getppid() calls and prints what each BPF program counted. Run it as root.
 */
#include "getpid_count.lskel.h"
#include "getppid_count.lskel.h"

#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct getpid_count *pids = getpid_count__open();
	struct getppid_count *ppids = getppid_count__open();
	int err = -ENOMEM, i;

	if (!pids || !ppids)
		goto out;
	pids->rodata->target_pid = (uint32_t)getpid();
	ppids->rodata->target_pid = (uint32_t)getpid();
	err = getpid_count__load(pids);
	if (!err)
		err = getppid_count__load(ppids);
	if (!err)
		err = getpid_count__attach(pids);
	if (!err)
		err = getppid_count__attach(ppids);
	if (err)
		goto out;
	for (i = 0; i < 3; i++)
		syscall(__NR_getpid);
	for (i = 0; i < 2; i++)
		syscall(__NR_getppid);
	printf("getpid %llu\n", (unsigned long long)pids->bss->calls);
	printf("getppid %llu\n", (unsigned long long)ppids->bss->calls);
out:
	if (err)
		fprintf(stderr, "count: %s\n", strerror(-err));
	getppid_count__destroy(ppids);
	getpid_count__destroy(pids);
	return err ? 1 : 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * count: loads the skeleton skelgen_skeleton generated, attaches it, makes 3 getpid()
 * calls and prints how many the BPF program counted. Run it as root.
 */
#include "getpid_count.lskel.h"

#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct getpid_count *skel = getpid_count__open();
	int err = -ENOMEM, i;

	if (!skel)
		goto out;
	skel->rodata->target_pid = (uint32_t)getpid();
	err = getpid_count__load(skel);
	if (!err)
		err = getpid_count__attach(skel);
	if (err)
		goto out;
	for (i = 0; i < 3; i++)
		syscall(__NR_getpid);
	printf("getpid %llu\n", (unsigned long long)skel->bss->calls);
out:
	if (err)
		fprintf(stderr, "count: %s\n", strerror(-err));
	getpid_count__destroy(skel);
	return err ? 1 : 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostile: the C light skeleton of examples/bpf/hostile.bpf.o, whose names are keywords in
 * other languages and whose section names carry quotes, backslashes and comment terminators.
 *
 * Loads it, checks that attaching all fails (one target does not exist) and undoes itself,
 * attaches the two tracepoint programs by name, calls getpid() and getppid(), and
 * reads the keyword-named globals, the array map of `struct type` and the custom section
 * `.data.my-sec$1` back. Every line it prints is "key value"; the last is "ok".
 */
#include "hostile.lskel.h"
#include "check.h"

#define CALLS 3

int main(void)
{
	int fds_before = open_fds();
	struct hostile *skel = hostile__open();
	struct type value = { 0 };
	uint32_t key = 0;
	int err, i;

	CHECK(skel != NULL);
	if (!skel)
		return 1;
	printf("initial_loop %d\n", skel->data->loop);
	printf("initial_weird %u\n", skel->data_my_sec_1->weird_counter);
	skel->rodata->defer = 10;
	/* The uprobe needs a real binary; leave it out of this run. */
	skel->progs.range.autoload = 0;

	err = hostile__load(skel);
	printf("load %d\n", err);
	CHECK(err == 0);
	if (!err) {
		/* Attaching all fails at the raw tracepoint that does not exist, and detaches the
		 * two tracepoints it had attached before it. */
		err = hostile__attach(skel);
		printf("attach_all_failed %d\n", err < 0);
		printf("attach_all_left %d\n", skel->links.fn_fd != 0 || skel->links.func_fd != 0);
		CHECK(hostile__fn__attach(skel) == 0);
		CHECK(hostile__func__attach(skel) == 0);
		for (i = 0; i < CALLS; i++) {
			syscall(__NR_getpid);
			syscall(__NR_getppid);
		}
		/* Other processes call getpid() and getppid() too: the counts are lower bounds. */
		printf("go_counted %d\n", skel->bss->go >= CALLS);
		printf("nil_counted %d\n", skel->bss->nil >= CALLS);
		printf("weird_counted %d\n", skel->data_my_sec_1->weird_counter >= 5 + 10 * CALLS);
		err = skelgen_map_lookup_elem(skel->maps.map.map_fd, &key, &value);
		printf("map_fn_counted %d\n", !err && value.fn >= CALLS);
		printf("range_unloaded %d\n", skel->progs.range.prog_fd == 0);
	}
	hostile__destroy(skel);
	printf("fds_leaked %d\n", open_fds() - fds_before);
	if (failures)
		return 1;
	printf("ok\n");
	return 0;
}

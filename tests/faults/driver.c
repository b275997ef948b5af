// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Drives one skeleton through open, load, attach, a trigger and destroy, reporting where it
 * stopped and what it left behind, for tests/c_faults.rs to run under the fault injector:
 *
 *   stage <open|load|attach|done> err <n> step <what failed or ->
 *   fds_leaked <n>
 *   maps_leaked <n>
 *   links_left <n>            links still set after a failed attach (must be 0)
 *   views_writable            after a failed load, once every data view was written
 */
#include "minimal.lskel.h"

#include <dirent.h>
#include <stdio.h>

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void report(const char *stage, int err, const char *step)
{
	printf("stage %s err %d step %s\n", stage, err, step ? step : "-");
}

int main(void)
{
	int fds = count_dir("/proc/self/fd");
	int maps = count_lines("/proc/self/maps");
	struct minimal *skel;
	int err;

	skel = minimal__open();
	if (!skel) {
		report("open", -errno, NULL);
	} else if ((err = minimal__load(skel))) {
		report("load", err, skel->err_step);
		/* Views stay usable after a failed load (a frozen map's would fault). */
		skel->rodata->target_pid += 1;
		skel->data->initialised_int += 1;
		skel->data_custom->custom_val += 1;
		skel->rodata_custom->custom_ro += 1;
		skel->bss->counter += 1;
		printf("views_writable\n");
	} else if ((err = minimal__attach(skel))) {
		report("attach", err, NULL);
		printf("links_left %d\n", skel->links.handle_getpid_fd != 0);
	} else {
		syscall(__NR_getpid);
		report("done", 0, NULL);
	}
	minimal__destroy(skel);
	printf("fds_leaked %d\n", count_dir("/proc/self/fd") - fds);
	printf("maps_leaked %d\n", count_lines("/proc/self/maps") - maps);
	return 0;
}

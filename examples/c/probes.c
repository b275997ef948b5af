// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * probes: the C light skeleton of examples/bpf/probes.bpf.o with only its user probes.
 *
 *   skelgen --lang c examples/bpf/probes.bpf.o -o probes.lskel.h
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -I. examples/c/probes.c -o probes
 *   sudo ./probes
 *
 * Turns off autoload for the kprobe, fentry/fexit/fmod_ret and LSM programs (so it loads
 * where those are refused), attaches the uprobe and uretprobe to a function of this very
 * program, calls it and reads the .bss counters. The last line is "ok" when every check
 * passed.
 */
#include "probes.lskel.h"

static int failures;

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			printf("check failed: %s (line %d)\n", #cond, __LINE__); \
			failures++;                                           \
		}                                                             \
	} while (0)

__attribute__((noinline)) unsigned long probe_target(unsigned long x)
{
	return x * 2 + 1;
}

/* The file offset of `addr` in the file mapped there, and that file's path. */
static int file_offset(uintptr_t addr, uint64_t *offset, char *path, size_t size)
{
	char line[512], file[256];
	unsigned long long start, end, off;
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		file[0] = '\0';
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %255s", &start, &end, &off, file) < 3)
			continue;
		if (addr >= start && addr < end && file[0] == '/') {
			*offset = addr - start + off;
			snprintf(path, size, "%s", file);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

int main(void)
{
	unsigned long (*volatile target)(unsigned long) = probe_target;
	struct probes *skel = probes__open();
	char path[256];
	uint64_t offset = 0;
	int err;

	CHECK(skel != NULL);
	if (!skel)
		return 1;
	skel->progs.kprobe_unlinkat.autoload = 0;
	skel->progs.kretprobe_unlinkat.autoload = 0;
	skel->progs.fentry_unlinkat.autoload = 0;
	skel->progs.fexit_unlinkat.autoload = 0;
	skel->progs.fmod_ret_file_open.autoload = 0;
	skel->progs.lsm_file_open.autoload = 0;
	skel->rodata->filter_tgid = (uint32_t)getpid();
	err = probes__load(skel);
	printf("load %d\n", err);
	if (err) {
		printf("load_error %s\n", skel->err_step ? skel->err_step : "(none)");
		probes__destroy(skel);
		return 1;
	}
	printf("skipped_not_loaded %d\n",
	       skel->progs.kprobe_unlinkat.prog_fd == 0 && skel->progs.lsm_file_open.prog_fd == 0);
	printf("attach %d\n", probes__attach(skel));
	printf("fentry_not_attached %d\n", skel->links.fentry_unlinkat_fd == 0);

	CHECK(file_offset((uintptr_t)probe_target, &offset, path, sizeof(path)));
	printf("uprobe %d\n", probes__uprobe_entry__attach_uprobe(skel, -1, path, offset));
	printf("uretprobe %d\n", probes__uretprobe_exit__attach_uprobe(skel, (int)getpid(), path, offset));
	printf("result %lu\n", target(41));
	printf("uprobe_hits %llu\n", (unsigned long long)skel->bss->uprobe_hits);
	printf("uprobe_last_arg %llu\n", (unsigned long long)skel->bss->uprobe_last_arg);
	printf("uretprobe_hits %llu\n", (unsigned long long)skel->bss->uretprobe_hits);
	printf("uretprobe_last_ret %llu\n", (unsigned long long)skel->bss->uretprobe_last_ret);
	probes__destroy(skel);
	if (failures)
		printf("failures %d\n", failures);
	else
		printf("ok\n");
	return failures ? 1 : 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * probes: the C light skeleton of examples/bpf/probes.bpf.o with only its user probes.
 *
 *   skelgen --lang c examples/bpf/probes.bpf.o -o probes.lskel.h
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -I. examples/c/probes.c -o probes
 *   sudo ./probes
 *
 * By default turns off autoload for the kprobe, fentry/fexit/fmod_ret and LSM programs
 * (so it loads where those are refused), attaches the uprobe and uretprobe to a function
 * of this very program, calls it and reads the .bss counters. With the argument "kernel"
 * it also loads the kprobe, kretprobe, fentry, fexit and fmod_ret programs (and the LSM
 * one when the BPF LSM is active), which __attach attaches, and triggers them by opening
 * and unlinking a file. The last line is "ok" when every check passed.
 */
#include "probes.lskel.h"
#include "check.h"

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

static int bpf_lsm_active(void)
{
	char buf[256];

	return skelgen_read_file("/sys/kernel/security/lsm", buf, sizeof(buf)) > 0 && strstr(buf, "bpf");
}

static void trigger_kernel(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/skelgen-probes-%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(unlink(path) == 0);
}

static void report_kernel(const struct probes *skel, int lsm)
{
	printf("kprobe_hits_ok %d\n", skel->bss->kprobe_hits >= 1);
	printf("kretprobe_hits_ok %d\n", skel->bss->kretprobe_hits >= 1);
	printf("kretprobe_last_ret %lld\n", (long long)skel->bss->kretprobe_last_ret);
	printf("fentry_hits_ok %d\n", skel->bss->fentry_hits >= 1);
	printf("fexit_hits_ok %d\n", skel->bss->fexit_hits >= 1);
	printf("fexit_last_ret %lld\n", (long long)skel->bss->fexit_last_ret);
	printf("fmod_ret_hits_ok %d\n", skel->bss->fmod_ret_hits >= 1);
	if (lsm)
		printf("lsm_hits_ok %d\n", skel->bss->lsm_hits >= 1);
}

int main(int argc, char **argv)
{
	int kernel = argc > 1 && strcmp(argv[1], "kernel") == 0;
	int lsm = kernel && bpf_lsm_active();
	unsigned long (*volatile target)(unsigned long) = probe_target;
	struct probes *skel = probes__open();
	char path[256];
	uint64_t offset = 0;
	int err;

	CHECK(skel != NULL);
	if (!skel)
		return 1;
	skel->progs.kprobe_unlinkat.autoload = (uint32_t)kernel;
	skel->progs.kretprobe_unlinkat.autoload = (uint32_t)kernel;
	skel->progs.fentry_unlinkat.autoload = (uint32_t)kernel;
	skel->progs.fexit_unlinkat.autoload = (uint32_t)kernel;
	skel->progs.fmod_ret_file_open.autoload = (uint32_t)kernel;
	skel->progs.lsm_file_open.autoload = (uint32_t)lsm;
	skel->rodata->filter_tgid = (uint32_t)getpid();
	err = probes__load(skel);
	printf("load %d\n", err);
	if (err) {
		printf("load_error %s\n", skel->err_step ? skel->err_step : "(none)");
		probes__destroy(skel);
		return 1;
	}
	printf("skipped_not_loaded %d\n",
	       (skel->progs.kprobe_unlinkat.prog_fd == 0) != kernel && (skel->progs.lsm_file_open.prog_fd == 0) != lsm);
	printf("attach %d\n", probes__attach(skel));
	printf("fentry_not_attached %d\n", (skel->links.fentry_unlinkat_fd == 0) != kernel);
	if (kernel) {
		trigger_kernel();
		report_kernel(skel, lsm);
	}

	CHECK(file_offset((uintptr_t)probe_target, &offset, path, sizeof(path)));
	printf("uprobe %d\n", probes__uprobe_entry__attach_uprobe(skel, -1, path, offset));
	printf("uretprobe %d\n", probes__uretprobe_exit__attach_uprobe(skel, (int)getpid(), path, offset));
	printf("result %lu\n", target(41));
	printf("uprobe_hits %llu\n", (unsigned long long)skel->bss->uprobe_hits);
	printf("uprobe_last_arg %llu\n", (unsigned long long)skel->bss->uprobe_last_arg);
	printf("uretprobe_hits %llu\n", (unsigned long long)skel->bss->uretprobe_hits);
	printf("uretprobe_last_ret %llu\n", (unsigned long long)skel->bss->uretprobe_last_ret);
	probes__destroy(skel);
	(void)argc;
	if (failures)
		printf("failures %d\n", failures);
	else
		printf("ok\n");
	return failures ? 1 : 0;
}

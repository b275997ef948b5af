// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ksyms: the C light skeleton of examples/bpf/ksyms.bpf.o: .kconfig values read on the
 * target at open (from /boot/config-$(uname -r) or /proc/config.gz), kfuncs and ksyms
 * resolved by the loader in the kernel.
 *
 *   skelgen --lang c examples/bpf/ksyms.bpf.o -o ksyms.lskel.h
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -I. examples/c/ksyms.c -o ksyms
 *   sudo ./ksyms
 *
 * Prints the kconfig values found at open, overrides CONFIG_HZ before load (the view is
 * writable until then), loads, attaches, calls getgid() and getegid() and prints what the
 * programs saw. With the argument "nokfuncs" the kfunc program is not loaded (kernels
 * before 6.4 lack the number iterator). The last line is "ok" when every check passed.
 */
#include "ksyms.lskel.h"
#include "check.h"

int main(int argc, char **argv)
{
	int kfuncs = !(argc > 1 && strcmp(argv[1], "nokfuncs") == 0);
	struct ksyms *skel = ksyms__open();
	int err;

	CHECK(skel != NULL);
	if (!skel)
		return 1;
	printf("open_hz %u\n", skel->kconfig->CONFIG_HZ);
	printf("open_kernel_version %u\n", skel->kconfig->LINUX_KERNEL_VERSION);
	printf("open_bpf_syscall %d\n", (int)skel->kconfig->CONFIG_BPF_SYSCALL);
	printf("open_absent_option %d\n", (int)skel->kconfig->CONFIG_SKELGEN_ABSENT_OPTION);
	skel->kconfig->CONFIG_HZ = 1234;
	skel->progs.use_kfuncs.autoload = (uint32_t)kfuncs;

	err = ksyms__load(skel);
	printf("load %d\n", err);
	if (err) {
		printf("load_error %s\n", skel->err_step ? skel->err_step : "(none)");
		ksyms__destroy(skel);
		return 1;
	}
	printf("attach %d\n", ksyms__attach(skel));
	syscall(__NR_getgid);
	syscall(__NR_getegid);
	printf("hz %u\n", skel->bss->hz);
	printf("kernel_version %u\n", skel->bss->kernel_version);
	printf("has_bpf_syscall %u\n", (unsigned)skel->bss->has_bpf_syscall);
	printf("has_absent_option %u\n", (unsigned)skel->bss->has_absent_option);
	printf("vfs_read_found %d\n", skel->bss->vfs_read_addr != 0);
	printf("absent_ksym_addr %llu\n", (unsigned long long)skel->bss->absent_ksym_addr);
	if (kfuncs) {
		printf("iter_sum %d\n", skel->bss->iter_sum);
		printf("kfunc_ran %d\n", skel->bss->kfunc_runs > 0);
	}
	ksyms__destroy(skel);
	if (failures)
		printf("failures %d\n", failures);
	else
		printf("ok\n");
	return failures ? 1 : 0;
}

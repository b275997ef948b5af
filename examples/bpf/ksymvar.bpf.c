// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ksymvar: typed ksyms that name kernel variables.
 *
 * bpf_prog_active is a per-cpu int read with bpf_this_cpu_ptr() and
 * bpf_per_cpu_ptr(); the loader passes its BTF id and the kernel looks up
 * the address with kallsyms. Kernels built without CONFIG_KALLSYMS_ALL
 * (such as the 6.18 test host) refuse the program with ENOENT; Debian's
 * 6.1 kernel accepts it.
 *
 * Trigger: getresuid().
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern const int bpf_prog_active __ksym;

/* .bss */
int active_here;
int active_cpu0;
__u64 runs;

SEC("tp/syscalls/sys_enter_getresuid")
int read_prog_active(void *ctx)
{
	const int *here = bpf_this_cpu_ptr(&bpf_prog_active);
	const int *cpu0 = bpf_per_cpu_ptr(&bpf_prog_active, 0);

	active_here = *here;
	if (cpu0)
		active_cpu0 = *cpu0;
	runs++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

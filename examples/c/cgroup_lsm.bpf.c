// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup_lsm: an lsm_cgroup program, for the C skeleton's cgroup attach of LSM hooks
 * (examples/c/cgroup_lsm.c). tests/c_skeleton.rs builds it with clang at test time and
 * runs it in a VM, since the host refuses BPF trampolines.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Settable before load: the process whose bind(2) calls are counted. */
const volatile __u32 target_tgid = 0;

/* .bss */
__u64 binds;

SEC("lsm_cgroup/socket_bind")
int BPF_PROG(count_bind, void *sock, void *address, int addrlen)
{
	if ((bpf_get_current_pid_tgid() >> 32) == target_tgid)
		binds++;
	return 1;	/* allow */
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* getppid_count: counts the getppid() calls of one process. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_pid = 0; /* set before load */
__u64 calls = 0;

SEC("tp/syscalls/sys_enter_getppid")
int count_getppid(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) == target_pid)
		__sync_fetch_and_add(&calls, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

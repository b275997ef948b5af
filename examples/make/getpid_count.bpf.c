// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* getpid_count: counts the getpid() calls of one process. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_pid = 0; /* set before load */
__u64 calls = 0;

SEC("tp/syscalls/sys_enter_getpid")
int count_getpid(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) == target_pid)
		__sync_fetch_and_add(&calls, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

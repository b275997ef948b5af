// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hooks: the attach kinds whose target the runtime resolves on the running kernel, one
 * counter in .bss each.
 *
 *  - ksyscall/kretsyscall on openat: a kprobe/kretprobe on the kernel's own name of the
 *    syscall (__x64_sys_openat where the kernel has syscall wrappers), found at attach;
 *  - ksyscall without a target: the caller names the syscall (getppid in the consumers).
 *
 * Trigger: open a file (openat) and call getppid(2). Kprobes need CONFIG_KPROBES: the 6.18
 * test host has none, so there attach-all fails naming the first kprobe program; Debian's
 * 6.1 and 6.12 kernels attach it all.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "ktypes.h"

/* .bss */
__u64 ksyscall_hits;
__u64 kretsyscall_hits;
__s64 kretsyscall_last_ret;
__u64 named_syscall_hits;

/* Settable before load: only count events from this tgid (0: all). */
const volatile __u32 filter_tgid = 0;

static __always_inline _Bool skip(void)
{
	return filter_tgid && (bpf_get_current_pid_tgid() >> 32) != filter_tgid;
}

SEC("ksyscall/openat")
int ksys_openat(struct pt_regs *ctx)
{
	if (!skip())
		__sync_fetch_and_add(&ksyscall_hits, 1);
	return 0;
}

SEC("kretsyscall/openat")
int BPF_KRETPROBE(kretsys_openat, long ret)
{
	if (skip())
		return 0;
	__sync_fetch_and_add(&kretsyscall_hits, 1);
	kretsyscall_last_ret = ret;
	return 0;
}

SEC("ksyscall")
int ksys_named(struct pt_regs *ctx)
{
	if (!skip())
		__sync_fetch_and_add(&named_syscall_hits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

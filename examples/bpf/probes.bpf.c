// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * probes: kernel and user probes, one counter in .bss each.
 *
 *  - kprobe/kretprobe on do_unlinkat (CONFIG_KPROBES);
 *  - fentry/fexit on do_unlinkat, fmod_ret on security_file_open and
 *    lsm/file_open (BPF trampolines; the lsm program needs "bpf" in the
 *    kernel's lsm= list);
 *  - uprobe/uretprobe without a target in the section: the caller attaches
 *    them by hand to a binary and offset of its choice.
 *
 * Trigger: unlink a file (kprobe, kretprobe, fentry, fexit), open a file
 * (fmod_ret, lsm), call the probed user function (uprobe, uretprobe).
 * The 6.18 test host refuses this object (no kprobes; trampolines EPERM);
 * Debian's 6.1 kernel loads and attaches it all.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "ktypes.h"

/* .bss */
__u64 kprobe_hits;
__u64 kretprobe_hits;
__s64 kretprobe_last_ret;
__u64 fentry_hits;
__u64 fexit_hits;
__s64 fexit_last_ret;
__u64 fmod_ret_hits;
__u64 lsm_hits;
__u64 uprobe_hits;
__u64 uretprobe_hits;
__u64 uprobe_last_arg;
__u64 uretprobe_last_ret;

/* Settable before load: only count events from this tgid (0: all). */
const volatile __u32 filter_tgid = 0;

static __always_inline _Bool skip(void)
{
	return filter_tgid && (bpf_get_current_pid_tgid() >> 32) != filter_tgid;
}

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(kprobe_unlinkat, int dfd, struct filename *name)
{
	if (!skip())
		__sync_fetch_and_add(&kprobe_hits, 1);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(kretprobe_unlinkat, long ret)
{
	if (skip())
		return 0;
	__sync_fetch_and_add(&kretprobe_hits, 1);
	kretprobe_last_ret = ret;
	return 0;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(fentry_unlinkat, int dfd, struct filename *name)
{
	if (!skip())
		__sync_fetch_and_add(&fentry_hits, 1);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(fexit_unlinkat, int dfd, struct filename *name, long ret)
{
	if (skip())
		return 0;
	__sync_fetch_and_add(&fexit_hits, 1);
	fexit_last_ret = ret;
	return 0;
}

SEC("fmod_ret/security_file_open")
int BPF_PROG(fmod_ret_file_open, struct file *file, int ret)
{
	if (!skip())
		__sync_fetch_and_add(&fmod_ret_hits, 1);
	return ret;	/* never changes the outcome */
}

SEC("lsm/file_open")
int BPF_PROG(lsm_file_open, struct file *file, int ret)
{
	if (!skip())
		__sync_fetch_and_add(&lsm_hits, 1);
	return ret;
}

SEC("uprobe")
int BPF_KPROBE(uprobe_entry, unsigned long arg0)
{
	if (skip())
		return 0;
	__sync_fetch_and_add(&uprobe_hits, 1);
	uprobe_last_arg = arg0;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(uretprobe_exit, unsigned long ret)
{
	if (skip())
		return 0;
	__sync_fetch_and_add(&uretprobe_hits, 1);
	uretprobe_last_ret = ret;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

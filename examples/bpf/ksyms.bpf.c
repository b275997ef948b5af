// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ksyms: kernel symbols and kconfig externs, all resolved on the target
 * kernel at load time.
 *
 *  - kfuncs: bpf_rcu_read_lock/unlock (6.2+) and the open-coded number
 *    iterator bpf_iter_num_new/next/destroy (6.4+), called from use_kfuncs;
 *  - a weak typed ksym that no kernel has (resolves to NULL);
 *  - a typeless ksym (vfs_read, a function, so it is in /proc/kallsyms even
 *    without CONFIG_KALLSYMS_ALL);
 *  - .kconfig externs: CONFIG_HZ, a weak bool, a weak missing option and
 *    LINUX_KERNEL_VERSION.
 *
 * A typed ksym that exists (a kernel variable) is in ksymvar.bpf.c: the
 * kernel finds its address through kallsyms, which lists variables only
 * with CONFIG_KALLSYMS_ALL.
 *
 * Trigger: getgid() runs read_ksyms; getegid() runs use_kfuncs. On a 6.1
 * kernel only read_ksyms can load (switch use_kfuncs' autoload off).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

extern const void vfs_read __ksym;			/* typeless */
extern const int skelgen_absent_ksym __ksym __weak;	/* weak, missing */

extern unsigned int CONFIG_HZ __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern _Bool CONFIG_SKELGEN_ABSENT_OPTION __kconfig __weak;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;

/* .bss */
__u64 vfs_read_addr;
__u64 absent_ksym_addr;
__u32 hz;
__u32 kernel_version;
__u8 has_bpf_syscall;
__u8 has_absent_option;
__u64 ksym_runs;

int iter_sum;
__u64 kfunc_runs;

SEC("tp/syscalls/sys_enter_getgid")
int read_ksyms(void *ctx)
{
	vfs_read_addr = (__u64)&vfs_read;
	absent_ksym_addr = (__u64)&skelgen_absent_ksym;
	hz = CONFIG_HZ;
	kernel_version = LINUX_KERNEL_VERSION;
	has_bpf_syscall = CONFIG_BPF_SYSCALL;
	has_absent_option = CONFIG_SKELGEN_ABSENT_OPTION;
	ksym_runs++;
	return 0;
}

SEC("tp/syscalls/sys_enter_getegid")
int use_kfuncs(void *ctx)
{
	struct bpf_iter_num it;
	int sum = 0, *v;

	bpf_rcu_read_lock();
	kfunc_runs++;
	bpf_rcu_read_unlock();

	bpf_iter_num_new(&it, 0, 5);
	while ((v = bpf_iter_num_next(&it)))
		sum += *v;
	bpf_iter_num_destroy(&it);
	iter_sum = sum;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

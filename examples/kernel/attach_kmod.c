// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * attach_kmod: three kernel light skeletons in one module, for the attach
 * kinds a module can use and the knobs.
 *
 *  - probes.bpf.o: fentry, fexit, fmod_ret and lsm programs attached by
 *    probes__attach (BPF_RAW_TRACEPOINT_OPEN); the kprobes and uprobes, which a
 *    module cannot attach, have autoload turned off.
 *  - subprogs.bpf.o: the raw tracepoint sys_enter attached by name; the
 *    tracepoint program stays loaded and unattached.
 *  - net.bpf.o, as "netskel" (struct net is the kernel's): the XDP program
 *    attached to interface `ifindex` (default 1, lo); ethertype_counts gets
 *    max_entries 128; tcx (Linux 6.6) is not loaded.
 *  - ksyms.bpf.o: loaded for its .kconfig values (from the configuration the
 *    module is built for) and its typeless ksym; the 6.4 kfuncs are not
 *    loaded, and its tracepoint programs stay unattached.
 *
 * The module keeps the fds of insmod (no __close_fds): the skeletons' own
 * references keep everything alive after insmod exits, and __destroy in
 * module exit, which runs in rmmod, must release it all without touching fds.
 * Read-only parameters show .bss counters, read live from the maps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>

#include "probes.kern.lskel.h"
#include "subprogs.kern.lskel.h"
#include "netskel.kern.lskel.h"
#include "ksyms.kern.lskel.h"

static DEFINE_MUTEX(skel_lock);
static struct probes *probes;
static struct subprogs *subprogs;
static struct netskel *net;
static struct ksyms *ksyms;

static int ifindex = 1;
module_param(ifindex, int, 0444);
MODULE_PARM_DESC(ifindex, "network interface the XDP program is attached to");

enum counter {
	FENTRY,
	FEXIT,
	FMOD_RET,
	LSM,
	GETUID,
	KCONFIG_HZ,
	KCONFIG_VERSION,
	KCONFIG_BPF_SYSCALL,
	KCONFIG_ABSENT,
};

static int get_counter(char *buf, const struct kernel_param *kp)
{
	u64 value = 0;

	mutex_lock(&skel_lock);
	if (probes && subprogs && ksyms) {
		switch ((enum counter)(unsigned long)kp->arg) {
		case FENTRY:
			value = READ_ONCE(probes->bss->fentry_hits);
			break;
		case FEXIT:
			value = READ_ONCE(probes->bss->fexit_hits);
			break;
		case FMOD_RET:
			value = READ_ONCE(probes->bss->fmod_ret_hits);
			break;
		case LSM:
			value = READ_ONCE(probes->bss->lsm_hits);
			break;
		case GETUID:
			value = READ_ONCE(subprogs->bss->getuid_calls);
			break;
		case KCONFIG_HZ:
			value = ksyms->kconfig->CONFIG_HZ_;
			break;
		case KCONFIG_VERSION:
			value = ksyms->kconfig->LINUX_KERNEL_VERSION;
			break;
		case KCONFIG_BPF_SYSCALL:
			value = ksyms->kconfig->CONFIG_BPF_SYSCALL_;
			break;
		case KCONFIG_ABSENT:
			value = ksyms->kconfig->CONFIG_SKELGEN_ABSENT_OPTION_;
			break;
		}
	}
	mutex_unlock(&skel_lock);
	return sysfs_emit(buf, "%llu\n", value);
}

static const struct kernel_param_ops counter_ops = {
	.get = get_counter,
};

module_param_cb(fentry_hits, &counter_ops, (void *)FENTRY, 0444);
module_param_cb(fexit_hits, &counter_ops, (void *)FEXIT, 0444);
module_param_cb(fmod_ret_hits, &counter_ops, (void *)FMOD_RET, 0444);
module_param_cb(lsm_hits, &counter_ops, (void *)LSM, 0444);
module_param_cb(getuid_calls, &counter_ops, (void *)GETUID, 0444);
/* The .kconfig map's values; kconfig members are escaped since CONFIG_* are macros here. */
module_param_cb(kconfig_hz, &counter_ops, (void *)KCONFIG_HZ, 0444);
module_param_cb(kconfig_version, &counter_ops, (void *)KCONFIG_VERSION, 0444);
module_param_cb(kconfig_bpf_syscall, &counter_ops, (void *)KCONFIG_BPF_SYSCALL, 0444);
module_param_cb(kconfig_absent, &counter_ops, (void *)KCONFIG_ABSENT, 0444);

static void destroy_all(void)
{
	probes__destroy(probes);
	subprogs__destroy(subprogs);
	netskel__destroy(net);
	ksyms__destroy(ksyms);
	ksyms = NULL;
	probes = NULL;
	subprogs = NULL;
	net = NULL;
}

static int load_probes(void)
{
	int err;

	probes = probes__open();
	if (!probes)
		return -ENOMEM;
	probes->progs.kprobe_unlinkat.autoload = 0;
	probes->progs.kretprobe_unlinkat.autoload = 0;
	probes->progs.uprobe_entry.autoload = 0;
	probes->progs.uretprobe_exit.autoload = 0;
	err = probes__load(probes);
	if (err) {
		pr_err("probes: load failed: %d (%s)\n", err, probes->err_step ?: "?");
		return err;
	}
	err = probes__attach(probes);
	if (err)
		pr_err("probes: attach failed: %d\n", err);
	return err;
}

static int load_subprogs(void)
{
	int err;

	subprogs = subprogs__open();
	if (!subprogs)
		return -ENOMEM;
	err = subprogs__load(subprogs);
	if (err) {
		pr_err("subprogs: load failed: %d (%s)\n", err, subprogs->err_step ?: "?");
		return err;
	}
	err = subprogs__attach(subprogs);
	if (err)
		pr_err("subprogs: attach failed: %d\n", err);
	return err;
}

static int load_net(void)
{
	int err;

	net = netskel__open();
	if (!net)
		return -ENOMEM;
	net->maps.ethertype_counts.max_entries = 128;
	net->progs.tcx_ingress_count.autoload = 0;
	err = netskel__load(net);
	if (err) {
		pr_err("net: load failed: %d (%s)\n", err, net->err_step ?: "?");
		return err;
	}
	err = netskel__xdp_count_proto__attach_xdp(net, ifindex, 0);
	if (err)
		pr_err("net: XDP attach to ifindex %d failed: %d\n", ifindex, err);
	return err;
}

static int load_ksyms(void)
{
	int err;

	ksyms = ksyms__open();
	if (!ksyms)
		return -ENOMEM;
	ksyms->progs.use_kfuncs.autoload = 0;
	err = ksyms__load(ksyms);
	if (err)
		pr_err("ksyms: load failed: %d (%s)\n", err, ksyms->err_step ?: "?");
	return err;
}

static int __init attach_kmod_init(void)
{
	int err;

	mutex_lock(&skel_lock);
	err = load_probes();
	if (!err)
		err = load_subprogs();
	if (!err)
		err = load_net();
	if (!err)
		err = load_ksyms();
	if (err)
		destroy_all();
	else
		pr_info("attached: fentry link fd %d, raw_tp link fd %d, xdp link fd %d; kprobe prog fd %d, tracepoint prog fd %d\n",
			probes->links.fentry_unlinkat_fd, subprogs->links.on_sys_enter_fd,
			net->links.xdp_count_proto_fd, probes->progs.kprobe_unlinkat.prog_fd,
			subprogs->progs.on_getppid.prog_fd);
	mutex_unlock(&skel_lock);
	return err;
}

static void __exit attach_kmod_exit(void)
{
	mutex_lock(&skel_lock);
	destroy_all();
	mutex_unlock(&skel_lock);
	pr_info("unloaded\n");
}

module_init(attach_kmod_init);
module_exit(attach_kmod_exit);
MODULE_DESCRIPTION("fentry, fexit, fmod_ret, lsm, raw tracepoint and XDP programs and .kconfig values from skelgen kernel light skeletons");
MODULE_LICENSE("Dual MIT/GPL");

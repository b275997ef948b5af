// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * iterators_kmod: a module in the spirit of the kernel's bpf_preload. It loads
 * examples/bpf/iterators.bpf.o through its kernel light skeleton
 * (skelgen --lang kernel), attaches both iterators and holds the links for its
 * lifetime, so that userspace can find them by id (BPF_LINK_GET_NEXT_ID,
 * BPF_LINK_GET_FD_BY_ID) and read the listings of loaded BPF programs and maps
 * with BPF_ITER_CREATE (bpf_listing.c does). Unloading the module releases
 * every program, map and link.
 *
 * Parameters: print_header (bool, default 1) is the .rodata knob, set before
 * the load; maps_listed and progs_listed (read-only) show the .bss counters,
 * read live from the map.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>

#include "iterators.kern.lskel.h"

/* The skeleton, guarded against the parameter readers while init and exit run. */
static DEFINE_MUTEX(skel_lock);
static struct iterators *skel;

static bool print_header = true;
module_param(print_header, bool, 0444);
MODULE_PARM_DESC(print_header, "print a header line before each listing");

/* The .bss counters, read from the map's value: the programs update it. */
static int get_counter(char *buf, const struct kernel_param *kp)
{
	u64 value = 0;

	mutex_lock(&skel_lock);
	if (skel)
		value = kp->arg == (void *)1 ? READ_ONCE(skel->bss->maps_listed) :
					       READ_ONCE(skel->bss->progs_listed);
	mutex_unlock(&skel_lock);
	return sysfs_emit(buf, "%llu\n", value);
}

static const struct kernel_param_ops counter_ops = {
	.get = get_counter,
};

module_param_cb(maps_listed, &counter_ops, (void *)1, 0444);
MODULE_PARM_DESC(maps_listed, "entries the map iterator printed, over all reads");
module_param_cb(progs_listed, &counter_ops, (void *)2, 0444);
MODULE_PARM_DESC(progs_listed, "entries the program iterator printed, over all reads");

static int __init iterators_kmod_init(void)
{
	ktime_t start = ktime_get();
	struct iterators *s;
	int err;

	s = iterators__open();
	if (!s)
		return -ENOMEM;
	s->rodata->print_header = print_header;
	err = iterators__load(s);
	if (err) {
		pr_err("load failed: %d at step %d (%s)\n", err, s->err_step_index,
		       s->err_step ?: "?");
		goto fail;
	}
	err = iterators__attach(s);
	if (err) {
		pr_err("attach failed: %d\n", err);
		goto fail;
	}
	pr_info("loaded in %lld us: map iterator prog fd %d link fd %d, prog iterator prog fd %d link fd %d\n",
		ktime_us_delta(ktime_get(), start), s->progs.dump_bpf_map.prog_fd,
		s->links.dump_bpf_map_fd, s->progs.dump_bpf_prog.prog_fd,
		s->links.dump_bpf_prog_fd);
	/*
	 * The fds are insmod's; the skeleton's references keep the maps, programs
	 * and links alive once they are closed.
	 */
	err = iterators__close_fds(s);
	if (err) {
		pr_err("close_fds failed: %d\n", err);
		goto fail;
	}
	mutex_lock(&skel_lock);
	skel = s;
	mutex_unlock(&skel_lock);
	return 0;
fail:
	iterators__destroy(s);
	return err;
}

static void __exit iterators_kmod_exit(void)
{
	mutex_lock(&skel_lock);
	/* rmmod's task: the skeleton drops its references; init closed the fds. */
	iterators__destroy(skel);
	skel = NULL;
	mutex_unlock(&skel_lock);
	pr_info("unloaded\n");
}

module_init(iterators_kmod_init);
module_exit(iterators_kmod_exit);
MODULE_DESCRIPTION("BPF iterators listing the loaded BPF programs and maps, from a skelgen kernel light skeleton");
MODULE_LICENSE("Dual MIT/GPL");

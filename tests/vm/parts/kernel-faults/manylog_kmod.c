// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * manylog_kmod: the kernel light skeleton of examples/bpf/many.bpf.o (52 programs, 80
 * maps) loaded with a verifier log of log_kib KiB (default 64). That is enough for the
 * log of each of its programs, not for the verification of the loader program itself,
 * which the runtime therefore loads without the log (docs/loader-abi.md, section 2): the
 * load must succeed. Init prints "load: E at plan step I (S)" and fails with the load's
 * error; on success the skeleton holds everything until rmmod.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "many.kern.lskel.h"

static unsigned int log_kib = 64;
module_param(log_kib, uint, 0444);
MODULE_PARM_DESC(log_kib, "the size of the log buffer, in KiB");

static struct many *skel;

static int __init manylog_kmod_init(void)
{
	struct many *s;
	char *log;
	int err;

	log = kvzalloc(log_kib * 1024, GFP_KERNEL);
	if (!log)
		return -ENOMEM;
	s = many__open();
	if (!s) {
		kvfree(log);
		return -ENOMEM;
	}
	s->log_buf = log;
	s->log_size = log_kib * 1024;
	s->log_level = 1;
	err = many__load(s);
	pr_info("load: %d at plan step %d (%s)\n", err, s->err_step_index, s->err_step ?: "-");
	s->log_buf = NULL;
	kvfree(log);
	if (!err)
		err = many__close_fds(s);
	if (err) {
		many__destroy(s);
		return err;
	}
	skel = s;
	return 0;
}

static void __exit manylog_kmod_exit(void)
{
	many__destroy(skel);
}

module_init(manylog_kmod_init);
module_exit(manylog_kmod_exit);
MODULE_DESCRIPTION("A skelgen kernel light skeleton of 52 programs loaded with a small verifier log");
MODULE_LICENSE("Dual MIT/GPL");

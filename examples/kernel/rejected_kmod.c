// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rejected_kmod: loads rejected.bpf.o, whose second program the verifier
 * refuses, with the verifier log requested. Its init always fails with the
 * load's error after printing where the load stopped and the end of the
 * verifier log; nothing the loader created may outlive the failed insmod.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

#include "rejected.kern.lskel.h"

#define LOG_SIZE (64 * 1024)
#define LOG_LINES 6

/* Prints the last LOG_LINES lines of the verifier log. */
static void print_log_tail(const char *log)
{
	const char *end = log + strlen(log), *p = end;
	int lines = 0;

	while (p > log && lines <= LOG_LINES)
		if (*--p == '\n')
			lines++;
	if (*p == '\n')
		p++;
	while (p < end) {
		const char *nl = strchrnul(p, '\n');

		pr_info("verifier: %.*s\n", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

static int __init rejected_kmod_init(void)
{
	struct rejected *skel;
	char *log;
	int err;

	skel = rejected__open();
	if (!skel)
		return -ENOMEM;
	log = kvzalloc(LOG_SIZE, GFP_KERNEL);
	if (log) {
		skel->log_buf = log;
		skel->log_size = LOG_SIZE;
		skel->log_level = 1;
	}
	err = rejected__load(skel);
	if (!err) {
		pr_err("the verifier accepted unchecked_prog\n");
		err = -EINVAL;
	} else {
		pr_info("load failed: %d at step %d (%s)\n", err, skel->err_step_index,
			skel->err_step ?: "?");
		if (log)
			print_log_tail(log);
	}
	rejected__destroy(skel);
	kvfree(log);
	return err;
}

static void __exit rejected_kmod_exit(void)
{
}

module_init(rejected_kmod_init);
module_exit(rejected_kmod_exit);
MODULE_DESCRIPTION("A BPF object the verifier refuses, loaded from a skelgen kernel light skeleton");
MODULE_LICENSE("Dual MIT/GPL");

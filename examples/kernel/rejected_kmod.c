// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * rejected_kmod: two loads of rejected.bpf.o that fail. The first asks for a
 * .bss map of 4 bytes (the value_size knob), which the loader refuses at that
 * map's step. The second asks for the verifier log and fails at the program
 * the verifier refuses. Init prints where each load stopped and the end of the
 * verifier log, then fails with the verifier's error; nothing the loader
 * created may outlive the failed insmod.
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

/* A load with a .bss value_size the loader must refuse: 0 when it does. */
static int load_with_wrong_value_size(void)
{
	struct rejected *skel = rejected__open();
	int err;

	if (!skel)
		return -ENOMEM;
	skel->maps.bss.value_size = 4;
	err = rejected__load(skel);
	pr_info("value_size 4 for .bss: load failed: %d at step %d (%s)\n", err,
		skel->err_step_index, skel->err_step ?: "?");
	rejected__destroy(skel);
	return err == -EINVAL ? 0 : -EINVAL;
}

static int __init rejected_kmod_init(void)
{
	struct rejected *skel;
	char *log;
	int err;

	err = load_with_wrong_value_size();
	if (err)
		return err;
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

// SPDX-License-Identifier: GPL-2.0-only
/* The kernel variant of the runtime, built by kbuild with W=1 (run.sh): every kernel-side
 * header with __KERNEL__ defined, so the shared header's kernel branch and the layout
 * assertions against union bpf_attr are compiled. */
#include <linux/module.h>
#include "skelgen_runtime.h"
#include "skelgen_kernel.h"
#include "skelgen_kconfig_kernel.h"

static int __init skelgen_runtime_check_init(void)
{
	return skelgen_kernel_version() ? 0 : -EINVAL;
}

static void __exit skelgen_runtime_check_exit(void)
{
}

module_init(skelgen_runtime_check_init);
module_exit(skelgen_runtime_check_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("build check of the skelgen kernel runtime");

// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * faults_kmod: the kernel light skeleton's runtime under injected faults.
 *
 * The skeleton of examples/bpf/iterators.bpf.o (3 maps, 2 programs, 2 iterator links) is
 * included after its runtime's calls into the kernel are redirected to counting wrappers:
 * kern_sys_bpf, the allocator (kvzalloc/kvfree), the task mappings of the log
 * (vm_mmap/vm_munmap) and the references it takes and drops (bpf_{map,prog,link}_get and
 * _put). Call number fail_at fails: kern_sys_bpf, vm_mmap and the _get functions with
 * -fail_errno, kvzalloc with NULL.
 *
 * Init runs open -> load (with a verifier log) -> attach all -> close_fds, and prints one
 * line that says how many calls it made, which one failed and what the run returned:
 *
 *	run: calls N injected I what W result E step S
 *
 * On success the skeleton is kept until rmmod (userspace reads the iterators meanwhile).
 * On failure init destroys the skeleton and returns the error, so insmod fails; with
 * hold=1 it keeps what the failed run left instead, for userspace to inspect, and init
 * succeeds. Whenever the skeleton is released it prints what is left of the runtime's
 * allocations, mappings and references ("leaks: memory 0 mappings 0 refs 0"), and after
 * init the change in insmod's open fds ("fds: left 0").
 *
 * Parameters: fail_at (0: none), fail_errno (positive, default ENOMEM), hold, with_log
 * (default 1), log_kib (the log buffer's size, default 1024), trace (print every call).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

/* Every header the runtime includes, before the redirections below. */
#include <linux/bpf.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>

/* Exported by kernel/bpf/syscall.c; the runtime's own declaration is redirected below. */
int kern_sys_bpf(int cmd, union bpf_attr *attr, unsigned int size);


static unsigned int fail_at;
module_param(fail_at, uint, 0444);
MODULE_PARM_DESC(fail_at, "the call to fail, counted from 1 (0: none)");

static int fail_errno = ENOMEM;
module_param(fail_errno, int, 0444);
MODULE_PARM_DESC(fail_errno, "the errno the failed call returns");

static bool hold;
module_param(hold, bool, 0444);
MODULE_PARM_DESC(hold, "after a failed run, keep what it left until rmmod; init succeeds");

static bool with_log = true;
module_param(with_log, bool, 0444);
MODULE_PARM_DESC(with_log, "ask the load for a verifier log");

static unsigned int log_kib = 1024;
module_param(log_kib, uint, 0444);
MODULE_PARM_DESC(log_kib, "the size of the log buffer, in KiB");

static bool trace;
module_param(trace, bool, 0444);
MODULE_PARM_DESC(trace, "print every call the runtime makes");

/* What the wrappers saw: calls made, the failed one, and what is still held. */
static struct {
	unsigned int calls;
	unsigned int injected;
	char what[48];
	long memory;
	long mappings;
	long refs;
} st;

/* Counts a call; true when it is the one to fail. */
static bool fault_now(const char *what)
{
	st.calls++;
	if (trace)
		pr_info("call %u: %s\n", st.calls, what);
	if (st.calls != fail_at)
		return false;
	st.injected = st.calls;
	strscpy(st.what, what, sizeof(st.what));
	return true;
}

static const char *bpf_cmd_what(int cmd)
{
	switch (cmd) {
	case BPF_MAP_CREATE:
		return "kern_sys_bpf:BPF_MAP_CREATE";
	case BPF_MAP_UPDATE_ELEM:
		return "kern_sys_bpf:BPF_MAP_UPDATE_ELEM";
	case BPF_MAP_FREEZE:
		return "kern_sys_bpf:BPF_MAP_FREEZE";
	case BPF_PROG_LOAD:
		return "kern_sys_bpf:BPF_PROG_LOAD";
	case BPF_PROG_TEST_RUN:
		return "kern_sys_bpf:BPF_PROG_TEST_RUN";
	case BPF_LINK_CREATE:
		return "kern_sys_bpf:BPF_LINK_CREATE";
	case BPF_RAW_TRACEPOINT_OPEN:
		return "kern_sys_bpf:BPF_RAW_TRACEPOINT_OPEN";
	default:
		return "kern_sys_bpf:other";
	}
}

static int faults_sys_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	if (fault_now(bpf_cmd_what(cmd)))
		return -fail_errno;
	return kern_sys_bpf(cmd, attr, size);
}

static void *faults_kvzalloc(size_t size, gfp_t flags)
{
	void *p;

	if (fault_now("kvzalloc"))
		return NULL;
	p = kvzalloc(size, flags);
	if (p)
		st.memory++;
	return p;
}

static void faults_kvfree(const void *p)
{
	if (p)
		st.memory--;
	kvfree(p);
}

static unsigned long faults_vm_mmap(struct file *file, unsigned long addr, unsigned long len,
				    unsigned long prot, unsigned long flag, unsigned long offset)
{
	unsigned long m;

	if (fault_now("vm_mmap"))
		return (unsigned long)-fail_errno;
	m = vm_mmap(file, addr, len, prot, flag, offset);
	if (!IS_ERR_VALUE(m))
		st.mappings++;
	return m;
}

static int faults_vm_munmap(unsigned long start, size_t len)
{
	int err = vm_munmap(start, len);

	if (!err)
		st.mappings--;
	return err;
}

/* A reference the wrapped _get function returned: counted unless it is an error. */
static void *count_ref(void *ref)
{
	if (!IS_ERR(ref))
		st.refs++;
	return ref;
}

static struct bpf_map *faults_map_get(u32 ufd)
{
	if (fault_now("bpf_map_get"))
		return ERR_PTR(-fail_errno);
	return count_ref(bpf_map_get(ufd));
}

static struct bpf_prog *faults_prog_get(u32 ufd, enum bpf_prog_type type, bool attach_drv)
{
	if (fault_now("bpf_prog_get_type_dev"))
		return ERR_PTR(-fail_errno);
	return count_ref(bpf_prog_get_type_dev(ufd, type, attach_drv));
}

static struct bpf_link *faults_link_get(u32 ufd)
{
	if (fault_now("bpf_link_get_from_fd"))
		return ERR_PTR(-fail_errno);
	return count_ref(bpf_link_get_from_fd(ufd));
}

static void faults_map_put(struct bpf_map *map)
{
	st.refs--;
	bpf_map_put(map);
}

static void faults_prog_put(struct bpf_prog *prog)
{
	st.refs--;
	bpf_prog_put(prog);
}

static void faults_link_put(struct bpf_link *link)
{
	st.refs--;
	bpf_link_put(link);
}

/*
 * kvzalloc is a macro from 6.10 on (allocation profiling): kept aside while the skeleton
 * sees the redirection, and restored after it.
 */
#pragma push_macro("kvzalloc")
#undef kvzalloc
#define kern_sys_bpf faults_sys_bpf
#define kvzalloc faults_kvzalloc
#define kvfree faults_kvfree
#define vm_mmap faults_vm_mmap
#define vm_munmap faults_vm_munmap
#define bpf_map_get faults_map_get
#define bpf_prog_get_type_dev faults_prog_get
#define bpf_link_get_from_fd faults_link_get
#define bpf_map_put faults_map_put
#define bpf_prog_put faults_prog_put
#define bpf_link_put faults_link_put

#include "iterators.kern.lskel.h"

#undef kern_sys_bpf
#undef kvzalloc
#undef kvfree
#undef vm_mmap
#undef vm_munmap
#undef bpf_map_get
#undef bpf_prog_get_type_dev
#undef bpf_link_get_from_fd
#undef bpf_map_put
#undef bpf_prog_put
#undef bpf_link_put
#pragma pop_macro("kvzalloc")

/* The skeleton kept from init to exit, and the log buffer of its load. */
static struct iterators *skel;
static char *log_buf;

static int count_fd(const void *count, struct file *file, unsigned int fd)
{
	(*(unsigned int *)count)++;
	return 0;
}

/* The number of open fds of the calling task. */
static unsigned int open_fds(void)
{
	unsigned int n = 0;

	iterate_fd(current->files, 0, count_fd, &n);
	return n;
}

static void report_leaks(const char *when)
{
	pr_info("%s: leaks: memory %ld mappings %ld refs %ld\n", when, st.memory, st.mappings,
		st.refs);
}

/* After a failed attach-all, the skeleton must hold no link of any program. */
static void check_no_link(const struct iterators *s)
{
	bool fds = s->links.dump_bpf_map_fd || s->links.dump_bpf_prog_fd;
	bool refs = s->refs.links.dump_bpf_map || s->refs.links.dump_bpf_prog;

	pr_info("attach: links left: fds %d refs %d\n", fds, refs);
}

/* open -> load -> attach all; *step says where it stopped, *out is the skeleton or NULL. */
static int run(struct iterators **out, const char **step)
{
	struct iterators *s;
	int err;

	*step = "open";
	s = iterators__open();
	*out = s;
	if (!s)
		return -ENOMEM;
	if (log_buf) {
		s->log_buf = log_buf;
		s->log_size = log_kib * 1024;
		s->log_level = 1;
	}
	*step = "load";
	err = iterators__load(s);
	if (err) {
		pr_info("load: error %d at plan step %d (%s)\n", err, s->err_step_index,
			s->err_step ?: "no step said");
		return err;
	}
	*step = "attach";
	err = iterators__attach(s);
	if (err)
		check_no_link(s);
	return err;
}

static int __init faults_kmod_init(void)
{
	unsigned int fds = open_fds();
	struct iterators *s;
	const char *step;
	int err, closed;

	if (with_log) {
		log_buf = kvzalloc(log_kib * 1024, GFP_KERNEL);
		if (!log_buf)
			return -ENOMEM;
	}
	err = run(&s, &step);
	pr_info("run: calls %u injected %u what %s result %d step %s\n", st.calls, st.injected,
		st.injected ? st.what : "-", err, err ? step : "done");
	if (err && !(hold && s)) {
		iterators__destroy(s);
		pr_info("fds: left %d\n", (int)(open_fds() - fds));
		report_leaks("init");
		kvfree(log_buf);
		return err;
	}
	/* The skeleton's references keep everything alive once insmod's fds are closed. */
	closed = iterators__close_fds(s);
	pr_info("fds: left %d%s\n", (int)(open_fds() - fds), closed ? " (close_fds failed)" : "");
	if (err)
		pr_info("held after the failure: %s\n", step);
	skel = s;
	return 0;
}

static void __exit faults_kmod_exit(void)
{
	/* rmmod's task: the skeleton drops its references; init closed the fds. */
	iterators__destroy(skel);
	kvfree(log_buf);
	report_leaks("exit");
}

module_init(faults_kmod_init);
module_exit(faults_kmod_exit);
MODULE_DESCRIPTION("Faults injected into the calls of a skelgen kernel light skeleton's runtime");
MODULE_LICENSE("Dual MIT/GPL");

/*
 * The skelgen C runtime, shared by the userspace and the kernel-module skeletons: the
 * loader context (docs/loader-abi.md section 3), the five loader calls (section 2) and
 * their error paths. With __KERNEL__ defined (kbuild does) it is built for a kernel module
 * and calls kern_sys_bpf(); otherwise for userspace with libc only. Shared by every skelgen
 * header of loader ABI 2 in one translation unit. Functions return a negative errno on
 * failure.
 */
#ifndef SKELGEN_C_RUNTIME_ABI2
#define SKELGEN_C_RUNTIME_ABI2

#ifdef __KERNEL__
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
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>

#define SKELGEN_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define SKELGEN_BOOL bool

/* Exported by kernel/bpf/syscall.c since Linux 5.18; no kernel header declares it. */
int kern_sys_bpf(int cmd, union bpf_attr *attr, unsigned int size);

/*
 * Since 6.12 (and in Debian's 6.12 and 7.x) kern_sys_bpf, bpf_map_get and
 * bpf_link_get_from_fd are exported in the BPF_INTERNAL namespace, and modpost refuses a
 * module that uses them without importing it. MODULE_IMPORT_NS changed from a bare name to
 * a string in 6.13; MODULE_INFO spells the same .modinfo entry on every release, and
 * kernels that export the symbols in no namespace ignore it.
 */
MODULE_INFO(import_ns, "BPF_INTERNAL");

/*
 * The attrs below are the leading fields of union bpf_attr with its layout (checked in
 * skelgen_kernel.h); the kernel reads `size` bytes of them and zeroes the rest.
 */
static inline int skelgen_sys_bpf(int cmd, void *attr, unsigned int size)
{
	return kern_sys_bpf(cmd, (union bpf_attr *)attr, size);
}

static inline void skelgen_close_fd(int fd)
{
	close_fd(fd);
}
#else /* !__KERNEL__ */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef __cplusplus
#define SKELGEN_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define SKELGEN_BOOL bool
#else
#define SKELGEN_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define SKELGEN_BOOL _Bool
/* glibc declares syscall() only with _DEFAULT_SOURCE, which strict -std=c11 turns off. */
extern long syscall(long number, ...);
#endif

/* bpf(2), retried a few times when a signal interrupts it (EINTR) or, as libbpf does for
 * program loads, when the kernel asks to try again (EAGAIN). */
static inline int skelgen_sys_bpf(int cmd, void *attr, unsigned int size)
{
	int tries = 5;
	long r;

	do
		r = syscall(__NR_bpf, cmd, attr, size);
	while (r < 0 && (errno == EINTR || errno == EAGAIN) && --tries > 0);
	return r < 0 ? -errno : (int)r;
}

static inline void skelgen_close_fd(int fd)
{
	close(fd);
}
#endif /* __KERNEL__ */

/* bpf(2) commands and the UAPI numbers the runtime uses (include/uapi/linux/bpf.h). */
#define SKELGEN_BPF_MAP_CREATE 0
#define SKELGEN_BPF_MAP_LOOKUP_ELEM 1
#define SKELGEN_BPF_MAP_UPDATE_ELEM 2
#define SKELGEN_BPF_MAP_DELETE_ELEM 3
#define SKELGEN_BPF_MAP_GET_NEXT_KEY 4
#define SKELGEN_BPF_PROG_LOAD 5
#define SKELGEN_BPF_PROG_TEST_RUN 10
#define SKELGEN_BPF_RAW_TRACEPOINT_OPEN 17
#define SKELGEN_BPF_MAP_FREEZE 22
#define SKELGEN_BPF_LINK_CREATE 28
#define SKELGEN_BPF_ITER_CREATE 33
#define SKELGEN_BPF_MAP_TYPE_ARRAY 2
#define SKELGEN_BPF_PROG_TYPE_SYSCALL 31
#define SKELGEN_BPF_F_SLEEPABLE 16
#define SKELGEN_BPF_PERF_EVENT 41
#define SKELGEN_BPF_STRUCT_OPS 44

/* Context flag of the loader ABI: initial_value pointers are kernel addresses. */
#define SKELGEN_LOADER_KERNEL 1

/* The loader context (docs/loader-abi.md section 3). */
struct skelgen_loader_ctx {
	uint32_t sz;
	uint32_t abi_version;
	uint32_t flags;
	uint32_t nr_maps;
	uint32_t nr_progs;
	uint32_t log_level;
	uint32_t log_size;
	uint32_t __reserved;
	uint64_t log_buf;
	uint32_t failed_step;	/* out: index of the failing plan step */
	int32_t error;		/* out: its negative errno */
};

/* One map: map_fd after load; max_entries and value_size are knobs (0 = as compiled). */
struct skelgen_map_desc {
	int map_fd;
	uint32_t max_entries;
	uint32_t value_size;
	uint32_t btf_vmlinux_value_type_id;	/* struct_ops maps only: set by __load */
	uint64_t initial_value;	/* set by __open: the data view's memory */
};

/* One program: prog_fd after load (0 when not loaded); autoload 0 skips it. */
struct skelgen_prog_desc {
	int prog_fd;
	uint32_t autoload;
};

SKELGEN_STATIC_ASSERT(sizeof(struct skelgen_loader_ctx) == 48, "loader context header");
SKELGEN_STATIC_ASSERT(offsetof(struct skelgen_loader_ctx, log_buf) == 32, "log_buf");
SKELGEN_STATIC_ASSERT(offsetof(struct skelgen_loader_ctx, error) == 44, "error");
SKELGEN_STATIC_ASSERT(sizeof(struct skelgen_map_desc) == 24, "map descriptor");
SKELGEN_STATIC_ASSERT(offsetof(struct skelgen_map_desc, initial_value) == 16, "initial_value");
SKELGEN_STATIC_ASSERT(sizeof(struct skelgen_prog_desc) == 8, "program descriptor");

/* The parts of union bpf_attr the runtime uses, with their UAPI layout. */
struct skelgen_attr_map_create {
	uint32_t map_type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	uint32_t inner_map_fd;
	uint32_t numa_node;
	char map_name[16];
};

struct skelgen_attr_elem {
	uint32_t map_fd;
	uint32_t __pad;
	uint64_t key;
	uint64_t value;
	uint64_t flags;
};

struct skelgen_attr_prog_load {
	uint32_t prog_type;
	uint32_t insn_cnt;
	uint64_t insns;
	uint64_t license;
	uint32_t log_level;
	uint32_t log_size;
	uint64_t log_buf;
	uint32_t kern_version;
	uint32_t prog_flags;
	char prog_name[16];
	uint32_t prog_ifindex;
	uint32_t expected_attach_type;
	uint32_t prog_btf_fd;
	uint32_t func_info_rec_size;
	uint64_t func_info;
	uint32_t func_info_cnt;
	uint32_t line_info_rec_size;
	uint64_t line_info;
	uint32_t line_info_cnt;
	uint32_t attach_btf_id;
	uint32_t attach_prog_fd;
	uint32_t core_relo_cnt;
	uint64_t fd_array;
};

struct skelgen_attr_test_run {
	uint32_t prog_fd;
	uint32_t retval;
	uint32_t data_size_in;
	uint32_t data_size_out;
	uint64_t data_in;
	uint64_t data_out;
	uint32_t repeat;
	uint32_t duration;
	uint32_t ctx_size_in;
	uint32_t ctx_size_out;
	uint64_t ctx_in;
	uint64_t ctx_out;
	uint32_t flags;
	uint32_t cpu;
	uint32_t batch_size;
	uint32_t __pad;
};

struct skelgen_attr_raw_tp {
	uint64_t name;
	uint32_t prog_fd;
	uint32_t __pad;
};

struct skelgen_attr_link_create {
	uint32_t prog_fd;
	uint32_t target;	/* target_fd or target_ifindex */
	uint32_t attach_type;
	uint32_t flags;
	uint64_t __args[2];
};

struct skelgen_attr_iter_create {
	uint32_t link_fd;
	uint32_t flags;
};

SKELGEN_STATIC_ASSERT(sizeof(struct skelgen_attr_map_create) == 44, "map_create attr");
SKELGEN_STATIC_ASSERT(offsetof(struct skelgen_attr_prog_load, fd_array) == 120, "prog_load attr");
SKELGEN_STATIC_ASSERT(offsetof(struct skelgen_attr_test_run, ctx_in) == 48, "test_run attr");
SKELGEN_STATIC_ASSERT(sizeof(struct skelgen_attr_test_run) == 80, "test_run attr size");

static inline uint64_t skelgen_ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* What a load needs besides the context: the blob and the plan's step descriptions. */
struct skelgen_blob {
	const unsigned char *insns;
	uint32_t insns_size;
	const unsigned char *data;
	uint32_t data_size;
	const char *const *steps;
	uint32_t nr_steps;
};

/* Loader map: create, write, freeze (docs/loader-abi.md section 2, calls 1-3). */
static inline int skelgen_loader_map(const struct skelgen_blob *b, const char **what)
{
	struct skelgen_attr_map_create mc;
	struct skelgen_attr_elem el;
	uint32_t key = 0;
	int fd, err;

	memset(&mc, 0, sizeof(mc));
	mc.map_type = SKELGEN_BPF_MAP_TYPE_ARRAY;
	mc.key_size = 4;
	mc.value_size = b->data_size;
	mc.max_entries = 1;
	memcpy(mc.map_name, "__loader.map", sizeof("__loader.map"));
	fd = skelgen_sys_bpf(SKELGEN_BPF_MAP_CREATE, &mc, sizeof(mc));
	if (fd == -EPERM) {
		*what = "create the loader map: not permitted (loading BPF needs root, or CAP_BPF "
			"and CAP_PERFMON, plus CAP_NET_ADMIN for network programs)";
		return fd;
	}
	if (fd < 0) {
		*what = "create the loader map";
		return fd;
	}
	memset(&el, 0, sizeof(el));
	el.map_fd = (uint32_t)fd;
	el.key = skelgen_ptr(&key);
	el.value = skelgen_ptr(b->data);
	err = skelgen_sys_bpf(SKELGEN_BPF_MAP_UPDATE_ELEM, &el, sizeof(el));
	if (err < 0) {
		*what = "write the loader map";
	} else {
		memset(&el, 0, sizeof(el));
		el.map_fd = (uint32_t)fd;
		err = skelgen_sys_bpf(SKELGEN_BPF_MAP_FREEZE, &el, 4);
		if (err < 0)
			*what = "freeze the loader map";
	}
	if (err < 0) {
		skelgen_close_fd(fd);
		return err;
	}
	return fd;
}

/*
 * Loader program: BPF_PROG_LOAD (call 4). Without a log first: the verifier's log of a long
 * loader would overflow a buffer sized for the object's programs and fail the load with
 * ENOSPC. Only a refused loader is loaded again with the context's log, to say why.
 */
static inline int skelgen_loader_prog(const struct skelgen_blob *b, const struct skelgen_loader_ctx *ctx,
				      int *map_fd, const char **what)
{
	struct skelgen_attr_prog_load pl;
	int fd, again;

	memset(&pl, 0, sizeof(pl));
	pl.prog_type = SKELGEN_BPF_PROG_TYPE_SYSCALL;
	pl.insn_cnt = b->insns_size / 8;
	pl.insns = skelgen_ptr(b->insns);
	pl.license = skelgen_ptr("Dual BSD/GPL");
	pl.prog_flags = SKELGEN_BPF_F_SLEEPABLE;
	memcpy(pl.prog_name, "__loader.prog", sizeof("__loader.prog"));
	pl.fd_array = skelgen_ptr(map_fd);
	fd = skelgen_sys_bpf(SKELGEN_BPF_PROG_LOAD, &pl, sizeof(pl));
	if (fd < 0 && ctx->log_level && ctx->log_buf && ctx->log_size) {
		pl.log_level = ctx->log_level;
		pl.log_size = ctx->log_size;
		pl.log_buf = ctx->log_buf;
		/* The first errno is the one to report: this one may only be ENOSPC. */
		again = skelgen_sys_bpf(SKELGEN_BPF_PROG_LOAD, &pl, sizeof(pl));
		if (again >= 0)
			fd = again;
	}
	if (fd < 0)
		*what = "load the loader program";
	return fd;
}

/*
 * The five calls, then BPF_PROG_TEST_RUN's verdict. Every fd of the loader is closed; on
 * failure *what says what failed and *step is the plan step (-1 for the runtime's own
 * calls). 0 or -errno.
 */
/*
 * Runs the loader program on ctx. In userspace, a load step whose verification a signal
 * cut short fails with EAGAIN (libbpf repeats such program loads); the loader has then
 * closed what it made and left the context's inputs as they were, so the run is made
 * again, up to five times in all, with the log cleared. In the kernel the signal stays
 * pending until insmod returns, so one run is all there is.
 */
static inline int skelgen_test_run_loader(int prog_fd, struct skelgen_loader_ctx *ctx,
					  struct skelgen_attr_test_run *tr)
{
#ifdef __KERNEL__
	int tries = 1;
#else
	int tries = 5;
#endif
	int err;

	for (;;) {
		memset(tr, 0, sizeof(*tr));
		tr->prog_fd = (uint32_t)prog_fd;
		tr->ctx_in = skelgen_ptr(ctx);
		tr->ctx_size_in = ctx->sz;
		err = skelgen_sys_bpf(SKELGEN_BPF_PROG_TEST_RUN, tr, sizeof(*tr));
		if (err < 0 || (int32_t)tr->retval != -EAGAIN || --tries == 0)
			return err;
#ifndef __KERNEL__
		if (ctx->log_size && ctx->log_buf)
			*(char *)(uintptr_t)ctx->log_buf = 0;
#endif
	}
}

/* Resets what a run reports, before its first call. */
static inline void skelgen_loader_begin(struct skelgen_loader_ctx *ctx, const char **what, int *step)
{
	*what = NULL;
	*step = -1;
	ctx->failed_step = 0xffffffffu;
	ctx->error = 0;
}

/*
 * Runs the loader prog_fd, whose blob is in map_fd, and reads its verdict; closes both. The
 * unsigned and the signed runs end here alike.
 */
static inline int skelgen_loader_finish(struct skelgen_loader_ctx *ctx, const struct skelgen_blob *b,
					int map_fd, int prog_fd, const char **what, int *step)
{
	struct skelgen_attr_test_run tr;
	int err = skelgen_test_run_loader(prog_fd, ctx, &tr);

	if (err < 0) {
		*what = "run the loader program";
	} else if (tr.retval != 0) {
		err = (int32_t)tr.retval < 0 ? (int32_t)tr.retval : -EINVAL;
		*step = (int)ctx->failed_step;
		*what = ctx->failed_step < b->nr_steps ? b->steps[ctx->failed_step] : "unknown loader step";
	}
	skelgen_close_fd(prog_fd);
	skelgen_close_fd(map_fd);
	return err < 0 ? err : 0;
}

static inline int skelgen_run_loader(struct skelgen_loader_ctx *ctx, const struct skelgen_blob *b,
				     const char **what, int *step)
{
	int map_fd, prog_fd;

	skelgen_loader_begin(ctx, what, step);
	map_fd = skelgen_loader_map(b, what);
	if (map_fd < 0)
		return map_fd;
	prog_fd = skelgen_loader_prog(b, ctx, &map_fd, what);
	if (prog_fd < 0) {
		skelgen_close_fd(map_fd);
		return prog_fd;
	}
	return skelgen_loader_finish(ctx, b, map_fd, prog_fd, what, step);
}

/* BPF_LINK_CREATE of the program behind prog_fd; returns the link fd or -errno. */
static inline int skelgen_link_create(int prog_fd, int target, uint32_t attach_type, uint32_t flags)
{
	struct skelgen_attr_link_create a;

	memset(&a, 0, sizeof(a));
	a.prog_fd = (uint32_t)prog_fd;
	a.target = (uint32_t)target;
	a.attach_type = attach_type;
	a.flags = flags;
	return skelgen_sys_bpf(SKELGEN_BPF_LINK_CREATE, &a, sizeof(a));
}

/* Writes the low `size` bytes of v, little-endian as the loader's blob is. */
static inline void skelgen_put_le(unsigned char *dst, uint32_t size, uint64_t v)
{
	uint32_t i;

	for (i = 0; i < size && i < 8; i++)
		dst[i] = (unsigned char)(v >> (8 * i));
}

/* LINUX_KERNEL_VERSION of a release string as libbpf computes it: its first three numbers. */
static inline uint32_t skelgen_parse_kernel_version(const char *release)
{
	unsigned int a = 0, b = 0, c = 0;

	if (sscanf(release, "%u.%u.%u", &a, &b, &c) < 2)
		return 0;
	return (a << 16) | (b << 8) | (c > 255 ? 255 : c);
}

#endif /* SKELGEN_C_RUNTIME_ABI2 */

/*
 * What userspace skeletons and their users call after load: map access, program runs, and
 * the attach helpers, which return a link fd (or a perf event fd on kernels without perf
 * links). All return a negative errno on failure and set errno.
 */
#ifndef SKELGEN_C_HELPERS_ABI2
#define SKELGEN_C_HELPERS_ABI2

/* perf_event_open(2) (include/uapi/linux/perf_event.h). */
#define SKELGEN_PERF_TYPE_SOFTWARE 1
#define SKELGEN_PERF_TYPE_TRACEPOINT 2
#define SKELGEN_PERF_COUNT_SW_BPF_OUTPUT 10
#define SKELGEN_PERF_SAMPLE_RAW (1U << 10)
#define SKELGEN_PERF_FLAG_FD_CLOEXEC 8UL
#define SKELGEN_PERF_EVENT_IOC_ENABLE _IO('$', 0)
#define SKELGEN_PERF_EVENT_IOC_SET_BPF _IOW('$', 8, uint32_t)

/* struct perf_event_attr up to config2 (PERF_ATTR_SIZE_VER1). */
struct skelgen_perf_attr {
	uint32_t type;
	uint32_t size;
	uint64_t config;
	uint64_t sample_period;
	uint64_t sample_type;
	uint64_t read_format;
	uint64_t bits;
	uint32_t wakeup_events;
	uint32_t bp_type;
	uint64_t config1;
	uint64_t config2;
};

SKELGEN_STATIC_ASSERT(sizeof(struct skelgen_perf_attr) == 72, "perf_event_attr");

/* Map access for users (BPF_MAP_*_ELEM): 0 or -errno, errno set. */
static inline int skelgen_map_elem(int cmd, int map_fd, const void *key, const void *value, uint64_t flags)
{
	struct skelgen_attr_elem a;
	int err;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)map_fd;
	a.key = skelgen_ptr(key);
	a.value = skelgen_ptr(value);
	a.flags = flags;
	err = skelgen_sys_bpf(cmd, &a, sizeof(a));
	return err < 0 ? err : 0;
}

static inline int skelgen_map_lookup_elem(int map_fd, const void *key, void *value)
{
	return skelgen_map_elem(SKELGEN_BPF_MAP_LOOKUP_ELEM, map_fd, key, value, 0);
}

static inline int skelgen_map_update_elem(int map_fd, const void *key, const void *value, uint64_t flags)
{
	return skelgen_map_elem(SKELGEN_BPF_MAP_UPDATE_ELEM, map_fd, key, value, flags);
}

static inline int skelgen_map_delete_elem(int map_fd, const void *key)
{
	return skelgen_map_elem(SKELGEN_BPF_MAP_DELETE_ELEM, map_fd, key, NULL, 0);
}

/* The key after `key` (NULL: the first key) into next_key. */
static inline int skelgen_map_get_next_key(int map_fd, const void *key, void *next_key)
{
	return skelgen_map_elem(SKELGEN_BPF_MAP_GET_NEXT_KEY, map_fd, key, next_key, 0);
}

/* BPF_PROG_TEST_RUN of a syscall program with `ctx` (copied back after the run). */
static inline int skelgen_prog_run(int prog_fd, void *ctx, uint32_t ctx_size, int *retval)
{
	struct skelgen_attr_test_run tr;
	int err;

	if (prog_fd <= 0)
		return skelgen_fail(-ENOENT);
	memset(&tr, 0, sizeof(tr));
	tr.prog_fd = (uint32_t)prog_fd;
	tr.ctx_in = skelgen_ptr(ctx);
	tr.ctx_size_in = ctx_size;
	err = skelgen_sys_bpf(SKELGEN_BPF_PROG_TEST_RUN, &tr, sizeof(tr));
	if (err < 0)
		return skelgen_fail(err);
	if (retval)
		*retval = (int32_t)tr.retval;
	return 0;
}

/* BPF_RAW_TRACEPOINT_OPEN: a raw tracepoint by name, or (NULL) the BTF target of a
 * tp_btf/fentry/fexit/fmod_ret/lsm program. */
static inline int skelgen_attach_raw_tp(int prog_fd, const char *name)
{
	struct skelgen_attr_raw_tp a;

	memset(&a, 0, sizeof(a));
	a.name = name ? skelgen_ptr(name) : 0;
	a.prog_fd = (uint32_t)prog_fd;
	return skelgen_sys_bpf(SKELGEN_BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
}

static inline int skelgen_iter_create(int link_fd)
{
	struct skelgen_attr_iter_create a;

	if (link_fd <= 0)
		return skelgen_fail(-EBADF);
	memset(&a, 0, sizeof(a));
	a.link_fd = (uint32_t)link_fd;
	return skelgen_sys_bpf(SKELGEN_BPF_ITER_CREATE, &a, sizeof(a));
}

static inline int skelgen_perf_event_open(struct skelgen_perf_attr *attr, int pid, int cpu)
{
	long fd = syscall(__NR_perf_event_open, attr, pid, cpu, -1, SKELGEN_PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : (int)fd;
}

/* A BPF link to the perf event (Linux 5.15), or else the event itself with the program set. */
static inline int skelgen_attach_perf(int prog_fd, int pfd)
{
	int link = skelgen_link_create(prog_fd, pfd, SKELGEN_BPF_PERF_EVENT, 0);
	int err;

	if (link >= 0) {
		close(pfd);
		return link;
	}
	if (ioctl(pfd, SKELGEN_PERF_EVENT_IOC_SET_BPF, prog_fd) < 0 ||
	    ioctl(pfd, SKELGEN_PERF_EVENT_IOC_ENABLE, 0) < 0) {
		err = -errno;
		close(pfd);
		return skelgen_fail(err);
	}
	return pfd;
}

/* Reads "<prefix><number>" from a sysfs or tracefs file. */
static inline int skelgen_read_number(const char *path, const char *prefix, unsigned long long *out)
{
	char buf[64];
	size_t len = strlen(prefix);
	int n = skelgen_read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (strncmp(buf, prefix, len) != 0 || buf[len] < '0' || buf[len] > '9')
		return -EINVAL;
	*out = strtoull(buf + len, NULL, 10);
	return 0;
}

static inline int skelgen_attach_tracepoint(int prog_fd, const char *category, const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	struct skelgen_perf_attr attr;
	unsigned long long id = 0;
	char path[512];
	int i, n, pfd, err = -ENOENT;

	for (i = 0; i < 2 && err < 0; i++) {
		n = snprintf(path, sizeof(path), "%s/events/%s/%s/id", roots[i], category, name);
		if (n < 0 || (size_t)n >= sizeof(path))
			return skelgen_fail(-ENAMETOOLONG);
		err = skelgen_read_number(path, "", &id);
	}
	if (err < 0)
		return skelgen_fail(err);
	memset(&attr, 0, sizeof(attr));
	attr.type = SKELGEN_PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	pfd = skelgen_perf_event_open(&attr, -1, 0);
	if (pfd < 0)
		return skelgen_fail(pfd);
	return skelgen_attach_perf(prog_fd, pfd);
}

/* A kprobe or uprobe event through its PMU (Linux 4.17), not attached: `target` is the
 * function name or the file path, `offset` the offset in the function or the file. Returns
 * the perf event fd or -errno. */
static inline int skelgen_probe_open(const char *pmu, int retprobe, int pid, const char *target,
				     uint64_t offset)
{
	unsigned long long type, bit = 0;
	struct skelgen_perf_attr attr;
	char file[128];
	int err;

	snprintf(file, sizeof(file), "/sys/bus/event_source/devices/%s/type", pmu);
	err = skelgen_read_number(file, "", &type);
	if (!err && retprobe) {
		snprintf(file, sizeof(file), "/sys/bus/event_source/devices/%s/format/retprobe", pmu);
		err = skelgen_read_number(file, "config:", &bit);
	}
	if (err)
		return err;
	if (bit > 63)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.type = (uint32_t)type;
	attr.size = sizeof(attr);
	attr.config = retprobe ? 1ULL << bit : 0;
	attr.config1 = skelgen_ptr(target);
	attr.config2 = offset;
	return skelgen_perf_event_open(&attr, pid < 0 ? -1 : pid, pid < 0 ? 0 : -1);
}

/* A kprobe or uprobe attached through its PMU (see skelgen_probe_open). */
static inline int skelgen_attach_probe(const char *pmu, int prog_fd, int retprobe, int pid,
				       const char *target, uint64_t offset)
{
	int pfd = skelgen_probe_open(pmu, retprobe, pid, target, offset);

	if (pfd < 0)
		return skelgen_fail(pfd);
	return skelgen_attach_perf(prog_fd, pfd);
}

static inline int skelgen_attach_uprobe(int prog_fd, int retprobe, int pid, const char *path, uint64_t offset)
{
	return skelgen_attach_probe("uprobe", prog_fd, retprobe, pid, path, offset);
}

static inline int skelgen_attach_kprobe(int prog_fd, int retprobe, const char *func, uint64_t offset)
{
	return skelgen_attach_probe("kprobe", prog_fd, retprobe, -1, func, offset);
}

/* The prefix of the architecture's syscall wrappers (__<prefix>_sys_<name>), as the kernel
 * names them; NULL where skelgen knows none. */
static inline const char *skelgen_syscall_prefix(void)
{
#if defined(__x86_64__)
	return "x64";
#elif defined(__i386__)
	return "ia32";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__s390__)
	return "s390";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__mips__)
	return "mips";
#elif defined(__riscv)
	return "riscv";
#elif defined(__powerpc64__)
	return "powerpc64";
#elif defined(__powerpc__)
	return "powerpc";
#elif defined(__loongarch__)
	return "loongarch";
#else
	return NULL;
#endif
}

/*
 * The kernel function of syscall `name` into buf: __<arch>_sys_<name> when the running
 * kernel has syscall wrappers (a kprobe on __<arch>_sys_bpf can be made, as libbpf checks),
 * else sys_<name>. 0 or -errno.
 */
static inline int skelgen_syscall_function(const char *name, char *buf, size_t size)
{
	const char *prefix = skelgen_syscall_prefix();
	int n, pfd = -ENOENT;

	if (prefix) {
		n = snprintf(buf, size, "__%s_sys_bpf", prefix);
		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		pfd = skelgen_probe_open("kprobe", 0, -1, buf, 0);
		if (pfd >= 0)
			close(pfd);
	}
	if (pfd >= 0)
		n = snprintf(buf, size, "__%s_sys_%s", prefix, name);
	else
		n = snprintf(buf, size, "sys_%s", name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* A kprobe (kretprobe) on syscall `name` (openat), named as the running kernel names it. */
static inline int skelgen_attach_ksyscall(int prog_fd, int retprobe, const char *name)
{
	char func[128];
	int err = skelgen_syscall_function(name, func, sizeof(func));

	if (err)
		return skelgen_fail(err);
	return skelgen_attach_probe("kprobe", prog_fd, retprobe, -1, func, 0);
}

#endif /* SKELGEN_C_HELPERS_ABI2 */

/*
 * The userspace side of the skelgen C runtime: the skeleton's private state, the load
 * through bpf(2), and the mmap of global data. Functions return a negative errno on failure
 * and set errno.
 */
#ifndef SKELGEN_C_USER_ABI2
#define SKELGEN_C_USER_ABI2

/* Feature-dependent libc constants, with the Linux values when the libc hides them. */
#if defined(MAP_ANONYMOUS)
#define SKELGEN_MAP_ANONYMOUS MAP_ANONYMOUS
#elif defined(MAP_ANON)
#define SKELGEN_MAP_ANONYMOUS MAP_ANON
#elif defined(__mips__)
#define SKELGEN_MAP_ANONYMOUS 0x800
#else
#define SKELGEN_MAP_ANONYMOUS 0x20
#endif
#ifdef O_CLOEXEC
#define SKELGEN_O_CLOEXEC O_CLOEXEC
#else
#define SKELGEN_O_CLOEXEC 02000000
#endif

/* Runtime state of a skeleton; not for users. */
struct skelgen_priv {
	int loaded;
	int open_err;
	char open_what[128];
	char err_text[256];	/* what err_step points at when the runtime wrote it */
};

/* Sets errno from a negative errno and returns it. */
static inline int skelgen_fail(int err)
{
	errno = -err;
	return err;
}

/* Closes *fd if it holds one, and marks it empty (0, as the loader ABI does). */
static inline void skelgen_close(int *fd)
{
	if (*fd > 0)
		close(*fd);
	*fd = 0;
}

/*
 * Before a run of the loader: 0 means "no fd" in the context and in the skeleton, and with
 * stdin closed the kernel would hand out fd 0, so it is filled with /dev/null first (and
 * stays so).
 */
static inline void skelgen_load_prepare(struct skelgen_loader_ctx *ctx)
{
	int fd;

	/* Only a failing BTF or program load writes the log: any other failure leaves it empty. */
	if (ctx->log_level && ctx->log_buf && ctx->log_size)
		*(char *)(uintptr_t)ctx->log_buf = 0;
	if (fcntl(0, F_GETFD) < 0 && errno == EBADF) {
		fd = open("/dev/null", O_RDONLY);
		if (fd > 0)
			close(fd);
	}
}

/* Runs the loader (skelgen_run_loader); 0, or -errno with errno set. */
static inline int skelgen_load(struct skelgen_loader_ctx *ctx, const struct skelgen_blob *b,
			       const char **what, int *step)
{
	int err;

	skelgen_load_prepare(ctx);
	err = skelgen_run_loader(ctx, b, what, step);
	return err < 0 ? skelgen_fail(err) : 0;
}

static inline size_t skelgen_mmap_size(size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t p = page > 0 ? (size_t)page : 4096;

	return ((size ? size : 1) + p - 1) / p * p;
}

/* Anonymous memory holding a data section's initial image until load; NULL on failure. */
static inline void *skelgen_data_open(const unsigned char *image, size_t size, uint64_t *initial_value)
{
	void *p = mmap(NULL, skelgen_mmap_size(size), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | SKELGEN_MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (image)
		memcpy(p, image, size);
	*initial_value = skelgen_ptr(p);
	return p;
}

/* After load: the map's own memory replaces the image at the same address. */
static inline int skelgen_data_map(void *addr, size_t size, int map_fd, int frozen)
{
	int prot = frozen ? PROT_READ : PROT_READ | PROT_WRITE;
	void *p = mmap(addr, skelgen_mmap_size(size), prot, MAP_SHARED | MAP_FIXED, map_fd, 0);

	return p == MAP_FAILED ? -errno : 0;
}

/*
 * After a failed load: the view goes back to private memory holding the bytes it showed, so
 * it is writable again (a frozen map was mapped read-only) and no longer keeps the map
 * alive. A view that is gone, or that cannot be copied, comes back zeroed.
 */
static inline void skelgen_data_private(void *addr, size_t size)
{
	size_t len = skelgen_mmap_size(size);
	/* A failed MAP_FIXED may have left a hole: msync says ENOMEM for an unmapped range. */
	int mapped = msync(addr, len, MS_ASYNC) == 0;
	void *copy = mapped ? malloc(size ? size : 1) : NULL;

	if (copy)
		memcpy(copy, addr, size);
	if (mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | SKELGEN_MAP_ANONYMOUS,
		 -1, 0) != MAP_FAILED && copy)
		memcpy(addr, copy, size);
	free(copy);
}

static inline void skelgen_data_free(void *addr, size_t size)
{
	if (addr)
		munmap(addr, skelgen_mmap_size(size));
}

/* Reads a small text file into buf (NUL-terminated); returns its length or -errno. */
static inline int skelgen_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | SKELGEN_O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	return (int)n;
}

/* The number of CPUs in a cpu list such as "0-3,8-11" (/sys/devices/system/cpu/possible). */
static inline uint32_t skelgen_cpu_count(const char *list)
{
	unsigned long a, b;
	uint32_t n = 0;
	char *end;

	while (*list >= '0' && *list <= '9') {
		a = strtoul(list, &end, 10);
		b = a;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (b >= a)
			n += (uint32_t)(b - a + 1);
		if (*end != ',')
			break;
		list = end + 1;
	}
	return n;
}

/* The number of possible CPUs, for perf event arrays sized 0 (libbpf's convention). */
static inline uint32_t skelgen_possible_cpus(void)
{
	char buf[256];

	if (skelgen_read_file("/sys/devices/system/cpu/possible", buf, sizeof(buf)) <= 0)
		return (uint32_t)sysconf(_SC_NPROCESSORS_CONF);
	return skelgen_cpu_count(buf);
}

#endif /* SKELGEN_C_USER_ABI2 */

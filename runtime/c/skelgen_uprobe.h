/*
 * Uprobes by function name: the binary found as libbpf finds it, the function's file offset
 * read from its symbol tables (skelgen_elf.h), then a uprobe through the uprobe PMU
 * (skelgen_helpers.h). On failure, err says which binary and what went wrong.
 */
#ifndef SKELGEN_C_UPROBE_ABI2
#define SKELGEN_C_UPROBE_ABI2

/* The multiarch library directory of the architecture this is built for (Debian's names). */
#if defined(__x86_64__)
#define SKELGEN_MULTIARCH "x86_64-linux-gnu"
#elif defined(__i386__)
#define SKELGEN_MULTIARCH "i386-linux-gnu"
#elif defined(__aarch64__)
#define SKELGEN_MULTIARCH "aarch64-linux-gnu"
#elif defined(__arm__)
#define SKELGEN_MULTIARCH "arm-linux-gnueabihf"
#elif defined(__riscv) && __riscv_xlen == 64
#define SKELGEN_MULTIARCH "riscv64-linux-gnu"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define SKELGEN_MULTIARCH "powerpc64le-linux-gnu"
#elif defined(__s390x__)
#define SKELGEN_MULTIARCH "s390x-linux-gnu"
#elif defined(__loongarch64)
#define SKELGEN_MULTIARCH "loongarch64-linux-gnu"
#else
#define SKELGEN_MULTIARCH ""
#endif

/* Whether `name` is a shared library's name: it ends in ".so" or holds ".so.". */
static inline int skelgen_is_library(const char *name)
{
	size_t len = strlen(name);

	return strstr(name, ".so.") != NULL || (len >= 3 && strcmp(name + len - 3, ".so") == 0);
}

/* Tries `dir`/`name` for each directory of the ':'-separated `dirs`: 0 and the path in
 * out when one is readable, -ENOENT otherwise. */
static inline int skelgen_search_dirs(const char *dirs, const char *name, char *out, size_t size)
{
	const char *p = dirs, *end;
	size_t len;
	int n;

	while (p && *p) {
		end = strchr(p, ':');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > 0 && len < 4096) {
			n = snprintf(out, size, "%.*s/%s", (int)len, p, name);
			if (n > 0 && (size_t)n < size && access(out, R_OK) == 0)
				return 0;
		}
		p = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

/*
 * The file a uprobe's `binary` names. A name with a '/' is a path, used as it is. A bare
 * library name (libc.so.6) is looked for in $LD_LIBRARY_PATH, then /lib64, /usr/lib64,
 * /lib, /usr/lib, /lib/<multiarch>, /usr/lib/<multiarch>; any other bare name in $PATH,
 * then /usr/bin, /usr/sbin. 0 and the path in out, or -ENOENT (-ENAMETOOLONG).
 */
static inline int skelgen_find_binary(const char *binary, char *out, size_t size)
{
	const char *lib_dirs = "/lib64:/usr/lib64:/lib:/usr/lib";
	const char *multiarch = SKELGEN_MULTIARCH;
	char arch_dirs[128];

	if (strchr(binary, '/')) {
		if (strlen(binary) >= size)
			return -ENAMETOOLONG;
		memcpy(out, binary, strlen(binary) + 1);
		return 0;
	}
	if (!skelgen_is_library(binary))
		return skelgen_search_dirs(getenv("PATH"), binary, out, size) == 0 ? 0 :
		       skelgen_search_dirs("/usr/bin:/usr/sbin", binary, out, size);
	if (skelgen_search_dirs(getenv("LD_LIBRARY_PATH"), binary, out, size) == 0 ||
	    skelgen_search_dirs(lib_dirs, binary, out, size) == 0)
		return 0;
	if (!*multiarch)
		return -ENOENT;
	snprintf(arch_dirs, sizeof(arch_dirs), "/lib/%s:/usr/lib/%s", multiarch, multiarch);
	return skelgen_search_dirs(arch_dirs, binary, out, size);
}

/* What a uprobe by name attaches to; `func` NULL or "" means `offset` is a file offset. */
struct skelgen_uprobe_opts {
	const char *binary;	/* a path, or a bare name found as skelgen_find_binary() says */
	const char *func;	/* a function's symbol name, `name@version` allowed */
	uint64_t offset;	/* bytes into the function (or the file, without one) */
	int pid;		/* the process to trace; -1: every process */
	int retprobe;		/* 1: the function's return */
};

/* The file offset of opts->func + opts->offset in the file `path`: 0, or -errno with err
 * filled in. */
static inline int skelgen_uprobe_offset(const char *path, const struct skelgen_uprobe_opts *opts,
					uint64_t *offset, char *err, size_t err_size)
{
	struct skelgen_elf elf;
	unsigned char *data;
	size_t len = 0;
	int r;

	data = skelgen_read_all(path, &len);
	if (!data) {
		r = -errno;
		snprintf(err, err_size, "uprobe %s: read %s: %s", opts->func, path, strerror(-r));
		return r;
	}
	r = skelgen_elf_open(&elf, data, len);
	if (!r)
		r = skelgen_elf_func_offset(&elf, opts->func, offset);
	free(data);
	if (r < 0) {
		snprintf(err, err_size, "uprobe %s: %s: %s", opts->func, path, elf.why);
		return r;
	}
	if (opts->offset > UINT64_MAX - *offset) {
		snprintf(err, err_size, "uprobe %s: offset 0x%llx is too large", opts->func,
			 (unsigned long long)opts->offset);
		return -EINVAL;
	}
	*offset += opts->offset;
	return 0;
}

/*
 * Attaches the uprobe program prog_fd as opts says: a link fd the caller owns (or the perf
 * event's, on kernels without perf links), or -errno with errno set and err (err_size
 * bytes, may be NULL) saying what failed.
 */
static inline int skelgen_attach_uprobe_opts(int prog_fd, const struct skelgen_uprobe_opts *opts,
					     char *err, size_t err_size)
{
	char path[4096], scratch[1];
	uint64_t offset = opts->offset;
	int r;

	if (!err || !err_size) {
		err = scratch;
		err_size = sizeof(scratch);
	}
	r = skelgen_find_binary(opts->binary, path, sizeof(path));
	if (r < 0) {
		snprintf(err, err_size, "uprobe: no binary %s in the library or program paths", opts->binary);
		return skelgen_fail(r);
	}
	if (opts->func && *opts->func) {
		r = skelgen_uprobe_offset(path, opts, &offset, err, err_size);
		if (r < 0)
			return skelgen_fail(r);
	}
	r = skelgen_attach_uprobe(prog_fd, opts->retprobe, opts->pid, path, offset);
	if (r < 0)
		snprintf(err, err_size, "uprobe %s at 0x%llx of %s: perf_event_open or link: %s",
			 opts->func ? opts->func : "", (unsigned long long)offset, path, strerror(-r));
	return r;
}

/* skelgen_attach_uprobe_opts() from the parts of a section's target, for the skeletons. */
static inline int skelgen_attach_uprobe_name(int prog_fd, int retprobe, int pid, const char *binary,
					     const char *func, uint64_t offset, char *err, size_t err_size)
{
	struct skelgen_uprobe_opts o;

	o.binary = binary;
	o.func = func;
	o.offset = offset;
	o.pid = pid;
	o.retprobe = retprobe;
	return skelgen_attach_uprobe_opts(prog_fd, &o, err, err_size);
}

#endif /* SKELGEN_C_UPROBE_ABI2 */

/*
 * The kernel-module side of the skelgen C runtime (built with __KERNEL__): the fds a load
 * creates belong to the task that loaded the skeleton, which also keeps its own reference
 * to every map, program and link; memory in the calling task carries what the kernel reads
 * or writes with copy_{from,to}_user even through kern_sys_bpf. Functions returning int
 * return 0 (or an fd) or a negative errno.
 */
#ifndef SKELGEN_KERN_RUNTIME_ABI2
#define SKELGEN_KERN_RUNTIME_ABI2

/* The runtime's attrs are union bpf_attr's leading fields: the kernel's header agrees. */
SKELGEN_STATIC_ASSERT(offsetof(union bpf_attr, map_name) == offsetof(struct skelgen_attr_map_create, map_name),
		      "map_create attr");
SKELGEN_STATIC_ASSERT(offsetof(union bpf_attr, flags) == offsetof(struct skelgen_attr_elem, flags), "elem attr");
SKELGEN_STATIC_ASSERT(offsetof(union bpf_attr, fd_array) == offsetof(struct skelgen_attr_prog_load, fd_array),
		      "prog_load attr");
SKELGEN_STATIC_ASSERT(offsetof(union bpf_attr, test.batch_size) == offsetof(struct skelgen_attr_test_run, batch_size),
		      "test_run attr");
SKELGEN_STATIC_ASSERT(offsetof(union bpf_attr, link_create.flags) == offsetof(struct skelgen_attr_link_create, flags),
		      "link_create attr");
SKELGEN_STATIC_ASSERT(offsetof(union bpf_attr, test.retval) == offsetof(struct skelgen_attr_test_run, retval),
		      "test_run retval");
SKELGEN_STATIC_ASSERT(offsetof(union bpf_attr, test.ctx_in) == offsetof(struct skelgen_attr_test_run, ctx_in),
		      "test_run ctx_in");
/* The UAPI numbers of skelgen_runtime.h are the kernel's (BPF_STRUCT_OPS, 44, is newer than
 * Linux 6.1, and only userspace uses it). */
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_MAP_CREATE == BPF_MAP_CREATE, "BPF_MAP_CREATE");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_MAP_LOOKUP_ELEM == BPF_MAP_LOOKUP_ELEM, "BPF_MAP_LOOKUP_ELEM");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_MAP_UPDATE_ELEM == BPF_MAP_UPDATE_ELEM, "BPF_MAP_UPDATE_ELEM");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_MAP_DELETE_ELEM == BPF_MAP_DELETE_ELEM, "BPF_MAP_DELETE_ELEM");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_MAP_GET_NEXT_KEY == BPF_MAP_GET_NEXT_KEY, "BPF_MAP_GET_NEXT_KEY");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_PROG_LOAD == BPF_PROG_LOAD, "BPF_PROG_LOAD");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_PROG_TEST_RUN == BPF_PROG_TEST_RUN, "BPF_PROG_TEST_RUN");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_RAW_TRACEPOINT_OPEN == BPF_RAW_TRACEPOINT_OPEN, "BPF_RAW_TRACEPOINT_OPEN");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_MAP_FREEZE == BPF_MAP_FREEZE, "BPF_MAP_FREEZE");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_LINK_CREATE == BPF_LINK_CREATE, "BPF_LINK_CREATE");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_ITER_CREATE == BPF_ITER_CREATE, "BPF_ITER_CREATE");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_MAP_TYPE_ARRAY == BPF_MAP_TYPE_ARRAY, "BPF_MAP_TYPE_ARRAY");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_PROG_TYPE_SYSCALL == BPF_PROG_TYPE_SYSCALL, "BPF_PROG_TYPE_SYSCALL");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_F_SLEEPABLE == BPF_F_SLEEPABLE, "BPF_F_SLEEPABLE");
SKELGEN_STATIC_ASSERT(SKELGEN_BPF_PERF_EVENT == BPF_PERF_EVENT, "BPF_PERF_EVENT");

/* Runtime state of a skeleton; not for users. */
struct skelgen_priv {
	struct task_struct *owner;	/* the task whose fd table holds the fds (referenced) */
	bool fd0_reserved;		/* fd 0 was free: held so that no object gets it */
	bool loaded;
	int open_err;
	char open_what[128];
};

/*
 * The fds of a skeleton live in the fd table of the task that loaded it (insmod's, in
 * module init), so they are used and closed from that task only. Any other task (rmmod's,
 * in module exit) leaves them to their owner and relies on the skeleton's references.
 */
static inline bool skelgen_fd_owner(const struct skelgen_priv *priv)
{
	return priv->owner && priv->owner == current;
}

/* Closes *fd if the calling task owns it, and marks it empty (0, as the loader ABI does). */
static inline void skelgen_close(const struct skelgen_priv *priv, int *fd)
{
	if (*fd > 0 && skelgen_fd_owner(priv))
		close_fd(*fd);
	*fd = 0;
}

/*
 * Makes the calling task the owner of the fds a load creates. 0 means "no fd" in the
 * loader's context, so a free fd 0 (a task without stdin) is reserved until the fds are
 * given up.
 */
static inline void skelgen_own(struct skelgen_priv *priv)
{
	int fd;

	if (priv->owner)
		return;
	get_task_struct(current);
	priv->owner = current;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd == 0)
		priv->fd0_reserved = true;
	else if (fd > 0)
		put_unused_fd(fd);
}

/* Gives up the ownership taken by skelgen_own(), once the fds are closed or abandoned. */
static inline void skelgen_disown(struct skelgen_priv *priv)
{
	if (!priv->owner)
		return;
	if (priv->fd0_reserved && skelgen_fd_owner(priv))
		put_unused_fd(0);
	priv->fd0_reserved = false;
	put_task_struct(priv->owner);
	priv->owner = NULL;
}

/*
 * Memory in the calling task's address space. The kernel reads a raw tracepoint's name and
 * writes the verifier log with copy_{from,to}_user even when called through kern_sys_bpf,
 * so those two live here for the duration of the call.
 */
static inline unsigned long skelgen_user_alloc(size_t size)
{
	if (!current->mm)
		return (unsigned long)-EINVAL;
	return vm_mmap(NULL, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
}

/*
 * Runs the loader (skelgen_run_loader). With a log requested (log_level, log_buf and
 * log_size), the kernel writes it into a temporary mapping of the calling task, copied to
 * log_buf afterwards.
 */
static inline int skelgen_load(struct skelgen_loader_ctx *ctx, const struct skelgen_blob *b,
			       char *log_buf, const char **what, int *step)
{
	unsigned long ulog = 0;
	int err;

	*what = NULL;
	*step = -1;
	ctx->log_buf = 0;
	if (ctx->log_level && log_buf && ctx->log_size) {
		ulog = skelgen_user_alloc(ctx->log_size);
		if (IS_ERR_VALUE(ulog)) {
			*what = "map a buffer for the log in the calling task";
			return (int)ulog;
		}
		ctx->log_buf = ulog;
	}
	err = skelgen_run_loader(ctx, b, what, step);
	if (ulog) {
		if (copy_from_user(log_buf, (const void __user *)ulog, ctx->log_size))
			log_buf[0] = '\0';
		log_buf[ctx->log_size - 1] = '\0';
		vm_munmap(ulog, ctx->log_size);
	}
	return err;
}

/* The skeleton's reference to the map behind fd (of the calling task). */
static inline int skelgen_map_ref(int fd, struct bpf_map **ref)
{
	struct bpf_map *map;

	if (fd <= 0)
		return 0;
	map = bpf_map_get(fd);
	if (IS_ERR(map))
		return PTR_ERR(map);
	*ref = map;
	return 0;
}

/* The skeleton's reference to the program of `type` behind fd (of the calling task). */
static inline int skelgen_prog_ref(int fd, u32 type, struct bpf_prog **ref)
{
	struct bpf_prog *prog;

	if (fd <= 0)
		return 0;
	prog = bpf_prog_get_type_dev(fd, type, false);
	if (IS_ERR(prog))
		return PTR_ERR(prog);
	*ref = prog;
	return 0;
}

/* Takes the skeleton's reference to the link behind fd; on failure the fd is closed. */
static inline int skelgen_link_keep(int fd, int *link_fd, struct bpf_link **ref)
{
	struct bpf_link *link = bpf_link_get_from_fd(fd);

	if (IS_ERR(link)) {
		close_fd(fd);
		return PTR_ERR(link);
	}
	*link_fd = fd;
	*ref = link;
	return 0;
}

static inline void skelgen_map_put(struct bpf_map **ref)
{
	if (*ref)
		bpf_map_put(*ref);
	*ref = NULL;
}

static inline void skelgen_prog_put(struct bpf_prog **ref)
{
	if (*ref)
		bpf_prog_put(*ref);
	*ref = NULL;
}

static inline void skelgen_link_put(struct bpf_link **ref)
{
	if (*ref)
		bpf_link_put(*ref);
	*ref = NULL;
}

/*
 * Every allocation of the runtime (the skeleton itself, staging memory) goes through this
 * pair: zeroed memory, NULL on failure, released with skelgen_free() (which takes NULL).
 */
static inline void *skelgen_zalloc(size_t size)
{
	return kvzalloc(size, GFP_KERNEL);
}

static inline void skelgen_free(void *p)
{
	kvfree(p);
}

/* Staging memory holding a data section's initial image until load; NULL on failure. */
static inline void *skelgen_data_open(const u8 *image, u32 size, u64 *initial_value)
{
	void *p = skelgen_zalloc(size ? size : 1);

	if (!p)
		return NULL;
	if (image)
		memcpy(p, image, size);
	*initial_value = skelgen_ptr(p);
	return p;
}

/* The value of a data section's map after load: a one-entry array of `size` bytes. */
static inline void *skelgen_data_value(struct bpf_map *map, u32 size)
{
	if (!map || map->map_type != BPF_MAP_TYPE_ARRAY || map->value_size != size)
		return NULL;
	return container_of(map, struct bpf_array, map)->value;
}

static inline void skelgen_data_free(void *staging)
{
	skelgen_free(staging);
}

/*
 * BPF_RAW_TRACEPOINT_OPEN: a raw tracepoint by name, or with a NULL name the target fixed
 * at load (fentry, fexit, fmod_ret, lsm, tp_btf). Returns the link fd.
 */
static inline int skelgen_raw_tp_open(int prog_fd, const char *name)
{
	union bpf_attr attr;
	unsigned long uname = 0;
	size_t len = 0;
	int fd;

	memset(&attr, 0, sizeof(attr));
	if (name) {
		len = strlen(name) + 1;
		uname = skelgen_user_alloc(len);
		if (IS_ERR_VALUE(uname))
			return (int)uname;
		if (copy_to_user((void __user *)uname, name, len)) {
			vm_munmap(uname, len);
			return -EFAULT;
		}
		attr.raw_tracepoint.name = uname;
	}
	attr.raw_tracepoint.prog_fd = prog_fd;
	fd = kern_sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &attr, sizeof(attr));
	if (uname)
		vm_munmap(uname, len);
	return fd;
}

#endif /* SKELGEN_KERN_RUNTIME_ABI2 */

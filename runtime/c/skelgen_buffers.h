/*
 * Readers of ring buffer and perf event array maps (userspace). The record parsing trusts
 * nothing it reads from the shared pages: a length or position the kernel would never
 * write stops the reading instead of leading it out of the mapping.
 */
#ifndef SKELGEN_C_BUFFERS_ABI2
#define SKELGEN_C_BUFFERS_ABI2

/* The ring buffer's record header (include/uapi/linux/bpf.h). */
#define SKELGEN_BPF_RINGBUF_BUSY_BIT (1U << 31)
#define SKELGEN_BPF_RINGBUF_DISCARD_BIT (1U << 30)
#define SKELGEN_BPF_RINGBUF_HDR_SZ 8
/* perf_event_mmap_page: where data_head and data_tail are (include/uapi/linux/perf_event.h). */
#define SKELGEN_PERF_DATA_HEAD 1024
#define SKELGEN_PERF_DATA_TAIL 1032
#define SKELGEN_PERF_RECORD_LOST 2
#define SKELGEN_PERF_RECORD_SAMPLE 9

/* A reader of a BPF_MAP_TYPE_RINGBUF map (the kernel's ring buffer layout: a consumer page
 * we write, then a producer page and the data, mapped twice in a row, we read). */
struct skelgen_ringbuf {
	int map_fd;
	uint32_t size;
	unsigned long *consumer;
	unsigned long *producer;
	const unsigned char *data;
};

/* Called per record; a non-zero return stops the reading and is returned. */
typedef int (*skelgen_ringbuf_fn)(void *ctx, const void *data, uint32_t size);

static inline int skelgen_ringbuf_open(struct skelgen_ringbuf *rb, int map_fd, uint32_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t p = page > 0 ? (size_t)page : 4096;
	void *c, *d;

	memset(rb, 0, sizeof(*rb));
	if (map_fd <= 0 || size == 0 || (size & (size - 1)))
		return skelgen_fail(-EINVAL);
	c = mmap(NULL, p, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (c == MAP_FAILED)
		return skelgen_fail(-errno);
	d = mmap(NULL, p + 2 * (size_t)size, PROT_READ, MAP_SHARED, map_fd, (off_t)p);
	if (d == MAP_FAILED) {
		int err = -errno;

		munmap(c, p);
		return skelgen_fail(err);
	}
	rb->map_fd = map_fd;
	rb->size = size;
	rb->consumer = (unsigned long *)c;
	rb->producer = (unsigned long *)d;
	rb->data = (const unsigned char *)d + p;
	return 0;
}

/*
 * Reads every committed record; returns how many, the callback's non-zero value, or
 * -EINVAL (errno set) at what the kernel never writes: a record longer than the ring, or a
 * producer more than the ring ahead of the consumer.
 */
static inline int skelgen_ringbuf_consume(struct skelgen_ringbuf *rb, skelgen_ringbuf_fn fn, void *ctx)
{
	const uint32_t flags = SKELGEN_BPF_RINGBUF_BUSY_BIT | SKELGEN_BPF_RINGBUF_DISCARD_BIT;
	unsigned long cons = __atomic_load_n(rb->consumer, __ATOMIC_ACQUIRE);
	unsigned long prod = __atomic_load_n(rb->producer, __ATOMIC_ACQUIRE);
	int n = 0, ret;

	while (cons < prod && n < INT32_MAX) {
		if (prod - cons > rb->size)
			return skelgen_fail(-EINVAL);
		/* The data pages are mapped twice in a row: a record that wraps is contiguous. */
		const unsigned char *rec = rb->data + (cons & (rb->size - 1));
		uint32_t len = __atomic_load_n((const uint32_t *)(const void *)rec, __ATOMIC_ACQUIRE);

		if (len & SKELGEN_BPF_RINGBUF_BUSY_BIT)	/* not committed yet */
			break;
		if ((len & ~flags) > rb->size - SKELGEN_BPF_RINGBUF_HDR_SZ)
			return skelgen_fail(-EINVAL);
		cons += ((len & ~flags) + SKELGEN_BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
		if (!(len & SKELGEN_BPF_RINGBUF_DISCARD_BIT)) {
			ret = fn(ctx, rec + SKELGEN_BPF_RINGBUF_HDR_SZ, len & ~flags);
			if (ret) {
				__atomic_store_n(rb->consumer, cons, __ATOMIC_RELEASE);
				return ret;
			}
			n++;
		}
		__atomic_store_n(rb->consumer, cons, __ATOMIC_RELEASE);
		if (cons >= prod)
			prod = __atomic_load_n(rb->producer, __ATOMIC_ACQUIRE);
	}
	return n;
}

/* Waits up to timeout_ms (-1: forever) for data, then consumes it. */
static inline int skelgen_ringbuf_poll(struct skelgen_ringbuf *rb, int timeout_ms, skelgen_ringbuf_fn fn, void *ctx)
{
	struct pollfd pfd;

	pfd.fd = rb->map_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
		return skelgen_fail(-errno);
	return skelgen_ringbuf_consume(rb, fn, ctx);
}

static inline void skelgen_ringbuf_close(struct skelgen_ringbuf *rb)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t p = page > 0 ? (size_t)page : 4096;

	if (rb->consumer)
		munmap(rb->consumer, p);
	if (rb->producer)
		munmap(rb->producer, p + 2 * (size_t)rb->size);
	memset(rb, 0, sizeof(*rb));
}

/* A reader of a BPF_MAP_TYPE_PERF_EVENT_ARRAY map: one BPF-output perf event per possible
 * CPU, each with a ring of `pages` pages (a power of 2), stored in the map at the CPU's
 * index (CPUs that are offline are skipped). Lost records are counted in `lost`. */
struct skelgen_perfbuf {
	uint32_t nr;
	size_t pages;
	size_t page;
	int *fds;
	unsigned char **rings;
	struct pollfd *pfds;
	unsigned char *scratch;
	uint64_t lost;
};

/* Called per sample with its CPU; a non-zero return stops the reading and is returned. */
typedef int (*skelgen_perfbuf_fn)(void *ctx, int cpu, const void *data, uint32_t size);

static inline void skelgen_perfbuf_close(struct skelgen_perfbuf *pb)
{
	uint32_t i;

	for (i = 0; pb->fds && i < pb->nr; i++) {
		if (pb->rings[i])
			munmap(pb->rings[i], (pb->pages + 1) * pb->page);
		if (pb->fds[i] >= 0)
			close(pb->fds[i]);
	}
	free(pb->fds);
	free(pb->rings);
	free(pb->pfds);
	free(pb->scratch);
	memset(pb, 0, sizeof(*pb));
}

/* Opens CPU `cpu`'s event and ring and puts the event into the map; 1 when the CPU is
 * offline, 0, or -errno. */
static inline int skelgen_perfbuf_cpu(struct skelgen_perfbuf *pb, int map_fd, uint32_t cpu)
{
	struct skelgen_perf_attr attr;
	uint32_t fd32;
	void *ring;
	int fd, err;

	memset(&attr, 0, sizeof(attr));
	attr.type = SKELGEN_PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = SKELGEN_PERF_COUNT_SW_BPF_OUTPUT;
	attr.sample_type = SKELGEN_PERF_SAMPLE_RAW;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	fd = skelgen_perf_event_open(&attr, -1, (int)cpu);
	if (fd == -ENODEV)
		return 1;
	if (fd < 0)
		return fd;
	pb->fds[cpu] = fd;
	pb->pfds[cpu].fd = fd;
	ring = mmap(NULL, (pb->pages + 1) * pb->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED)
		return -errno;
	pb->rings[cpu] = (unsigned char *)ring;
	if (ioctl(fd, SKELGEN_PERF_EVENT_IOC_ENABLE, 0) < 0)
		return -errno;
	fd32 = (uint32_t)fd;
	err = skelgen_map_update_elem(map_fd, &cpu, &fd32, 0);
	return err < 0 ? err : 0;
}

static inline int skelgen_perfbuf_open(struct skelgen_perfbuf *pb, int map_fd, size_t pages)
{
	long page = sysconf(_SC_PAGESIZE);
	uint32_t i;
	int err = 0;

	memset(pb, 0, sizeof(*pb));
	if (map_fd <= 0 || pages == 0 || (pages & (pages - 1)))
		return skelgen_fail(-EINVAL);
	pb->nr = skelgen_possible_cpus();
	pb->pages = pages;
	pb->page = page > 0 ? (size_t)page : 4096;
	pb->fds = (int *)malloc(pb->nr * sizeof(int));
	pb->rings = (unsigned char **)calloc(pb->nr, sizeof(unsigned char *));
	pb->pfds = (struct pollfd *)calloc(pb->nr, sizeof(struct pollfd));
	pb->scratch = (unsigned char *)malloc(1 << 16);
	if (!pb->fds || !pb->rings || !pb->pfds || !pb->scratch) {
		skelgen_perfbuf_close(pb);
		return skelgen_fail(-ENOMEM);
	}
	for (i = 0; i < pb->nr; i++) {
		pb->fds[i] = -1;
		pb->pfds[i].fd = -1;
		pb->pfds[i].events = POLLIN;
	}
	for (i = 0; i < pb->nr && err >= 0; i++)
		err = skelgen_perfbuf_cpu(pb, map_fd, i);
	if (err < 0) {
		skelgen_perfbuf_close(pb);
		return skelgen_fail(err);
	}
	return 0;
}

/*
 * Reads one CPU's ring: samples go to fn (counted in *n), lost-record notices to pb->lost.
 * Returns the callback's non-zero value, or 0. At most one ring's worth is read per call,
 * whatever data_head says.
 */
static inline int skelgen_perfbuf_ring(struct skelgen_perfbuf *pb, uint32_t cpu, skelgen_perfbuf_fn fn,
				       void *ctx, int *n)
{
	unsigned char *base = pb->rings[cpu], *data = base + pb->page, *rec = pb->scratch;
	uint64_t *tail_p = (uint64_t *)(void *)(base + SKELGEN_PERF_DATA_TAIL), size = pb->pages * pb->page;
	uint64_t head = __atomic_load_n((uint64_t *)(void *)(base + SKELGEN_PERF_DATA_HEAD), __ATOMIC_ACQUIRE);
	uint64_t tail = *tail_p, off, i, len, lost;
	uint64_t left = tail < head ? head - tail : 0;
	uint32_t raw;
	int ret = 0;

	/* Positions are only counted down from what the ring can hold, never compared, so
	 * a corrupt head or tail near 2^64 cannot make tail wrap and the walk go on. */
	if (left > size)
		left = size;
	while (left >= 8 && !ret) {
		for (i = 0; i < 8; i++)		/* struct perf_event_header, maybe wrapped */
			rec[i] = data[(tail + i) & (size - 1)];
		len = (uint64_t)(rec[6] | rec[7] << 8);
		if (len < 8 || len > left)
			break;
		off = tail & (size - 1);
		for (i = 0; i < len; i++)
			rec[i] = data[(off + i) & (size - 1)];
		if (rec[0] == SKELGEN_PERF_RECORD_SAMPLE && len >= 12) {	/* u32 size, raw data */
			memcpy(&raw, rec + 8, 4);
			ret = fn(ctx, (int)cpu, rec + 12, raw <= len - 12 ? raw : (uint32_t)(len - 12));
			(*n)++;
		} else if (rec[0] == SKELGEN_PERF_RECORD_LOST && len >= 24) {	/* u64 id, u64 lost */
			memcpy(&lost, rec + 16, 8);
			pb->lost += lost;
		}
		tail += len;
		left -= len;
		__atomic_store_n(tail_p, tail, __ATOMIC_RELEASE);
	}
	return ret;
}

/* Reads every CPU's ring; returns the number of samples, or the callback's non-zero value. */
static inline int skelgen_perfbuf_consume(struct skelgen_perfbuf *pb, skelgen_perfbuf_fn fn, void *ctx)
{
	uint32_t cpu;
	int n = 0, ret;

	for (cpu = 0; cpu < pb->nr; cpu++) {
		if (!pb->rings[cpu])
			continue;
		ret = skelgen_perfbuf_ring(pb, cpu, fn, ctx, &n);
		if (ret)
			return ret;
	}
	return n;
}

/* Waits up to timeout_ms (-1: forever) for data on any CPU, then consumes it. */
static inline int skelgen_perfbuf_poll(struct skelgen_perfbuf *pb, int timeout_ms, skelgen_perfbuf_fn fn, void *ctx)
{
	if (poll(pb->pfds, pb->nr, timeout_ms) < 0 && errno != EINTR)
		return skelgen_fail(-errno);
	return skelgen_perfbuf_consume(pb, fn, ctx);
}

#endif /* SKELGEN_C_BUFFERS_ABI2 */

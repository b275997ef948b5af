/* Ring buffer and perf buffer record parsing without a kernel: the shared pages are plain
 * memory laid out as the kernel lays them out, written by the test as a producer would. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_helpers.h"
#include "../skelgen_buffers.h"
#include "check.h"

#define RING 4096

/* What the callbacks saw. */
struct seen {
	int n;
	uint32_t sizes[64];
	unsigned char first[64];
	int cpu;
	int stop_at;	/* return 7 from this record on (-1: never) */
};

static int on_record(void *ctx, const void *data, uint32_t size)
{
	struct seen *s = (struct seen *)ctx;

	if (s->n < 64) {
		s->sizes[s->n] = size;
		s->first[s->n] = size ? *(const unsigned char *)data : 0;
	}
	s->n++;
	return s->stop_at >= 0 && s->n > s->stop_at ? 7 : 0;
}

/* A ring buffer's pages: consumer position, producer position, data mapped twice. */
struct ring {
	unsigned long consumer;
	unsigned long producer;
	unsigned char data[2 * RING];
};

/* Writes a record at the producer position, as the kernel does (mirrored), and commits it
 * unless busy. */
static void produce(struct ring *r, uint32_t len, uint32_t flags, unsigned char fill)
{
	unsigned long pos = r->producer;
	uint32_t hdr = len | flags;
	uint32_t i;

	for (i = 0; i < 4; i++)
		r->data[(pos + i) % RING] = (unsigned char)(hdr >> (8 * i));
	for (i = 0; i < len; i++)
		r->data[(pos + 8 + i) % RING] = fill;
	memcpy(r->data + RING, r->data, RING);
	r->producer += (len + 8 + 7) & ~7ul;
}

static void ring_reader(struct skelgen_ringbuf *rb, struct ring *r)
{
	memset(rb, 0, sizeof(*rb));
	rb->map_fd = -1;
	rb->size = RING;
	rb->consumer = &r->consumer;
	rb->producer = &r->producer;
	rb->data = r->data;
}

static void test_ringbuf(void)
{
	static struct ring r;
	struct skelgen_ringbuf rb;
	struct seen s;

	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	ring_reader(&rb, &r);
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == 0);
	produce(&r, 5, 0, 'a');
	produce(&r, 16, SKELGEN_BPF_RINGBUF_DISCARD_BIT, 'x');
	produce(&r, 0, 0, 0);
	produce(&r, 100, 0, 'b');
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == 3);
	CHECK(s.n == 3 && s.sizes[0] == 5 && s.first[0] == 'a' && s.sizes[1] == 0);
	CHECK(s.sizes[2] == 100 && s.first[2] == 'b');
	CHECK(r.consumer == r.producer);

	/* A record not committed yet stops the reading; it is read once committed. */
	produce(&r, 8, SKELGEN_BPF_RINGBUF_BUSY_BIT, 'c');
	s.n = 0;
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == 0);
	CHECK(r.consumer == r.producer - 16);
	r.data[(r.consumer + 3) % RING] = 0;
	r.data[RING + (r.consumer + 3) % RING] = 0;
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == 1 && s.first[0] == 'c');

	/* Records wrapping past the end of the ring, read through the second mapping. */
	while (RING - r.producer % RING >= 308) {
		produce(&r, 200, 0, 'd');
		CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == 1);
	}
	s.n = 0;
	produce(&r, 300, 0, 'e');
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == 1);
	CHECK(s.n == 1 && s.first[0] == 'e' && s.sizes[0] == 300);

	/* A non-zero callback value stops the reading after that record, which is consumed. */
	s.n = 0;
	s.stop_at = 1;
	produce(&r, 1, 0, 'f');
	produce(&r, 1, 0, 'g');
	produce(&r, 1, 0, 'h');
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == 7);
	CHECK(s.n == 2 && r.consumer == r.producer - 16);
	s.stop_at = -1;
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == 1 && s.first[2] == 'h');

	/* Hostile: a record longer than the ring, or a producer more than the ring ahead, is
	 * refused, and nothing is read past the pages. */
	produce(&r, 8, 0, 'z');
	r.data[(r.consumer + 1) % RING] = RING >> 8;	/* the header now claims RING + 8 bytes */
	r.data[RING + (r.consumer + 1) % RING] = RING >> 8;
	s.n = 0;
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == -EINVAL && errno == EINVAL);
	CHECK(s.n == 0);
	r.consumer = r.producer;
	produce(&r, RING, 0, 'z');
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == -EINVAL && s.n == 0);
	r.consumer = 0;
	r.producer = (unsigned long)1 << 40;
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == -EINVAL && s.n == 0);
	r.consumer = r.producer + 8;	/* a consumer ahead has nothing to read */
	CHECK(skelgen_ringbuf_consume(&rb, on_record, &s) == 0 && s.n == 0);
}

static int on_sample(void *ctx, int cpu, const void *data, uint32_t size)
{
	struct seen *s = (struct seen *)ctx;

	s->cpu = cpu;
	return on_record(ctx, data, size);
}

#define PAGE 4096
#define PAGES 2

/* The metadata page, then PAGES data pages. */
static unsigned char perf_pages[(PAGES + 1) * PAGE];

static uint64_t *head_of(void)
{
	return (uint64_t *)(void *)(perf_pages + SKELGEN_PERF_DATA_HEAD);
}

/* Appends a record at data_head: type, total size, body (wrapping around the ring). */
static void perf_put(uint32_t type, const unsigned char *body, uint16_t body_len)
{
	uint64_t head = *head_of(), size = PAGES * PAGE;
	unsigned char hdr[8] = { 0 };
	uint16_t total = (uint16_t)(8 + body_len);
	uint32_t i;

	hdr[0] = (unsigned char)type;
	hdr[6] = (unsigned char)total;
	hdr[7] = (unsigned char)(total >> 8);
	for (i = 0; i < 8; i++)
		perf_pages[PAGE + (head + i) % size] = hdr[i];
	for (i = 0; i < body_len; i++)
		perf_pages[PAGE + (head + 8 + i) % size] = body[i];
	*head_of() = head + total;
}

static void perf_sample(uint32_t raw_size, unsigned char fill, uint16_t pad)
{
	unsigned char body[600];

	memset(body, fill, sizeof(body));
	memcpy(body, &raw_size, 4);
	perf_put(SKELGEN_PERF_RECORD_SAMPLE, body, (uint16_t)(4 + pad));
}

static void test_perfbuf(void)
{
	struct skelgen_perfbuf pb;
	unsigned char *rings[1];
	unsigned char lost[16] = { 0 };
	struct seen s;
	int n = 0;

	memset(&pb, 0, sizeof(pb));
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	rings[0] = perf_pages;
	pb.nr = 1;
	pb.pages = PAGES;
	pb.page = PAGE;
	pb.rings = rings;
	pb.scratch = (unsigned char *)malloc(1 << 16);
	CHECK(pb.scratch != NULL);
	if (!pb.scratch)
		return;
	perf_sample(10, 'a', 12);
	lost[8] = 5;		/* u64 id, then u64 lost = 5 */
	perf_put(SKELGEN_PERF_RECORD_LOST, lost, 16);
	perf_sample(500, 'b', 12);	/* claims more than the record holds: cut to it */
	CHECK(skelgen_perfbuf_ring(&pb, 0, on_sample, &s, &n) == 0);
	CHECK(n == 2 && s.n == 2 && s.cpu == 0);
	CHECK(s.sizes[0] == 10 && s.first[0] == 'a' && s.sizes[1] == 12);
	CHECK(pb.lost == 5);
	CHECK(*(uint64_t *)(void *)(perf_pages + SKELGEN_PERF_DATA_TAIL) == *head_of());

	/* Samples that wrap around the ring come out whole. */
	while (PAGES * PAGE - *head_of() % (PAGES * PAGE) >= 512) {
		perf_sample(500, 'c', 500);	/* 512 bytes */
		CHECK(skelgen_perfbuf_consume(&pb, on_sample, &s) == 1);
	}
	s.n = 0;
	perf_sample(500, 'd', 500);
	CHECK(skelgen_perfbuf_consume(&pb, on_sample, &s) == 1);
	CHECK(s.n == 1 && s.first[0] == 'd' && s.sizes[0] == 500);

	/* A header shorter than itself stops the reading rather than looping. */
	perf_put(SKELGEN_PERF_RECORD_SAMPLE, NULL, 0);
	perf_pages[PAGE + (*head_of() - 2) % (PAGES * PAGE)] = 4;
	s.n = 0;
	CHECK(skelgen_perfbuf_consume(&pb, on_sample, &s) == 0 && s.n == 0);

	/* Hostile: data_head far ahead of data_tail; at most one ring's worth is read. */
	*(uint64_t *)(void *)(perf_pages + SKELGEN_PERF_DATA_TAIL) = *head_of();
	memset(perf_pages + PAGE, 0, PAGES * PAGE);
	*head_of() += (uint64_t)1 << 62;
	CHECK(skelgen_perfbuf_consume(&pb, on_sample, &s) == 0);
	free(pb.scratch);
}

static void test_cpu_count(void)
{
	CHECK(skelgen_cpu_count("0-3,8-11\n") == 8);
	CHECK(skelgen_cpu_count("0\n") == 1);
	CHECK(skelgen_cpu_count("0,2,4") == 3);
	CHECK(skelgen_cpu_count("") == 0);
	CHECK(skelgen_cpu_count("3-1") == 0);
	CHECK(skelgen_possible_cpus() >= 1);
}

int main(void)
{
	test_ringbuf();
	test_perfbuf();
	test_cpu_count();
	return check_report("test_buffers");
}

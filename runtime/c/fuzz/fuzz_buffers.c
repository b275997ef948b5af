/* libFuzzer target: ring buffer and perf buffer record parsing on pages whose contents
 * (positions, lengths, flags, record types) come from the input, as a hostile or corrupt
 * producer could leave them. Nothing may be read outside the pages. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_helpers.h"
#include "../skelgen_buffers.h"

#define RING 4096
#define PAGE 4096
#define PAGES 2

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_record(void *ctx, const void *rec, uint32_t len)
{
	const unsigned char *p = (const unsigned char *)rec;
	unsigned int *sum = (unsigned int *)ctx;
	uint32_t i;

	for (i = 0; i < len; i++)	/* touch every byte handed out */
		*sum += p[i];
	return 0;
}

static int on_sample(void *ctx, int cpu, const void *rec, uint32_t len)
{
	(void)cpu;
	return on_record(ctx, rec, len);
}

static void ring(const uint8_t *data, size_t size, unsigned int *sum)
{
	static unsigned char pages[2 * RING];
	unsigned long consumer = 0, producer = 0;
	struct skelgen_ringbuf rb;

	memset(pages, 0, sizeof(pages));
	if (size >= 16) {
		memcpy(&consumer, data, 8);
		memcpy(&producer, data + 8, 8);
		/* Keep the walk short; positions far apart are still exercised by their low bits. */
		if (producer - consumer > 16 * RING)
			producer = consumer + 16 * RING;
		data += 16;
		size -= 16;
	}
	memcpy(pages, data, size < RING ? size : RING);
	memcpy(pages + RING, pages, RING);
	memset(&rb, 0, sizeof(rb));
	rb.size = RING;
	rb.consumer = &consumer;
	rb.producer = &producer;
	rb.data = pages;
	(void)skelgen_ringbuf_consume(&rb, on_record, sum);
}

static void perf(const uint8_t *data, size_t size, unsigned int *sum)
{
	static unsigned char pages[(PAGES + 1) * PAGE];
	static unsigned char scratch[1 << 16];
	unsigned char *rings[1] = { pages };
	struct skelgen_perfbuf pb;
	uint64_t head = 0, tail = 0;
	int n = 0;

	memset(pages, 0, sizeof(pages));
	if (size >= 16) {
		memcpy(&head, data, 8);
		memcpy(&tail, data + 8, 8);
		data += 16;
		size -= 16;
	}
	memcpy(pages + SKELGEN_PERF_DATA_HEAD, &head, 8);
	memcpy(pages + SKELGEN_PERF_DATA_TAIL, &tail, 8);
	memcpy(pages + PAGE, data, size < PAGES * PAGE ? size : PAGES * PAGE);
	memset(&pb, 0, sizeof(pb));
	pb.nr = 1;
	pb.pages = PAGES;
	pb.page = PAGE;
	pb.rings = rings;
	pb.scratch = scratch;
	(void)skelgen_perfbuf_ring(&pb, 0, on_sample, sum, &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int sum = 0;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		perf(data + 1, size - 1, &sum);
	else
		ring(data + 1, size - 1, &sum);
	return (int)(sum & 0);
}

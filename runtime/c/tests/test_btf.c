/* The kernel-BTF reader on its own: handmade blobs (good, truncated, corrupt, hostile) and,
 * when the machine has one, /sys/kernel/btf/vmlinux. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_read_all.h"
#include "../skelgen_btf.h"
#include "btf_blob.h"
#include "check.h"

/* Parses a copy of `len` bytes of `data` (the reader owns and frees its buffer). */
static int parse(struct skelgen_btf *btf, const unsigned char *data, size_t len)
{
	memset(btf, 0, sizeof(*btf));
	btf->raw = (unsigned char *)malloc(len ? len : 1);
	if (!btf->raw)
		return -ENOMEM;
	memcpy(btf->raw, data, len);
	return skelgen_btf_parse(btf, len);
}

static void test_good(void)
{
	struct skelgen_btf btf;
	struct skelgen_btf_member m;
	struct blob b;
	uint64_t size = 0;
	uint32_t ops;

	good_blob(&b);
	CHECK(parse(&btf, b.out, b.out_len) == 0);
	CHECK(btf.nr_types == 8);
	ops = skelgen_btf_find(&btf, "ops", SKELGEN_BTF_KIND_STRUCT);
	CHECK(ops == 2);
	CHECK(skelgen_btf_find(&btf, "ops", SKELGEN_BTF_KIND_UNION) == 0);
	CHECK(skelgen_btf_find(&btf, "nothing", SKELGEN_BTF_KIND_STRUCT) == 0);
	CHECK(skelgen_btf_member(&btf, ops, "fn", &m) == 1);
	CHECK(m.index == 1 && m.type == 3 && m.bit_offset == 64 && m.bitfield == 0);
	CHECK(skelgen_btf_is_func_ptr(&btf, m.type));
	CHECK(skelgen_btf_member(&btf, ops, "x", &m) == 1);
	CHECK(!skelgen_btf_is_func_ptr(&btf, m.type));
	CHECK(skelgen_btf_member(&btf, ops, "missing", &m) == 0);
	CHECK(skelgen_btf_member(&btf, 1, "x", &m) == 0);
	CHECK(skelgen_btf_member(&btf, 99, "x", &m) == 0);
	CHECK(skelgen_btf_member(&btf, ops, "arr", &m) == 1);
	CHECK(skelgen_btf_size(&btf, m.type, &size) == 0 && size == 16);
	CHECK(skelgen_btf_size(&btf, 6, &size) == 0 && size == 24);	/* typedef -> const -> struct */
	CHECK(skelgen_btf_skip(&btf, 6) == 2);
	CHECK(skelgen_btf_size(&btf, 3, &size) == 0 && size == SKELGEN_BTF_PTR_SIZE);
	CHECK(skelgen_btf_size(&btf, 4, &size) == -EINVAL);	/* a prototype has no size */
	CHECK(skelgen_btf_size(&btf, 0, &size) == -EINVAL);
	CHECK(skelgen_btf_type(&btf, 0) == NULL && skelgen_btf_type(&btf, 9) == NULL);
	CHECK(strcmp(skelgen_btf_str(&btf, 100000), "") == 0);
	skelgen_btf_free(&btf);
}

/* Every shorter prefix is refused: the header's lengths no longer fit. */
static void test_truncated(void)
{
	struct skelgen_btf btf;
	struct blob b;
	uint32_t len;

	good_blob(&b);
	for (len = 0; len < b.out_len; len++) {
		CHECK(parse(&btf, b.out, len) == -EINVAL);
		skelgen_btf_free(&btf);
	}
}

static void expect_invalid(struct blob *b, const char *what)
{
	struct skelgen_btf btf;
	int err = parse(&btf, b->out, b->out_len);

	if (err != -EINVAL)
		fprintf(stderr, "accepted: %s\n", what);
	CHECK(err == -EINVAL);
	skelgen_btf_free(&btf);
}

static void test_corrupt(void)
{
	struct blob b;

	good_blob(&b);
	b.out[0] = 0x9e;
	expect_invalid(&b, "bad magic");
	good_blob(&b);
	put32(b.out + 4, 20);
	expect_invalid(&b, "header shorter than 24 bytes");
	good_blob(&b);
	put32(b.out + 4, 0xffffff00u);
	expect_invalid(&b, "header longer than the file");
	good_blob(&b);
	b.out[b.out_len - 1] = 'x';
	expect_invalid(&b, "strings not NUL-terminated");
	good_blob(&b);
	put32(b.out + 20, 0);
	expect_invalid(&b, "no strings");
	good_blob(&b);
	put32(b.out + 12, b.types_len - 4);
	expect_invalid(&b, "types section ending inside a record");
	good_blob(&b);
	b.out[24 + 7] = 31;	/* kind of type 1 */
	expect_invalid(&b, "unknown kind");
}

static void test_hostile(void)
{
	struct skelgen_btf btf;
	struct skelgen_btf_member m;
	struct blob b;
	uint64_t size;

	good_blob(&b);
	put32(b.out + 24 + 16 + 4, SKELGEN_BTF_KIND_STRUCT << 24 | 0xffff);	/* vlen of type 2 */
	expect_invalid(&b, "vlen past the types section");
	good_blob(&b);
	put32(b.out + 12, 0xffffffffu);
	expect_invalid(&b, "huge type_len");
	good_blob(&b);
	put32(b.out + 8, 0xfffffff0u);
	expect_invalid(&b, "type_off past the end");
	good_blob(&b);
	put32(b.out + 16, 0xfffffff0u);
	put32(b.out + 20, 0x20);
	expect_invalid(&b, "str_off + str_len wrapping 32 bits");

	/* A typedef cycle (6 -> 7 -> 6) and an array of 2^32-1 arrays of 2^32-1 ints parse, but
	 * have no size. */
	memset(&b, 0, sizeof(b));
	str(&b, "");
	type(&b, "int", SKELGEN_BTF_KIND_INT, 0, 4);
	word(&b, 32);
	type(&b, NULL, SKELGEN_BTF_KIND_ARRAY, 0, 0);
	word(&b, 1);
	word(&b, 1);
	word(&b, 0xffffffffu);
	type(&b, NULL, SKELGEN_BTF_KIND_ARRAY, 0, 0);
	word(&b, 2);
	word(&b, 1);
	word(&b, 0xffffffffu);
	type(&b, "self", SKELGEN_BTF_KIND_TYPEDEF, 0, 4);
	type(&b, "bad", SKELGEN_BTF_KIND_PTR, 0, 1000);
	type(&b, "a", SKELGEN_BTF_KIND_TYPEDEF, 0, 7);
	type(&b, "b", SKELGEN_BTF_KIND_TYPEDEF, 0, 6);
	type(&b, NULL, SKELGEN_BTF_KIND_STRUCT, 1, 8);
	word(&b, 0x7fffffffu);	/* a name far past the strings */
	word(&b, 0xffffu);	/* a member type that does not exist */
	word(&b, 0);
	blob_finish(&b);
	CHECK(parse(&btf, b.out, b.out_len) == 0);
	CHECK(skelgen_btf_size(&btf, 2, &size) == 0 && size == 0xffffffffull * 4);
	CHECK(skelgen_btf_size(&btf, 3, &size) == -EINVAL);
	CHECK(skelgen_btf_skip(&btf, 4) == 0);
	CHECK(skelgen_btf_size(&btf, 4, &size) == -EINVAL);
	CHECK(skelgen_btf_skip(&btf, 6) == 0);
	CHECK(!skelgen_btf_is_func_ptr(&btf, 5));
	CHECK(skelgen_btf_member(&btf, 8, "", &m) == 1 && m.type == 0xffff);
	CHECK(skelgen_btf_size(&btf, m.type, &size) == -EINVAL);
	skelgen_btf_free(&btf);
}

/* The running kernel's BTF, when there is one to read. */
static void test_vmlinux(void)
{
	struct skelgen_btf btf;
	struct skelgen_btf_member m;
	uint32_t id;
	uint64_t size = 0;
	int err = skelgen_btf_load(&btf, "/sys/kernel/btf/vmlinux");

	if (err == -ENOENT) {
		printf("test_vmlinux: no /sys/kernel/btf/vmlinux, skipped\n");
		return;
	}
	CHECK(err == 0);
	if (err)
		return;
	CHECK(btf.nr_types > 10000);
	id = skelgen_btf_find(&btf, "tcp_congestion_ops", SKELGEN_BTF_KIND_STRUCT);
	CHECK(id != 0);
	CHECK(skelgen_btf_member(&btf, id, "ssthresh", &m) == 1);
	CHECK(skelgen_btf_is_func_ptr(&btf, m.type));
	CHECK(skelgen_btf_member(&btf, id, "name", &m) == 1);
	CHECK(skelgen_btf_size(&btf, m.type, &size) == 0 && size == 16);
	CHECK(skelgen_btf_find(&btf, "bpf_struct_ops_tcp_congestion_ops", SKELGEN_BTF_KIND_STRUCT) != 0);
	id = skelgen_btf_find(&btf, "task_struct", SKELGEN_BTF_KIND_STRUCT);
	CHECK(id != 0 && skelgen_btf_size(&btf, id, &size) == 0 && size > 1000);
	skelgen_btf_free(&btf);
	CHECK(skelgen_btf_load(&btf, "/nonexistent/btf") == -ENOENT);
}

int main(void)
{
	test_good();
	test_truncated();
	test_corrupt();
	test_hostile();
	test_vmlinux();
	return check_report("test_btf");
}

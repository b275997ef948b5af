/* Handmade BTF for the tests: a builder and one small, well-formed blob. */
#ifndef SKELGEN_TEST_BTF_BLOB_H
#define SKELGEN_TEST_BTF_BLOB_H

/* A BTF blob under construction: types and strings, joined by blob_finish(). */
struct blob {
	unsigned char types[1024];
	uint32_t types_len;
	char strs[256];
	uint32_t strs_len;
	unsigned char out[1400];
	uint32_t out_len;
};

static inline void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline uint32_t str(struct blob *b, const char *s)
{
	uint32_t off = b->strs_len;

	memcpy(b->strs + off, s, strlen(s) + 1);
	b->strs_len += (uint32_t)strlen(s) + 1;
	return off;
}

static inline void word(struct blob *b, uint32_t v)
{
	put32(b->types + b->types_len, v);
	b->types_len += 4;
}

static inline void type(struct blob *b, const char *name, uint32_t kind, uint32_t vlen, uint32_t size_or_type)
{
	word(b, name ? str(b, name) : 0);
	word(b, kind << 24 | vlen);
	word(b, size_or_type);
}

static inline void blob_finish(struct blob *b)
{
	unsigned char *h = b->out;

	memset(h, 0, 24);
	h[0] = 0x9f;
	h[1] = 0xeb;
	h[2] = 1;
	put32(h + 4, 24);
	put32(h + 8, 0);
	put32(h + 12, b->types_len);
	put32(h + 16, b->types_len);
	put32(h + 20, b->strs_len);
	memcpy(h + 24, b->types, b->types_len);
	memcpy(h + 24 + b->types_len, b->strs, b->strs_len);
	b->out_len = 24 + b->types_len + b->strs_len;
}

/*
 * 1 int, 2 struct ops { int x; int (*fn)(int); int arr[4]; }, 3 ptr -> 4, 4 func_proto,
 * 5 array int[4], 6 typedef ops_t -> 7 const -> 2, 8 struct bpf_struct_ops_ops { int
 * refcnt; struct ops data; }.
 */
static inline void good_blob(struct blob *b)
{
	memset(b, 0, sizeof(*b));
	str(b, "");
	type(b, "int", SKELGEN_BTF_KIND_INT, 0, 4);
	word(b, 32);
	type(b, "ops", SKELGEN_BTF_KIND_STRUCT, 3, 24);
	word(b, str(b, "x"));
	word(b, 1);
	word(b, 0);
	word(b, str(b, "fn"));
	word(b, 3);
	word(b, 64);
	word(b, str(b, "arr"));
	word(b, 5);
	word(b, 128);
	type(b, NULL, SKELGEN_BTF_KIND_PTR, 0, 4);
	type(b, NULL, SKELGEN_BTF_KIND_FUNC_PROTO, 1, 1);
	word(b, 0);
	word(b, 1);
	type(b, NULL, SKELGEN_BTF_KIND_ARRAY, 0, 0);
	word(b, 1);
	word(b, 1);
	word(b, 4);
	type(b, "ops_t", SKELGEN_BTF_KIND_TYPEDEF, 0, 7);
	type(b, NULL, SKELGEN_BTF_KIND_CONST, 0, 2);
	type(b, "bpf_struct_ops_ops", SKELGEN_BTF_KIND_STRUCT, 2, 32);
	word(b, str(b, "refcnt"));
	word(b, 1);
	word(b, 0);
	word(b, str(b, "data"));
	word(b, 2);
	word(b, 64);
	blob_finish(b);
}

#endif

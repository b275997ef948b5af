/*
 * A reader of the running kernel's BTF (/sys/kernel/btf/vmlinux), enough to lay out
 * struct_ops values: find a struct by name, its members by name, and the size of a type.
 * Every offset read from the file is checked against its bounds first.
 */
#ifndef SKELGEN_C_BTF_ABI2
#define SKELGEN_C_BTF_ABI2

#define SKELGEN_BTF_MAGIC 0xeB9F
#define SKELGEN_BTF_KIND_INT 1
#define SKELGEN_BTF_KIND_PTR 2
#define SKELGEN_BTF_KIND_ARRAY 3
#define SKELGEN_BTF_KIND_STRUCT 4
#define SKELGEN_BTF_KIND_UNION 5
#define SKELGEN_BTF_KIND_ENUM 6
#define SKELGEN_BTF_KIND_FWD 7
#define SKELGEN_BTF_KIND_TYPEDEF 8
#define SKELGEN_BTF_KIND_VOLATILE 9
#define SKELGEN_BTF_KIND_CONST 10
#define SKELGEN_BTF_KIND_RESTRICT 11
#define SKELGEN_BTF_KIND_FUNC 12
#define SKELGEN_BTF_KIND_FUNC_PROTO 13
#define SKELGEN_BTF_KIND_VAR 14
#define SKELGEN_BTF_KIND_DATASEC 15
#define SKELGEN_BTF_KIND_FLOAT 16
#define SKELGEN_BTF_KIND_DECL_TAG 17
#define SKELGEN_BTF_KIND_TYPE_TAG 18
#define SKELGEN_BTF_KIND_ENUM64 19
/* Typedef and modifier chains longer than this are refused (libbpf's limit). */
#define SKELGEN_BTF_MAX_DEPTH 32
/* Pointers in the kernel's structures: the loader supports 64-bit kernels only. */
#define SKELGEN_BTF_PTR_SIZE 8

/* The file, and where each type starts: type `id` at types + offs[id - 1]. */
struct skelgen_btf {
	unsigned char *raw;
	const unsigned char *types;
	const char *strs;
	uint32_t types_len;
	uint32_t strs_len;
	uint32_t *offs;
	uint32_t nr_types;
};

static inline uint32_t skelgen_btf_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t skelgen_btf_kind(const unsigned char *t)
{
	return (skelgen_btf_u32(t + 4) >> 24) & 0x1f;
}

static inline uint32_t skelgen_btf_vlen(const unsigned char *t)
{
	return skelgen_btf_u32(t + 4) & 0xffff;
}

/* Bytes that follow the 12-byte record of a type, or -1 for a kind this reader does not know. */
static inline long skelgen_btf_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case SKELGEN_BTF_KIND_INT:
	case SKELGEN_BTF_KIND_VAR:
	case SKELGEN_BTF_KIND_DECL_TAG:
		return 4;
	case SKELGEN_BTF_KIND_ARRAY:
		return 12;
	case SKELGEN_BTF_KIND_STRUCT:
	case SKELGEN_BTF_KIND_UNION:
	case SKELGEN_BTF_KIND_DATASEC:
	case SKELGEN_BTF_KIND_ENUM64:
		return 12L * (long)vlen;
	case SKELGEN_BTF_KIND_ENUM:
	case SKELGEN_BTF_KIND_FUNC_PROTO:
		return 8L * (long)vlen;
	case SKELGEN_BTF_KIND_PTR:
	case SKELGEN_BTF_KIND_FWD:
	case SKELGEN_BTF_KIND_TYPEDEF:
	case SKELGEN_BTF_KIND_VOLATILE:
	case SKELGEN_BTF_KIND_CONST:
	case SKELGEN_BTF_KIND_RESTRICT:
	case SKELGEN_BTF_KIND_FUNC:
	case SKELGEN_BTF_KIND_FLOAT:
	case SKELGEN_BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

/* Walks the type records once: counts them, and with `offs` records where each starts. */
static inline int skelgen_btf_walk(struct skelgen_btf *btf, uint32_t *offs)
{
	uint32_t pos = 0, n = 0;
	long extra;

	while (pos < btf->types_len) {
		if (btf->types_len - pos < 12)
			return -EINVAL;
		extra = skelgen_btf_extra(skelgen_btf_kind(btf->types + pos),
					  skelgen_btf_vlen(btf->types + pos));
		if (extra < 0 || (unsigned long)extra > btf->types_len - pos - 12)
			return -EINVAL;
		if (offs)
			offs[n] = pos;
		n++;
		pos += 12 + (uint32_t)extra;
	}
	btf->nr_types = n;
	return 0;
}

/* Checks the header and the string section, and indexes the types. */
static inline int skelgen_btf_parse(struct skelgen_btf *btf, size_t size)
{
	const unsigned char *d = btf->raw;
	uint16_t magic;
	uint64_t hdr_len, type_off, type_len, str_off, str_len;
	int err;

	if (size < 24)
		return -EINVAL;
	memcpy(&magic, d, sizeof(magic));
	hdr_len = skelgen_btf_u32(d + 4);
	type_off = skelgen_btf_u32(d + 8);
	type_len = skelgen_btf_u32(d + 12);
	str_off = skelgen_btf_u32(d + 16);
	str_len = skelgen_btf_u32(d + 20);
	if (magic != SKELGEN_BTF_MAGIC || hdr_len < 24 || hdr_len > size ||
	    type_off + type_len > size - hdr_len || str_off + str_len > size - hdr_len ||
	    str_len == 0 || d[hdr_len + str_off + str_len - 1] != '\0')
		return -EINVAL;
	btf->types = d + hdr_len + type_off;
	btf->types_len = (uint32_t)type_len;
	btf->strs = (const char *)(d + hdr_len + str_off);
	btf->strs_len = (uint32_t)str_len;
	err = skelgen_btf_walk(btf, NULL);
	if (err)
		return err;
	btf->offs = (uint32_t *)malloc((btf->nr_types ? btf->nr_types : 1) * sizeof(uint32_t));
	if (!btf->offs)
		return -ENOMEM;
	return skelgen_btf_walk(btf, btf->offs);
}

static inline void skelgen_btf_free(struct skelgen_btf *btf)
{
	free(btf->offs);
	free(btf->raw);
	memset(btf, 0, sizeof(*btf));
}

/* Reads and indexes the BTF at `path`: 0, or -errno (-EINVAL for a malformed file). */
static inline int skelgen_btf_load(struct skelgen_btf *btf, const char *path)
{
	size_t size;
	int err;

	memset(btf, 0, sizeof(*btf));
	errno = 0;
	btf->raw = skelgen_read_all(path, &size);
	if (!btf->raw)
		return errno ? -errno : -EIO;
	err = skelgen_btf_parse(btf, size);
	if (err)
		skelgen_btf_free(btf);
	return err;
}

/* The record of type `id`, or NULL (void, or out of range). */
static inline const unsigned char *skelgen_btf_type(const struct skelgen_btf *btf, uint32_t id)
{
	if (id == 0 || id > btf->nr_types)
		return NULL;
	return btf->types + btf->offs[id - 1];
}

/* The string at `off`: the section ends with a NUL, so every in-range string ends too. */
static inline const char *skelgen_btf_str(const struct skelgen_btf *btf, uint32_t off)
{
	return off < btf->strs_len ? btf->strs + off : "";
}

/* The first type of `kind` named `name`, or 0. */
static inline uint32_t skelgen_btf_find(const struct skelgen_btf *btf, const char *name, uint32_t kind)
{
	const unsigned char *t;
	uint32_t id;

	for (id = 1; id <= btf->nr_types; id++) {
		t = skelgen_btf_type(btf, id);
		if (skelgen_btf_kind(t) == kind && strcmp(skelgen_btf_str(btf, skelgen_btf_u32(t)), name) == 0)
			return id;
	}
	return 0;
}

/* `id` with typedefs, modifiers and type tags skipped; 0 when the chain is broken. */
static inline uint32_t skelgen_btf_skip(const struct skelgen_btf *btf, uint32_t id)
{
	const unsigned char *t;
	int depth;

	for (depth = 0; depth < SKELGEN_BTF_MAX_DEPTH; depth++) {
		t = skelgen_btf_type(btf, id);
		if (!t)
			return 0;
		switch (skelgen_btf_kind(t)) {
		case SKELGEN_BTF_KIND_TYPEDEF:
		case SKELGEN_BTF_KIND_VOLATILE:
		case SKELGEN_BTF_KIND_CONST:
		case SKELGEN_BTF_KIND_RESTRICT:
		case SKELGEN_BTF_KIND_TYPE_TAG:
			id = skelgen_btf_u32(t + 8);
			break;
		default:
			return id;
		}
	}
	return 0;
}

/* The size of type `id` in bytes, through typedefs, modifiers and arrays: 0 or -EINVAL. */
static inline int skelgen_btf_size(const struct skelgen_btf *btf, uint32_t id, uint64_t *size)
{
	const unsigned char *t;
	uint64_t mult = 1;
	int depth;

	for (depth = 0; depth < SKELGEN_BTF_MAX_DEPTH; depth++) {
		id = skelgen_btf_skip(btf, id);
		t = skelgen_btf_type(btf, id);
		if (!t)
			return -EINVAL;
		switch (skelgen_btf_kind(t)) {
		case SKELGEN_BTF_KIND_INT:
		case SKELGEN_BTF_KIND_STRUCT:
		case SKELGEN_BTF_KIND_UNION:
		case SKELGEN_BTF_KIND_ENUM:
		case SKELGEN_BTF_KIND_ENUM64:
		case SKELGEN_BTF_KIND_FLOAT:
			*size = mult * skelgen_btf_u32(t + 8);
			return 0;
		case SKELGEN_BTF_KIND_PTR:
			*size = mult * SKELGEN_BTF_PTR_SIZE;
			return 0;
		case SKELGEN_BTF_KIND_ARRAY:
			mult *= skelgen_btf_u32(t + 20);
			if (mult > 0xffffffffu)
				return -EINVAL;
			id = skelgen_btf_u32(t + 12);
			break;
		default:
			return -EINVAL;
		}
	}
	return -EINVAL;
}

/* Whether type `id` is a pointer to a function prototype. */
static inline int skelgen_btf_is_func_ptr(const struct skelgen_btf *btf, uint32_t id)
{
	const unsigned char *t = skelgen_btf_type(btf, skelgen_btf_skip(btf, id));

	if (!t || skelgen_btf_kind(t) != SKELGEN_BTF_KIND_PTR)
		return 0;
	t = skelgen_btf_type(btf, skelgen_btf_skip(btf, skelgen_btf_u32(t + 8)));
	return t && skelgen_btf_kind(t) == SKELGEN_BTF_KIND_FUNC_PROTO;
}

/* One member of a struct, as BTF describes it. */
struct skelgen_btf_member {
	uint32_t index;		/* position in the struct */
	uint32_t type;
	uint32_t bit_offset;
	uint32_t bitfield;	/* bitfield size in bits, 0 for a whole member */
};

/* Member `index` of the struct or union `t` (which has that many members). */
static inline void skelgen_btf_member_at(const unsigned char *t, uint32_t index, struct skelgen_btf_member *m)
{
	const unsigned char *rec = t + 12 + 12 * (size_t)index;
	uint32_t off = skelgen_btf_u32(rec + 8);

	m->index = index;
	m->type = skelgen_btf_u32(rec + 4);
	if (skelgen_btf_u32(t + 4) >> 31) {
		m->bit_offset = off & 0xffffff;
		m->bitfield = off >> 24;
	} else {
		m->bit_offset = off;
		m->bitfield = 0;
	}
}

/* Member `name` of struct `id`: 1 when found (in *m), else 0. */
static inline int skelgen_btf_member(const struct skelgen_btf *btf, uint32_t id, const char *name,
				     struct skelgen_btf_member *m)
{
	const unsigned char *t = skelgen_btf_type(btf, id);
	uint32_t i;

	if (!t || skelgen_btf_kind(t) != SKELGEN_BTF_KIND_STRUCT)
		return 0;
	for (i = 0; i < skelgen_btf_vlen(t); i++) {
		if (strcmp(skelgen_btf_str(btf, skelgen_btf_u32(t + 12 + 12 * (size_t)i)), name) == 0) {
			skelgen_btf_member_at(t, i, m);
			return 1;
		}
	}
	return 0;
}

#endif /* SKELGEN_C_BTF_ABI2 */

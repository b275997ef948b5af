/*
 * A small gzip reader (RFC 1952 around RFC 1951 deflate) for /proc/config.gz, so no zlib
 * is needed. It decodes bit by bit: slow, but the kernel configuration is small. The
 * trailer's CRC-32 and length are checked, so a corrupt file is refused rather than read
 * as a wrong configuration.
 */
#ifndef SKELGEN_C_INFLATE_ABI2
#define SKELGEN_C_INFLATE_ABI2

/* The output is capped: a kernel configuration is well under a megabyte. */
#define SKELGEN_INFLATE_MAX ((size_t)64 << 20)

struct skelgen_inflate {
	const unsigned char *in;
	size_t in_len;
	size_t in_pos;
	uint32_t bitbuf;
	int bitcnt;
	unsigned char *out;
	size_t out_len;
	size_t out_cap;
	/* Called at the end of every output line (out[line_start..out_len), newline included);
	 * a non-zero return stops the inflation there. NULL: inflate everything. */
	int (*line)(void *arg, const unsigned char *text, size_t len);
	void *line_arg;
	size_t line_start;
	int stopped;
};

struct skelgen_huffman {
	short count[16];
	short symbol[288];
};

static inline int skelgen_bits(struct skelgen_inflate *s, int need, uint32_t *v)
{
	while (s->bitcnt < need) {
		if (s->in_pos >= s->in_len)
			return -1;
		s->bitbuf |= (uint32_t)s->in[s->in_pos++] << s->bitcnt;
		s->bitcnt += 8;
	}
	*v = s->bitbuf & ((1u << need) - 1);
	s->bitbuf >>= need;
	s->bitcnt -= need;
	return 0;
}

static inline int skelgen_put(struct skelgen_inflate *s, unsigned char c)
{
	unsigned char *bigger;

	if (s->out_len + 1 >= s->out_cap) {
		if (s->out_cap >= SKELGEN_INFLATE_MAX)
			return -1;
		bigger = (unsigned char *)realloc(s->out, s->out_cap * 2);
		if (!bigger)
			return -1;
		s->out = bigger;
		s->out_cap *= 2;
	}
	s->out[s->out_len++] = c;
	if (c != '\n' || !s->line)
		return 0;
	if (s->line(s->line_arg, s->out + s->line_start, s->out_len - s->line_start)) {
		/* Unwinds the decoder like an error; the caller tells the two apart by `stopped`. */
		s->stopped = 1;
		return -1;
	}
	s->line_start = s->out_len;
	return 0;
}

/* Canonical Huffman code from code lengths. */
static inline void skelgen_huffman_build(struct skelgen_huffman *h, const unsigned char *lengths, int n)
{
	short offs[16];
	int i;

	memset(h->count, 0, sizeof(h->count));
	for (i = 0; i < n; i++)
		h->count[lengths[i] & 15]++;
	h->count[0] = 0;
	offs[1] = 0;
	for (i = 1; i < 15; i++)
		offs[i + 1] = (short)(offs[i] + h->count[i]);
	for (i = 0; i < n; i++)
		if (lengths[i])
			h->symbol[offs[lengths[i] & 15]++] = (short)i;
}

static inline int skelgen_huffman_decode(struct skelgen_inflate *s, const struct skelgen_huffman *h)
{
	int code = 0, first = 0, index = 0, len;
	uint32_t bit;

	for (len = 1; len < 16; len++) {
		if (skelgen_bits(s, 1, &bit))
			return -1;
		code |= (int)bit;
		if (code - h->count[len] < first)
			return h->symbol[index + (code - first)];
		index += h->count[len];
		first = (first + h->count[len]) << 1;
		code <<= 1;
	}
	return -1;
}

/* One compressed block's symbols, up to its end-of-block code. */
static inline int skelgen_codes(struct skelgen_inflate *s, const struct skelgen_huffman *lit,
				const struct skelgen_huffman *dist)
{
	static const short lbase[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
					 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
	static const unsigned char lext[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
						3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
	static const unsigned short dbase[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97,
						  129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
						  3073, 4097, 6145, 8193, 12289, 16385, 24577 };
	static const unsigned char dext[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
						7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };
	int sym;
	uint32_t extra, len, d;

	for (;;) {
		sym = skelgen_huffman_decode(s, lit);
		if (sym < 0)
			return -1;
		if (sym < 256) {
			if (skelgen_put(s, (unsigned char)sym))
				return -1;
			continue;
		}
		if (sym == 256)
			return 0;
		sym -= 257;
		if (sym >= 29 || skelgen_bits(s, lext[sym], &extra))
			return -1;
		len = (uint32_t)lbase[sym] + extra;
		sym = skelgen_huffman_decode(s, dist);
		if (sym < 0 || sym >= 30 || skelgen_bits(s, dext[sym], &extra))
			return -1;
		d = dbase[sym] + extra;
		if (d > s->out_len)
			return -1;
		while (len--)
			if (skelgen_put(s, s->out[s->out_len - d]))
				return -1;
	}
}

static inline int skelgen_stored(struct skelgen_inflate *s)
{
	size_t len;

	s->bitbuf = 0;
	s->bitcnt = 0;
	if (s->in_pos + 4 > s->in_len)
		return -1;
	len = s->in[s->in_pos] | (size_t)s->in[s->in_pos + 1] << 8;
	if ((len ^ 0xffff) != (s->in[s->in_pos + 2] | (size_t)s->in[s->in_pos + 3] << 8))
		return -1;
	s->in_pos += 4;
	if (s->in_pos + len > s->in_len)
		return -1;
	while (len--)
		if (skelgen_put(s, s->in[s->in_pos++]))
			return -1;
	return 0;
}

static inline int skelgen_fixed(struct skelgen_inflate *s)
{
	struct skelgen_huffman lit, dist;
	unsigned char lengths[288];
	int i;

	for (i = 0; i < 288; i++)
		lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
	skelgen_huffman_build(&lit, lengths, 288);
	for (i = 0; i < 30; i++)
		lengths[i] = 5;
	skelgen_huffman_build(&dist, lengths, 30);
	return skelgen_codes(s, &lit, &dist);
}

static inline int skelgen_dynamic(struct skelgen_inflate *s)
{
	static const unsigned char order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3,
						 13, 2, 14, 1, 15 };
	struct skelgen_huffman lit, dist;
	unsigned char lengths[320];
	uint32_t nlen, ndist, ncode, v, rep;
	int i, sym;

	if (skelgen_bits(s, 5, &nlen) || skelgen_bits(s, 5, &ndist) || skelgen_bits(s, 4, &ncode))
		return -1;
	nlen += 257;
	ndist += 1;
	ncode += 4;
	if (nlen > 286 || ndist > 30)
		return -1;
	memset(lengths, 0, sizeof(lengths));
	for (i = 0; i < (int)ncode; i++) {
		if (skelgen_bits(s, 3, &v))
			return -1;
		lengths[order[i]] = (unsigned char)v;
	}
	skelgen_huffman_build(&lit, lengths, 19);
	for (i = 0; i < (int)(nlen + ndist);) {
		sym = skelgen_huffman_decode(s, &lit);
		if (sym < 0)
			return -1;
		if (sym < 16) {
			lengths[i++] = (unsigned char)sym;
			continue;
		}
		if (sym == 16) {
			if (i == 0 || skelgen_bits(s, 2, &rep))
				return -1;
			v = lengths[i - 1];
			rep += 3;
		} else {
			if (skelgen_bits(s, sym == 17 ? 3 : 7, &rep))
				return -1;
			v = 0;
			rep += sym == 17 ? 3 : 11;
		}
		if ((uint32_t)i + rep > nlen + ndist)
			return -1;
		while (rep--)
			lengths[i++] = (unsigned char)v;
	}
	skelgen_huffman_build(&lit, lengths, (int)nlen);
	skelgen_huffman_build(&dist, lengths + nlen, (int)ndist);
	return skelgen_codes(s, &lit, &dist);
}

/* CRC-32 (IEEE 802.3, reflected, as gzip's trailer has it), four bits at a time. */
static inline uint32_t skelgen_crc32(const unsigned char *p, size_t len)
{
	static const uint32_t nibble[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
		0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c
	};
	uint32_t crc = 0xffffffffu;
	size_t i;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		crc = (crc >> 4) ^ nibble[crc & 15];
		crc = (crc >> 4) ^ nibble[crc & 15];
	}
	return crc ^ 0xffffffffu;
}

static inline uint32_t skelgen_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Where the deflate stream of a gzip member starts (past its optional fields), or 0. */
static inline size_t skelgen_gzip_header(const unsigned char *gz, size_t len)
{
	size_t pos = 10;

	if (len < 18 || gz[0] != 0x1f || gz[1] != 0x8b || gz[2] != 8 || (gz[3] & 0xe0))
		return 0;
	if (gz[3] & 4)
		pos += 2 + (gz[10] | (size_t)gz[11] << 8);
	if (gz[3] & 8)
		while (pos < len && gz[pos++])
			;
	if (gz[3] & 16)
		while (pos < len && gz[pos++])
			;
	if (gz[3] & 2)
		pos += 2;
	return pos < len ? pos : 0;
}

/* Inflates every block of the stream in s, up to the last one: 0 or -1. */
static inline int skelgen_inflate_blocks(struct skelgen_inflate *s)
{
	uint32_t last = 0, type;
	int err = 0;

	while (!err && !last) {
		if (skelgen_bits(s, 1, &last) || skelgen_bits(s, 2, &type))
			err = -1;
		else if (type == 0)
			err = skelgen_stored(s);
		else if (type == 1)
			err = skelgen_fixed(s);
		else if (type == 2)
			err = skelgen_dynamic(s);
		else
			err = -1;
	}
	return err;
}

/*
 * The decompressed contents of a gzip file (malloc'ed, NUL-terminated; its length without
 * the NUL in *out_len), or NULL when it is not gzip, corrupt, truncated or too large.
 * `line` (may be NULL) sees every line as it is decoded and may stop the inflation: then
 * the result ends with that line and *complete is 0. Only a stream read to its end has its
 * trailer (CRC-32 and length) checked and *complete set to 1: a prefix is as far as the
 * deflate stream itself decoded without error.
 */
static inline unsigned char *skelgen_gunzip_lines(const unsigned char *gz, size_t len, size_t *out_len,
						  int (*line)(void *arg, const unsigned char *text, size_t len),
						  void *line_arg, int *complete)
{
	struct skelgen_inflate s;
	size_t pos = skelgen_gzip_header(gz, len);
	int err;

	*complete = 0;
	if (!pos)
		return NULL;
	memset(&s, 0, sizeof(s));
	s.in = gz + pos;
	s.in_len = len - pos;
	s.out_cap = 1 << 16;
	s.line = line;
	s.line_arg = line_arg;
	s.out = (unsigned char *)malloc(s.out_cap);
	if (!s.out)
		return NULL;
	err = skelgen_inflate_blocks(&s);
	if (err && s.stopped) {
		s.out[s.out_len] = '\0';
		*out_len = s.out_len;
		return s.out;
	}
	/* The trailer follows the byte holding the stream's last bit. */
	if (err || s.in_len - s.in_pos < 8 ||
	    skelgen_le32(s.in + s.in_pos) != skelgen_crc32(s.out, s.out_len) ||
	    skelgen_le32(s.in + s.in_pos + 4) != (uint32_t)s.out_len) {
		free(s.out);
		return NULL;
	}
	s.out[s.out_len] = '\0';
	*out_len = s.out_len;
	*complete = 1;
	return s.out;
}

/* The whole decompressed contents of a gzip file, checked against its trailer (see
 * skelgen_gunzip_lines), or NULL. */
static inline unsigned char *skelgen_gunzip(const unsigned char *gz, size_t len, size_t *out_len)
{
	int complete;

	return skelgen_gunzip_lines(gz, len, out_len, NULL, NULL, &complete);
}

#endif /* SKELGEN_C_INFLATE_ABI2 */

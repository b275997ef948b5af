/* The gzip reader on its own: files made by gzip(1) in the directory given as argv[1]
 * (stored, fixed and dynamic blocks, a header with a file name, /proc/config.gz when there
 * is one), and corrupt, truncated and hostile streams. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_read_all.h"
#include "../skelgen_inflate.h"
#include "check.h"

static const char *dir;

static unsigned char *fixture(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return skelgen_read_all(path, len);
}

/* The type of the first deflate block of a gzip file (0 stored, 1 fixed, 2 dynamic). */
static int first_block(const unsigned char *gz, size_t len)
{
	size_t pos = skelgen_gzip_header(gz, len);

	return pos ? (gz[pos] >> 1) & 3 : -1;
}

static void test_crc32(void)
{
	CHECK(skelgen_crc32((const unsigned char *)"123456789", 9) == 0xcbf43926u);
	CHECK(skelgen_crc32((const unsigned char *)"", 0) == 0);
}

/* NAME.gz decodes to NAME; block is the first block's expected type, or -1 for any. */
static void roundtrip(const char *name, int block)
{
	char gzname[256];
	unsigned char *plain, *gz, *out;
	size_t plain_len = 0, gz_len = 0, out_len = 0;

	snprintf(gzname, sizeof(gzname), "%s.gz", name);
	plain = fixture(name, &plain_len);
	gz = fixture(gzname, &gz_len);
	CHECK(plain && gz);
	if (!plain || !gz) {
		fprintf(stderr, "missing fixture %s\n", name);
		free(plain);
		free(gz);
		return;
	}
	if (block >= 0)
		CHECK(first_block(gz, gz_len) == block);
	out = skelgen_gunzip(gz, gz_len, &out_len);
	CHECK(out != NULL);
	if (out) {
		CHECK(out_len == plain_len && memcmp(out, plain, plain_len) == 0);
		CHECK(out[out_len] == '\0');
	}
	free(out);
	free(plain);
	free(gz);
}

static int decodes(const unsigned char *gz, size_t len)
{
	size_t out_len;
	unsigned char *out = skelgen_gunzip(gz, len, &out_len);

	free(out);
	return out != NULL;
}

/* Every truncation and every changed byte of a valid file is refused. */
static void test_corrupt(const char *name)
{
	unsigned char *gz;
	size_t len = 0, i, bad = 0, name_end;

	gz = fixture(name, &len);
	CHECK(gz && decodes(gz, len));
	if (!gz)
		return;
	name_end = skelgen_gzip_header(gz, len) - 1;
	for (i = 0; i < len; i++)
		bad += decodes(gz, i);
	CHECK(bad == 0);
	/* Header bytes 4-9 (mtime, xfl, os) and the file name are not checked by design. */
	for (i = 0; i < len; i++) {
		if (i >= 4 && (i < 10 || i < name_end))
			continue;
		gz[i] ^= 0x55;
		if (decodes(gz, len)) {
			fprintf(stderr, "%s: byte %zu changed, still accepted\n", name, i);
			bad++;
		}
		gz[i] ^= 0x55;
	}
	CHECK(bad == 0);
	free(gz);
}

/* A handmade member: one stored block of "hello", optional header fields. */
static size_t stored_hello(unsigned char *gz, int flags)
{
	static const unsigned char head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	uint32_t crc = skelgen_crc32((const unsigned char *)"hello", 5);
	size_t n = 10;

	memcpy(gz, head, 10);
	gz[3] = (unsigned char)flags;
	if (flags & 4) {	/* FEXTRA: 2-byte length, then that many bytes */
		gz[n++] = 3;
		gz[n++] = 0;
		memcpy(gz + n, "abc", 3);
		n += 3;
	}
	if (flags & 8) {	/* FNAME */
		memcpy(gz + n, "hello.txt", 10);
		n += 10;
	}
	if (flags & 16) {	/* FCOMMENT */
		memcpy(gz + n, "hi", 3);
		n += 3;
	}
	if (flags & 2) {	/* FHCRC, not checked */
		gz[n++] = 0x12;
		gz[n++] = 0x34;
	}
	gz[n++] = 1;		/* BFINAL, stored */
	gz[n++] = 5;
	gz[n++] = 0;
	gz[n++] = 0xfa;
	gz[n++] = 0xff;
	memcpy(gz + n, "hello", 5);
	n += 5;
	skelgen_put_le(gz + n, 4, crc);
	skelgen_put_le(gz + n + 4, 4, 5);
	return n + 8;
}

static void test_handmade(void)
{
	static const int flags[] = { 0, 2, 4, 8, 16, 2 | 4 | 8 | 16 };
	unsigned char gz[128], *out;
	size_t len, out_len = 0, i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		len = stored_hello(gz, flags[i]);
		out = skelgen_gunzip(gz, len, &out_len);
		CHECK(out && out_len == 5 && memcmp(out, "hello", 6) == 0);
		free(out);
	}
	len = stored_hello(gz, 0);
	gz[len - 4] = 6;			/* ISIZE */
	CHECK(!decodes(gz, len));
	len = stored_hello(gz, 0);
	gz[14] ^= 1;				/* NLEN no longer ~LEN */
	CHECK(!decodes(gz, len));
	len = stored_hello(gz, 0);
	gz[3] = 0x20;				/* a reserved flag */
	CHECK(!decodes(gz, len));
	len = stored_hello(gz, 0);
	gz[2] = 7;				/* not deflate */
	CHECK(!decodes(gz, len));
	len = stored_hello(gz, 0);
	gz[10] = 1 | 3 << 1;			/* block type 3 */
	CHECK(!decodes(gz, len));
	len = stored_hello(gz, 0);
	gz[10] = 0;				/* not the last block: the stream runs out */
	CHECK(!decodes(gz, len));
	/* FEXTRA longer than the file. */
	len = stored_hello(gz, 4);
	gz[10] = 0xff;
	gz[11] = 0xff;
	CHECK(!decodes(gz, len));
	/* A dynamic block with 288 literal/length codes (at most 286 exist). */
	len = stored_hello(gz, 0);
	gz[10] = 0xfd;
	gz[11] = 0xff;
	gz[12] = 0xff;
	CHECK(!decodes(gz, len));
	/* A fixed block whose first code is a match reaching before the output. */
	len = stored_hello(gz, 0);
	gz[10] = 0x03 | 0x01 << 3;	/* BFINAL, fixed; then the code of length 3 (257) */
	gz[11] = 0;
	gz[12] = 0;
	CHECK(!decodes(gz, len));
}

/* Output past the cap (64 MiB) is refused, however well-formed the stream. */
static void test_too_large(void)
{
	unsigned char *gz;
	size_t len = 0;

	gz = fixture("zeros.gz", &len);
	CHECK(gz != NULL);
	if (gz)
		CHECK(!decodes(gz, len));
	free(gz);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE-DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	test_crc32();
	roundtrip("stored", 0);
	roundtrip("fixed", 1);
	roundtrip("dynamic", 2);
	roundtrip("named", -1);
	if (access("/proc/config.gz", R_OK) == 0)
		roundtrip("config", 2);
	else
		printf("test_inflate: no /proc/config.gz, that case skipped\n");
	test_corrupt("fixed.gz");
	test_corrupt("named.gz");
	test_handmade();
	test_too_large();
	return check_report("test_inflate");
}

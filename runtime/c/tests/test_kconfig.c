/* The userspace .kconfig parsing on its own: finding CONFIG_X=value lines in a
 * configuration's text and converting each kind of value, including malformed ones; where
 * the text comes from, how far a gzip'ed one is inflated, and the per-process cache, with
 * the fixtures run.sh makes in the directory given as argv[1]. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_read_all.h"
#include "../skelgen_inflate.h"
#include "../skelgen_kconfig.h"
#include "check.h"

static const char text[] =
	"# CONFIG_OFF is not set\n"
	"CONFIG_Y=y\n"
	"CONFIG_M=m\n"
	"CONFIG_N=n\n"
	"CONFIG_HZ=250\n"
	"CONFIG_NEG=-17\n"
	"CONFIG_HEX=0x1f\n"
	"CONFIG_STR=\"a \\\"quoted\\\" word\"\n"
	"CONFIG_YES=yes\n"
	"CONFIG_HZ_1000=1000\n"
	"CONFIG_LAST=\"no newline\"";

/* Converts the value of `name` in `text` as `kind` into an 8-byte buffer. */
static int value(const char *name, int kind, uint32_t size, unsigned char *dst)
{
	struct skelgen_kconfig_extern e = { name, 0, size, kind, 0 };
	size_t len = 0;
	const char *v = skelgen_kconfig_find(text, name, &len);

	memset(dst, 0xee, 8);
	return v ? skelgen_kconfig_value(dst, &e, v, len) : -ESRCH;
}

static uint64_t le(const unsigned char *p, uint32_t size)
{
	uint64_t v = 0;
	uint32_t i;

	for (i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void test_find(void)
{
	size_t len = 0;
	const char *v;

	v = skelgen_kconfig_find(text, "CONFIG_HZ", &len);
	CHECK(v && len == 3 && strncmp(v, "250", 3) == 0);	/* not CONFIG_HZ_1000 */
	v = skelgen_kconfig_find(text, "CONFIG_HZ_1000", &len);
	CHECK(v && len == 4);
	v = skelgen_kconfig_find(text, "CONFIG_LAST", &len);
	CHECK(v && len == strlen("\"no newline\""));
	CHECK(!skelgen_kconfig_find(text, "CONFIG_OFF", &len));
	CHECK(!skelgen_kconfig_find(text, "CONFIG_H", &len));
	CHECK(!skelgen_kconfig_find("", "CONFIG_Y", &len));
}

static void test_values(void)
{
	unsigned char d[8];

	CHECK(value("CONFIG_Y", SKELGEN_KCFG_BOOL, 1, d) == 0 && d[0] == 1 && d[1] == 0xee);
	CHECK(value("CONFIG_M", SKELGEN_KCFG_BOOL, 1, d) == 0 && d[0] == 1);
	CHECK(value("CONFIG_M", SKELGEN_KCFG_TRISTATE, 4, d) == 0 && le(d, 4) == 2);
	CHECK(value("CONFIG_N", SKELGEN_KCFG_TRISTATE, 4, d) == 0 && le(d, 4) == 0);
	CHECK(value("CONFIG_YES", SKELGEN_KCFG_BOOL, 1, d) == -EINVAL);
	CHECK(value("CONFIG_HZ", SKELGEN_KCFG_INT, 4, d) == 0 && le(d, 4) == 250);
	CHECK(value("CONFIG_NEG", SKELGEN_KCFG_INT, 8, d) == 0 && le(d, 8) == (uint64_t)-17);
	CHECK(value("CONFIG_NEG", SKELGEN_KCFG_INT, 2, d) == 0 && le(d, 2) == 0xffef && d[2] == 0xee);
	CHECK(value("CONFIG_HEX", SKELGEN_KCFG_UINT, 8, d) == 0 && le(d, 8) == 0x1f);
	CHECK(value("CONFIG_Y", SKELGEN_KCFG_CHAR, 1, d) == 0 && d[0] == 'y');
	CHECK(value("CONFIG_HZ", SKELGEN_KCFG_CHAR_ARRAY, 8, d) == -EINVAL);
	CHECK(value("CONFIG_MISSING", SKELGEN_KCFG_INT, 4, d) == -ESRCH);
}

static void test_strings(void)
{
	unsigned char d[32];
	struct skelgen_kconfig_extern e = { "CONFIG_STR", 0, 32, SKELGEN_KCFG_CHAR_ARRAY, 0 };
	size_t len = 0;
	const char *v = skelgen_kconfig_find(text, "CONFIG_STR", &len);

	CHECK(v && skelgen_kconfig_value(d, &e, v, len) == 0);
	CHECK(strcmp((const char *)d, "a \"quoted\" word") == 0);
	e.size = 4;	/* cut to the array, NUL-terminated */
	CHECK(skelgen_kconfig_value(d, &e, v, len) == 0 && strcmp((const char *)d, "a \"") == 0);
	e.size = 0;
	CHECK(skelgen_kconfig_value(d, &e, v, len) == -EINVAL);
	e.size = 8;
	CHECK(skelgen_kconfig_value(d, &e, "\"", 1) == -EINVAL);
	CHECK(skelgen_kconfig_value(d, &e, "\"\\\"", 3) == 0 && d[0] == '\\');
}

/* Filling an image: versions and features need no configuration; a strong extern without
 * a value is recorded, a weak one left 0. Reads this machine's configuration when it has
 * one, which these names are not in. */
static void test_fill(void)
{
	static const struct skelgen_kconfig_extern ext[] = {
		{ "LINUX_KERNEL_VERSION", 0, 4, SKELGEN_KCFG_KERNEL_VERSION, 0 },
		{ "LINUX_HAS_BPF_COOKIE", 4, 1, SKELGEN_KCFG_FEATURE, 0 },
		{ "CONFIG_SKELGEN_NOT_A_CONFIG", 5, 1, SKELGEN_KCFG_BOOL, 1 },
		{ "CONFIG_SKELGEN_NOT_A_CONFIG_EITHER", 6, 1, SKELGEN_KCFG_BOOL, 0 },
	};
	struct skelgen_priv priv;
	unsigned char image[8] = { 0 };

	memset(&priv, 0, sizeof(priv));
	skelgen_kconfig_fill(image, ext, 4, &priv);
	CHECK(le(image, 4) == skelgen_kernel_version() && le(image, 4) > 0x40000);
	CHECK(image[4] == 1 && image[5] == 0 && image[6] == 0);
	CHECK(priv.open_err == -ESRCH || priv.open_err == -EINVAL);
	CHECK(strstr(priv.open_what, "CONFIG_SKELGEN_NOT_A_CONFIG_EITHER") != NULL);
	CHECK(skelgen_parse_kernel_version("6.1.0-57-amd64") == (6u << 16 | 1u << 8));
	CHECK(skelgen_parse_kernel_version("5.15.300") == (5u << 16 | 15u << 8 | 255u));
	CHECK(skelgen_parse_kernel_version("garbage") == 0);
}

static const char *dir;

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* kconfig.gz: CONFIG_EARLY=y, 5000 filler lines, CONFIG_LATE=42, one more filler line. */
static void test_early_stop(void)
{
	static const struct skelgen_kconfig_extern early[] = {
		{ "LINUX_KERNEL_VERSION", 0, 4, SKELGEN_KCFG_KERNEL_VERSION, 0 },
		{ "CONFIG_EARLY", 4, 1, SKELGEN_KCFG_BOOL, 0 },
	};
	static const struct skelgen_kconfig_extern both[] = {
		{ "CONFIG_LATE", 0, 4, SKELGEN_KCFG_INT, 0 },
		{ "CONFIG_EARLY", 4, 1, SKELGEN_KCFG_BOOL, 0 },
	};
	static const struct skelgen_kconfig_extern absent[] = {
		{ "CONFIG_EARLY", 0, 1, SKELGEN_KCFG_BOOL, 0 },
		{ "CONFIG_NOWHERE", 1, 1, SKELGEN_KCFG_BOOL, 1 },
	};
	char gz[512];
	char *text;
	size_t len = 0;
	int complete = -1;

	path_of(gz, sizeof(gz), "kconfig.gz");
	text = skelgen_kconfig_read(NULL, gz, early, 2, &complete);
	CHECK(text && complete == 0 && strcmp(text, "CONFIG_EARLY=y\n") == 0);
	free(text);
	text = skelgen_kconfig_read(NULL, gz, both, 2, &complete);
	CHECK(text && complete == 0 && skelgen_kconfig_find(text, "CONFIG_LATE", &len) && len == 2);
	CHECK(text && strstr(text, "CONFIG_FILLER_5001") == NULL);
	free(text);
	text = skelgen_kconfig_read(NULL, gz, absent, 2, &complete);
	CHECK(text && complete == 1 && strstr(text, "CONFIG_FILLER_5001=5001\n") != NULL);
	free(text);
}

/* The plain file first when it can be read (not a directory, not missing), else gzip. */
static void test_fallback_order(void)
{
	static const struct skelgen_kconfig_extern e[] = { { "CONFIG_EARLY", 0, 1, SKELGEN_KCFG_CHAR, 0 } };
	char plain[512], gz[512], missing[512];
	char *text;
	size_t len = 0;
	const char *v;
	int complete = -1;

	path_of(plain, sizeof(plain), "kconfig.plain");
	path_of(gz, sizeof(gz), "kconfig.gz");
	path_of(missing, sizeof(missing), "no-such-file");
	text = skelgen_kconfig_read(plain, gz, e, 1, &complete);
	v = text ? skelgen_kconfig_find(text, "CONFIG_EARLY", &len) : NULL;
	CHECK(v && complete == 1 && v[0] == 'n');	/* the plain file says n, the gzip'ed one y */
	free(text);
	text = skelgen_kconfig_read(missing, gz, e, 1, &complete);
	v = text ? skelgen_kconfig_find(text, "CONFIG_EARLY", &len) : NULL;
	CHECK(v && v[0] == 'y');
	free(text);
	text = skelgen_kconfig_read(dir, gz, e, 1, &complete);	/* opens, cannot be read */
	v = text ? skelgen_kconfig_find(text, "CONFIG_EARLY", &len) : NULL;
	CHECK(v && v[0] == 'y');
	free(text);
	CHECK(skelgen_kconfig_read(missing, missing, e, 1, &complete) == NULL);
}

/* The cache: no read without an extern that needs the text, one read for later fills,
 * a further read only for a key past the prefix, and a clear error with no file at all. */
static void test_cache(void)
{
	static const struct skelgen_kconfig_extern fixed[] = {
		{ "LINUX_HAS_BPF_COOKIE", 0, 1, SKELGEN_KCFG_FEATURE, 0 },
	};
	static const struct skelgen_kconfig_extern early[] = { { "CONFIG_EARLY", 0, 1, SKELGEN_KCFG_BOOL, 0 } };
	static const struct skelgen_kconfig_extern late[] = { { "CONFIG_LATE", 0, 4, SKELGEN_KCFG_INT, 0 } };
	static const struct skelgen_kconfig_extern strong[] = {
		{ "CONFIG_WEAK", 0, 1, SKELGEN_KCFG_BOOL, 1 },
		{ "CONFIG_STRONG", 1, 1, SKELGEN_KCFG_BOOL, 0 },
	};
	struct skelgen_kconfig_cache c;
	struct skelgen_priv priv;
	unsigned char image[8];
	char gz[512], missing[512];

	path_of(gz, sizeof(gz), "kconfig.gz");
	path_of(missing, sizeof(missing), "no-such-file");
	memset(&c, 0, sizeof(c));
	memset(&priv, 0, sizeof(priv));
	memset(image, 0, sizeof(image));
	skelgen_kconfig_fill_from(image, fixed, 1, &priv, &c, NULL, gz);
	CHECK(image[0] == 1 && !c.read && !c.text && !priv.open_err);
	skelgen_kconfig_fill_from(image, early, 1, &priv, &c, NULL, gz);
	CHECK(image[0] == 1 && c.read && !c.complete && !priv.open_err);
	image[0] = 0;
	skelgen_kconfig_fill_from(image, early, 1, &priv, &c, NULL, missing);	/* from the cache */
	CHECK(image[0] == 1 && !priv.open_err);
	skelgen_kconfig_fill_from(image, late, 1, &priv, &c, NULL, missing);	/* past the prefix */
	CHECK(priv.open_err == -ESRCH);
	memset(&priv, 0, sizeof(priv));
	skelgen_kconfig_fill_from(image, late, 1, &priv, &c, NULL, gz);
	CHECK(le(image, 4) == 42 && !priv.open_err && !c.complete);
	free(c.text);

	memset(&c, 0, sizeof(c));
	memset(image, 0xee, sizeof(image));
	skelgen_kconfig_fill_from(image, strong, 2, &priv, &c, missing, missing);
	CHECK(c.read && !c.text && image[0] == 0xee && image[1] == 0xee);
	CHECK(priv.open_err == -ESRCH && strstr(priv.open_what, "CONFIG_STRONG needs /boot/config") != NULL);
}

int main(int argc, char **argv)
{
	test_find();
	test_values();
	test_strings();
	test_fill();
	if (argc < 2) {
		fprintf(stderr, "usage: test_kconfig FIXTURE_DIR (run.sh makes it)\n");
		return 1;
	}
	dir = argv[1];
	test_early_stop();
	test_fallback_order();
	test_cache();
	return check_report("test_kconfig");
}

/* The userspace .kconfig parsing on its own: finding CONFIG_X=value lines in a
 * configuration's text and converting each kind of value, including malformed ones. */
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

int main(void)
{
	test_find();
	test_values();
	test_strings();
	test_fill();
	return check_report("test_kconfig");
}

/* .kconfig values, read on the target at __open. */
#ifndef SKELGEN_C_KCONFIG_ABI2
#define SKELGEN_C_KCONFIG_ABI2

enum {
	SKELGEN_KCFG_BOOL,		/* y/m -> 1, n -> 0 */
	SKELGEN_KCFG_TRISTATE,		/* y -> 1, m -> 2, n -> 0 */
	SKELGEN_KCFG_CHAR,		/* the first character */
	SKELGEN_KCFG_CHAR_ARRAY,	/* a quoted string */
	SKELGEN_KCFG_INT,
	SKELGEN_KCFG_UINT,
	SKELGEN_KCFG_KERNEL_VERSION,	/* LINUX_KERNEL_VERSION, from uname(2) */
	SKELGEN_KCFG_FEATURE		/* LINUX_HAS_*: 1 */
};

struct skelgen_kconfig_extern {
	const char *name;
	uint32_t offset;
	uint32_t size;
	int kind;
	int weak;
};

/* The whole kernel configuration as text (malloc'ed), or NULL: /boot/config-$(uname -r),
 * else /proc/config.gz. */
static inline char *skelgen_kconfig_text(void)
{
	struct utsname u;
	char path[128 + sizeof(u.release)];
	unsigned char *gz, *text = NULL;
	size_t len;

	if (uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		text = skelgen_read_all(path, &len);
	}
	if (text)
		return (char *)text;
	gz = skelgen_read_all("/proc/config.gz", &len);
	if (!gz)
		return NULL;
	text = skelgen_gunzip(gz, len, &len);
	free(gz);
	return (char *)text;
}

/* The value of `name` ("CONFIG_X=value" line) in `text`, up to the end of its line. */
static inline const char *skelgen_kconfig_find(const char *text, const char *name, size_t *len)
{
	size_t nlen = strlen(name);
	const char *line = text;

	while (line && *line) {
		if (strncmp(line, name, nlen) == 0 && line[nlen] == '=') {
			const char *v = line + nlen + 1, *end = strchr(v, '\n');

			*len = end ? (size_t)(end - v) : strlen(v);
			return v;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

static inline int skelgen_kconfig_value(unsigned char *dst, const struct skelgen_kconfig_extern *e,
					const char *v, size_t len)
{
	char buf[32];
	uint32_t i, j;

	switch (e->kind) {
	case SKELGEN_KCFG_BOOL:
	case SKELGEN_KCFG_TRISTATE:
		if (len != 1 || (v[0] != 'y' && v[0] != 'm' && v[0] != 'n'))
			return -EINVAL;
		skelgen_put_le(dst, e->size, v[0] == 'n' ? 0 : v[0] == 'y' ? 1 : e->kind == SKELGEN_KCFG_BOOL ? 1 : 2);
		return 0;
	case SKELGEN_KCFG_CHAR:
		dst[0] = (unsigned char)v[0];
		return 0;
	case SKELGEN_KCFG_CHAR_ARRAY:
		if (len < 2 || v[0] != '"' || v[len - 1] != '"' || !e->size)
			return -EINVAL;
		for (i = 1, j = 0; i + 1 < len && j + 1 < e->size; i++, j++) {
			if (v[i] == '\\' && i + 2 < len)
				i++;
			dst[j] = (unsigned char)v[i];
		}
		dst[j] = 0;
		return 0;
	default:
		if (len == 0 || len >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, v, len);
		buf[len] = '\0';
		if (e->kind == SKELGEN_KCFG_INT)
			skelgen_put_le(dst, e->size, (uint64_t)strtoll(buf, NULL, 0));
		else
			skelgen_put_le(dst, e->size, strtoull(buf, NULL, 0));
		return 0;
	}
}

/* LINUX_KERNEL_VERSION of the running kernel, from uname(2). */
static inline uint32_t skelgen_kernel_version(void)
{
	struct utsname u;

	if (uname(&u) < 0)
		return 0;
	return skelgen_parse_kernel_version(u.release);
}

/* Fills the .kconfig image; a strong extern without a value is recorded in priv. */
static inline void skelgen_kconfig_fill(unsigned char *image, const struct skelgen_kconfig_extern *ext,
					size_t n, struct skelgen_priv *priv)
{
	char *text = skelgen_kconfig_text();
	const char *v;
	size_t i, len = 0;
	int err;

	for (i = 0; i < n; i++) {
		const struct skelgen_kconfig_extern *e = &ext[i];

		if (e->kind == SKELGEN_KCFG_KERNEL_VERSION) {
			skelgen_put_le(image + e->offset, e->size, skelgen_kernel_version());
			continue;
		}
		if (e->kind == SKELGEN_KCFG_FEATURE) {
			skelgen_put_le(image + e->offset, e->size, 1);
			continue;
		}
		v = text ? skelgen_kconfig_find(text, e->name, &len) : NULL;
		err = v ? skelgen_kconfig_value(image + e->offset, e, v, len) : -ESRCH;
		if (err && !e->weak && !priv->open_err) {
			priv->open_err = err;
			snprintf(priv->open_what, sizeof(priv->open_what), "kconfig: %s %s", e->name,
				 text ? "has no usable value in the kernel configuration"
				      : "needs /boot/config-$(uname -r) or /proc/config.gz, and neither can be read");
		}
	}
	free(text);
}

#endif /* SKELGEN_C_KCONFIG_ABI2 */

/* .kconfig values, read on the target at __open; the configuration once per process. */
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

/* Whether an extern's value comes from the configuration text (versions and features do not). */
static inline int skelgen_kconfig_from_text(const struct skelgen_kconfig_extern *e)
{
	return e->kind != SKELGEN_KCFG_KERNEL_VERSION && e->kind != SKELGEN_KCFG_FEATURE;
}

/* Whether `line` (of `len` bytes) is the "NAME=value" line of `name`. */
static inline int skelgen_kconfig_line_is(const unsigned char *line, size_t len, const char *name)
{
	size_t nlen = strlen(name);

	return len > nlen && memcmp(line, name, nlen) == 0 && line[nlen] == '=';
}

/* The keys an inflation looks for: it stops at the line that holds the last of them. */
struct skelgen_kconfig_want {
	const struct skelgen_kconfig_extern *ext;
	size_t n;
	unsigned char *seen;	/* one flag per extern */
	size_t left;		/* externs from the text not seen yet */
};

static inline int skelgen_kconfig_want_line(void *arg, const unsigned char *line, size_t len)
{
	struct skelgen_kconfig_want *w = (struct skelgen_kconfig_want *)arg;
	size_t i;

	if (len < 8 || memcmp(line, "CONFIG_", 7) != 0)
		return 0;
	for (i = 0; i < w->n; i++) {
		if (!w->seen[i] && skelgen_kconfig_from_text(&w->ext[i]) &&
		    skelgen_kconfig_line_is(line, len, w->ext[i].name)) {
			w->seen[i] = 1;
			w->left--;
			break;
		}
	}
	return w->left == 0;
}

/*
 * The kernel configuration as text (malloc'ed), or NULL: the file at `plain` (normally
 * /boot/config-$(uname -r)) when it can be read, else the gzip file at `gz` (normally
 * /proc/config.gz), inflated only up to the line holding the last extern of `ext` that
 * needs the text. *complete says whether the text is the whole configuration.
 */
static inline char *skelgen_kconfig_read(const char *plain, const char *gz_path,
					 const struct skelgen_kconfig_extern *ext, size_t n, int *complete)
{
	struct skelgen_kconfig_want w;
	unsigned char *gz, *text;
	size_t i, len;

	*complete = 1;
	text = plain ? skelgen_read_all(plain, &len) : NULL;
	if (text)
		return (char *)text;
	gz = skelgen_read_all(gz_path, &len);
	if (!gz)
		return NULL;
	w.ext = ext;
	w.n = n;
	w.left = 0;
	w.seen = (unsigned char *)calloc(n ? n : 1, 1);
	for (i = 0; i < n; i++)
		w.left += (size_t)skelgen_kconfig_from_text(&ext[i]);
	/* Without memory for the flags, inflate everything. */
	text = w.seen ? skelgen_gunzip_lines(gz, len, &len, skelgen_kconfig_want_line, &w, complete)
		      : skelgen_gunzip_lines(gz, len, &len, NULL, NULL, complete);
	free(w.seen);
	free(gz);
	return (char *)text;
}

/*
 * What one process has read of the configuration: the text (a prefix of it when not
 * complete) or, with `read` set and no text, that neither file could be read. Guarded by
 * `lock` (a spin lock: only opens running at the same time ever wait).
 */
struct skelgen_kconfig_cache {
	char *text;
	int complete;
	int read;
	char lock;
};

/* This translation unit's cache: the configuration is read once per process and kept. */
static inline struct skelgen_kconfig_cache *skelgen_kconfig_process_cache(void)
{
	static struct skelgen_kconfig_cache cache;

	return &cache;
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

/* Whether `text` holds the line of every extern that needs the text. */
static inline int skelgen_kconfig_has_all(const char *text, const struct skelgen_kconfig_extern *ext, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++)
		if (skelgen_kconfig_from_text(&ext[i]) && !skelgen_kconfig_find(text, ext[i].name, &len))
			return 0;
	return 1;
}

/*
 * Makes the cache hold every line the externs need: a prefix read for other externs is
 * read again, further (rarely: the skeletons of one process mostly want the same keys).
 */
static inline void skelgen_kconfig_cache_fill(struct skelgen_kconfig_cache *c, const char *plain,
					      const char *gz_path, const struct skelgen_kconfig_extern *ext,
					      size_t n)
{
	char *text;
	int complete;

	if (c->read && (c->complete || skelgen_kconfig_has_all(c->text, ext, n)))
		return;
	text = skelgen_kconfig_read(plain, gz_path, ext, n, &complete);
	if (!text && c->text)
		return;	/* keep what an earlier read found */
	free(c->text);
	c->text = text;
	c->complete = text ? complete : 1;
	c->read = 1;
}

/* Writes the values of the externs that do not need the text; 1 if some other one does. */
static inline int skelgen_kconfig_fill_fixed(unsigned char *image, const struct skelgen_kconfig_extern *ext,
					     size_t n)
{
	size_t i;
	int need_text = 0;

	for (i = 0; i < n; i++) {
		if (ext[i].kind == SKELGEN_KCFG_KERNEL_VERSION)
			skelgen_put_le(image + ext[i].offset, ext[i].size, skelgen_kernel_version());
		else if (ext[i].kind == SKELGEN_KCFG_FEATURE)
			skelgen_put_le(image + ext[i].offset, ext[i].size, 1);
		else
			need_text = 1;
	}
	return need_text;
}

/*
 * Fills the .kconfig image from `c`, reading the configuration (`plain`, else `gz_path`)
 * only when an extern needs it and the cache does not hold it yet. A strong extern
 * without a value is recorded in priv.
 */
static inline void skelgen_kconfig_fill_from(unsigned char *image, const struct skelgen_kconfig_extern *ext,
					     size_t n, struct skelgen_priv *priv, struct skelgen_kconfig_cache *c,
					     const char *plain, const char *gz_path)
{
	const char *v;
	size_t i, len = 0;
	int err;

	if (!skelgen_kconfig_fill_fixed(image, ext, n))
		return;
	while (__atomic_test_and_set(&c->lock, __ATOMIC_ACQUIRE))
		;
	skelgen_kconfig_cache_fill(c, plain, gz_path, ext, n);
	for (i = 0; i < n; i++) {
		const struct skelgen_kconfig_extern *e = &ext[i];

		if (!skelgen_kconfig_from_text(e))
			continue;
		v = c->text ? skelgen_kconfig_find(c->text, e->name, &len) : NULL;
		err = v ? skelgen_kconfig_value(image + e->offset, e, v, len) : -ESRCH;
		if (err && !e->weak && !priv->open_err) {
			priv->open_err = err;
			snprintf(priv->open_what, sizeof(priv->open_what), "kconfig: %s %s", e->name,
				 c->text ? "has no usable value in the kernel configuration"
					 : "needs /boot/config-$(uname -r) or /proc/config.gz, and neither can be read");
		}
	}
	__atomic_clear(&c->lock, __ATOMIC_RELEASE);
}

/* Fills the .kconfig image from the running kernel's configuration, read once per process:
 * /boot/config-$(uname -r) first, else /proc/config.gz. */
static inline void skelgen_kconfig_fill(unsigned char *image, const struct skelgen_kconfig_extern *ext,
					size_t n, struct skelgen_priv *priv)
{
	struct utsname u;
	char plain[128 + sizeof(u.release)];

	if (uname(&u) == 0)
		snprintf(plain, sizeof(plain), "/boot/config-%s", u.release);
	else
		plain[0] = '\0';
	skelgen_kconfig_fill_from(image, ext, n, priv, skelgen_kconfig_process_cache(), plain[0] ? plain : NULL,
				  "/proc/config.gz");
}

#endif /* SKELGEN_C_KCONFIG_ABI2 */

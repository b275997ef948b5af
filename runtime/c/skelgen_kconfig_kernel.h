/*
 * .kconfig values from the configuration of the kernel the module is built for, tested with
 * the preprocessor in __open. Shared by every skelgen kernel header of this ABI.
 */
#ifndef SKELGEN_KERN_KCONFIG_ABI2
#define SKELGEN_KERN_KCONFIG_ABI2

/* A configuration macro is a number (int, hex, bool) or a string literal. */
#define SKELGEN_KCFG_IS_STR(x) _Generic((x), char *: 1, const char *: 1, default: 0)
#define SKELGEN_KCFG_NUM(x) _Generic((x), char *: 0ULL, const char *: 0ULL, default: (x))
#define SKELGEN_KCFG_STR(x) _Generic((x), char *: (x), const char *: (x), default: NULL)

/* A value's bytes in the .kconfig image, little-endian as the loader's blob is. */
static inline void skelgen_kcfg_put(u8 *dst, u32 size, u64 v)
{
	skelgen_put_le(dst, size, v);
}

static inline void skelgen_kcfg_fail(struct skelgen_priv *priv, const char *name,
				     const char *why)
{
	if (priv->open_err)
		return;
	priv->open_err = -ESRCH;
	snprintf(priv->open_what, sizeof(priv->open_what), "kconfig: %s %s", name, why);
}

/* A strong extern the configuration does not set: __load fails with -ESRCH. */
static inline void skelgen_kcfg_missing(struct skelgen_priv *priv, const char *name)
{
	skelgen_kcfg_fail(priv, name, "is not set in the kernel configuration the module is built for");
}

static inline void skelgen_kcfg_num(struct skelgen_priv *priv, const char *name, bool weak,
				    u8 *dst, u32 size, bool is_str, u64 v)
{
	if (!is_str)
		skelgen_kcfg_put(dst, size, v);
	else if (!weak)
		skelgen_kcfg_fail(priv, name, "is a string, not a number");
}

static inline void skelgen_kcfg_str(struct skelgen_priv *priv, const char *name, bool weak,
				    u8 *dst, u32 size, const char *s)
{
	if (s && size)
		strscpy((char *)dst, s, size);
	else if (!weak)
		skelgen_kcfg_fail(priv, name, "is not a string");
}

/* LINUX_KERNEL_VERSION of the running kernel. */
static inline u32 skelgen_kernel_version(void)
{
	return skelgen_parse_kernel_version(init_utsname()->release);
}

#endif /* SKELGEN_KERN_KCONFIG_ABI2 */

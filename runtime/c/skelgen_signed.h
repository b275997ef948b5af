/*
 * Signed loading (userspace, Linux 6.18 and later; docs/signing.md, docs/loader-abi.md
 * section 7): the loader map created exclusive to the loader, written, frozen and hashed by
 * the kernel, then the loader loaded with a signature, the one over instructions and
 * metadata first (Linux 7.3 and later verify that), the one over the instructions alone
 * when the kernel rejects it (6.18 to 7.2). Functions return a negative errno on failure.
 */
#ifndef SKELGEN_C_SIGNED_ABI2
#define SKELGEN_C_SIGNED_ABI2

#define SKELGEN_BPF_OBJ_GET_INFO_BY_FD 15

/*
 * keyring_id values (bpf(2), include/uapi/linux/keyctl.h). A skeleton's keyring_id starts at
 * 0, the kernel's builtin trusted keys, as bpftool's signed skeletons leave it; a test key
 * added to the session keyring (skelgen_add_certificate) needs
 * SKELGEN_KEY_SPEC_SESSION_KEYRING, the value of KEY_SPEC_SESSION_KEYRING.
 */
enum {
	SKELGEN_KEYRING_BUILTIN = 0,
	SKELGEN_KEYRING_SECONDARY = 1,
	SKELGEN_KEYRING_PLATFORM = 2,
	SKELGEN_KEY_SPEC_SESSION_KEYRING = -3,
	SKELGEN_SHA256_SIZE = 32
};

/* What a signed skeleton embeds besides its blob. */
struct skelgen_signature {
	const unsigned char *excl_prog_hash;	/* SHA-256 of the loader instructions */
	const unsigned char *with_metadata;	/* over instructions, then the blob */
	uint32_t with_metadata_size;
	const unsigned char *insns_only;	/* over the instructions */
	uint32_t insns_only_size;
	int32_t keyring_id;
};

/* BPF_MAP_CREATE's attr up to excl_prog_hash_size. */
struct skelgen_attr_map_create_excl {
	struct skelgen_attr_map_create base;
	uint32_t map_ifindex;
	uint32_t btf_fd;
	uint32_t btf_key_type_id;
	uint32_t btf_value_type_id;
	uint32_t btf_vmlinux_value_type_id;
	uint64_t map_extra;
	int32_t value_type_btf_obj_fd;
	int32_t map_token_fd;
	uint64_t excl_prog_hash;
	uint32_t excl_prog_hash_size;
	uint32_t __pad;
};

/* BPF_PROG_LOAD's attr up to keyring_id. */
struct skelgen_attr_prog_load_signed {
	struct skelgen_attr_prog_load base;
	uint64_t core_relos;
	uint32_t core_relo_rec_size;
	uint32_t log_true_size;
	int32_t prog_token_fd;
	uint32_t fd_array_cnt;
	uint64_t signature;
	uint32_t signature_size;
	int32_t keyring_id;
};

/* struct bpf_map_info up to hash_size. */
struct skelgen_map_info_hash {
	uint32_t type;
	uint32_t id;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	char name[16];
	uint32_t ifindex;
	uint32_t btf_vmlinux_value_type_id;
	uint64_t netns_dev;
	uint64_t netns_ino;
	uint32_t btf_id;
	uint32_t btf_key_type_id;
	uint32_t btf_value_type_id;
	uint32_t btf_vmlinux_id;
	uint64_t map_extra;
	uint64_t hash;
	uint32_t hash_size;
	uint32_t __pad;
};

struct skelgen_attr_info {
	uint32_t bpf_fd;
	uint32_t info_len;
	uint64_t info;
};

SKELGEN_STATIC_ASSERT(offsetof(struct skelgen_attr_map_create_excl, excl_prog_hash) == 80, "map_create excl");
SKELGEN_STATIC_ASSERT(sizeof(struct skelgen_attr_map_create_excl) == 96, "map_create excl size");
SKELGEN_STATIC_ASSERT(offsetof(struct skelgen_attr_prog_load_signed, fd_array_cnt) == 148, "prog_load cnt");
SKELGEN_STATIC_ASSERT(offsetof(struct skelgen_attr_prog_load_signed, keyring_id) == 164, "prog_load keyring");
SKELGEN_STATIC_ASSERT(offsetof(struct skelgen_map_info_hash, hash) == 88, "bpf_map_info hash");

/*
 * add_key(2) of a DER X.509 certificate as an "asymmetric" key into `keyring` (for example
 * SKELGEN_KEY_SPEC_SESSION_KEYRING); returns the key's serial, to use as a skeleton's
 * keyring_id together with the keyring, or -errno.
 */
static inline int32_t skelgen_add_certificate(const void *der, size_t size, int32_t keyring)
{
	long r = syscall(__NR_add_key, "asymmetric", "skelgen signer", der, size, (long)keyring);

	return r < 0 ? -errno : (int32_t)r;
}

/* The loader map, exclusive to the loader, written, frozen and hashed by the kernel. */
static inline int skelgen_signed_loader_map(const struct skelgen_blob *b, const struct skelgen_signature *sig,
					    const char **what)
{
	struct skelgen_attr_map_create_excl mc;
	struct skelgen_attr_elem el;
	struct skelgen_map_info_hash info;
	struct skelgen_attr_info ia;
	unsigned char hash[SKELGEN_SHA256_SIZE];
	uint32_t key = 0;
	int fd, err;

	memset(&mc, 0, sizeof(mc));
	mc.base.map_type = SKELGEN_BPF_MAP_TYPE_ARRAY;
	mc.base.key_size = 4;
	mc.base.value_size = b->data_size;
	mc.base.max_entries = 1;
	memcpy(mc.base.map_name, "__loader.map", sizeof("__loader.map"));
	mc.excl_prog_hash = skelgen_ptr(sig->excl_prog_hash);
	mc.excl_prog_hash_size = SKELGEN_SHA256_SIZE;
	fd = skelgen_sys_bpf(SKELGEN_BPF_MAP_CREATE, &mc, sizeof(mc));
	if (fd < 0) {
		*what = fd == -E2BIG || fd == -EINVAL
			? "create the exclusive loader map: this kernel has no signed loading (Linux 6.18 or later)"
			: "create the exclusive loader map";
		return fd;
	}
	memset(&el, 0, sizeof(el));
	el.map_fd = (uint32_t)fd;
	el.key = skelgen_ptr(&key);
	el.value = skelgen_ptr(b->data);
	err = skelgen_sys_bpf(SKELGEN_BPF_MAP_UPDATE_ELEM, &el, sizeof(el));
	*what = "write the loader map";
	if (err >= 0) {
		memset(&el, 0, sizeof(el));
		el.map_fd = (uint32_t)fd;
		err = skelgen_sys_bpf(SKELGEN_BPF_MAP_FREEZE, &el, 4);
		*what = "freeze the loader map";
	}
	if (err >= 0) {
		/* Asking for the hash makes the kernel compute it and keep it in the map, where
		 * the loader's step 0 compares it with the blob's. */
		memset(&info, 0, sizeof(info));
		info.hash = skelgen_ptr(hash);
		info.hash_size = SKELGEN_SHA256_SIZE;
		memset(&ia, 0, sizeof(ia));
		ia.bpf_fd = (uint32_t)fd;
		ia.info_len = sizeof(info);
		ia.info = skelgen_ptr(&info);
		err = skelgen_sys_bpf(SKELGEN_BPF_OBJ_GET_INFO_BY_FD, &ia, sizeof(ia));
		*what = "hash the loader map";
	}
	if (err < 0) {
		skelgen_close_fd(fd);
		return err;
	}
	*what = NULL;
	return fd;
}

/*
 * Whether a refused load with the signature over instructions and metadata is tried again
 * with the one over the instructions alone: a 6.18 to 7.2 kernel checks the first against
 * the instructions only, which does not match (EKEYREJECTED, or EBADMSG).
 */
static inline int skelgen_signed_retry(int with_metadata)
{
	return with_metadata == -EKEYREJECTED || with_metadata == -EBADMSG;
}

/* What a refused signed BPF_PROG_LOAD means, for both attempts' errnos (0: not tried). */
static inline const char *skelgen_signed_load_error(int with_metadata, int insns_only)
{
	if (with_metadata == -EOPNOTSUPP)
		return "load the signed loader: this kernel cannot verify signatures: built without "
		       "CONFIG_SYSTEM_DATA_VERIFICATION";
	if (with_metadata == -ENOKEY || insns_only == -ENOKEY)
		return "load the signed loader: the signing certificate is not in keyring_id's keyring "
		       "(add it with skelgen_add_certificate)";
	if (with_metadata == -EKEYREJECTED && insns_only == -EACCES)
		return "load the signed loader: signature rejected: the blob is not the signed one";
	if (skelgen_signed_retry(with_metadata))
		return "load the signed loader: signature rejected under both schemes (Linux 7.3's and "
		       "6.18 to 7.2's): the loader or its signature changed, or another key signed it";
	if (with_metadata == -EACCES)
		return "load the signed loader: the kernel refused the exclusive loader map: the "
		       "instructions are not the signed ones";
	if (with_metadata == -EINVAL)
		return "load the signed loader: refused: keyring_id names no keyring, or the kernel has "
		       "no CONFIG_KEYS";
	return "load the signed loader";
}

/*
 * BPF_PROG_LOAD of the loader with the signature the kernel takes: with_metadata (and
 * fd_array_cnt 1) first, insns_only when the kernel rejects that signature. Returns the fd,
 * or -errno of the first attempt with *what saying what both mean.
 */
static inline int skelgen_signed_loader_prog(const struct skelgen_blob *b, const struct skelgen_signature *sig,
					     int *map_fd, const char **what)
{
	struct skelgen_attr_prog_load_signed pl;
	int first, second = 0;

	memset(&pl, 0, sizeof(pl));
	pl.base.prog_type = SKELGEN_BPF_PROG_TYPE_SYSCALL;
	pl.base.insn_cnt = b->insns_size / 8;
	pl.base.insns = skelgen_ptr(b->insns);
	pl.base.license = skelgen_ptr("Dual BSD/GPL");
	pl.base.prog_flags = SKELGEN_BPF_F_SLEEPABLE;
	memcpy(pl.base.prog_name, "__loader.prog", sizeof("__loader.prog"));
	pl.base.fd_array = skelgen_ptr(map_fd);
	pl.keyring_id = sig->keyring_id;
	pl.fd_array_cnt = 1;
	pl.signature = skelgen_ptr(sig->with_metadata);
	pl.signature_size = sig->with_metadata_size;
	first = skelgen_sys_bpf(SKELGEN_BPF_PROG_LOAD, &pl, sizeof(pl));
	if (first >= 0)
		return first;
	if (skelgen_signed_retry(first)) {
		pl.fd_array_cnt = 0;
		pl.signature = skelgen_ptr(sig->insns_only);
		pl.signature_size = sig->insns_only_size;
		second = skelgen_sys_bpf(SKELGEN_BPF_PROG_LOAD, &pl, sizeof(pl));
		if (second >= 0)
			return second;
	}
	*what = skelgen_signed_load_error(first, second);
	return first;
}

/*
 * skelgen_run_loader for a signed loader: the same run, with the loader map and program
 * made as above. A blob that is not the signed one fails step 0 with EKEYREJECTED on
 * kernels that verify the instructions only.
 */
static inline int skelgen_run_signed_loader(struct skelgen_loader_ctx *ctx, const struct skelgen_blob *b,
					    const struct skelgen_signature *sig, const char **what, int *step)
{
	int map_fd, prog_fd, err;

	skelgen_loader_begin(ctx, what, step);
	map_fd = skelgen_signed_loader_map(b, sig, what);
	if (map_fd < 0)
		return map_fd;
	prog_fd = skelgen_signed_loader_prog(b, sig, &map_fd, what);
	if (prog_fd < 0) {
		skelgen_close_fd(map_fd);
		return prog_fd;
	}
	err = skelgen_loader_finish(ctx, b, map_fd, prog_fd, what, step);
	if (err == -EKEYREJECTED && *step == 0)
		*what = "check the loader's blob: it is not the signed one";
	return err;
}

/* skelgen_load for a signed loader: 0, or -errno with errno set. */
static inline int skelgen_load_signed(struct skelgen_loader_ctx *ctx, const struct skelgen_blob *b,
				      const struct skelgen_signature *sig, const char **what, int *step)
{
	int err;

	skelgen_load_prepare(ctx);
	err = skelgen_run_signed_loader(ctx, b, sig, what, step);
	return err < 0 ? skelgen_fail(err) : 0;
}

#endif /* SKELGEN_C_SIGNED_ABI2 */

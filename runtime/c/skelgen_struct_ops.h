/*
 * struct_ops (docs/loader-abi.md section 3.4): at __load, the kernel's layout of each
 * structure is read from /sys/kernel/btf/vmlinux and matched to the object's by member
 * name; the loader gets the value type and each program's member through the context, and
 * the skeleton keeps the value in the kernel's layout. Attaching writes it to the map
 * (which registers a .struct_ops map) and, for a .struct_ops.link map, makes the link.
 */
#ifndef SKELGEN_C_STRUCT_OPS_ABI2
#define SKELGEN_C_STRUCT_OPS_ABI2

#define SKELGEN_BTF_VMLINUX "/sys/kernel/btf/vmlinux"
#define SKELGEN_STRUCT_OPS_VALUE_PREFIX "bpf_struct_ops_"
#define SKELGEN_NO_OFFSET 0xffffffffu

/* A struct_ops map's context descriptor: autocreate 0 leaves the map out of the load. */
struct skelgen_struct_ops_desc {
	uint32_t autocreate;
	uint32_t __reserved;
};

/* A struct_ops program's context descriptor, filled by __load from the kernel's BTF. */
struct skelgen_struct_ops_prog_desc {
	uint32_t attach_btf_id;	/* struct T */
	uint32_t member_index;	/* its member: the program's expected_attach_type */
};

SKELGEN_STATIC_ASSERT(sizeof(struct skelgen_struct_ops_desc) == 8, "struct_ops map descriptor");
SKELGEN_STATIC_ASSERT(sizeof(struct skelgen_struct_ops_prog_desc) == 8, "struct_ops program descriptor");

/* One member of a structure as the object declares it. */
struct skelgen_struct_ops_member {
	const char *name;
	uint32_t offset;	/* in the compiled image */
	uint32_t size;
	int32_t slot;		/* its program's struct_ops slot, or -1 for data */
	uint32_t zero;		/* data: every byte is 0 */
};

/* A structure as the object declares it. */
struct skelgen_struct_ops_def {
	const char *map;
	const char *type;		/* the kernel's struct */
	const unsigned char *image;
	uint32_t image_size;
	const struct skelgen_struct_ops_member *members;
	uint32_t nr_members;
	uint32_t link;			/* .struct_ops.link */
};

/* A structure's value in the kernel's layout (bpf_struct_ops_<T>), from __load to destroy. */
struct skelgen_struct_ops_value {
	unsigned char *data;
	uint32_t size;
	uint32_t written;	/* the map holds the value */
	uint32_t registered;	/* a .struct_ops map: registered by its update */
	uint32_t *fd_offset;	/* per member: where its program's fd goes, or SKELGEN_NO_OFFSET */
};

/* A struct_ops map of a skeleton: its definition and where its state lives. */
struct skelgen_struct_ops {
	const struct skelgen_struct_ops_def *def;
	struct skelgen_map_desc *map;
	struct skelgen_struct_ops_desc *desc;
	struct skelgen_struct_ops_value *value;
	int *link_fd;		/* .struct_ops.link maps only */
};

/* A struct_ops program of a skeleton, by slot. */
struct skelgen_struct_ops_prog {
	const char *name;
	struct skelgen_prog_desc *prog;
	struct skelgen_struct_ops_prog_desc *desc;
};

static inline void skelgen_struct_ops_value_free(struct skelgen_struct_ops_value *v)
{
	free(v->data);
	memset(v, 0, sizeof(*v));
}

/* The kernel's struct T and bpf_struct_ops_<T>, and where T sits in the latter. */
struct skelgen_struct_ops_kernel {
	uint32_t type_id;
	uint32_t value_id;
	uint32_t value_size;
	uint32_t data_offset;
};

static inline int skelgen_struct_ops_kernel_types(const struct skelgen_btf *btf, const struct skelgen_struct_ops_def *def,
						  struct skelgen_struct_ops_kernel *k, char *what, size_t size)
{
	char name[256];
	const unsigned char *vt;
	struct skelgen_btf_member m;
	uint32_t i;

	k->type_id = skelgen_btf_find(btf, def->type, SKELGEN_BTF_KIND_STRUCT);
	snprintf(name, sizeof(name), SKELGEN_STRUCT_OPS_VALUE_PREFIX "%s", def->type);
	k->value_id = skelgen_btf_find(btf, name, SKELGEN_BTF_KIND_STRUCT);
	if (!k->type_id || !k->value_id) {
		snprintf(what, size,
			 "struct_ops map %s: this kernel has no struct_ops type struct %s (no struct %s in "
			 SKELGEN_BTF_VMLINUX "; struct_ops types of modules are not supported)",
			 def->map, def->type, k->type_id ? name : def->type);
		return -ENOENT;
	}
	vt = skelgen_btf_type(btf, k->value_id);
	k->value_size = skelgen_btf_u32(vt + 8);
	for (i = 0; i < skelgen_btf_vlen(vt); i++) {
		skelgen_btf_member_at(vt, i, &m);
		if (m.type == k->type_id && m.bitfield == 0 && m.bit_offset % 8 == 0) {
			k->data_offset = m.bit_offset / 8;
			return 0;
		}
	}
	snprintf(what, size, "struct_ops map %s: struct %s holds no struct %s", def->map, name, def->type);
	return -EINVAL;
}

/* Places member `j` of the object's structure in the kernel's: data is copied into the
 * value, a program's slot gets the kernel's struct and member index. */
static inline int skelgen_struct_ops_member_place(const struct skelgen_btf *btf, const struct skelgen_struct_ops *s,
						  const struct skelgen_struct_ops_kernel *k, uint32_t j,
						  struct skelgen_struct_ops_prog *progs, char *what, size_t size)
{
	const struct skelgen_struct_ops_def *def = s->def;
	const struct skelgen_struct_ops_member *lm = &def->members[j];
	struct skelgen_struct_ops_prog_desc *pd;
	struct skelgen_btf_member km;
	uint64_t ksize = 0, at;

	s->value->fd_offset[j] = SKELGEN_NO_OFFSET;
	if (!skelgen_btf_member(btf, k->type_id, lm->name, &km)) {
		if (lm->slot < 0 && lm->zero)
			return 0;	/* as libbpf: a zero member the kernel lacks is left out */
		snprintf(what, size, "struct_ops map %s: struct %s of this kernel has no member %s, which the object sets",
			 def->map, def->type, lm->name);
		return -EOPNOTSUPP;
	}
	at = (uint64_t)k->data_offset + km.bit_offset / 8;
	if (km.bitfield || km.bit_offset % 8) {
		snprintf(what, size, "struct_ops map %s: member %s of struct %s is a bitfield in this kernel",
			 def->map, lm->name, def->type);
		return -EOPNOTSUPP;
	}
	if (lm->slot >= 0) {
		if (!skelgen_btf_is_func_ptr(btf, km.type) || at + 8 > k->value_size) {
			snprintf(what, size,
				 "struct_ops map %s: member %s of struct %s is not a function pointer in this kernel",
				 def->map, lm->name, def->type);
			return -EOPNOTSUPP;
		}
		pd = progs[lm->slot].desc;
		if (pd->attach_btf_id && (pd->attach_btf_id != k->type_id || pd->member_index != km.index)) {
			snprintf(what, size,
				 "struct_ops program %s serves member %s of map %s and another member: a program "
				 "serves one member of one struct", progs[lm->slot].name, lm->name, def->map);
			return -EINVAL;
		}
		pd->attach_btf_id = k->type_id;
		pd->member_index = km.index;
		s->value->fd_offset[j] = (uint32_t)at;
		return 0;
	}
	if (skelgen_btf_size(btf, km.type, &ksize) || ksize != lm->size || at + ksize > k->value_size) {
		snprintf(what, size, "struct_ops map %s: member %s of struct %s has another size in this kernel",
			 def->map, lm->name, def->type);
		return -EOPNOTSUPP;
	}
	memcpy(s->value->data + at, def->image + lm->offset, lm->size);
	return 0;
}

/* Lays out one created map's value and fills its context descriptor and its programs'. */
static inline int skelgen_struct_ops_layout(const struct skelgen_btf *btf, const struct skelgen_struct_ops *s,
					    struct skelgen_struct_ops_prog *progs, char *what, size_t size)
{
	struct skelgen_struct_ops_kernel k;
	struct skelgen_struct_ops_value *v = s->value;
	/* The fd offsets follow the value in the same allocation, aligned for uint32_t. */
	size_t offsets;
	uint32_t j;
	int err;

	err = skelgen_struct_ops_kernel_types(btf, s->def, &k, what, size);
	if (err)
		return err;
	offsets = ((size_t)k.value_size + 3) / 4 * 4;
	v->data = (unsigned char *)calloc(1, offsets + sizeof(uint32_t) * (size_t)s->def->nr_members);
	if (!v->data) {
		snprintf(what, size, "struct_ops map %s: out of memory for its value", s->def->map);
		return -ENOMEM;
	}
	v->size = k.value_size;
	v->fd_offset = (uint32_t *)(void *)(v->data + offsets);
	for (j = 0; j < s->def->nr_members; j++) {
		err = skelgen_struct_ops_member_place(btf, s, &k, j, progs, what, size);
		if (err)
			return err;
	}
	s->map->value_size = k.value_size;
	s->map->btf_vmlinux_value_type_id = k.value_id;
	return 0;
}

/* Whether a map that will be created names program slot `slot` (0), a map that will not
 * (1), or none (2). */
static inline int skelgen_struct_ops_use(const struct skelgen_struct_ops *maps, uint32_t nr_maps, int32_t slot)
{
	int use = 2;
	uint32_t i, j;

	for (i = 0; i < nr_maps; i++)
		for (j = 0; j < maps[i].def->nr_members; j++)
			if (maps[i].def->members[j].slot == slot)
				use = maps[i].desc->autocreate ? 0 : (use == 0 ? 0 : 1);
	return use;
}

/*
 * Before the loader runs: lays out every map to be created from the kernel's BTF, and
 * settles each struct_ops program as libbpf does (one named only by maps left out is not
 * loaded; one named by no map cannot load). 0, or -errno with the reason in `what`.
 */
static inline int skelgen_struct_ops_prepare(struct skelgen_struct_ops *maps, uint32_t nr_maps,
					     struct skelgen_struct_ops_prog *progs, uint32_t nr_progs,
					     char *what, size_t size)
{
	struct skelgen_btf btf;
	uint32_t i;
	int err = 0, need = 0, use;

	for (i = 0; i < nr_progs; i++)
		memset(progs[i].desc, 0, sizeof(*progs[i].desc));
	for (i = 0; i < nr_maps; i++) {
		skelgen_struct_ops_value_free(maps[i].value);
		maps[i].map->value_size = 0;
		maps[i].map->btf_vmlinux_value_type_id = 0;
		need |= maps[i].desc->autocreate != 0;
	}
	if (need) {
		err = skelgen_btf_load(&btf, SKELGEN_BTF_VMLINUX);
		if (err) {
			snprintf(what, size, "struct_ops needs the kernel's BTF (CONFIG_DEBUG_INFO_BTF): %s: %s",
				 SKELGEN_BTF_VMLINUX, err == -EINVAL ? "malformed" : strerror(-err));
			return err;
		}
		for (i = 0; i < nr_maps && !err; i++)
			if (maps[i].desc->autocreate)
				err = skelgen_struct_ops_layout(&btf, &maps[i], progs, what, size);
		skelgen_btf_free(&btf);
	}
	for (i = 0; i < nr_progs && !err; i++) {
		use = skelgen_struct_ops_use(maps, nr_maps, (int32_t)i);
		if (use == 1)
			progs[i].prog->autoload = 0;
		else if (use == 2 && progs[i].prog->autoload) {
			snprintf(what, size,
				 "struct_ops program %s is the member of no struct_ops map, so the kernel cannot load "
				 "it (libbpf's load fails too): set its autoload to 0", progs[i].name);
			err = -EINVAL;
		}
	}
	if (err)
		for (i = 0; i < nr_maps; i++)
			skelgen_struct_ops_value_free(maps[i].value);
	return err;
}

/* After load: the programs' fds into the value; fails naming a program that was not loaded. */
static inline int skelgen_struct_ops_fill(const struct skelgen_struct_ops *s, const struct skelgen_struct_ops_prog *progs,
					  char *what, size_t size)
{
	const struct skelgen_struct_ops_member *m;
	uint64_t fd;
	uint32_t j;

	for (j = 0; j < s->def->nr_members; j++) {
		m = &s->def->members[j];
		if (m->slot < 0 || s->value->fd_offset[j] == SKELGEN_NO_OFFSET)
			continue;
		if (progs[m->slot].prog->prog_fd <= 0) {
			snprintf(what, size, "struct_ops map %s: program %s of member %s was not loaded (its autoload is 0)",
				 s->def->map, progs[m->slot].name, m->name);
			return -ENOENT;
		}
		fd = (uint64_t)progs[m->slot].prog->prog_fd;
		memcpy(s->value->data + s->value->fd_offset[j], &fd, sizeof(fd));
	}
	return 0;
}

/*
 * Registers one structure: BPF_MAP_UPDATE_ELEM of its value, which registers a .struct_ops
 * map; a .struct_ops.link map is registered by BPF_LINK_CREATE, whose fd goes to
 * *s->link_fd. 0, or -errno with the reason in `what`.
 */
static inline int skelgen_struct_ops_attach(const struct skelgen_struct_ops *s, const struct skelgen_struct_ops_prog *progs,
					    char *what, size_t size)
{
	struct skelgen_struct_ops_value *v = s->value;
	uint32_t key = 0;
	int err, fd;

	if (s->map->map_fd <= 0 || !v->data) {
		snprintf(what, size, "struct_ops map %s was not created (not loaded, or its autocreate is 0)",
			 s->def->map);
		return -ENOENT;
	}
	if (s->link_fd ? *s->link_fd > 0 : v->registered) {
		snprintf(what, size, "struct_ops map %s is attached already", s->def->map);
		return -EBUSY;
	}
	if (!s->link_fd && v->written) {
		snprintf(what, size,
			 "struct_ops map %s was registered once: a .struct_ops map cannot be registered again after "
			 "a detach (a .struct_ops.link map can)", s->def->map);
		return -EBUSY;
	}
	if (!v->written) {
		err = skelgen_struct_ops_fill(s, progs, what, size);
		if (err)
			return err;
		err = skelgen_map_update_elem(s->map->map_fd, &key, v->data, 0);
		if (err) {
			snprintf(what, size, "struct_ops map %s: the kernel refuses its struct %s (BPF_MAP_UPDATE_ELEM)",
				 s->def->map, s->def->type);
			return err;
		}
		v->written = 1;
		v->registered = !s->link_fd;
	}
	if (!s->link_fd)
		return 0;
	fd = skelgen_link_create(s->map->map_fd, 0, SKELGEN_BPF_STRUCT_OPS, 0);
	if (fd < 0) {
		snprintf(what, size, "struct_ops map %s: BPF_LINK_CREATE (a .struct_ops.link map needs Linux 6.4)",
			 s->def->map);
		return fd;
	}
	*s->link_fd = fd;
	return 0;
}

static inline void skelgen_struct_ops_detach(const struct skelgen_struct_ops *s);

/* Whether a structure is registered (or has no map to register). */
static inline int skelgen_struct_ops_settled(const struct skelgen_struct_ops *s)
{
	if (s->map->map_fd <= 0)
		return 1;
	return s->link_fd ? *s->link_fd > 0 : (int)s->value->registered;
}

/* Registers every structure not `settled` before the call; on failure, unregisters those it
 * registered. */
static inline int skelgen_struct_ops_attach_all(const struct skelgen_struct_ops *maps, uint32_t nr_maps,
						const struct skelgen_struct_ops_prog *progs, const unsigned char *settled,
						char *what, size_t size)
{
	uint32_t i, j;
	int err;

	for (i = 0; i < nr_maps; i++) {
		if (settled[i])
			continue;
		err = skelgen_struct_ops_attach(&maps[i], progs, what, size);
		if (err) {
			for (j = 0; j < i; j++)
				if (!settled[j])
					skelgen_struct_ops_detach(&maps[j]);
			return err;
		}
	}
	return 0;
}

/* Unregisters one structure: closes its link, or deletes a .struct_ops map's value. */
static inline void skelgen_struct_ops_detach(const struct skelgen_struct_ops *s)
{
	uint32_t key = 0;

	if (s->link_fd) {
		skelgen_close(s->link_fd);
	} else if (s->value->registered) {
		skelgen_map_delete_elem(s->map->map_fd, &key);
		s->value->registered = 0;
	}
}

#endif /* SKELGEN_C_STRUCT_OPS_ABI2 */

/*
 * A reader of ELF symbol tables, for uprobes by function name and usdt: a function's symbol
 * in .symtab, else .dynsym, and a virtual address turned into a file offset through the
 * PT_LOAD program headers (executables, PIE or not, and shared objects alike). ELF64 of
 * either byte order. The file is a buffer in memory and every offset read from it is
 * checked against its bounds first; a malformed file gives -ENOEXEC and e->why says what
 * is wrong and where.
 */
#ifndef SKELGEN_C_ELF_ABI2
#define SKELGEN_C_ELF_ABI2

#define SKELGEN_ELF_EHDR_SIZE 64
#define SKELGEN_ELF_SHDR_SIZE 64
#define SKELGEN_ELF_PHDR_SIZE 56
#define SKELGEN_ELF_SYM_SIZE 24
#define SKELGEN_SHT_SYMTAB 2
#define SKELGEN_SHT_NOTE 7
#define SKELGEN_SHT_NOBITS 8
#define SKELGEN_SHT_DYNSYM 11
#define SKELGEN_PT_LOAD 1
#define SKELGEN_STT_FUNC 2
#define SKELGEN_STT_GNU_IFUNC 10
#define SKELGEN_STB_LOCAL 0
#define SKELGEN_STB_GLOBAL 1
#define SKELGEN_STB_WEAK 2

/* An ELF file in memory, after skelgen_elf_open(). */
struct skelgen_elf {
	const unsigned char *data;
	size_t size;
	int big_endian;
	uint64_t shoff;
	uint64_t phoff;
	uint32_t shnum;
	uint32_t phnum;
	uint32_t shstrndx;
	char why[160]; /* after a failure: what is wrong with the file, or what was not found */
};

/* One section header, as read. */
struct skelgen_elf_shdr {
	uint32_t name;
	uint32_t type;
	uint64_t addr;
	uint64_t offset;
	uint64_t size;
	uint32_t link;
	uint64_t entsize;
};

static inline uint64_t skelgen_elf_uint(const struct skelgen_elf *e, uint64_t off, unsigned len)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < len; i++) {
		unsigned shift = e->big_endian ? 8 * (len - 1 - i) : 8 * i;

		v |= (uint64_t)e->data[off + i] << shift;
	}
	return v;
}

/* Whether [off, off + len) lies inside the file. */
static inline int skelgen_elf_inside(const struct skelgen_elf *e, uint64_t off, uint64_t len)
{
	return off <= e->size && len <= e->size - off;
}

static inline int skelgen_elf_bad(struct skelgen_elf *e, const char *what, uint64_t at)
{
	snprintf(e->why, sizeof(e->why), "%s (at offset 0x%llx)", what, (unsigned long long)at);
	return -ENOEXEC;
}

/* Whether a table of `n` entries of `entsize` bytes at `off` lies inside the file. */
static inline int skelgen_elf_table_inside(const struct skelgen_elf *e, uint64_t off, uint64_t n,
					   uint64_t entsize)
{
	return off <= e->size && n <= (e->size - off) / entsize;
}

static inline void skelgen_elf_shdr_at(const struct skelgen_elf *e, uint32_t i, struct skelgen_elf_shdr *s)
{
	uint64_t at = e->shoff + (uint64_t)i * SKELGEN_ELF_SHDR_SIZE;

	s->name = (uint32_t)skelgen_elf_uint(e, at, 4);
	s->type = (uint32_t)skelgen_elf_uint(e, at + 4, 4);
	s->addr = skelgen_elf_uint(e, at + 16, 8);
	s->offset = skelgen_elf_uint(e, at + 24, 8);
	s->size = skelgen_elf_uint(e, at + 32, 8);
	s->link = (uint32_t)skelgen_elf_uint(e, at + 40, 4);
	s->entsize = skelgen_elf_uint(e, at + 56, 8);
}

/* Reads the ELF header and checks that the section and program header tables fit. */
static inline int skelgen_elf_open(struct skelgen_elf *e, const unsigned char *data, size_t size)
{
	struct skelgen_elf_shdr first;
	uint64_t shentsize, phentsize;

	memset(e, 0, sizeof(*e));
	e->data = data;
	e->size = size;
	if (size < SKELGEN_ELF_EHDR_SIZE || memcmp(data, "\177ELF", 4) != 0)
		return skelgen_elf_bad(e, "not an ELF file", 0);
	if (data[4] != 2)
		return skelgen_elf_bad(e, "not a 64-bit ELF file", 4);
	if (data[5] != 1 && data[5] != 2)
		return skelgen_elf_bad(e, "unknown byte order", 5);
	e->big_endian = data[5] == 2;
	e->phoff = skelgen_elf_uint(e, 32, 8);
	e->shoff = skelgen_elf_uint(e, 40, 8);
	phentsize = skelgen_elf_uint(e, 54, 2);
	e->phnum = (uint32_t)skelgen_elf_uint(e, 56, 2);
	shentsize = skelgen_elf_uint(e, 58, 2);
	e->shnum = (uint32_t)skelgen_elf_uint(e, 60, 2);
	e->shstrndx = (uint32_t)skelgen_elf_uint(e, 62, 2);
	if (e->shoff == 0) {
		e->shnum = 0;
	} else {
		if (shentsize != SKELGEN_ELF_SHDR_SIZE)
			return skelgen_elf_bad(e, "section headers are not 64 bytes", 58);
		if (!skelgen_elf_table_inside(e, e->shoff, 1, SKELGEN_ELF_SHDR_SIZE))
			return skelgen_elf_bad(e, "section header table past the end of the file", 40);
		/* Extended numbering: counts too large for the header live in section 0. */
		skelgen_elf_shdr_at(e, 0, &first);
		if (e->shnum == 0)
			e->shnum = first.size > UINT32_MAX ? UINT32_MAX : (uint32_t)first.size;
		if (e->shstrndx == 0xffff)
			e->shstrndx = first.link;
		if (e->phnum == 0xffff)
			e->phnum = (uint32_t)skelgen_elf_uint(e, e->shoff + 44, 4);
		if (!skelgen_elf_table_inside(e, e->shoff, e->shnum, SKELGEN_ELF_SHDR_SIZE))
			return skelgen_elf_bad(e, "section header table past the end of the file", e->shoff);
	}
	if (e->phnum && phentsize != SKELGEN_ELF_PHDR_SIZE)
		return skelgen_elf_bad(e, "program headers are not 56 bytes", 54);
	if (e->phnum && !skelgen_elf_table_inside(e, e->phoff, e->phnum, SKELGEN_ELF_PHDR_SIZE))
		return skelgen_elf_bad(e, "program header table past the end of the file", e->phoff);
	return 0;
}

/* Whether the NUL-terminated string at strtab[off] is `name`, or `name@version`. */
static inline int skelgen_elf_name_is(const struct skelgen_elf *e, const struct skelgen_elf_shdr *strtab,
				      uint64_t off, const char *name, size_t len)
{
	const unsigned char *s;
	unsigned char next;

	if (off >= strtab->size || len >= strtab->size - off)
		return 0;
	s = e->data + strtab->offset + off;
	if (memcmp(s, name, len) != 0)
		return 0;
	next = s[len];
	return next == '\0' || next == '@';
}

/* A global symbol beats a weak one, which beats a local one. */
static inline int skelgen_elf_bind_rank(unsigned bind)
{
	return bind == SKELGEN_STB_GLOBAL ? 2 : bind == SKELGEN_STB_WEAK ? 1 : 0;
}

/* The function `name` in the symbol table of section `idx`: 1 found (*value set), 0 not
 * there, -ENOEXEC for a malformed table, -ENOTUNIQ for two equally bound symbols of that
 * name at different addresses. */
static inline int skelgen_elf_search(struct skelgen_elf *e, uint32_t idx, const char *name, uint64_t *value)
{
	struct skelgen_elf_shdr tab, strtab;
	uint64_t i, n, at, v;
	size_t len = strlen(name);
	unsigned info, type;
	int rank, best = -1;

	skelgen_elf_shdr_at(e, idx, &tab);
	if (tab.entsize != SKELGEN_ELF_SYM_SIZE)
		return skelgen_elf_bad(e, "symbol table entries are not 24 bytes", e->shoff + idx * 64ULL + 56);
	if (!skelgen_elf_inside(e, tab.offset, tab.size))
		return skelgen_elf_bad(e, "symbol table past the end of the file", e->shoff + idx * 64ULL + 24);
	if (tab.link == 0 || tab.link >= e->shnum)
		return skelgen_elf_bad(e, "symbol table links to no string table", e->shoff + idx * 64ULL + 40);
	skelgen_elf_shdr_at(e, tab.link, &strtab);
	if (strtab.type == SKELGEN_SHT_NOBITS || !skelgen_elf_inside(e, strtab.offset, strtab.size))
		return skelgen_elf_bad(e, "string table past the end of the file",
				       e->shoff + tab.link * 64ULL + 24);
	n = tab.size / SKELGEN_ELF_SYM_SIZE;
	for (i = 0; i < n; i++) {
		at = tab.offset + i * SKELGEN_ELF_SYM_SIZE;
		info = e->data[at + 4];
		type = info & 0xf;
		if (type != SKELGEN_STT_FUNC && type != SKELGEN_STT_GNU_IFUNC)
			continue;
		if (skelgen_elf_uint(e, at + 6, 2) == 0) /* SHN_UNDEF: defined elsewhere */
			continue;
		if (!skelgen_elf_name_is(e, &strtab, skelgen_elf_uint(e, at, 4), name, len))
			continue;
		v = skelgen_elf_uint(e, at + 8, 8);
		rank = skelgen_elf_bind_rank(info >> 4);
		if (best >= 0 && v != *value && rank == best) {
			snprintf(e->why, sizeof(e->why),
				 "two function symbols %.64s, at 0x%llx and 0x%llx", name,
				 (unsigned long long)*value, (unsigned long long)v);
			return -ENOTUNIQ;
		}
		if (rank > best) {
			best = rank;
			*value = v;
		}
	}
	return best >= 0;
}

/* The address of the function `name` (or `name@version`): from .symtab when the file has
 * one that holds it, else from .dynsym. 0, -ENOENT, -ENOTUNIQ or -ENOEXEC (e->why says). */
static inline int skelgen_elf_func(struct skelgen_elf *e, const char *name, uint64_t *value)
{
	static const uint32_t kinds[2] = { SKELGEN_SHT_SYMTAB, SKELGEN_SHT_DYNSYM };
	struct skelgen_elf_shdr s;
	uint32_t i;
	int k, found;

	for (k = 0; k < 2 && *name; k++) {
		for (i = 0; i < e->shnum; i++) {
			skelgen_elf_shdr_at(e, i, &s);
			if (s.type != kinds[k])
				continue;
			found = skelgen_elf_search(e, i, name, value);
			if (found)
				return found < 0 ? found : 0;
		}
	}
	snprintf(e->why, sizeof(e->why), "no function symbol %.64s in .symtab or .dynsym", name);
	return -ENOENT;
}

/* The file offset of the virtual address `vaddr`, through the PT_LOAD segment holding it:
 * 0 (the offset is inside the file), -ENOENT when no segment's file image covers it, or
 * -ENOEXEC when that segment runs past the end of the file (e->why says). */
static inline int skelgen_elf_offset(struct skelgen_elf *e, uint64_t vaddr, uint64_t *offset)
{
	uint64_t at, p_offset, p_vaddr, p_filesz;
	uint32_t i;

	for (i = 0; i < e->phnum; i++) {
		at = e->phoff + (uint64_t)i * SKELGEN_ELF_PHDR_SIZE;
		if (skelgen_elf_uint(e, at, 4) != SKELGEN_PT_LOAD)
			continue;
		p_offset = skelgen_elf_uint(e, at + 8, 8);
		p_vaddr = skelgen_elf_uint(e, at + 16, 8);
		p_filesz = skelgen_elf_uint(e, at + 32, 8);
		if (vaddr < p_vaddr || vaddr - p_vaddr >= p_filesz)
			continue;
		if (p_offset > e->size || vaddr - p_vaddr >= e->size - p_offset)
			return skelgen_elf_bad(e, "loadable segment past the end of the file", at + 8);
		*offset = p_offset + (vaddr - p_vaddr);
		return 0;
	}
	snprintf(e->why, sizeof(e->why), "address 0x%llx is in no loadable segment",
		 (unsigned long long)vaddr);
	return -ENOENT;
}

/* The file offset of the function `name`: skelgen_elf_func(), then skelgen_elf_offset(). */
static inline int skelgen_elf_func_offset(struct skelgen_elf *e, const char *name, uint64_t *offset)
{
	uint64_t vaddr = 0;
	int err = skelgen_elf_func(e, name, &vaddr);

	return err ? err : skelgen_elf_offset(e, vaddr, offset);
}

#endif /* SKELGEN_C_ELF_ABI2 */

/* A handmade ELF64 file for the symbol reader's tests, in either byte order: two PT_LOAD
 * segments whose addresses differ from their file offsets, a .symtab and a .dynsym with
 * the cases the reader must tell apart. */
#ifndef SKELGEN_TEST_ELF_FIXTURE_H
#define SKELGEN_TEST_ELF_FIXTURE_H

#define FIX_SIZE 0x640
#define FIX_TEXT_OFF 0x100ULL
#define FIX_TEXT_ADDR 0x401100ULL
#define FIX_DATA_OFF 0x200ULL
#define FIX_DATA_ADDR 0x403200ULL

struct fixture {
	unsigned char b[FIX_SIZE];
	int big;
};

static void fix_put(struct fixture *f, size_t at, uint64_t v, unsigned len)
{
	unsigned i;

	for (i = 0; i < len; i++)
		f->b[at + i] = (unsigned char)(v >> (f->big ? 8 * (len - 1 - i) : 8 * i));
}

/* Adds a symbol at table `tab` (index `i`), its name at strtab offset `name`. */
static void fix_sym(struct fixture *f, size_t tab, unsigned i, uint32_t name, unsigned bind,
		    unsigned type, uint16_t shndx, uint64_t value)
{
	size_t at = tab + 24 * (size_t)i;

	fix_put(f, at, name, 4);
	f->b[at + 4] = (unsigned char)(bind << 4 | type);
	fix_put(f, at + 6, shndx, 2);
	fix_put(f, at + 8, value, 8);
	fix_put(f, at + 16, 16, 8);
}

static void fix_shdr(struct fixture *f, unsigned i, uint32_t type, uint64_t off, uint64_t size,
		     uint32_t link, uint64_t entsize)
{
	size_t at = 0x500 + 64 * (size_t)i;

	fix_put(f, at + 4, type, 4);
	fix_put(f, at + 24, off, 8);
	fix_put(f, at + 32, size, 8);
	fix_put(f, at + 40, link, 4);
	fix_put(f, at + 56, entsize, 8);
}

static void fix_phdr(struct fixture *f, unsigned i, uint64_t off, uint64_t addr, uint64_t filesz,
		     uint64_t memsz)
{
	size_t at = 64 + 56 * (size_t)i;

	fix_put(f, at, 1, 4);
	fix_put(f, at + 4, 5, 4);
	fix_put(f, at + 8, off, 8);
	fix_put(f, at + 16, addr, 8);
	fix_put(f, at + 24, addr, 8);
	fix_put(f, at + 32, filesz, 8);
	fix_put(f, at + 40, memsz, 8);
}

/* Symbol names, as the string tables hold them. */
static const char fix_strtab[] = "\0main\0helper\0malloc@@GLIBC_2.2.5\0dup\0twice\0data_obj\0undef\0ifunc\0outside";
static const char fix_dynstr[] = "\0dyn_only\0main";

static void fixture_build(struct fixture *f, int big)
{
	memset(f, 0, sizeof(*f));
	f->big = big;
	memcpy(f->b, "\177ELF", 4);
	f->b[4] = 2;
	f->b[5] = big ? 2 : 1;
	f->b[6] = 1;
	fix_put(f, 16, 2, 2);		/* ET_EXEC */
	fix_put(f, 32, 64, 8);		/* e_phoff */
	fix_put(f, 40, 0x500, 8);	/* e_shoff */
	fix_put(f, 52, 64, 2);
	fix_put(f, 54, 56, 2);
	fix_put(f, 56, 2, 2);
	fix_put(f, 58, 64, 2);
	fix_put(f, 60, 5, 2);
	fix_phdr(f, 0, FIX_TEXT_OFF, FIX_TEXT_ADDR, 0x100, 0x100);
	fix_phdr(f, 1, FIX_DATA_OFF, FIX_DATA_ADDR, 0x10, 0x1000);
	/* .symtab at 0x300 (12 entries), .strtab at 0x420, .dynsym at 0x480, .dynstr at 0x4d0 */
	fix_sym(f, 0x300, 1, 1, 1, 2, 1, FIX_TEXT_ADDR + 0x10);		/* main */
	fix_sym(f, 0x300, 2, 6, 0, 2, 1, FIX_TEXT_ADDR + 0x20);		/* helper, local */
	fix_sym(f, 0x300, 3, 13, 1, 2, 1, FIX_TEXT_ADDR + 0x30);	/* malloc@@GLIBC_2.2.5 */
	fix_sym(f, 0x300, 4, 33, 2, 2, 1, FIX_TEXT_ADDR + 0x40);	/* dup, weak */
	fix_sym(f, 0x300, 5, 33, 1, 2, 1, FIX_TEXT_ADDR + 0x50);	/* dup, global */
	fix_sym(f, 0x300, 6, 37, 1, 2, 1, FIX_TEXT_ADDR + 0x60);	/* twice */
	fix_sym(f, 0x300, 7, 37, 1, 2, 1, FIX_TEXT_ADDR + 0x70);	/* twice, elsewhere */
	fix_sym(f, 0x300, 8, 43, 1, 1, 2, FIX_DATA_ADDR);		/* data_obj, an object */
	fix_sym(f, 0x300, 9, 52, 1, 2, 0, 0);				/* undef */
	fix_sym(f, 0x300, 10, 58, 1, 10, 1, FIX_TEXT_ADDR + 0x80);	/* ifunc */
	fix_sym(f, 0x300, 11, 64, 1, 2, 1, 0x409000);			/* outside */
	memcpy(f->b + 0x420, fix_strtab, sizeof(fix_strtab));
	fix_sym(f, 0x480, 1, 1, 1, 2, 1, FIX_TEXT_ADDR + 0x90);		/* dyn_only */
	fix_sym(f, 0x480, 2, 10, 1, 2, 1, FIX_TEXT_ADDR + 0xa0);	/* main, shadowed */
	memcpy(f->b + 0x4d0, fix_dynstr, sizeof(fix_dynstr));
	fix_shdr(f, 1, 2, 0x300, 12 * 24, 2, 24);
	fix_shdr(f, 2, 3, 0x420, sizeof(fix_strtab), 0, 0);
	fix_shdr(f, 3, 11, 0x480, 3 * 24, 4, 24);
	fix_shdr(f, 4, 3, 0x4d0, sizeof(fix_dynstr), 0, 0);
}

#endif

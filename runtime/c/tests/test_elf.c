/* The ELF symbol reader and the binary search of uprobes by name: a handmade file in both
 * byte orders (every case, then every truncation and every corrupted byte), this test's
 * own executable (built PIE and not by run.sh) and the C library, whose offsets are checked
 * against where /proc/self/maps says the running code came from. */
#define _DEFAULT_SOURCE /* mkdtemp, setenv, strdup */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_helpers.h"
#include "../skelgen_read_all.h"
#include "../skelgen_elf.h"
#include "../skelgen_uprobe.h"
#include "check.h"
#include "elf_fixture.h"

#include <dlfcn.h>

static int lookup(const struct fixture *f, size_t size, const char *name, uint64_t *off, char *why)
{
	struct skelgen_elf e;
	int err = skelgen_elf_open(&e, f->b, size);

	if (!err)
		err = skelgen_elf_func_offset(&e, name, off);
	if (why)
		memcpy(why, e.why, sizeof(e.why));
	return err;
}

static void test_fixture(int big)
{
	struct fixture f;
	char why[160];
	uint64_t off = 0;

	fixture_build(&f, big);
	CHECK(lookup(&f, sizeof(f.b), "main", &off, why) == 0 && off == FIX_TEXT_OFF + 0x10);
	CHECK(lookup(&f, sizeof(f.b), "helper", &off, why) == 0 && off == FIX_TEXT_OFF + 0x20);
	CHECK(lookup(&f, sizeof(f.b), "malloc", &off, why) == 0 && off == FIX_TEXT_OFF + 0x30);
	CHECK(lookup(&f, sizeof(f.b), "malloc@@GLIBC_2.2.5", &off, why) == 0 && off == FIX_TEXT_OFF + 0x30);
	CHECK(lookup(&f, sizeof(f.b), "mall", &off, why) == -ENOENT);
	CHECK(lookup(&f, sizeof(f.b), "dup", &off, why) == 0 && off == FIX_TEXT_OFF + 0x50);
	CHECK(lookup(&f, sizeof(f.b), "twice", &off, why) == -ENOTUNIQ && strstr(why, "0x401160"));
	CHECK(lookup(&f, sizeof(f.b), "data_obj", &off, why) == -ENOENT);
	CHECK(lookup(&f, sizeof(f.b), "undef", &off, why) == -ENOENT && strstr(why, "undef"));
	CHECK(lookup(&f, sizeof(f.b), "ifunc", &off, why) == 0 && off == FIX_TEXT_OFF + 0x80);
	CHECK(lookup(&f, sizeof(f.b), "outside", &off, why) == -ENOENT && strstr(why, "0x409000"));
	CHECK(lookup(&f, sizeof(f.b), "dyn_only", &off, why) == 0 && off == FIX_TEXT_OFF + 0x90);
	CHECK(lookup(&f, sizeof(f.b), "", &off, why) == -ENOENT);
}

/* Every prefix of the file and every byte flipped: an answer or an error that says
 * something, never a read outside the buffer (the ASan build checks). */
static void test_damage(int big)
{
	struct fixture f, bad;
	unsigned char *copy;
	char why[160];
	uint64_t off;
	size_t n, i;
	int err, errors = 0;

	fixture_build(&f, big);
	for (n = 0; n < sizeof(f.b); n++) {
		copy = (unsigned char *)malloc(n ? n : 1);
		memcpy(copy, f.b, n);
		{
			struct skelgen_elf e;

			err = skelgen_elf_open(&e, copy, n);
			if (!err)
				err = skelgen_elf_func_offset(&e, "main", &off);
			if (err)
				errors += e.why[0] != '\0';
			else
				errors += off == FIX_TEXT_OFF + 0x10;
		}
		free(copy);
	}
	CHECK(errors == (int)sizeof(f.b));
	errors = 0;
	for (i = 0; i < sizeof(f.b); i++) {
		bad = f;
		bad.b[i] ^= 0xff;
		err = lookup(&bad, sizeof(bad.b), "main", &off, why);
		errors += err == 0 || why[0] != '\0';
	}
	CHECK(errors == (int)sizeof(f.b));
	CHECK(lookup(&f, 63, "main", &off, why) == -ENOEXEC && strstr(why, "not an ELF file"));
	bad = f;
	fix_put(&bad, 40, 0x700, 8);
	CHECK(lookup(&bad, sizeof(bad.b), "main", &off, why) == -ENOEXEC && strstr(why, "section header"));
	bad = f;
	fix_put(&bad, 0x500 + 64 + 32, 0x10000, 8);
	CHECK(lookup(&bad, sizeof(bad.b), "main", &off, why) == -ENOEXEC && strstr(why, "symbol table past"));
	bad = f;
	fix_put(&bad, 0x500 + 64 * 2 + 32, 0x10000, 8);
	CHECK(lookup(&bad, sizeof(bad.b), "main", &off, why) == -ENOEXEC && strstr(why, "string table"));
	/* A name that would run past its table: main's, moved to the table's last bytes. */
	bad = f;
	memcpy(bad.b + 0x420 + sizeof(fix_strtab) - 4, "main", 4);
	fix_put(&bad, 0x300 + 24, sizeof(fix_strtab) - 4, 4);
	fix_put(&bad, 0x480 + 48, sizeof(fix_dynstr) - 1, 4);
	CHECK(lookup(&bad, sizeof(bad.b), "main", &off, why) == -ENOENT);
	bad.b[4] = 1;
	CHECK(lookup(&bad, sizeof(bad.b), "main", &off, why) == -ENOEXEC && strstr(why, "64-bit"));
}

/* Where the running code at `addr` comes from: its file and offset, from /proc/self/maps. */
static int mapped_from(const void *addr, char *path, size_t size, uint64_t *offset)
{
	unsigned long long start, end, off;
	uintptr_t a = (uintptr_t)addr;
	char line[4352], file[4096];
	FILE *maps = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!maps)
		return 0;
	while (!found && fgets(line, sizeof(line), maps)) {
		file[0] = '\0';
		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %4095s", &start, &end, &off, file) < 3)
			continue;
		if (a >= start && a < end) {
			snprintf(path, size, "%s", file);
			*offset = a - start + off;
			found = 1;
		}
	}
	fclose(maps);
	return found;
}

/* A function of this program, kept out of line so it has a symbol and an address. */
__attribute__((noinline)) int skelgen_test_target(int x);
__attribute__((noinline)) int skelgen_test_target(int x)
{
	return x * 3 + 1;
}

static uint64_t file_offset(const char *path, const char *func, int *err)
{
	struct skelgen_uprobe_opts o;
	uint64_t off = 0;
	char why[256];

	memset(&o, 0, sizeof(o));
	o.binary = path;
	o.func = func;
	*err = skelgen_uprobe_offset(path, &o, &off, why, sizeof(why));
	/* A failure names the function and the file. */
	CHECK(!*err || (strstr(why, func) && strstr(why, path)));
	return off;
}

static void test_real_files(void)
{
	int (*volatile target)(int) = skelgen_test_target;
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	/* libc's own getpid: a non-PIE program's &getpid is its PLT entry. */
	const void *libc_fn = libc ? dlsym(libc, "getpid") : NULL;
	char path[4096], found[4096];
	uint64_t want = 0, got;
	int err;

	CHECK(target(1) == 4);
	CHECK(mapped_from((const void *)(uintptr_t)target, path, sizeof(path), &want));
	got = file_offset("/proc/self/exe", "skelgen_test_target", &err);
	CHECK(err == 0 && got == want);
	CHECK(libc_fn && mapped_from(libc_fn, path, sizeof(path), &want) && strstr(path, "libc"));
	CHECK(skelgen_find_binary("libc.so.6", found, sizeof(found)) == 0);
	got = file_offset(found, "getpid", &err);
	CHECK(err == 0 && got == want);
	if (got != want)
		fprintf(stderr, "getpid: %s at 0x%llx, %s says 0x%llx\n", path, (unsigned long long)want,
			found, (unsigned long long)got);
	if (libc)
		dlclose(libc);
	got = file_offset("/proc/self/exe", "no_such_function_here", &err);
	CHECK(err == -ENOENT);
	got = file_offset("/nonexistent/binary", "main", &err);
	CHECK(err == -ENOENT);
	(void)got;
}

static void test_find_binary(void)
{
	char dir[] = "/tmp/skelgen-elf-XXXXXX", lib[128], out[4096];
	const char *saved = getenv("LD_LIBRARY_PATH");
	char *keep = saved ? strdup(saved) : NULL;
	FILE *f;

	CHECK(skelgen_is_library("libc.so.6") && skelgen_is_library("libfoo.so") && !skelgen_is_library("sh"));
	CHECK(skelgen_find_binary("/proc/self/exe", out, sizeof(out)) == 0 && strcmp(out, "/proc/self/exe") == 0);
	CHECK(skelgen_find_binary("sh", out, sizeof(out)) == 0 && strstr(out, "/sh"));
	CHECK(skelgen_find_binary("libskelgen_nothing.so.9", out, sizeof(out)) == -ENOENT);
	CHECK(skelgen_find_binary("skelgen-no-such-program", out, sizeof(out)) == -ENOENT);
	if (!mkdtemp(dir)) {
		CHECK(0);
		free(keep);
		return;
	}
	snprintf(lib, sizeof(lib), "%s/libc.so.6", dir);
	f = fopen(lib, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	snprintf(out, sizeof(out), "/nonexistent::%s", dir);
	setenv("LD_LIBRARY_PATH", out, 1);
	CHECK(skelgen_find_binary("libc.so.6", out, sizeof(out)) == 0 && strcmp(out, lib) == 0);
	unlink(lib);
	rmdir(dir);
	CHECK(skelgen_find_binary("libc.so.6", out, sizeof(out)) == 0 && strcmp(out, lib) != 0);
	if (keep)
		setenv("LD_LIBRARY_PATH", keep, 1);
	else
		unsetenv("LD_LIBRARY_PATH");
	free(keep);
}

int main(void)
{
	test_fixture(0);
	test_fixture(1);
	test_damage(0);
	test_damage(1);
	test_real_files();
	test_find_binary();
	return check_report("test_elf");
}

/* libFuzzer target: the ELF symbol reader on arbitrary bytes. A file it accepts is searched
 * for functions the seeds hold, under plain and versioned names, and each address found is
 * turned into a file offset, which must then lie inside the file. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "main", "malloc", "dup", "twice", "dyn_only", "getpid", "" };
	struct skelgen_elf e;
	uint64_t off;
	size_t i;

	if (skelgen_elf_open(&e, data, size) != 0)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (skelgen_elf_func_offset(&e, names[i], &off) == 0 && off >= size)
			__builtin_trap();
	}
	return 0;
}

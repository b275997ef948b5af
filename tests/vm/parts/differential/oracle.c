// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * oracle OBJECT [PROGRAM]: loads OBJECT with libbpf, every program or only PROGRAM
 * (the others' autoload off), the reference the differential part compares skelgen's C
 * skeleton with. Prints "load 0", or "load -ERRNO" and libbpf's first warning (the cause;
 * the last one only says the object failed). Exits 0 when the load succeeded, 1 when it
 * failed, 2 on bad use.
 */
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static char first_warning[512];

static int keep_warning(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && !first_warning[0])
		vsnprintf(first_warning, sizeof(first_warning), fmt, ap);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	bool found = false;
	int err;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s OBJECT [PROGRAM]\n", argv[0]);
		return 2;
	}
	libbpf_set_print(keep_warning);
	obj = bpf_object__open_file(argv[1], NULL);
	err = libbpf_get_error(obj);
	if (err) {
		printf("open %d %s", err, first_warning);
		return 1;
	}
	if (argc == 3) {
		bpf_object__for_each_program(prog, obj) {
			bool this = strcmp(bpf_program__name(prog), argv[2]) == 0;

			bpf_program__set_autoload(prog, this);
			found = found || this;
		}
		if (!found) {
			fprintf(stderr, "%s has no program %s\n", argv[1], argv[2]);
			bpf_object__close(obj);
			return 2;
		}
	}
	err = bpf_object__load(obj);
	printf("load %d %s", err, err ? first_warning : "\n");
	bpf_object__close(obj);
	return err ? 1 : 0;
}

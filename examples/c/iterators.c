// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * iterators: the C light skeleton of examples/bpf/iterators.bpf.o, end to end.
 *
 *   skelgen --lang c examples/bpf/iterators.bpf.o -o iterators.lskel.h
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -I. examples/c/iterators.c -o iterators
 *   sudo ./iterators
 *
 * Loads both iterators, attaches them (BPF_LINK_CREATE), reads each once through
 * BPF_ITER_CREATE and prints what the kernel wrote, then the .bss counters. The last line
 * is "ok" when every check passed.
 */
#include "iterators.lskel.h"
#include "check.h"

/* Reads an iterator fd to the end; returns the number of lines, prints them indented. */
static int drain(int fd, const char *what, const char *needle, int *found)
{
	char buf[4096];
	int lines = 0;
	ssize_t n, i;

	*found = 0;
	printf("%s:\n", what);
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
		if (strstr(buf, needle))
			*found = 1;
		fputs(buf, stdout);
	}
	close(fd);
	return n < 0 ? -1 : lines;
}

int main(void)
{
	struct iterators *skel = iterators__open();
	int err, fd, lines, found;

	CHECK(skel != NULL);
	if (!skel)
		return 1;
	CHECK(skel->rodata->print_header == 1);
	err = iterators__load(skel);
	printf("load %d\n", err);
	if (err) {
		printf("load_error %s\n", skel->err_step ? skel->err_step : "(none)");
		iterators__destroy(skel);
		return 1;
	}
	err = iterators__attach(skel);
	printf("attach %d\n", err);
	CHECK(err == 0);

	fd = iterators__dump_bpf_map__iter_create(skel);
	CHECK(fd >= 0);
	lines = fd >= 0 ? drain(fd, "maps", "iterator.bss", &found) : -1;
	printf("map_lines_ok %d\n", lines >= 3);
	printf("lists_own_bss %d\n", found);

	fd = iterators__dump_bpf_prog__iter_create(skel);
	CHECK(fd >= 0);
	lines = fd >= 0 ? drain(fd, "progs", "dump_bpf_prog", &found) : -1;
	printf("prog_lines_ok %d\n", lines >= 3);
	printf("lists_itself %d\n", found);

	printf("maps_listed_ok %d\n", skel->bss->maps_listed >= 2);
	printf("progs_listed_ok %d\n", skel->bss->progs_listed >= 2);
	iterators__destroy(skel);
	if (failures)
		printf("failures %d\n", failures);
	else
		printf("ok\n");
	return failures ? 1 : 0;
}

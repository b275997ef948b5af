/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Checks shared by the example consumers: a failure counter, CHECK(), and a count of this
 * process's open file descriptors (to show a skeleton leaves none behind). */
#ifndef SKELGEN_EXAMPLE_CHECK_H
#define SKELGEN_EXAMPLE_CHECK_H

#include <dirent.h>
#include <stdio.h>

static int failures;

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			printf("check failed: %s (line %d)\n", #cond, __LINE__); \
			failures++;                                           \
		}                                                             \
	} while (0)

static inline int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

#endif

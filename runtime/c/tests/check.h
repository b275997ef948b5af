/* A minimal test harness for the runtime's unit tests: CHECK() counts a failure and goes
 * on, so one run reports every broken expectation; main() returns the count. */
#ifndef SKELGEN_TEST_CHECK_H
#define SKELGEN_TEST_CHECK_H

#include <stdio.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                              \
	do {                                                                     \
		check_count++;                                                   \
		if (!(cond)) {                                                   \
			check_failures++;                                        \
			fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, \
				__LINE__, __func__, #cond);                      \
		}                                                                \
	} while (0)

static inline int check_report(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif

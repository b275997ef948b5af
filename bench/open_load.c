/*
 * Open+load latency of one light skeleton: SKEL__open() then SKEL__load(), N times, each
 * followed by SKEL__destroy(); prints the median in nanoseconds. Built once against a
 * skelgen header and once against a `bpftool gen skeleton -L` header of the same object
 * (both name their functions <name>__open/__load/__destroy):
 *
 *	cc -O2 -DSKEL=minimal -DSKEL_HEADER='"minimal.lskel.h"' open_load.c -o ol
 *	./ol 200
 */
#define _GNU_SOURCE /* clock_gettime, and MAP_ANONYMOUS for libbpf's skel_internal.h */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include SKEL_HEADER

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int i, n = argc > 1 ? atoi(argv[1]) : 100;
	long long *t;

	if (n < 1)
		n = 1;
	t = (long long *)calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	for (i = 0; i < n; i++) {
		long long t0 = now_ns();
		struct SKEL *s = CAT(SKEL, __open)();

		if (!s || CAT(SKEL, __load)(s)) {
			fprintf(stderr, "open or load failed\n");
			return 1;
		}
		t[i] = now_ns() - t0;
		CAT(SKEL, __destroy)(s);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%lld\n", t[n / 2]);
	free(t);
	return 0;
}

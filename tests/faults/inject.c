// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An LD_PRELOAD fault injector for the skeleton runtimes that call libc: it counts the
 * calls a skeleton makes to bpf(2), perf_event_open(2) and mmap(2), and makes call number
 * $SKELGEN_FAULT_CALL fail with errno $SKELGEN_FAULT_ERRNO (default ENOMEM). At exit it
 * prints "fault: calls N injected K what W" on stderr (W: the bpf(2) command number of the
 * failed call, "perf_event_open" or "mmap"), so a test knows how many calls there are and
 * which one failed.
 *
 *   cc -shared -fPIC -O2 inject.c -o inject.so -ldl
 *   SKELGEN_FAULT_CALL=3 SKELGEN_FAULT_ERRNO=4 LD_PRELOAD=./inject.so ./consumer
 *
 * With $SKELGEN_FAULT_LOADER_EAGAIN=1, a failed call that is BPF_PROG_TEST_RUN (the loader's
 * run) returns 0 with the attr's retval set to -EAGAIN instead: what a loader whose program
 * load a signal cut short returns, without running it.
 *
 * glibc's own mappings (malloc, the dynamic loader) use its internal entry points and are
 * not seen here; only calls made through the PLT, as the inlined skeleton code makes them,
 * are counted.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static long calls;
static long injected;
static long fault_at = -1;
static int fault_errno = ENOMEM;
static int loader_eagain;
static char fault_what[32] = "-";

__attribute__((constructor)) static void fault_init(void)
{
	const char *at = getenv("SKELGEN_FAULT_CALL");
	const char *e = getenv("SKELGEN_FAULT_ERRNO");

	if (at)
		fault_at = atol(at);
	if (e)
		fault_errno = atoi(e);
	e = getenv("SKELGEN_FAULT_LOADER_EAGAIN");
	loader_eagain = e && atoi(e) != 0;
}

__attribute__((destructor)) static void fault_report(void)
{
	fprintf(stderr, "fault: calls %ld injected %ld what %s\n", calls, injected, fault_what);
}

/* Whether this call is the one to fail. */
static int fault_now(void)
{
	calls++;
	if (calls == fault_at) {
		injected++;
		return 1;
	}
	return 0;
}

long syscall(long nr, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;
	int i;

	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if ((nr == SYS_bpf || nr == SYS_perf_event_open) && fault_now()) {
		if (nr == SYS_bpf)
			snprintf(fault_what, sizeof(fault_what), "%ld", a[0]);
		else
			snprintf(fault_what, sizeof(fault_what), "perf_event_open");
		if (loader_eagain && nr == SYS_bpf && a[0] == 10) {
			/* retval is the u32 at offset 4 of the attr. */
			uint32_t retval = (uint32_t)-EAGAIN;

			memcpy((char *)a[1] + 4, &retval, sizeof(retval));
			return 0;
		}
		errno = fault_errno;
		return -1;
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real)(void *, size_t, int, int, int, off_t);

	if (!real)
		real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	if (fault_now()) {
		snprintf(fault_what, sizeof(fault_what), "mmap");
		errno = fault_errno;
		return MAP_FAILED;
	}
	return real(addr, len, prot, flags, fd, off);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * minimal: the C light skeleton of examples/bpf/minimal.bpf.o, end to end.
 *
 *   skelgen --lang c examples/bpf/minimal.bpf.o -o minimal.lskel.h
 *   cc -std=c11 -Wall -Wextra -Werror -pedantic -I. examples/c/minimal.c -o minimal
 *   sudo ./minimal
 *
 * First a load that must fail (a value_size knob the loader refuses) and must leave no fd
 * behind; then the real run: set .rodata, load, attach, call getpid(), read the hash map
 * and .bss back, write .data through the live view, and destroy. Every line it prints is
 * "key value"; the last is "ok" and the exit status is 0 when every check passed.
 */
#include "minimal.lskel.h"
#include "check.h"

#include <string.h>
#include <dirent.h>

#define CALLS 5

static void failing_load(void)
{
	static char log[1 << 20];
	struct minimal *skel = minimal__open();
	int err;

	CHECK(skel != NULL);
	if (!skel)
		return;
	skel->maps.rodata.value_size = 7; /* global data accepts only its compiled size */
	/* A map create writes no log: the log must not be the earlier BTF load's. */
	memset(log, 'x', sizeof(log) - 1);
	skel->log_buf = log;
	skel->log_size = sizeof(log);
	skel->log_level = 1;
	err = minimal__load(skel);
	printf("failed_load %d\n", err);
	printf("failed_step %s\n", skel->err_step ? skel->err_step : "(none)");
	printf("failed_step_index_valid %d\n", skel->err_step_index > 0);
	printf("failed_log_len %zu\n", strlen(log));
	CHECK(err == -EINVAL && errno == EINVAL);
	CHECK(skel->maps.counts.map_fd == 0 && skel->progs.handle_getpid.prog_fd == 0);
	minimal__destroy(skel);
}

static void trigger(void)
{
	int i;

	for (i = 0; i < CALLS; i++)
		syscall(__NR_getpid);
}

static void real_run(void)
{
	struct minimal *skel = minimal__open();
	uint32_t pid = (uint32_t)getpid();
	uint64_t count = 0;
	int err;

	CHECK(skel != NULL);
	if (!skel)
		return;
	/* The initial values are visible before load. */
	printf("initial_int %d\n", skel->data->initialised_int);
	printf("initial_tag %s\n", skel->rodata->cfg.tag);
	printf("initial_level %u\n", (unsigned)skel->data->init_sample.level);
	skel->rodata->target_pid = pid;
	skel->rodata->count_step = 3;
	skel->rodata->cfg.verbose = 1;
	skel->maps.counts.max_entries = 64;

	err = minimal__load(skel);
	printf("load %d\n", err);
	if (err) {
		printf("load_error %s\n", skel->err_step ? skel->err_step : "(none)");
		failures++;
		minimal__destroy(skel);
		return;
	}
	err = minimal__attach(skel);
	printf("attach %d\n", err);
	printf("linked %d\n", skel->links.handle_getpid_fd > 0);
	trigger();

	err = skelgen_map_lookup_elem(skel->maps.counts.map_fd, &pid, &count);
	printf("lookup %d\n", err);
	printf("count %llu\n", (unsigned long long)count);
	printf("counter %llu\n", (unsigned long long)skel->bss->counter);
	printf("last_pid_matches %d\n", skel->bss->last_pid == pid);
	printf("sample_kind %u\n", (unsigned)skel->bss->last_sample.kind);
	printf("sample_flags %u\n", (unsigned)skel->bss->last_sample.flags);
	printf("sample_level %u\n", (unsigned)skel->bss->last_sample.level);
	printf("sample_lo_matches %d\n", skel->bss->last_sample.lo == pid);
	printf("sample_tail %u\n", (unsigned)skel->bss->last_sample.tail);
	printf("data_int %d\n", skel->data->initialised_int);
	printf("custom_val %d\n", skel->data_custom->custom_val);

	/* .data is live in both directions: write it here, the program sees it. */
	skel->data->initialised_int = 1000;
	skel->data_custom->custom_val = 0;
	trigger();
	printf("sample_tail_after_write %u\n", (unsigned)skel->bss->last_sample.tail);
	printf("counter_after %llu\n", (unsigned long long)skel->bss->counter);

	minimal__detach(skel);
	printf("detached %d\n", skel->links.handle_getpid_fd == 0);
	trigger();
	printf("counter_detached %llu\n", (unsigned long long)skel->bss->counter);
	minimal__destroy(skel);
}

/* With stdin closed, fd 0 must not end up holding a map: 0 means "no fd". */
static void stdin_closed(void)
{
	struct minimal *skel;

	close(0);
	skel = minimal__open_and_load();
	CHECK(skel != NULL);
	if (!skel)
		return;
	printf("stdin_closed_fds_ok %d\n", skel->maps.counts.map_fd > 0 && skel->progs.handle_getpid.prog_fd > 0);
	minimal__destroy(skel);
}

int main(void)
{
	int before = open_fds();

	minimal__destroy(NULL);
	failing_load();
	printf("fds_after_failure %d\n", open_fds() - before);
	real_run();
	printf("fds_leaked %d\n", open_fds() - before);
	stdin_closed();
	if (failures)
		printf("failures %d\n", failures);
	else
		printf("ok\n");
	return failures ? 1 : 0;
}

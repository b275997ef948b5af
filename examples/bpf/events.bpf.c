// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * events: sends a struct event to user space for each getppid() call of one
 * process, through a ring buffer and through a perf event array.
 *
 * The programs only cast to struct event, so clang would leave it out of
 * BTF; the unused global below keeps it there, which is what `skelgen --type
 * event` needs to define it in the skeletons. enum event_kind comes along as
 * the type of a member. The struct has padding inside and at its end, so
 * the skeletons' layouts have something to get right.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum event_kind {
	EVENT_RINGBUF = 1,
	EVENT_PERF = 2,
};

struct event {
	__u32 pid;		/* thread id */
	__u32 tgid;		/* process id */
	__u64 seq;		/* 1, 2, ... per getppid() call */
	enum event_kind kind;
	char comm[16];
	__u8 flags;		/* 3 bytes of padding follow */
	__s32 delta;		/* -seq, to check sign */
				/* 4 bytes of tail padding follow */
};

const struct event *unused_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} samples SEC(".maps");

/* Set before load: the process whose calls are reported (0: none). */
const volatile __u32 target_tgid = 0;

/* .bss */
__u64 seq;
__u64 dropped;

static void fill(struct event *e, enum event_kind kind, __u64 n)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->seq = n;
	e->kind = kind;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->flags = 0x5a;
	e->delta = -(__s32)n;
}

SEC("tp/syscalls/sys_enter_getppid")
int report_getppid(void *ctx)
{
	struct event *e, sample = {};
	__u64 n;

	if (!target_tgid || bpf_get_current_pid_tgid() >> 32 != target_tgid)
		return 0;
	n = __sync_add_and_fetch(&seq, 1);
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
	} else {
		__builtin_memset(e, 0, sizeof(*e));
		fill(e, EVENT_RINGBUF, n);
		bpf_ringbuf_submit(e, 0);
	}
	fill(&sample, EVENT_PERF, n);
	bpf_perf_event_output(ctx, &samples, BPF_F_CURRENT_CPU, &sample, sizeof(sample));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

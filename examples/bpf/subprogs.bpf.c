// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * subprogs: bpf-to-bpf calls.
 *
 * Two entry programs share the static sub-program shared_step(), which
 * itself calls another static sub-program, mix(). global_scale() is a
 * global (non-static) function in .text, verified on its own. sum_range()
 * drives bpf_loop() with the static callback loop_cb().
 *
 * Trigger: getppid() runs on_getppid; getuid() runs on_sys_enter (a
 * raw tracepoint on every syscall entry that filters on the syscall nr).
 */
#include <linux/bpf.h>
#include <asm/unistd.h>
#include <bpf/bpf_helpers.h>

/* .bss */
__u64 getppid_result;
__u64 getuid_result;
__u64 loop_sum;
__u32 getppid_calls;
__u32 getuid_calls;
int scaled;

/* .data: how many iterations sum_range() asks bpf_loop() for. */
__u32 loop_iterations = 10;

static __noinline __u64 mix(__u64 a, __u64 b)
{
	return (a * 31) ^ (b + 0x9e3779b9);
}

static __noinline __u64 shared_step(__u64 x)
{
	return mix(x, x >> 7) + 1;
}

__noinline int global_scale(int x)
{
	return x * 3 + 1;
}

struct loop_state {
	__u64 acc;
	__u32 stop_at;
};

static int loop_cb(__u32 index, void *data)
{
	struct loop_state *st = data;

	st->acc += (__u64)index * index;
	return index + 1 >= st->stop_at ? 1 : 0;
}

static __noinline __u64 sum_range(__u32 n)
{
	struct loop_state st = { .acc = 0, .stop_at = n };

	bpf_loop(n, loop_cb, &st, 0);
	return st.acc;
}

SEC("tp/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	getppid_calls++;
	getppid_result = shared_step(bpf_get_current_pid_tgid());
	scaled = global_scale(getppid_calls);
	loop_sum = sum_range(loop_iterations);
	return 0;
}

SEC("raw_tp/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[1] != __NR_getuid)
		return 0;
	getuid_calls++;
	getuid_result = shared_step(getuid_calls);
	scaled = global_scale(getuid_calls);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

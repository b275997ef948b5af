// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * minimal: counts getpid() calls per pid.
 *
 * Exercises a BTF-defined hash map and every kind of global data section:
 * .bss, .data, .rodata (const volatile, settable before load) and the
 * custom sections .data.custom and .rodata.custom. The global structs have
 * padding, a bitfield and a nested anonymous union so that layout code has
 * something to get right.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* pid */
	__type(value, __u64);	/* number of getpid() calls */
} counts SEC(".maps");

/* Read-only configuration, set by the user before load. */
struct filter_config {
	__u32 target_pid;	/* 0: count every pid */
	__u8 verbose;		/* followed by 3 bytes of padding */
	__u64 max_count;	/* 0: no limit */
	char tag[6];		/* followed by 2 bytes of tail padding */
};

const volatile struct filter_config cfg = {
	.max_count = 0,
	.tag = "skel",
};
const volatile __u32 target_pid = 0;
const volatile __u64 count_step = 1;

/* A struct with padding, bitfields and a nested anonymous union. */
struct sample {
	__u8 kind;		/* 3 bytes of padding follow */
	__u32 flags : 3;
	__u32 level : 5;
	union {
		__u64 as_u64;
		struct {
			__u32 lo;
			__u32 hi;
		};
		__u8 bytes[8];
	};
	__u16 tail;		/* 6 bytes of tail padding follow */
};

/* .bss */
__u64 counter;
__u32 last_pid;
struct sample last_sample;

/* .data */
int initialised_int = 42;
struct sample init_sample = {
	.kind = 1,
	.flags = 5,
	.level = 9,
	.as_u64 = 0x1122334455667788ULL,
	.tail = 0xbeef,
};

/* Custom data sections. */
int custom_val SEC(".data.custom") = 7;
const volatile int custom_ro SEC(".rodata.custom") = 11;

SEC("tp/syscalls/sys_enter_getpid")
int handle_getpid(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = count_step, *val;

	if (target_pid && pid != target_pid)
		return 0;
	if (cfg.target_pid && pid != cfg.target_pid)
		return 0;

	val = bpf_map_lookup_elem(&counts, &pid);
	if (val) {
		if (cfg.max_count && *val >= cfg.max_count)
			return 0;
		__sync_fetch_and_add(val, count_step);
	} else {
		bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
	}

	counter++;
	last_pid = pid;

	last_sample.kind = init_sample.kind + (cfg.verbose ? 1 : 0);
	last_sample.flags = init_sample.flags;
	last_sample.level = init_sample.level;
	last_sample.lo = pid;
	last_sample.hi = (__u32)counter;
	last_sample.tail = (__u16)(initialised_int + custom_val + custom_ro);

	initialised_int++;
	custom_val++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

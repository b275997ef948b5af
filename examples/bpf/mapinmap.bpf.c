// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mapinmap: maps of maps and a program array, all with statically
 * initialised slots, and a tail call.
 *
 * outer_arr (array of maps) starts with inner_a in slot 0 and inner_b in
 * slot 2; outer_hash (hash of maps) starts with inner_b under key 1;
 * jump_table (program array) starts with tail_target in slot 1.
 *
 * Trigger: geteuid() runs on_geteuid, which bumps slot 0 of the inner maps
 * found through both outer maps, then tail-calls jump_table[1]. The tail
 * program is in a bare "tp" section: it is only reached by the tail call.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer_arr SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 8);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer_hash SEC(".maps") = {
	.values = { [1] = &inner_b },
};

SEC("tp")
int tail_target(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	/* The kernel takes no BTF key/value types for program arrays. */
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jump_table SEC(".maps") = {
	.values = { [1] = (void *)&tail_target },
};

/* .bss */
__u64 outer_arr_hits;
__u64 outer_hash_hits;
__u64 tail_calls;
__u64 tail_call_failed;

static void bump_slot0(void *inner)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(inner, &zero);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tp")
int tail_target(void *ctx)
{
	tail_calls++;
	return 0;
}

SEC("tp/syscalls/sys_enter_geteuid")
int on_geteuid(void *ctx)
{
	__u32 key = 0;
	void *inner;

	inner = bpf_map_lookup_elem(&outer_arr, &key);
	if (inner) {
		bump_slot0(inner);
		outer_arr_hits++;
	}

	key = 1;
	inner = bpf_map_lookup_elem(&outer_hash, &key);
	if (inner) {
		bump_slot0(inner);
		outer_hash_hits++;
	}

	bpf_tail_call(ctx, &jump_table, 1);
	tail_call_failed++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostile: names that are fine in C but not in the other target languages,
 * and section names that try to break out of generated code.
 *
 * Maps, programs, variables, types and fields are named after Rust and Go
 * keywords and predeclared identifiers (type, fn, match, impl, self, Self,
 * func, range, chan, map, go, select, nil, len, string, ...), one name is
 * very long, and one custom data section has characters no identifier
 * allows. Section names carry quotes, backslashes, a comment terminator,
 * '#' and '}'. Every skeleton must rename or escape each of them by its
 * documented rule and still compile; nothing here may reach generated code
 * raw.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct type {
	__u32 fn;
	__u32 match;
	__u64 impl;
	__u8 select;
	__u8 interface;	/* 6 bytes of padding follow */
	__u64 range;
};

struct Self {
	__u32 self;
	__u32 super;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct type);
} map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} chan SEC(".maps");

/* .bss and .data variables named after keywords and builtins. */
__u64 go;
__u32 nil;
__u32 len;
struct type string;
struct Self Self;
int loop = 1;
int async = 2;
const volatile __u32 defer = 3;
const volatile __u64 a_very_long_variable_name_that_keeps_going_well_past_what_anyone_would_type_by_hand_for_sure = 4;

/* A custom data section whose name is not an identifier in any language. */
__u32 weird_counter SEC(".data.my-sec$1") = 5;

SEC("tracepoint/syscalls/sys_enter_getpid")
int fn(void *ctx)
{
	__u32 key = 0;
	struct type *v = bpf_map_lookup_elem(&map, &key);

	if (v) {
		v->fn += 1;
		v->range = go;
	}
	go += 1;
	weird_counter += defer;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int func(void *ctx)
{
	__u32 key = 1;
	__u64 one = 1, *c = bpf_map_lookup_elem(&chan, &key);

	if (c)
		__sync_fetch_and_add(c, 1);
	else
		bpf_map_update_elem(&chan, &key, &one, BPF_ANY);
	nil += 1;
	return 0;
}

/* Section names with characters that must be escaped wherever they appear. */
SEC("raw_tp/x\"*/#}\\y")
int match(void *ctx)
{
	len += 1;
	return 0;
}

SEC("uprobe//tmp/a\"b*/c:sym")
int range(void *ctx)
{
	Self.self += 1;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

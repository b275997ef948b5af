/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Minimal local definitions of the kernel-internal types the examples use.
 *
 * Every struct is marked preserve_access_index, so field accesses become
 * CO-RE relocations resolved against the running kernel's BTF. Only the
 * fields an example touches are listed; their order and offsets here do
 * not need to match the kernel.
 */
#ifndef SKELGEN_EXAMPLES_KTYPES_H
#define SKELGEN_EXAMPLES_KTYPES_H

#include <linux/types.h>

#define __kernel_type __attribute__((preserve_access_index))

typedef int pid_t;

enum pid_type {
	PIDTYPE_PID,
	PIDTYPE_TGID,
	PIDTYPE_PGID,
	PIDTYPE_SID,
	PIDTYPE_MAX,
};

struct task_struct {
	unsigned int __state;
	unsigned int flags;
	int prio;
	unsigned int sched_reset_on_fork : 1;
	unsigned int in_execve : 1;
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	char comm[16];
} __kernel_type;

/* Pre-5.14 spelling of the task state field (a CO-RE "flavor"). */
struct task_struct___old {
	long state;
} __kernel_type;

struct seq_file;
struct file;
struct filename;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
} __kernel_type;

struct btf_type {
	__u32 name_off;
	__u32 info;
	union {
		__u32 size;
		__u32 type;
	};
} __kernel_type;

struct btf {
	struct btf_type **types;
	const char *strings;
	__u32 nr_types;
	__u32 start_id;
	__u32 start_str_off;
	__u32 id;
} __kernel_type;

struct bpf_map {
	__u32 map_type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 id;
	char name[16];
	struct btf *btf;
} __kernel_type;

struct bpf_func_info;

struct bpf_prog_aux {
	__u32 id;
	char name[16];
	const char *attach_func_name;
	struct btf *btf;
	struct bpf_func_info *func_info;
	__u32 func_info_cnt;
	__u32 verified_insns;
} __kernel_type;

struct bpf_prog {
	__u32 type;
	__u32 len;
	struct bpf_prog_aux *aux;
} __kernel_type;

struct bpf_iter__bpf_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
} __kernel_type;

struct bpf_iter__bpf_prog {
	struct bpf_iter_meta *meta;
	struct bpf_prog *prog;
} __kernel_type;

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} __kernel_type;

#endif /* SKELGEN_EXAMPLES_KTYPES_H */

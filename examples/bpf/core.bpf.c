// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * core: CO-RE relocations of many kinds against local preserve_access_index
 * definitions of kernel types (include/ktypes.h).
 *
 * Trigger: getpgid(). Results land in .bss: the current task's
 * pid/tgid/parent/comm, and what the relocation queries answered.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "ktypes.h"

/* A type no kernel has: bpf_core_type_exists() must answer 0. */
struct skelgen_absent_type {
	int never;
} __kernel_type;

/* A flavor of enum pid_type with an enumerator the kernel does not have. */
enum pid_type___probe {
	PIDTYPE_SKELGEN_ABSENT = 77,
};

struct core_result {
	__s32 pid;
	__s32 tgid;
	__s32 ppid;
	char comm[16];
	char parent_comm[16];
	__u64 state;
	__u32 reset_on_fork;	/* bitfield read */
	__u32 task_size;	/* TYPE_SIZE */
	__u32 pid_field_size;	/* FIELD_SIZE */
	__u32 comm_offset;	/* FIELD_BYTE_OFFSET via bpf_core_field_offset */
	__u32 task_type_id;	/* TYPE_ID_TARGET */
	__u32 task_local_id;	/* TYPE_ID_LOCAL */
	__s64 pidtype_max;	/* ENUMVAL_VALUE */
	__u8 has_new_state;	/* FIELD_EXISTS: true on >= 5.14 */
	__u8 has_old_state;	/* FIELD_EXISTS of a flavor */
	__u8 has_task_struct;	/* TYPE_EXISTS */
	__u8 has_absent_type;	/* TYPE_EXISTS: always 0 */
	__u8 has_pidtype_sid;	/* ENUMVAL_EXISTS */
	__u8 has_absent_enumval;	/* ENUMVAL_EXISTS: always 0 */
	__u8 prio_signed;	/* FIELD_SIGNED */
	__u8 task_matches;	/* TYPE_MATCHES */
};

struct core_result res;
__u64 runs;

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	res.pid = BPF_CORE_READ(task, pid);
	res.tgid = BPF_CORE_READ(task, tgid);
	res.ppid = BPF_CORE_READ(task, real_parent, tgid);
	BPF_CORE_READ_STR_INTO(&res.comm, task, comm);
	BPF_CORE_READ_STR_INTO(&res.parent_comm, task, real_parent, comm);

	res.has_new_state = bpf_core_field_exists(task->__state);
	res.has_old_state =
		bpf_core_field_exists(((struct task_struct___old *)task)->state);
	if (res.has_new_state)
		res.state = BPF_CORE_READ(task, __state);
	else if (res.has_old_state)
		res.state = BPF_CORE_READ((struct task_struct___old *)task, state);

	res.reset_on_fork = BPF_CORE_READ_BITFIELD_PROBED(task, sched_reset_on_fork);
	res.prio_signed = __builtin_preserve_field_info(task->prio, BPF_FIELD_SIGNED);
	res.pid_field_size = bpf_core_field_size(task->pid);
	res.comm_offset = bpf_core_field_offset(task->comm);

	res.has_task_struct = bpf_core_type_exists(struct task_struct);
	res.has_absent_type = bpf_core_type_exists(struct skelgen_absent_type);
	res.task_matches = bpf_core_type_matches(struct task_struct);
	res.task_size = bpf_core_type_size(struct task_struct);
	res.task_type_id = bpf_core_type_id_kernel(struct task_struct);
	res.task_local_id = bpf_core_type_id_local(struct task_struct);

	res.has_pidtype_sid = bpf_core_enum_value_exists(enum pid_type, PIDTYPE_SID);
	res.has_absent_enumval =
		bpf_core_enum_value_exists(enum pid_type___probe, PIDTYPE_SKELGEN_ABSENT);
	res.pidtype_max = bpf_core_enum_value(enum pid_type, PIDTYPE_MAX);

	runs++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

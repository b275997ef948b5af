// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * many: one object with many programs (52) and many maps (78 BTF-defined,
 * plus .bss and .rodata), across most program and map types.
 *
 * It exists to break fixed limits in loaders (the reference light skeleton
 * keeps program fds in 32 slots) and to cover the map definition fields:
 * key-less maps (queue, stack, bloom filter with map_extra), BPF_F_* flags,
 * max_entries left to the loader (perf event array: one per CPU), local
 * storages, sockmaps, XDP redirect maps, cgroup storages, maps of maps and
 * a program array with a statically initialised slot.
 *
 * Every program bumps its own counter map cntNN (slot 0) and most also use
 * one of the special maps. Nothing here is meant to be attached all at
 * once; tests load the object and check what the kernel holds, and may
 * trigger the syscall tracepoints (read/write/openat/close).
 */
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "ktypes.h"

#ifndef TCX_NEXT
#define TCX_NEXT -1
#endif

/* ---- 48 counter maps, cycling through six plain map types ---- */

#define COUNTER_MAP(name, maptype)			\
	struct {					\
		__uint(type, maptype);			\
		__uint(max_entries, 4);			\
		__type(key, __u32);			\
		__type(value, __u64);			\
	} name SEC(".maps")

#define COUNTER_MAPS6(a, b, c, d, e, f)				\
	COUNTER_MAP(a, BPF_MAP_TYPE_HASH);			\
	COUNTER_MAP(b, BPF_MAP_TYPE_ARRAY);			\
	COUNTER_MAP(c, BPF_MAP_TYPE_PERCPU_HASH);		\
	COUNTER_MAP(d, BPF_MAP_TYPE_PERCPU_ARRAY);		\
	COUNTER_MAP(e, BPF_MAP_TYPE_LRU_HASH);			\
	COUNTER_MAP(f, BPF_MAP_TYPE_LRU_PERCPU_HASH)

COUNTER_MAPS6(cnt00, cnt01, cnt02, cnt03, cnt04, cnt05);
COUNTER_MAPS6(cnt06, cnt07, cnt08, cnt09, cnt10, cnt11);
COUNTER_MAPS6(cnt12, cnt13, cnt14, cnt15, cnt16, cnt17);
COUNTER_MAPS6(cnt18, cnt19, cnt20, cnt21, cnt22, cnt23);
COUNTER_MAPS6(cnt24, cnt25, cnt26, cnt27, cnt28, cnt29);
COUNTER_MAPS6(cnt30, cnt31, cnt32, cnt33, cnt34, cnt35);
COUNTER_MAPS6(cnt36, cnt37, cnt38, cnt39, cnt40, cnt41);
COUNTER_MAPS6(cnt42, cnt43, cnt44, cnt45, cnt46, cnt47);

static __always_inline void bump(void *map)
{
	__u32 key = 0;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(map, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(map, &key, &one, BPF_NOEXIST);
}

/* ---- 30 maps of other types and flags ---- */

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 128);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u64);
} lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 64);
	__type(value, __u64);
} fifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 64);
	__type(value, __u64);
} lifo SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 256);
	__uint(map_extra, 3);	/* number of hash functions */
	__type(value, __u32);
} bloom SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} sk_stg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} task_stg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} inode_stg SEC(".maps");

/* max_entries left out: the loader sets it to the number of CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 16 * 1024);
} urb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 128);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 32 * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} devs_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);	/* queue size */
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} socks_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} reuse SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_STORAGE);
	__type(key, struct bpf_cgroup_storage_key);
	__type(value, __u64);
} cg_stg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE);
	__type(key, struct bpf_cgroup_storage_key);
	__type(value, __u64);
} pcpu_cg_stg SEC(".maps");

struct inner_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} inner0 SEC(".maps"), inner1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_array);
} outer_array SEC(".maps") = {
	.values = { [0] = &inner0, [1] = &inner1 },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_array);
} outer_hash SEC(".maps");

SEC("raw_tp")
int tail_raw(struct bpf_raw_tracepoint_args *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__array(values, int (struct bpf_raw_tracepoint_args *));
} tails SEC(".maps") = {
	.values = { [0] = (void *)&tail_raw },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} hash_noprealloc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u32);
	__type(value, __u64);
} lru_nocommon SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} mmapable SEC(".maps");

struct flow_stats {
	__u64 packets;
	__u64 bytes;
	__u32 ifindex;
	__u16 vlan;
	__u8 proto;
	__u8 flags[5];
	struct {
		__u64 first_ns;
		__u64 last_ns;
	} seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct flow_stats);
} flows SEC(".maps");

/* ---- global data ---- */

const volatile __u32 sample_rate = 1;
__u64 ringbuf_drops;
__u64 user_records;
__u32 last_ifindex;

/* ---- syscall tracepoints ---- */

SEC("tp/syscalls/sys_enter_read")
int tp_read(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	bump(&cnt00);
	if (sample_rate > 1 && bpf_get_prandom_u32() % sample_rate)
		return 0;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &pid_tgid, sizeof(pid_tgid));
	if (bpf_ringbuf_output(&rb, &pid_tgid, sizeof(pid_tgid), 0))
		ringbuf_drops++;
	return 0;
}

SEC("tp/syscalls/sys_enter_write")
int tp_write(void *ctx)
{
	__u64 v = bpf_ktime_get_ns();

	bump(&cnt01);
	bpf_map_push_elem(&fifo, &v, BPF_EXIST);
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int tp_openat(void *ctx)
{
	__u64 v = bpf_get_current_pid_tgid();

	bump(&cnt02);
	bpf_map_push_elem(&lifo, &v, BPF_EXIST);
	return 0;
}

SEC("tp/syscalls/sys_enter_close")
int tp_close(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	bump(&cnt03);
	if (bpf_map_peek_elem(&bloom, &tgid))
		bpf_map_push_elem(&bloom, &tgid, BPF_ANY);
	return 0;
}

SEC("tp/sched/sched_process_exec")
int tp_exec(void *ctx)
{
	__u64 *v;

	bump(&cnt04);
	v = bpf_task_storage_get(&task_stg, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (v)
		(*v)++;
	return 0;
}

SEC("tp/sched/sched_process_exit")
int tp_exit(void *ctx)
{
	struct lpm_v4_key key = { .prefixlen = 32, .addr = { 127, 0, 0, 1 } };
	__u64 *v;

	bump(&cnt05);
	v = bpf_map_lookup_elem(&lpm, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("tp/sched/sched_process_fork")
int tp_fork(void *ctx)
{
	bump(&cnt06);
	if (bpf_current_task_under_cgroup(&cgroups, 0) == 1)
		bump(&hash_noprealloc);
	return 0;
}

/* ---- raw tracepoints and BTF tracepoints ---- */

SEC("raw_tp/sys_enter")
int raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 key = 0;
	void *inner;

	bump(&cnt07);
	inner = bpf_map_lookup_elem(&outer_array, &key);
	if (inner)
		bump(inner);
	inner = bpf_map_lookup_elem(&outer_hash, &key);
	if (inner)
		bump(inner);
	if (ctx->args[1] == 39 /* getpid */)
		bpf_tail_call(ctx, &tails, 0);
	return 0;
}

SEC("raw_tp")
int tail_raw(struct bpf_raw_tracepoint_args *ctx)
{
	bump(&cnt08);
	return 0;
}

SEC("raw_tp/sys_exit")
int raw_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	bump(&cnt09);
	return 0;
}

SEC("raw_tp/sched_switch")
int raw_sched_switch(struct bpf_raw_tracepoint_args *ctx)
{
	bump(&cnt10);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_sched_switch, _Bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	__u32 pid = next->pid;
	__u64 one = 1;

	bump(&cnt11);
	bpf_map_update_elem(&lru_nocommon, &pid, &one, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(btf_sched_wakeup, struct task_struct *p)
{
	bump(&cnt12);
	return 0;
}

/* ---- XDP ---- */

SEC("xdp")
int xdp_to_dev(struct xdp_md *ctx)
{
	bump(&cnt13);
	return bpf_redirect_map(&devs, 0, XDP_PASS);
}

SEC("xdp")
int xdp_to_cpu(struct xdp_md *ctx)
{
	bump(&cnt14);
	return bpf_redirect_map(&cpus, 0, XDP_PASS);
}

SEC("xdp")
int xdp_to_xsk(struct xdp_md *ctx)
{
	bump(&cnt15);
	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

SEC("xdp.frags")
int xdp_frags_to_dev(struct xdp_md *ctx)
{
	bump(&cnt16);
	return bpf_redirect_map(&devs_hash, ctx->ingress_ifindex, XDP_PASS);
}

/* ---- TC ---- */

SEC("tc")
int tc_cgroup_check(struct __sk_buff *skb)
{
	bump(&cnt17);
	if (bpf_skb_under_cgroup(skb, &cgroups, 0) == 1)
		bump(&hash_noprealloc);
	return TC_ACT_OK;
}

SEC("tc")
int tc_flows(struct __sk_buff *skb)
{
	__u32 key = skb->ifindex;
	struct flow_stats *fs;

	bump(&cnt18);
	fs = bpf_map_lookup_elem(&flows, &key);
	if (fs) {
		fs->packets++;
		fs->bytes += skb->len;
	}
	last_ifindex = key;
	return TC_ACT_OK;
}

SEC("tcx/ingress")
int tcx_in(struct __sk_buff *skb)
{
	bump(&cnt19);
	return TCX_NEXT;
}

SEC("tcx/egress")
int tcx_out(struct __sk_buff *skb)
{
	bump(&cnt20);
	return TCX_NEXT;
}

/* ---- cgroup hooks ---- */

SEC("cgroup_skb/ingress")
int cg_skb_in(struct __sk_buff *skb)
{
	__u64 *v = bpf_get_local_storage(&cg_stg, 0);

	bump(&cnt21);
	__sync_fetch_and_add(v, 1);
	return 1;
}

SEC("cgroup_skb/egress")
int cg_skb_out(struct __sk_buff *skb)
{
	__u64 *v = bpf_get_local_storage(&pcpu_cg_stg, 0);

	bump(&cnt22);
	(*v)++;
	return 1;
}

SEC("cgroup/sock_create")
int cg_sock_create(struct bpf_sock *sk)
{
	bump(&cnt23);
	return 1;
}

SEC("cgroup/sock_release")
int cg_sock_release(struct bpf_sock *sk)
{
	bump(&cnt24);
	return 1;
}

SEC("cgroup/connect4")
int cg_connect4(struct bpf_sock_addr *ctx)
{
	bump(&cnt25);
	return 1;
}

SEC("cgroup/connect6")
int cg_connect6(struct bpf_sock_addr *ctx)
{
	bump(&cnt26);
	return 1;
}

SEC("cgroup/sendmsg4")
int cg_sendmsg4(struct bpf_sock_addr *ctx)
{
	bump(&cnt27);
	return 1;
}

SEC("cgroup/recvmsg4")
int cg_recvmsg4(struct bpf_sock_addr *ctx)
{
	bump(&cnt28);
	return 1;
}

SEC("cgroup/bind4")
int cg_bind4(struct bpf_sock_addr *ctx)
{
	bump(&cnt29);
	return 1;
}

SEC("cgroup/post_bind4")
int cg_post_bind4(struct bpf_sock *sk)
{
	bump(&cnt30);
	return 1;
}

SEC("cgroup/getsockopt")
int cg_getsockopt(struct bpf_sockopt *ctx)
{
	bump(&cnt31);
	return 1;
}

SEC("cgroup/setsockopt")
int cg_setsockopt(struct bpf_sockopt *ctx)
{
	bump(&cnt32);
	return 1;
}

SEC("cgroup/sysctl")
int cg_sysctl(struct bpf_sysctl *ctx)
{
	bump(&cnt33);
	return 1;
}

SEC("cgroup/dev")
int cg_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	bump(&cnt34);
	return 1;
}

/* ---- sockets ---- */

SEC("sockops")
int sock_ops(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	__u32 key = 0;
	__u64 *v;

	bump(&cnt35);
	if (!sk)
		return 1;
	v = bpf_sk_storage_get(&sk_stg, sk, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (v)
		(*v)++;
	if (skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB) {
		bpf_sock_map_update(skops, &socks, &key, BPF_ANY);
		bpf_sock_hash_update(skops, &socks_hash, &key, BPF_ANY);
	}
	return 1;
}

SEC("sk_skb/stream_parser")
int skb_parser(struct __sk_buff *skb)
{
	bump(&cnt36);
	return skb->len;
}

SEC("sk_skb/stream_verdict")
int skb_verdict(struct __sk_buff *skb)
{
	bump(&cnt37);
	return bpf_sk_redirect_map(skb, &socks, 0, 0);
}

SEC("sk_msg")
int msg_verdict(struct sk_msg_md *msg)
{
	__u32 key = 0;

	bump(&cnt38);
	return bpf_msg_redirect_hash(msg, &socks_hash, &key, BPF_F_INGRESS);
}

SEC("sk_lookup")
int lookup(struct bpf_sk_lookup *ctx)
{
	__u32 key = 0;
	struct bpf_sock *sk;

	bump(&cnt39);
	sk = bpf_map_lookup_elem(&socks, &key);
	if (!sk)
		return SK_PASS;
	bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return SK_PASS;
}

SEC("sk_reuseport")
int reuseport_select(struct sk_reuseport_md *ctx)
{
	__u32 key = 0;

	bump(&cnt40);
	bpf_sk_select_reuseport(ctx, &reuse, &key, 0);
	return SK_PASS;
}

SEC("socket")
int sock_filter_all(struct __sk_buff *skb)
{
	bump(&cnt41);
	return skb->len;
}

SEC("socket")
int sock_filter_none(struct __sk_buff *skb)
{
	bump(&cnt42);
	return 0;
}

SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	bump(&cnt43);
	return BPF_OK;
}

SEC("lwt_in")
int lwt_input(struct __sk_buff *skb)
{
	bump(&cnt44);
	return BPF_OK;
}

SEC("lwt_xmit")
int lwt_output(struct __sk_buff *skb)
{
	bump(&cnt45);
	return BPF_OK;
}

/* ---- perf events, syscall, iterators, user probes ---- */

SEC("perf_event")
int on_perf_event(struct bpf_perf_event_data *ctx)
{
	long id;

	bump(&cnt46);
	id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (id >= 0)
		bump(&mmapable);
	return 0;
}

static long drain_one(struct bpf_dynptr *dynptr, void *ctx)
{
	user_records++;
	return 0;
}

SEC("syscall")
int run_syscall(void *ctx)
{
	bump(&cnt47);
	bpf_user_ringbuf_drain(&urb, drain_one, 0, 0);
	return 0;
}

SEC("iter/task")
int iter_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (!task)
		return 0;
	bump(&cnt00);
	BPF_SEQ_PRINTF(ctx->meta->seq, "%d %s\n", task->pid, task->comm);
	return 0;
}

SEC("iter/bpf_map")
int iter_maps(struct bpf_iter__bpf_map *ctx)
{
	if (ctx->map)
		bump(&cnt01);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(user_entry)
{
	bump(&cnt02);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(user_return)
{
	bump(&cnt03);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

//! Map definitions in cilium/ebpf's style: ring buffers and perf event arrays declared with
//! the record type as their value (so bpf2go can generate it) and perf event arrays with no
//! sizes at all. The kernel refuses them at `BPF_MAP_CREATE` with EINVAL; skelgen creates
//! them as cilium/ebpf does, says so in the summary, and the loader runs on the host.

mod support;

use std::path::PathBuf;
use std::sync::OnceLock;
use support::cmd::{skelgen, stdout_ok};
use support::loader::*;
use support::root;

const SOURCE: &str = r#"
#include <linux/bpf.h>
#include <linux/types.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data,
				     __u64 size) = (void *)BPF_FUNC_perf_event_output;
static long (*bpf_ringbuf_output)(void *rb, void *data, __u64 size,
				  __u64 flags) = (void *)BPF_FUNC_ringbuf_output;

struct event {
	__u32 pid;
	__u8 comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 12);
	__type(value, struct event);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(key, __u32);
	__type(value, struct event);
} perf_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
} bare SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int emit(void *ctx)
{
	struct event e = {};

	bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	bpf_perf_event_output(ctx, &bare, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
"#;

/// The object compiled from [`SOURCE`], or `None` without clang-19.
fn object() -> Option<PathBuf> {
    static OBJECT: OnceLock<Option<PathBuf>> = OnceLock::new();
    OBJECT
        .get_or_init(|| support::bpf::compile("cilium", SOURCE))
        .clone()
}

#[test]
fn declared_key_and_value_are_replaced_and_noted() {
    // The other test counts this process's fds; skelgen's pipes must not be among them.
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object() else { return };
    let out = String::from_utf8(stdout_ok(skelgen([obj.as_os_str()]))).unwrap();
    let expect = [
        "  events [events]: BPF_MAP_TYPE_RINGBUF key 0 value 0 max_entries 4096 flags 0x0",
        "    note: value of 20 bytes declared; created with no value, as cilium/ebpf does: \
         a ring buffer has no key or value",
        "  perf_events [perf_events]: BPF_MAP_TYPE_PERF_EVENT_ARRAY key 4 value 4 \
         max_entries 0 flags 0x0",
        "    note: value of 20 bytes declared; created with a 4-byte value, as cilium/ebpf \
         does: a perf event array maps a CPU index to an fd",
        "    note: no key declared; created with a 4-byte key, as cilium/ebpf does: a perf \
         event array maps a CPU index to an fd",
    ];
    for line in expect {
        assert!(
            out.lines().any(|l| l == line),
            "no line {line:?} in:\n{out}"
        );
    }
    // perf_events declares a 4-byte key, which the kernel takes: no note for it.
    assert_eq!(out.matches("note: key of").count(), 0, "{out}");
}

#[test]
fn fixed_up_maps_are_created_and_the_program_loads() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(obj) = object() else { return };
    if !root() {
        return;
    }
    let data = std::fs::read(&obj).unwrap();
    let spec = skelgen::parse_object(&data, "cilium.bpf.o").unwrap();
    let blob = skelgen::loader::compile(&spec).unwrap();
    let before = open_fds();
    let mut c = default_ctx(&spec, &blob);
    let ret = run_loader(&blob, &mut c);
    assert_eq!(ret, 0, "loader failed: (step, error) {:?}", step_of(&c));
    assert_eq!(check_and_close(&spec, &blob, &c), 1);
    assert_eq!(open_fds(), before, "fds leaked");
}

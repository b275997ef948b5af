//! hooks: attach kinds whose target the runtime resolves on the running kernel, through
//! the Rust skeleton, as examples/c/hooks.c.
//!
//! ksyscall and kretsyscall on openat are attached by `attach()`, ksys_named by hand on
//! getppid, where the kernel has kprobes (in the VM); on the host, which has none,
//! `attach()` fails naming the first ksyscall program and keeps no link.
//! `SKELGEN_HOOKS_KERNEL=1` (the VM test) requires kprobes.

use skelgen_rust_examples::hooks::{Hooks, OpenHooks};
use skelgen_rust_examples::support::{open_fds, root, serial};

fn have_kprobes() -> bool {
    std::path::Path::new("/sys/bus/event_source/devices/kprobe/type").exists()
}

fn load() -> Hooks {
    let mut open = OpenHooks::open().unwrap();
    open.rodata_mut().filter_tgid = std::process::id();
    open.load().unwrap()
}

fn ksyscalls_fire(skel: &mut Hooks) {
    skel.attach().unwrap();
    let named = skel.attach_ksys_named("getppid").unwrap();
    std::fs::read("/proc/self/comm").unwrap();
    // SAFETY: getppid has no preconditions.
    assert!(unsafe { libc::getppid() } > 0);
    let bss = skel.bss();
    println!(
        "ksyscall {} kretsyscall {} (last {}) named {}",
        bss.ksyscall_hits,
        bss.kretsyscall_hits,
        bss.kretsyscall_last_ret,
        bss.named_syscall_hits
    );
    assert!(bss.ksyscall_hits >= 1);
    assert!(bss.kretsyscall_hits >= 1);
    assert!(bss.kretsyscall_last_ret >= 0);
    assert!(bss.named_syscall_hits >= 1);
    drop(named);
}

#[test]
fn ksyscall_attaches_or_names_the_program() {
    if !root() {
        return;
    }
    let _serial = serial();
    // The VM test sets it: there the kernel has kprobes.
    if std::env::var_os("SKELGEN_HOOKS_KERNEL").is_some() {
        assert!(have_kprobes(), "SKELGEN_HOOKS_KERNEL is set, but there is no kprobe PMU");
    }
    let before = open_fds();
    let mut skel = load();
    if have_kprobes() {
        ksyscalls_fire(&mut skel);
    } else {
        let err = skel.attach().unwrap_err();
        println!("attach: {err}");
        assert!(err.what().contains("ksys_openat"), "{err}");
        assert_eq!(skel.links.iter().count(), 0, "attach kept a link");
        assert!(skel.attach_ksys_named("getppid").is_err());
    }
    drop(skel);
    assert_eq!(open_fds(), before);
}

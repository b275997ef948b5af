//! probes: kernel and user probes through the Rust skeleton, as examples/c/probes.c.
//!
//! On any kernel: `autoload` off for what the kernel may refuse, then uprobe and
//! uretprobe on a function of this test binary. With `SKELGEN_PROBES_KERNEL=1` (in the VM
//! of Debian's kernel, whose kernel allows them) also kprobe, kretprobe, fentry, fexit,
//! fmod_ret and, where the BPF LSM is active, lsm programs, attached by `attach()` and
//! triggered by opening and unlinking a file.

use skelgen_rust_examples::probes::{OpenProbes, Probes};
use skelgen_rust_examples::support::{file_offset, open_fds, root, serial};

/// The function the uprobes watch: its argument in the first argument register, its
/// result in the return register, as the BPF side reads them.
#[inline(never)]
#[no_mangle]
pub extern "C" fn skelgen_probe_target(x: u64) -> u64 {
    std::hint::black_box(x) * 2 + 1
}

fn kernel_mode() -> bool {
    std::env::var_os("SKELGEN_PROBES_KERNEL").is_some()
}

fn bpf_lsm_active() -> bool {
    std::fs::read_to_string("/sys/kernel/security/lsm")
        .is_ok_and(|l| l.split(',').any(|m| m == "bpf"))
}

/// Opens and unlinks a file: do_unlinkat (kprobe, kretprobe, fentry, fexit) and
/// security_file_open (fmod_ret, lsm).
fn trigger_kernel() {
    let path = std::env::temp_dir().join(format!("skelgen-probes-{}", std::process::id()));
    std::fs::write(&path, b"x").unwrap();
    std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
}

fn check_kernel_probes(skel: &Probes, lsm: bool) {
    for (name, _) in skel.links.iter() {
        println!("linked {name}");
    }
    trigger_kernel();
    let bss = skel.bss();
    println!(
        "kprobe {} kretprobe {} fentry {} fexit {} fmod_ret {} lsm {}",
        bss.kprobe_hits,
        bss.kretprobe_hits,
        bss.fentry_hits,
        bss.fexit_hits,
        bss.fmod_ret_hits,
        bss.lsm_hits
    );
    assert!(bss.kprobe_hits >= 1);
    assert!(bss.kretprobe_hits >= 1);
    assert_eq!(bss.kretprobe_last_ret, 0, "the unlink succeeded");
    assert!(bss.fentry_hits >= 1);
    assert!(bss.fexit_hits >= 1);
    assert_eq!(bss.fexit_last_ret, 0);
    assert!(bss.fmod_ret_hits >= 1);
    if lsm {
        assert!(bss.lsm_hits >= 1);
    }
}

#[test]
fn probes_attach_and_count() {
    if !root() {
        return;
    }
    let _serial = serial();
    let before = open_fds();
    let kernel = kernel_mode();
    let lsm = kernel && bpf_lsm_active();
    let mut open = OpenProbes::open().unwrap();
    let progs = &mut open.progs;
    for knob in [
        &mut progs.kprobe_unlinkat,
        &mut progs.kretprobe_unlinkat,
        &mut progs.fentry_unlinkat,
        &mut progs.fexit_unlinkat,
        &mut progs.fmod_ret_file_open,
    ] {
        knob.autoload = kernel;
    }
    progs.lsm_file_open.autoload = lsm;
    open.rodata_mut().filter_tgid = std::process::id();
    let mut skel = open.load().unwrap();
    assert_eq!(skel.progs.kprobe_unlinkat.is_loaded(), kernel);
    assert_eq!(skel.progs.lsm_file_open.is_loaded(), lsm);
    // A program that was not loaded cannot be attached: the error names it.
    if !kernel {
        let err = skel.attach_fentry_unlinkat().unwrap_err();
        assert_eq!(err.errno(), libc::ENOENT, "{err}");
        assert!(err.what().contains("fentry_unlinkat"), "{err}");
    }
    skel.attach().unwrap();
    assert_eq!(skel.links.fentry_unlinkat.is_some(), kernel);
    if kernel {
        check_kernel_probes(&skel, lsm);
    }

    let (offset, binary) =
        file_offset(skelgen_probe_target as *const () as usize).expect("the test binary is mapped");
    let uprobe = skel.attach_uprobe_entry(None, &binary, offset).unwrap();
    let uretprobe = skel
        .attach_uretprobe_exit(Some(std::process::id() as i32), &binary, offset)
        .unwrap();
    let target: extern "C" fn(u64) -> u64 = std::hint::black_box(skelgen_probe_target);
    assert_eq!(target(41), 83);
    let bss = skel.bss();
    assert_eq!((bss.uprobe_hits, bss.uprobe_last_arg), (1, 41));
    assert_eq!((bss.uretprobe_hits, bss.uretprobe_last_ret), (1, 83));
    drop((uprobe, uretprobe));
    assert_eq!(target(1), 3);
    assert_eq!(skel.bss().uprobe_hits, 1, "a dropped link must detach");
    drop(skel);
    assert_eq!(open_fds(), before);
    println!("probes ok{}", if kernel { " (kernel)" } else { "" });
}

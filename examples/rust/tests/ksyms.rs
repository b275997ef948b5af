//! ksyms: .kconfig values read on the target at open (from /boot/config-$(uname -r) or
//! /proc/config.gz, gunzipped by the skeleton itself) and overridden before load; kfuncs
//! and ksyms resolved by the loader; as examples/c/ksyms.c, with its missing-configuration
//! failure.

use skelgen_rust_examples::ksyms::OpenKsyms;
use skelgen_rust_examples::support::{isolated, open_fds, root, run_isolated, serial};
use std::process::Command;

/// `CONFIG_HZ` of the running kernel, as zcat shows it.
fn config_hz() -> Option<u32> {
    let out = Command::new("sh")
        .args([
            "-c",
            "cat /boot/config-$(uname -r) 2>/dev/null || zcat /proc/config.gz",
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("CONFIG_HZ="))
        .and_then(|v| v.parse().ok())
}

/// `KERNEL_VERSION(a, b, c)` of the running kernel.
fn kernel_version() -> u32 {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let nums: Vec<u32> = release
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    (nums[0] << 16) | (nums[1] << 8) | nums[2].min(255)
}

/// Whether this kernel has the open-coded number iterator kfuncs (Linux 6.4).
fn has_kfuncs() -> bool {
    let (major, minor) = (kernel_version() >> 16, (kernel_version() >> 8) & 0xff);
    (major, minor) >= (6, 4)
}

#[test]
fn kconfig_kfuncs_and_ksyms() {
    if !root() {
        return;
    }
    let Some(hz) = config_hz() else {
        eprintln!("skipping: the kernel configuration is not readable here");
        return;
    };
    let _serial = serial();
    let before = open_fds();
    let mut open = OpenKsyms::open().unwrap();
    let kconfig = open.kconfig();
    assert_eq!(kconfig.CONFIG_HZ, hz);
    assert_eq!(kconfig.LINUX_KERNEL_VERSION, kernel_version());
    assert_eq!(kconfig.CONFIG_BPF_SYSCALL, 1);
    assert_eq!(kconfig.CONFIG_SKELGEN_ABSENT_OPTION, 0);
    open.kconfig_mut().CONFIG_HZ = 1234;
    open.progs.use_kfuncs.autoload = has_kfuncs();

    let mut skel = open.load().unwrap();
    assert_eq!(
        skel.kconfig().CONFIG_HZ,
        1234,
        "the .kconfig view shows the frozen map"
    );
    skel.attach().unwrap();
    // SAFETY: getgid and getegid have no preconditions; the programs count them.
    unsafe {
        libc::getgid();
        libc::getegid();
    }
    let bss = skel.bss();
    assert_eq!(bss.hz, 1234);
    assert_eq!(bss.kernel_version, kernel_version());
    assert_eq!((bss.has_bpf_syscall, bss.has_absent_option), (1, 0));
    assert_ne!(
        bss.vfs_read_addr, 0,
        "the typeless ksym vfs_read was not resolved"
    );
    assert_eq!(bss.absent_ksym_addr, 0, "a missing weak ksym must be 0");
    if has_kfuncs() {
        assert_eq!(bss.iter_sum, 10);
        assert!(bss.kfunc_runs > 0);
    }
    drop(skel);
    assert_eq!(open_fds(), before);
}

/// Without a readable configuration a strong kconfig extern fails the load with ESRCH and
/// names itself; weak ones stay 0. Run by `missing_kconfig_fails_the_load_by_name`.
#[test]
#[ignore = "run by missing_kconfig_fails_the_load_by_name, with /proc/config.gz hidden"]
fn missing_kconfig_inner() {
    assert!(
        isolated(),
        "run this through missing_kconfig_fails_the_load_by_name"
    );
    let open = OpenKsyms::open().unwrap();
    assert_eq!(open.kconfig().CONFIG_HZ, 0);
    assert_eq!(open.kconfig().CONFIG_BPF_SYSCALL, 0);
    let before = open_fds();
    let err = open.load().unwrap_err();
    assert_eq!(err.errno(), libc::ESRCH, "{err}");
    assert_eq!(
        err.what(),
        "kconfig: CONFIG_HZ needs /boot/config-$(uname -r) or /proc/config.gz, and neither \
         can be read"
    );
    assert!(open_fds() <= before);
}

#[test]
fn missing_kconfig_fails_the_load_by_name() {
    if !root() {
        return;
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    if std::path::Path::new(&format!("/boot/config-{}", release.trim())).exists() {
        eprintln!("skipping: /boot holds the configuration, hiding /proc/config.gz is not enough");
        return;
    }
    let setup = "mount --bind /dev/null /proc/config.gz";
    let _serial = serial();
    let Some((passed, text)) = run_isolated("missing_kconfig_inner", setup) else {
        return;
    };
    assert!(passed, "{text}");
}

//! The C runtime's signed loading (`runtime/c/skelgen_signed.h`): a driver per example
//! (`tests/support/signed-driver/driver.c`) loads its signed loader through
//! `skelgen_run_signed_loader`, as a signed skeleton will. On the host (no
//! CONFIG_SYSTEM_DATA_VERIFICATION) every load is refused with the message that says so;
//! in the VMs of Linux 7.2 and 7.3 (`tests/vm/parts/signing`) the drivers load, and refuse a
//! flipped byte or a keyring without the certificate, by name.
//!
//! With SKELGEN_SIGNED_C_STAGE set, the drivers are built into that directory for the VM.

mod support;

use skelgen::loader::compile_signed;
use skelgen::sign::Signer;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::loader::{default_ctx, spec};

/// Examples whose default context needs nothing of the target (no struct_ops layout, no
/// per-CPU perf array size).
const DRIVEN: &[&str] = &[
    "minimal",
    "subprogs",
    "core",
    "mapinmap",
    "iterators",
    "net",
];

fn bytes(out: &mut String, name: &str, b: &[u8]) {
    let _ = write!(
        out,
        "static const unsigned char {name}[{}] __attribute__((__aligned__(8))) = {{",
        b.len()
    );
    for (i, x) in b.iter().enumerate() {
        if i % 16 == 0 {
            out.push_str("\n\t");
        }
        let _ = write!(out, "0x{x:02x},");
    }
    out.push_str("\n};\n");
}

/// signed_blob.h of example `name`, signed by `signer`.
fn header(name: &str, signer: &Signer) -> String {
    let spec = spec(name);
    let blob = compile_signed(&spec).unwrap();
    let sigs = signer.sign_loader(&blob.insns, &blob.data).unwrap();
    let mut h = String::from("/* Written by tests/signed_c.rs. */\n");
    bytes(&mut h, "signed_insns", &blob.insns);
    bytes(&mut h, "signed_data", &blob.data);
    bytes(&mut h, "signed_ctx", &default_ctx(&spec, &blob));
    bytes(&mut h, "signed_excl_prog_hash", &sigs.excl_prog_hash);
    bytes(&mut h, "signed_sig_meta", &sigs.with_metadata);
    bytes(&mut h, "signed_sig_insns", &sigs.insns_only);
    h.push_str("static const char *const signed_steps[] = {\n");
    for step in &blob.plan.steps {
        let _ = writeln!(h, "\t{:?},", skelgen::loader::step_title(step));
    }
    let _ = writeln!(h, "}};\n#define SIGNED_NR_MAPS {}u", blob.plan.nr_maps);
    let _ = writeln!(h, "#define SIGNED_NR_PROGS {}u", blob.plan.nr_progs);
    h
}

/// A test key and certificate (`cert.der`), and one driver per example, in `dir`.
fn build_drivers(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let signer = support::signed::test_signer(dir, &["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let driver = root.join("tests/support/signed-driver/driver.c");
    let runtime = root.join("runtime/c");
    for name in DRIVEN {
        let sub = dir.join(name);
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("signed_blob.h"), header(name, &signer)).unwrap();
        let (runtime, driver) = (runtime.to_str().unwrap(), driver.to_str().unwrap());
        support::run_ok(Command::new("gcc").current_dir(&sub).args([
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-pedantic",
            "-Werror",
            "-O1",
            "-I",
            ".",
            "-I",
            runtime,
            driver,
            "-o",
            "driver",
        ]));
    }
}

fn scratch(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("skelgen-signed-c-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Builds the drivers (into SKELGEN_SIGNED_C_STAGE when set, for the VM); every driver
/// builds as strict C11 with the runtime's signed header.
#[test]
fn drivers_build() {
    let dir = match std::env::var_os("SKELGEN_SIGNED_C_STAGE") {
        Some(stage) => PathBuf::from(stage),
        None => scratch("build"),
    };
    build_drivers(&dir);
    for name in DRIVEN {
        assert!(dir.join(name).join("driver").exists(), "{name}");
    }
}

/// On a kernel without CONFIG_SYSTEM_DATA_VERIFICATION (the host), every driver is refused
/// with the message that says so, and leaves no fd.
#[test]
fn the_host_kernel_cannot_verify() {
    if !support::root() {
        return;
    }
    let config = std::fs::read_to_string(format!(
        "/boot/config-{}",
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap()
            .trim()
    ));
    if config.is_ok_and(|c| c.contains("CONFIG_SYSTEM_DATA_VERIFICATION=y")) {
        eprintln!("skipped: this kernel verifies signatures (tests/vm/parts/signing checks that)");
        return;
    }
    let dir = scratch("host");
    build_drivers(&dir);
    for name in DRIVEN {
        // No certificate: a kernel without signature checks has no asymmetric keys either.
        let out = Command::new(dir.join(name).join("driver"))
            .args(["-", "none", "session"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{name}: {text}");
        assert!(
            text.contains("this kernel cannot verify signatures: built without CONFIG_SYSTEM_DATA_VERIFICATION"),
            "{name}: {text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

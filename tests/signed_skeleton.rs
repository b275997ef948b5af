//! Signed skeletons as a program uses them (`--sign-key`, `--sign-cert`): every example's
//! signed C header builds under the strict settings, with bpftool's `skel->keyring_id`; a
//! driver per example and language opens, sets keyring_id, loads and destroys.
//!
//! On the host (Linux without CONFIG_SYSTEM_DATA_VERIFICATION) the signed skeletons are
//! refused with the message that says so and leave no fd, and the unsigned ones load. In the
//! VMs of Linux 7.2 and 7.3, `tests/vm/parts/signing` runs the drivers staged here (with
//! SKELGEN_SIGNED_SKEL_STAGE set): signed loads, and a flipped byte of blob, instructions or
//! signature, or a keyring without the certificate, refused by name.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::c::STRICT_BUILDS;
use support::examples::object;
use support::{have, root, run_ok};

/// Examples whose unsigned C skeleton loads on the host kernel (6.18); the others need
/// kprobes, fentry or modules, which the host lacks.
const HOST_LOADS: &[&str] = &[
    "core",
    "events",
    "iterators",
    "mapinmap",
    "minimal",
    "net",
    "subprogs",
    "tcpca",
];

/// What a staged driver variant changes in the signed skeleton.
const TAMPERED: &[(&str, Tamper)] = &[
    ("blob", Tamper::Blob),
    ("insns", Tamper::Insns),
    ("sig", Tamper::Signature),
];

#[derive(Debug, Clone, Copy)]
enum Tamper {
    /// One byte in the middle of the blob.
    Blob,
    /// The immediate of the loader's second instruction.
    Insns,
    /// One byte near the end of each signature: inside the signature value.
    Signature,
}

/// The key and certificate every signed skeleton here is signed with.
struct Keys {
    key: PathBuf,
    cert: PathBuf,
}

impl Keys {
    /// A fresh RSA key and certificate (`key.pem`, `cert.pem`, `cert.der`) in `dir`.
    fn new(dir: &Path) -> Keys {
        support::signed::test_signer(dir, &["rsa:2048"]);
        Keys {
            key: dir.join("key.pem"),
            cert: dir.join("cert.der"),
        }
    }

    fn options(&self, lang: skelgen::Lang) -> skelgen::Options {
        skelgen::Options {
            sign_key: Some(self.key.clone()),
            sign_cert: Some(self.cert.clone()),
            ..skelgen::Options::for_lang(lang)
        }
    }
}

fn skeleton(name: &str, options: &skelgen::Options) -> String {
    let bytes = skelgen::generate(&object(name), &format!("{name}.bpf.o"), options)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    String::from_utf8(bytes).unwrap()
}

/// Flips the low bit of byte `index` of the C array whose declaration starts with `decl`
/// (`-1` counts from its end).
fn flip_c(header: &str, decl: &str, index: isize) -> String {
    let start = header
        .find(decl)
        .unwrap_or_else(|| panic!("no {decl} in the header"));
    let body_end = start + header[start..].find("};").unwrap();
    let bytes: Vec<usize> = header[start..body_end]
        .match_indices("0x")
        .map(|(i, _)| start + i)
        .collect();
    let at = if index < 0 {
        bytes[bytes.len() - index.unsigned_abs()]
    } else {
        bytes[index as usize]
    };
    let value = u8::from_str_radix(&header[at + 2..at + 4], 16).unwrap() ^ 1;
    format!("{}0x{value:02x}{}", &header[..at], &header[at + 4..])
}

fn tamper_c(header: &str, how: Tamper) -> String {
    match how {
        Tamper::Blob => {
            let len = array_len(header, "static const unsigned char data[");
            flip_c(
                header,
                "static const unsigned char data[",
                (len / 2) as isize,
            )
        }
        Tamper::Insns => flip_c(header, "static const unsigned char insns[", 12),
        Tamper::Signature => {
            let once = flip_c(header, "static const unsigned char sig_with_metadata[", -10);
            flip_c(&once, "static const unsigned char sig_insns_only[", -10)
        }
    }
}

/// The length in the brackets after `decl`.
fn array_len(header: &str, decl: &str) -> usize {
    let rest = &header[header.find(decl).unwrap() + decl.len()..];
    rest[..rest.find(']').unwrap()].parse().unwrap()
}

/// Builds the driver of example `name` against `header` into `dir`/`exe`.
fn build_c_driver(dir: &Path, name: &str, header: &str, signed: bool, exe: &str) -> PathBuf {
    let sub = dir.join(format!("{exe}.src"));
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("skel.h"), header).unwrap();
    let driver = Path::new(support::ROOT).join("tests/support/signed-skel/driver.c");
    let out = dir.join(exe);
    let mut cmd = Command::new("gcc");
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg(format!("-DSKEL_NAME={name}"))
        .arg("-I")
        .arg(&sub)
        .arg("-o")
        .arg(&out)
        .arg(driver);
    if signed {
        cmd.arg("-DSKEL_SIGNED");
    }
    run_ok(&mut cmd);
    let _ = std::fs::remove_dir_all(&sub);
    out
}

/// The C drivers of example `name` in `dir`: `unsigned`, `signed`, and one per [`TAMPERED`].
fn build_c(dir: &Path, name: &str, keys: &Keys) {
    std::fs::create_dir_all(dir).unwrap();
    let unsigned = skeleton(name, &skelgen::Options::for_lang(skelgen::Lang::C));
    build_c_driver(dir, name, &unsigned, false, "unsigned");
    let signed = skeleton(name, &keys.options(skelgen::Lang::C));
    build_c_driver(dir, name, &signed, true, "signed");
    for (what, how) in TAMPERED {
        build_c_driver(dir, name, &tamper_c(&signed, *how), true, what);
    }
}

fn scratch(what: &str) -> PathBuf {
    support::env::scratch("signed-skeleton", what)
}

/// Runs a driver; its exit status and output.
fn drive(exe: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(exe).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Every example's signed header builds under the strict settings, and a program written
/// for bpftool's signed skeleton (`skel->keyring_id = KEY_SPEC_SESSION_KEYRING`) builds
/// unchanged.
#[test]
fn signed_c_headers_build_strictly() {
    if !have("gcc") || !have("g++") {
        return;
    }
    let dir = scratch("strict");
    let keys = Keys::new(&dir);
    let builds: Vec<_> = STRICT_BUILDS
        .iter()
        .filter(|(cc, _)| cc.starts_with('g') || have(cc))
        .collect();
    for name in support::example_names() {
        let header = skeleton(&name, &keys.options(skelgen::Lang::C));
        assert!(header.contains("\tint32_t keyring_id;\t"), "{name}");
        std::fs::write(dir.join(format!("{name}.lskel.h")), &header).unwrap();
        let main = dir.join(format!("use_{name}.c"));
        std::fs::write(
            &main,
            format!(
                "#include <linux/keyctl.h>\n#include \"{name}.lskel.h\"\n\
                 int main(void)\n{{\n\tstruct {name} *skel = {name}__open();\n\n\
                 \tif (!skel)\n\t\treturn 1;\n\
                 \tskel->keyring_id = KEY_SPEC_SESSION_KEYRING;\n\
                 \tif ({name}__load(skel))\n\t\treturn 1;\n\
                 \t{name}__destroy(skel);\n\treturn 0;\n}}\n"
            ),
        )
        .unwrap();
        for (i, (cc, args)) in builds.iter().enumerate() {
            run_ok(
                Command::new(cc)
                    .args(*args)
                    .arg("-c")
                    .arg("-o")
                    .arg(dir.join(format!("{name}.{i}.o")))
                    .arg(&main),
            );
        }
    }
}

/// The tampering the VM checks changes exactly one byte of what it names.
#[test]
fn tampering_flips_one_byte_of_its_array() {
    let dir = scratch("tamper");
    let keys = Keys::new(&dir);
    let header = skeleton("minimal", &keys.options(skelgen::Lang::C));
    for (what, how) in TAMPERED {
        let changed = tamper_c(&header, *how);
        assert_eq!(changed.len(), header.len(), "{what}");
        let diffs = header
            .bytes()
            .zip(changed.bytes())
            .filter(|(a, b)| a != b)
            .count();
        let expected = if matches!(how, Tamper::Signature) {
            2
        } else {
            1
        };
        assert_eq!(diffs, expected, "{what}");
    }
}

/// With SKELGEN_SIGNED_SKEL_STAGE set: the key, the certificate and every driver of every
/// example, for tests/vm/parts/signing.
#[test]
fn stage_for_the_vm() {
    let Some(stage) = std::env::var_os("SKELGEN_SIGNED_SKEL_STAGE") else {
        eprintln!("skipped: SKELGEN_SIGNED_SKEL_STAGE is not set (tests/vm/parts/signing sets it)");
        return;
    };
    let stage = PathBuf::from(stage);
    std::fs::create_dir_all(&stage).unwrap();
    let keys = Keys::new(&stage);
    for name in support::example_names() {
        build_c(&stage.join("c").join(&name), &name, &keys);
    }
}

/// On a kernel that cannot verify signatures (the host), every signed skeleton is refused
/// with the message that says so and leaves no fd; the unsigned one loads.
#[test]
fn signed_c_skeletons_on_the_host() {
    if !root() || !have("gcc") {
        return;
    }
    if support::signed::kernel_verifies_signatures() {
        eprintln!("skipped: this kernel verifies signatures (tests/vm/parts/signing checks that)");
        return;
    }
    let dir = scratch("host-c");
    let keys = Keys::new(&dir);
    for name in HOST_LOADS {
        let sub = dir.join(name);
        build_c(&sub, name, &keys);
        let (code, out) = drive(&sub.join("unsigned"), &["-", "builtin"]);
        assert_eq!(
            (code, out.as_str()),
            (Some(0), "loaded\n"),
            "{name} unsigned"
        );
        let (code, out) = drive(&sub.join("signed"), &["-", "session"]);
        assert_eq!(code, Some(1), "{name}: {out}");
        assert!(
            out.starts_with(
                "refused: load the signed loader: this kernel cannot verify signatures: built \
                 without CONFIG_SYSTEM_DATA_VERIFICATION: "
            ),
            "{name}: {out}"
        );
    }
}

//! `--sign-key`/`--sign-cert` on the command line and in `skelgen::build::Builder`: the
//! signatures `--emit signature` writes verify with `openssl cms -verify` over the bytes each
//! scheme signs, summaries and plans name the certificate and the hashes, and every refused
//! key or certificate is named with nothing written.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::cmd::{run_fails, skelgen, stdout_ok, Scratch};
use support::minimal;

/// Runs openssl in `dir`; its standard output.
fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (makes the test keys, checks the signatures) is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `NAME.key` and its self-signed certificate `NAME.pem`, `NAME.der`, made with `newkey`.
fn pair(dir: &Path, name: &str, newkey: &[&str]) -> (PathBuf, PathBuf) {
    let (key, pem, der) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("{name}.der"),
    );
    let mut args = vec!["req", "-x509", "-nodes", "-days", "2", "-subj"];
    args.extend([
        "/CN=skelgen cli signer",
        "-keyout",
        &key,
        "-out",
        &pem,
        "-newkey",
    ]);
    args.extend(newkey);
    openssl(dir, &args);
    openssl(dir, &["x509", "-in", &pem, "-outform", "DER", "-out", &der]);
    (dir.join(key), dir.join(pem))
}

const P256: &[&str] = &["ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

fn sign_args(key: &Path, cert: &Path) -> Vec<String> {
    vec![
        "--sign-key".into(),
        key.display().to_string(),
        "--sign-cert".into(),
        cert.display().to_string(),
    ]
}

/// Every scheme's signature verifies with openssl over the bytes written next to it, and
/// the bytes are what the scheme signs: the signed loader's instructions, then its blob.
#[test]
fn emitted_signatures_verify_with_openssl() {
    let dir = Scratch::new("sign-cli-verify");
    for (name, newkey) in [("rsa", &["rsa:2048"][..]), ("p256", P256)] {
        let (key, pem) = pair(&dir.0, name, newkey);
        let der = dir.0.join(format!("{name}.der"));
        let out = dir.0.join(format!("{name}-sigs"));
        stdout_ok(
            skelgen(["--emit", "signature", "-o"])
                .arg(&out)
                .args(sign_args(&key, &der))
                .arg(minimal()),
        );
        let mut files: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(
            files,
            [
                "minimal.insns_only.sig",
                "minimal.insns_only.signed",
                "minimal.with_metadata.sig",
                "minimal.with_metadata.signed",
            ]
        );
        let blob = stdout_ok(
            skelgen(["--emit", "blob"])
                .args(sign_args(&key, &pem))
                .arg(minimal()),
        );
        let insns = fs::read(out.join("minimal.insns_only.signed")).unwrap();
        let with = fs::read(out.join("minimal.with_metadata.signed")).unwrap();
        assert_eq!(with, [insns.as_slice(), blob.as_slice()].concat(), "{name}");
        assert_eq!(insns.len() % 8, 0, "{name}: instructions are 8 bytes each");
        for scheme in ["insns_only", "with_metadata"] {
            let sig = out.join(format!("minimal.{scheme}.sig"));
            let content = out.join(format!("minimal.{scheme}.signed"));
            let verify = |content: &Path| {
                Command::new("openssl")
                    .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
                    .arg(&sig)
                    .arg("-content")
                    .arg(content)
                    .arg("-certfile")
                    .arg(&pem)
                    .args(["-nointern", "-noverify", "-out", "/dev/null"])
                    .output()
                    .unwrap()
            };
            let ok = verify(&content);
            assert!(
                ok.status.success(),
                "{name} {scheme}: {}",
                String::from_utf8_lossy(&ok.stderr)
            );
            // The check can fail: one flipped byte of the signed content is refused.
            let mut bytes = fs::read(&content).unwrap();
            bytes[9] ^= 1;
            let flipped = dir.0.join("flipped");
            fs::write(&flipped, bytes).unwrap();
            assert!(!verify(&flipped).status.success(), "{name} {scheme}");
        }
    }
}

/// The summary and the plan name the certificate (subject, key id, serial, as openssl reads
/// them) and the hashes; signing the same object twice gives the same bytes.
#[test]
fn summary_and_plan_name_the_signer_and_hashes() {
    let dir = Scratch::new("sign-cli-summary");
    for (name, newkey) in [("rsa", &["rsa:2048"][..]), ("p256", P256)] {
        let (key, pem) = pair(&dir.0, name, newkey);
        let key_id = openssl(
            &dir.0,
            &[
                "x509",
                "-in",
                &format!("{name}.pem"),
                "-noout",
                "-ext",
                "subjectKeyIdentifier",
            ],
        );
        let key_id = key_id
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .replace(':', "")
            .to_lowercase();
        let serial = openssl(
            &dir.0,
            &["x509", "-in", &format!("{name}.pem"), "-noout", "-serial"],
        );
        let serial = serial.trim().trim_start_matches("serial=").to_lowercase();
        let insns = stdout_ok(
            skelgen(["--emit", "blob"])
                .args(sign_args(&key, &pem))
                .arg(minimal()),
        );
        for emit in ["summary", "plan"] {
            let run = || {
                stdout_ok(
                    skelgen(["--emit", emit])
                        .args(sign_args(&key, &pem))
                        .arg(minimal()),
                )
            };
            let text = String::from_utf8(run()).unwrap();
            assert_eq!(text.as_bytes(), run(), "{name} {emit}: not deterministic");
            let algorithm = if name == "rsa" { "RSA" } else { "ECDSA P-256" };
            assert!(
                text.contains(&format!(
                    "signed by CN=skelgen cli signer ({algorithm}), key id {key_id}, serial {serial}"
                )),
                "{name} {emit}:\n{text}"
            );
            let metadata = skelgen::sign::hex(&skelgen::sign::metadata_hash(&insns));
            assert!(
                text.contains(&format!(
                    "metadata hash (SHA-256 of the frozen loader map) {metadata}"
                )),
                "{text}"
            );
            assert!(text.contains("excl_prog_hash"), "{text}");
            assert!(
                text.contains("signature insns_only (Linux 6.18 to 7.2)"),
                "{text}"
            );
            assert!(
                text.contains("signature with_metadata (Linux 7.3 and later)"),
                "{text}"
            );
            // Unsigned output says nothing of signing.
            let plain = stdout_ok(skelgen(["--emit", emit]).arg(minimal()));
            assert!(!String::from_utf8(plain).unwrap().contains("signed by"));
        }
    }
}

/// Each refusal names the file and says what to do; `-o` is left untouched.
#[test]
fn refused_keys_and_certificates_are_named_and_nothing_is_written() {
    let dir = Scratch::new("sign-cli-refuse");
    let (key, pem) = pair(&dir.0, "a", &["rsa:2048"]);
    let (other_key, _) = pair(&dir.0, "b", P256);
    openssl(
        &dir.0,
        &[
            "pkey", "-in", "a.key", "-aes256", "-passout", "pass:x", "-out", "enc.key",
        ],
    );
    openssl(
        &dir.0,
        &["genpkey", "-algorithm", "ed25519", "-out", "ed.key"],
    );
    let missing = dir.0.join("missing.key");
    let cases: [(&Path, &Path, &str); 5] = [
        (&other_key, &pem, "does not belong to the certificate"),
        (&missing, &pem, "missing.key: No such file"),
        (&dir.0.join("enc.key"), &pem, "the private key is encrypted"),
        (
            &dir.0.join("ed.key"),
            &pem,
            "is not an algorithm skelgen signs with",
        ),
        (&key, &key, "not a usable X.509 certificate"),
    ];
    for (k, c, phrase) in cases {
        for args in [
            vec!["--lang", "c", "-o"],
            vec!["--emit", "summary", "-o"],
            vec!["--emit", "signature", "-o"],
        ] {
            let out = dir.0.join("out");
            let err = run_fails(
                skelgen(&args)
                    .arg(&out)
                    .args(sign_args(k, c))
                    .arg(minimal()),
            );
            assert!(err.contains(phrase), "{args:?} {phrase}: {err}");
            let named = if phrase.contains("certificate") && c == key {
                c
            } else {
                k
            };
            assert!(
                err.contains(&named.display().to_string()),
                "{phrase}: the file is not named: {err}"
            );
            assert!(!out.exists(), "{args:?} {phrase}: something was written");
        }
    }
    // One of the two options alone is a command-line mistake.
    let out = skelgen(["--sign-key"])
        .arg(&key)
        .arg(minimal())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sign-cert"));
}

/// The library takes the same options: `Builder::sign`, with the key checked before anything
/// is written, and `generate` refusing `--emit signature` (several files).
#[test]
fn the_builder_signs_and_refuses_like_the_command_line() {
    let dir = Scratch::new("sign-cli-builder");
    let (key, pem) = pair(&dir.0, "a", &["rsa:2048"]);
    let (other, _) = pair(&dir.0, "b", &["rsa:2048"]);
    let out = dir.0.join("gen");
    let err = skelgen::build::Builder::new()
        .object(minimal())
        .lang(skelgen::Lang::Kernel)
        .sign(&key, &pem)
        .out_dir(&out)
        .cargo_metadata(false)
        .generate()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("kern_sys_bpf, which has no signed variant"),
        "{err}"
    );
    let err = skelgen::build::Builder::new()
        .object(minimal())
        .sign(&other, &pem)
        .out_dir(&out)
        .cargo_metadata(false)
        .generate()
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not belong to the certificate"), "{err}");
    assert!(!out.exists());
    let options = skelgen::Options {
        emit: skelgen::Emit::Signature,
        sign_key: Some(key.clone()),
        sign_cert: Some(pem.clone()),
        ..Default::default()
    };
    let data = fs::read(minimal()).unwrap();
    let err = skelgen::generate(&data, "minimal.bpf.o", &options).unwrap_err();
    assert!(err.to_string().contains("use generate_signatures"), "{err}");
    let files = skelgen::generate_signatures(&data, "minimal.bpf.o", &options).unwrap();
    assert_eq!(files.len(), 4);
    assert_eq!(
        options.to_args()[2..],
        [
            "--sign-key".to_string(),
            key.display().to_string(),
            "--sign-cert".to_string(),
            pem.display().to_string()
        ]
    );
}

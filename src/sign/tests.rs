//! Signatures checked by OpenSSL, the way the kernel's PKCS#7 parser reads them, and every
//! refused key or certificate named by its file.

use super::*;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory for one test's files.
fn scratch() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "skelgen-sign-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `openssl` in `dir`; returns whether it succeeded, and its standard error.
fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (the test oracle) is installed");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn openssl_ok(dir: &Path, args: &[&str]) {
    let (ok, err) = openssl(dir, args);
    assert!(ok, "openssl {args:?}: {err}");
}

/// A self-signed certificate `NAME.crt` (PEM) and `NAME.der`, and its key `NAME.key`, made
/// with `newkey` (`rsa:2048`, `ec -pkeyopt ec_paramgen_curve:P-256`...).
fn pair(dir: &Path, name: &str, newkey: &[&str]) -> (PathBuf, PathBuf) {
    let key = format!("{name}.key");
    let crt = format!("{name}.crt");
    let mut args = vec!["req", "-x509", "-nodes", "-days", "2", "-subj"];
    args.push("/CN=skelgen test signer");
    args.extend(["-keyout", &key, "-out", &crt, "-newkey"]);
    args.extend(newkey);
    openssl_ok(dir, &args);
    let der = format!("{name}.der");
    openssl_ok(dir, &["x509", "-in", &crt, "-outform", "DER", "-out", &der]);
    (dir.join(key), dir.join(crt))
}

fn rsa_pair(dir: &Path) -> (PathBuf, PathBuf) {
    pair(dir, "rsa", &["rsa:2048"])
}

fn p256_pair(dir: &Path) -> (PathBuf, PathBuf) {
    pair(dir, "p256", &["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
}

/// The loader of the `minimal` example: the content every scheme signs.
fn minimal_loader() -> crate::loader::Blob {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bpf/minimal.bpf.o");
    let spec = crate::parse_object(&std::fs::read(path).unwrap(), path).unwrap();
    crate::loader::compile(&spec).unwrap()
}

/// Whether OpenSSL verifies `signature` (DER) over `content` with the certificate `cert`.
fn verifies(dir: &Path, cert: &Path, content: &[u8], signature: &[u8]) -> bool {
    std::fs::write(dir.join("content"), content).unwrap();
    std::fs::write(dir.join("sig.der"), signature).unwrap();
    let cert = cert.to_str().unwrap();
    let args = [
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        "sig.der",
        "-content",
        "content",
        "-certfile",
        cert,
        "-CAfile",
        cert,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
    ];
    openssl(dir, &args).0
}

/// Signs with `key` and `cert` (PEM or DER), verifies with the same certificate as PEM.
fn check_both_schemes(dir: &Path, key: &Path, cert: &Path, pem: &Path) {
    let blob = minimal_loader();
    let signer = Signer::from_files(key, cert).unwrap();
    let cert = pem;
    let sigs = signer.sign_loader(&blob.insns, &blob.data).unwrap();
    for scheme in Scheme::ALL {
        let content = scheme.content(&blob.insns, &blob.data);
        assert!(
            verifies(dir, cert, &content, sigs.for_scheme(scheme)),
            "{scheme:?}"
        );
        let mut tampered = content.clone();
        tampered[content.len() - 1] ^= 1;
        assert!(
            !verifies(dir, cert, &tampered, sigs.for_scheme(scheme)),
            "{scheme:?}"
        );
    }
    // Each scheme's signature is of its own content only.
    let insns_only = Scheme::InsnsOnly.content(&blob.insns, &blob.data);
    assert!(!verifies(dir, cert, &insns_only, &sigs.with_metadata));
    assert_eq!(sigs.excl_prog_hash, sha256(&blob.insns));
    assert_eq!(sigs.metadata_hash, sha256(&blob.data));
}

#[test]
fn rsa_signatures_verify_for_both_schemes() {
    let dir = scratch();
    let (key, cert) = rsa_pair(&dir);
    check_both_schemes(&dir, &key, &cert, &cert);
    check_both_schemes(&dir, &key, &dir.join("rsa.der"), &cert);
}

#[test]
fn p256_signatures_verify_for_both_schemes() {
    let dir = scratch();
    let (key, cert) = p256_pair(&dir);
    check_both_schemes(&dir, &key, &cert, &cert);
    // The same key as SEC1 (`EC PRIVATE KEY`), the certificate as DER.
    openssl_ok(&dir, &["ec", "-in", "p256.key", "-out", "sec1.key"]);
    check_both_schemes(&dir, &dir.join("sec1.key"), &dir.join("p256.der"), &cert);
}

#[test]
fn rsa_signature_is_byte_for_byte_openssls() {
    // RSA PKCS#1 v1.5 is deterministic, so the shape bpftool makes (CMS_sign with
    // DETACHED|BINARY|NOCERTS, NOATTR|USE_KEYID) is reproducible exactly.
    let dir = scratch();
    let (key, cert) = rsa_pair(&dir);
    std::fs::write(dir.join("content"), b"loader instructions").unwrap();
    openssl_ok(
        &dir,
        &[
            "cms",
            "-sign",
            "-binary",
            "-noattr",
            "-nocerts",
            "-keyid",
            "-md",
            "sha256",
            "-outform",
            "DER",
            "-signer",
            "rsa.crt",
            "-inkey",
            "rsa.key",
            "-in",
            "content",
            "-out",
            "openssl.der",
        ],
    );
    // A PKCS#1 copy of the key signs the same.
    openssl_ok(
        &dir,
        &["rsa", "-in", "rsa.key", "-traditional", "-out", "pkcs1.key"],
    );
    let expected = std::fs::read(dir.join("openssl.der")).unwrap();
    for key in [key, dir.join("pkcs1.key")] {
        let signer = Signer::from_files(&key, &cert).unwrap();
        assert_eq!(signer.sign(b"loader instructions").unwrap(), expected);
        assert_eq!(signer.algorithm(), "RSA");
    }
}

#[test]
fn ecdsa_signatures_are_deterministic() {
    let dir = scratch();
    let (key, cert) = p256_pair(&dir);
    let signer = Signer::from_files(&key, &cert).unwrap();
    assert_eq!(signer.sign(b"x").unwrap(), signer.sign(b"x").unwrap());
    assert_ne!(signer.sign(b"x").unwrap(), signer.sign(b"y").unwrap());
}

#[test]
fn subject_and_key_id_come_from_the_certificate() {
    let dir = scratch();
    let (key, cert) = rsa_pair(&dir);
    let signer = Signer::from_files(&key, &cert).unwrap();
    assert_eq!(signer.subject(), "CN=skelgen test signer");
    let out = Command::new("openssl")
        .args([
            "x509",
            "-in",
            "rsa.crt",
            "-noout",
            "-ext",
            "subjectKeyIdentifier",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace([':', ' ', '\n'], "");
    assert!(
        text.to_lowercase().ends_with(&hex(signer.key_id())),
        "{text}"
    );
}

fn refusal(key: &Path, cert: &Path) -> String {
    Signer::from_files(key, cert).unwrap_err().to_string()
}

#[test]
fn a_key_of_another_certificate_is_refused() {
    let dir = scratch();
    let (rsa_key, rsa_cert) = rsa_pair(&dir);
    let (p256_key, p256_cert) = p256_pair(&dir);
    let (other_key, _) = pair(&dir, "other", &["rsa:2048"]);
    for (key, cert) in [
        (&other_key, &rsa_cert),
        (&rsa_key, &p256_cert),
        (&p256_key, &rsa_cert),
    ] {
        let msg = refusal(key, cert);
        assert!(msg.contains("does not belong to the certificate"), "{msg}");
        assert!(msg.contains(key.to_str().unwrap()), "{msg}");
        assert!(msg.contains(cert.to_str().unwrap()), "{msg}");
    }
}

#[test]
fn encrypted_keys_are_refused() {
    let dir = scratch();
    let (_, cert) = rsa_pair(&dir);
    openssl_ok(
        &dir,
        &[
            "pkey", "-in", "rsa.key", "-aes256", "-passout", "pass:x", "-out", "p8.key",
        ],
    );
    openssl_ok(
        &dir,
        &[
            "rsa",
            "-in",
            "rsa.key",
            "-traditional",
            "-aes256",
            "-passout",
            "pass:x",
            "-out",
            "old.key",
        ],
    );
    for name in ["p8.key", "old.key"] {
        let msg = refusal(&dir.join(name), &cert);
        assert!(msg.contains("encrypted") && msg.contains(name), "{msg}");
    }
}

#[test]
fn other_algorithms_are_refused_by_name() {
    let dir = scratch();
    let (_, cert) = rsa_pair(&dir);
    openssl_ok(
        &dir,
        &["genpkey", "-algorithm", "ed25519", "-out", "ed.key"],
    );
    openssl_ok(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            "p384.key",
        ],
    );
    openssl_ok(&dir, &["ec", "-in", "p384.key", "-out", "p384-sec1.key"]);
    for name in ["ed.key", "p384.key", "p384-sec1.key"] {
        let msg = refusal(&dir.join(name), &cert);
        assert!(msg.contains("not an algorithm skelgen signs with"), "{msg}");
        assert!(msg.contains(name), "{msg}");
    }
    let (ed_key, ed_cert) = pair(&dir, "edpair", &["ed25519"]);
    let msg = refusal(&dir.join("rsa.key"), &ed_cert);
    assert!(msg.contains("edpair.crt"), "{msg}");
    assert!(refusal(&ed_key, &ed_cert).contains("edpair.key"));
}

#[test]
fn unreadable_and_damaged_files_are_refused_by_name() {
    let dir = scratch();
    let (key, cert) = rsa_pair(&dir);
    let missing = dir.join("missing.pem");
    assert!(refusal(&missing, &cert).contains("missing.pem"));
    assert!(refusal(&key, &missing).contains("missing.pem"));
    std::fs::write(dir.join("junk.pem"), b"not a key").unwrap();
    let msg = refusal(&dir.join("junk.pem"), &cert);
    assert!(
        msg.contains("junk.pem") && msg.contains("PRIVATE KEY"),
        "{msg}"
    );
    std::fs::write(dir.join("bin.der"), [0x30, 0x03, 0x02, 0x01]).unwrap();
    assert!(refusal(&dir.join("bin.der"), &cert).contains("bin.der"));
    let msg = refusal(&key, &dir.join("bin.der"));
    assert!(
        msg.contains("bin.der") && msg.contains("certificate"),
        "{msg}"
    );
    let mut pem = std::fs::read_to_string(&cert).unwrap();
    pem.truncate(pem.len() / 2);
    std::fs::write(dir.join("half.crt"), pem).unwrap();
    assert!(refusal(&key, &dir.join("half.crt")).contains("half.crt"));
}

#[test]
fn a_certificate_without_key_identifier_is_refused() {
    let dir = scratch();
    openssl_ok(
        &dir,
        &[
            "req",
            "-x509",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=no id",
            "-newkey",
            "rsa:2048",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
            "-addext",
            "subjectKeyIdentifier=none",
        ],
    );
    let msg = refusal(&dir.join("k.pem"), &dir.join("c.pem"));
    assert!(
        msg.contains("c.pem") && msg.contains("subject key identifier"),
        "{msg}"
    );
}

#[test]
fn metadata_hash_covers_the_padded_value_area() {
    assert_eq!(metadata_hash(&[1; 16]), sha256(&[1; 16]));
    assert_eq!(metadata_hash(&[1, 2, 3]), sha256(&[1, 2, 3, 0, 0, 0, 0, 0]));
}

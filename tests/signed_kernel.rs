//! Signed loaders on a kernel that verifies signatures: the signatures of `skelgen::sign`
//! and the loader of `compile_signed`, loaded the way a runtime will load them (the rule of
//! `docs/signing.md`: the signature over instructions and metadata first, the one over the
//! instructions alone when the kernel rejects that one). Run on the host and, through
//! `tests/vm/parts/signing`, in Debian's 7.2 and 7.3 kernels.
//!
//! - A kernel built without CONFIG_SYSTEM_DATA_VERIFICATION (the development host) refuses
//!   every signed load with EOPNOTSUPP, and the unsigned loader still loads.
//! - Otherwise every example loads signed, with the scheme its release takes (7.3 and later:
//!   instructions and metadata; before: instructions only); a flipped byte of the blob, of
//!   the instructions or of the signature, or a keyring without the certificate, is refused
//!   and leaves no fd and no program.
//!
//! Needs root, and openssl to make the test key.

mod support;

use skelgen::loader::signed::EKEYREJECTED;
use skelgen::loader::{compile, compile_signed, Blob};
use skelgen::sign::{LoaderSignatures, Scheme, Signer};
use std::path::PathBuf;
use support::loader::*;
use support::root;
use support::signed::{add_cert, load_signed, loader_map, test_run, Setup};

const EOPNOTSUPP: i32 = 95;
const KEY_SPEC_SESSION_KEYRING: i32 = -3;
const BUILTIN_KEYRING: i32 = 0;

/// A fresh RSA key and self-signed certificate, and the certificate as DER for the
/// keyring, made in a temporary directory (the repository is read-only in the VM).
fn test_signer() -> (Signer, Vec<u8>) {
    let dir: PathBuf = std::env::temp_dir().join(format!("skelgen-signed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let signer = support::signed::test_signer(&dir, &["rsa:2048"]);
    let der = std::fs::read(dir.join("cert.der")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (signer, der)
}

/// The scheme a kernel release takes (`7.3.4+deb13-amd64`: with metadata).
fn scheme_of_release() -> Scheme {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut nums = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let (major, minor) = (nums.next().unwrap_or(0), nums.next().unwrap_or(0));
    if (major, minor) >= (7, 3) {
        Scheme::WithMetadata
    } else {
        Scheme::InsnsOnly
    }
}

/// A loaded loader and the scheme that took it, or the errno of each attempt.
type Loaded = Result<(i32, Scheme), Vec<(Scheme, i32)>>;

/// The runtime's rule: instructions and metadata first (`fd_array_cnt` 1), then
/// instructions alone when that signature is rejected.
fn load_either(insns: &[u8], map_fd: i32, sigs: &LoaderSignatures, keyring: i32) -> Loaded {
    let mut errors = Vec::new();
    for scheme in Scheme::ALL {
        let cnt = u32::from(scheme == Scheme::WithMetadata);
        match load_signed(insns, map_fd, sigs.for_scheme(scheme), cnt, keyring) {
            Ok(fd) => return Ok((fd, scheme)),
            Err(e) => errors.push((scheme, e)),
        }
        if !matches!(errors.last(), Some((_, e)) if *e == EKEYREJECTED || *e == libc::EBADMSG) {
            break;
        }
    }
    Err(errors)
}

struct Fixture {
    signer: Signer,
}

impl Fixture {
    /// The signer, its certificate in the session keyring; None (said why) when this
    /// kernel cannot verify signatures or the test cannot run.
    fn new() -> Option<Fixture> {
        if !root() {
            return None;
        }
        let (signer, der) = test_signer();
        add_cert(&der, KEY_SPEC_SESSION_KEYRING).expect("add_key of the test certificate");
        Some(Fixture { signer })
    }
}

/// Loads `blob` signed; returns the loader map's fd, and the loader's fd and scheme or
/// every attempt's errno.
fn load(blob: &Blob, sigs: &LoaderSignatures, keyring: i32) -> (i32, Loaded) {
    let map_fd = loader_map(blob, Setup::RUNTIME).expect("the loader map");
    (map_fd, load_either(&blob.insns, map_fd, sigs, keyring))
}

/// Whether the unsigned loader of `spec` fails at the same step with the same errno (a
/// program this kernel refuses, which says nothing about signing).
fn fails_unsigned_alike(spec: &skelgen::ObjectSpec, failed: (u32, i32)) -> bool {
    let unsigned = compile(spec).unwrap();
    let mut c = default_ctx(spec, &unsigned);
    run_loader(&unsigned, &mut c) != 0 && step_of(&c) == failed
}

/// On a kernel that cannot verify signatures: the unsigned loader of `spec` still loads.
fn unsigned_loads(name: &str, spec: &skelgen::ObjectSpec) {
    eprintln!(
        "{name}: EOPNOTSUPP: this kernel cannot verify signatures: built without \
         CONFIG_SYSTEM_DATA_VERIFICATION; unsigned it loads"
    );
    let unsigned = compile(spec).unwrap();
    let mut c = default_ctx(spec, &unsigned);
    assert_eq!(run_loader(&unsigned, &mut c), 0, "{name}: unsigned");
    check_and_close(spec, &unsigned, &c);
}

#[test]
fn every_example_loads_signed_or_the_kernel_says_it_cannot_verify() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(f) = Fixture::new() else { return };
    for name in LOADABLE {
        let spec = spec(name);
        let blob = compile_signed(&spec).unwrap();
        let sigs = f.signer.sign_loader(&blob.insns, &blob.data).unwrap();
        let before = open_fds();
        let (map_fd, loaded) = load(&blob, &sigs, KEY_SPEC_SESSION_KEYRING);
        let (prog_fd, scheme) = match loaded {
            Err(errors) if errors == [(Scheme::WithMetadata, EOPNOTSUPP)] => {
                close(map_fd);
                unsigned_loads(name, &spec);
                assert_eq!(open_fds(), before, "{name}: fds leaked");
                continue;
            }
            Err(errors) => panic!("{name}: signed load refused: {errors:?}"),
            Ok(ok) => ok,
        };
        assert_eq!(
            scheme,
            scheme_of_release(),
            "{name}: the scheme that loaded"
        );
        let mut c = default_ctx(&spec, &blob);
        let ret = test_run(prog_fd, &mut c);
        close(prog_fd);
        close(map_fd);
        if ret != Ok(0) && fails_unsigned_alike(&spec, step_of(&c)) {
            eprintln!(
                "{name}: loaded signed ({scheme:?}); the run fails at step/error {:?} \
                 unsigned too: not a matter of signing",
                step_of(&c)
            );
            assert_eq!(open_fds(), before, "{name}: fds leaked");
            continue;
        }
        assert_eq!(ret, Ok(0), "{name}: step/error {:?}", step_of(&c));
        let loaded = check_and_close(&spec, &blob, &c);
        assert_eq!(open_fds(), before, "{name}: fds leaked");
        eprintln!("{name}: loaded signed ({scheme:?}), {loaded} programs");
    }
}

/// One tampered load: `insns` and `sigs` loaded on a map prepared as `setup`, run with
/// `ctx_buf` if the kernel takes it. Returns what happened: refused at load (each attempt's
/// errno), or loaded and refused at step 0 by the loader's own check.
struct Tamper<'a> {
    blob: &'a Blob,
    ctx_buf: &'a [u8],
}

impl Tamper<'_> {
    fn outcome(&self, insns: &[u8], sigs: &LoaderSignatures, setup: Setup, keyring: i32) -> String {
        let before = open_fds();
        let progs = kernel_prog_names();
        let map_fd = loader_map(self.blob, setup).expect("the loader map");
        let outcome = match load_either(insns, map_fd, sigs, keyring) {
            Err(errors) => format!("refused at load: {errors:?}"),
            Ok((prog_fd, scheme)) => {
                let mut c = self.ctx_buf.to_vec();
                let ret = test_run(prog_fd, &mut c);
                close(prog_fd);
                assert_eq!(ret, Ok(-EKEYREJECTED), "loaded with {scheme:?} and ran");
                assert_eq!(step_of(&c), (0, -EKEYREJECTED), "{scheme:?}");
                format!("loaded ({scheme:?}), refused at step 0 with EKEYREJECTED")
            }
        };
        close(map_fd);
        assert_eq!(open_fds(), before, "fds leaked: {outcome}");
        assert_eq!(kernel_prog_names(), progs, "a program stayed: {outcome}");
        outcome
    }
}

#[test]
fn a_flipped_byte_or_a_keyring_without_the_certificate_is_refused() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    let Some(f) = Fixture::new() else { return };
    let spec = spec("minimal");
    let blob = compile_signed(&spec).unwrap();
    let sigs = f.signer.sign_loader(&blob.insns, &blob.data).unwrap();
    let (map_fd, probe) = load(&blob, &sigs, KEY_SPEC_SESSION_KEYRING);
    close(map_fd);
    match probe {
        Ok((fd, _)) => close(fd),
        Err(errors) => {
            eprintln!("skipped: this kernel loads no signed loader: {errors:?}");
            return;
        }
    }
    let c = default_ctx(&spec, &blob);
    let t = Tamper {
        blob: &blob,
        ctx_buf: &c,
    };
    let (runtime, session) = (Setup::RUNTIME, KEY_SPEC_SESSION_KEYRING);
    let blob_byte = Setup {
        tamper: Some(blob.data.len() / 2),
        ..runtime
    };
    let mut insns = blob.insns.clone();
    // The immediate of the instruction after `r6 = r1`.
    insns[8 + 4] ^= 1;
    let mut bad = sigs.clone();
    for sig in [&mut bad.insns_only, &mut bad.with_metadata] {
        let last = sig.len() - 1;
        sig[last] ^= 1;
    }
    let cases = [
        (
            "blob byte",
            t.outcome(&blob.insns, &sigs, blob_byte, session),
        ),
        (
            "instruction byte",
            t.outcome(&insns, &sigs, runtime, session),
        ),
        (
            "signature byte",
            t.outcome(&blob.insns, &bad, runtime, session),
        ),
        (
            "builtin keyring",
            t.outcome(&blob.insns, &sigs, runtime, BUILTIN_KEYRING),
        ),
    ];
    for (what, outcome) in &cases {
        eprintln!("{what}: {outcome}");
    }
    // Only a changed blob may load, on a kernel that verifies instructions only, and then
    // the loader refuses it.
    for (what, outcome) in &cases[1..] {
        assert!(outcome.starts_with("refused at load"), "{what}: {outcome}");
    }
}

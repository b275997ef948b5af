//! The runtime's steps for a signed loader, without the signature (the host kernel cannot
//! verify one): the loader map created exclusive to the loader, written, frozen and hashed
//! by the kernel, then the loader loaded and run. Each step can be left out or the blob
//! changed, to show what the loader and the kernel refuse.

use super::loader::*;
use skelgen::loader::Blob;

/// How the loader map is prepared.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    /// `excl_prog_hash` = SHA-256 of the loader's instructions.
    pub exclusive: bool,
    /// `BPF_OBJ_GET_INFO_BY_FD` with `info.hash`, which makes the kernel hash the map.
    pub hash: bool,
    /// Flip this byte of the blob before writing it.
    pub tamper: Option<usize>,
}

impl Setup {
    /// What a runtime does.
    pub const RUNTIME: Setup = Setup {
        exclusive: true,
        hash: true,
        tamper: None,
    };
}

/// The kernel's hash of the map `fd` (`bpf_map_info.hash`).
pub fn kernel_map_hash(fd: i32) -> Result<[u8; 32], i32> {
    let mut hash = [0u8; 32];
    let mut info = vec![0u8; 104];
    put64(&mut info, 88, hash.as_mut_ptr() as u64);
    put32(&mut info, 96, 32);
    let mut a = attr_with(&[(0, fd as u32), (4, info.len() as u32)], 16);
    put64(&mut a, 8, info.as_mut_ptr() as u64);
    bpf(BPF_OBJ_GET_INFO_BY_FD, &mut a)?;
    Ok(hash)
}

/// The loader map as `setup` says; its fd.
pub fn loader_map(blob: &Blob, setup: Setup) -> Result<i32, (&'static str, i32)> {
    let excl = skelgen::loader::signed::sha256(&blob.insns);
    let mut a = attr_with(&[(0, 2), (4, 4), (8, blob.data.len() as u32), (12, 1)], 96);
    a[28..40].copy_from_slice(b"__loader.map");
    if setup.exclusive {
        put64(&mut a, 80, excl.as_ptr() as u64);
        put32(&mut a, 88, 32);
    }
    let fd = bpf(BPF_MAP_CREATE, &mut a).map_err(|e| ("MAP_CREATE", e))? as i32;
    let mut data = blob.data.clone();
    if let Some(at) = setup.tamper {
        data[at] ^= 1;
    }
    let key = 0u32.to_le_bytes();
    let mut a = attr_with(&[(0, fd as u32)], 32);
    put64(&mut a, 8, key.as_ptr() as u64);
    put64(&mut a, 16, data.as_ptr() as u64);
    let steps = bpf(BPF_MAP_UPDATE_ELEM, &mut a)
        .map_err(|e| ("MAP_UPDATE_ELEM", e))
        .and_then(|_| {
            let mut a = attr_with(&[(0, fd as u32)], 4);
            bpf(BPF_MAP_FREEZE, &mut a).map_err(|e| ("MAP_FREEZE", e))
        })
        .and_then(|_| match setup.hash {
            true => kernel_map_hash(fd)
                .map(|_| 0)
                .map_err(|e| ("OBJ_GET_INFO_BY_FD", e)),
            false => Ok(0),
        });
    match steps {
        Ok(_) => Ok(fd),
        Err(e) => {
            close(fd);
            Err(e)
        }
    }
}

/// Prepares the map as `setup` says, loads `blob`'s loader and runs it with `ctx_buf`.
/// Returns the loader's return value, or the step and errno of a refused syscall.
pub fn run_signed_loader(
    blob: &Blob,
    ctx_buf: &mut [u8],
    setup: Setup,
) -> Result<i32, (&'static str, i32)> {
    let map_fd = loader_map(blob, setup)?;
    let fd_array = [map_fd];
    let prog_fd = match load_loader(blob, &fd_array, None) {
        Ok(fd) => fd,
        Err(e) => {
            close(map_fd);
            return Err(("PROG_LOAD", e));
        }
    };
    let ran = test_run(prog_fd, ctx_buf);
    close(prog_fd);
    close(map_fd);
    ran.map_err(|e| ("PROG_TEST_RUN", e))
}

/// `BPF_PROG_LOAD` of the loader `insns` with a signature; `fd_array_cnt` 1 makes a 7.3
/// kernel fold the loader map into what it verifies. The fd, or the errno.
pub fn load_signed(
    insns: &[u8],
    map_fd: i32,
    signature: &[u8],
    fd_array_cnt: u32,
    keyring_id: i32,
) -> Result<i32, i32> {
    let license = c"Dual BSD/GPL";
    let fd_array = [map_fd];
    let mut a = attr_with(
        &[
            (0, 31), // BPF_PROG_TYPE_SYSCALL
            (4, (insns.len() / 8) as u32),
            (44, skelgen::loader::compile::LOADER_PROG_FLAGS),
            (148, fd_array_cnt),
            (160, signature.len() as u32),
            (164, keyring_id as u32),
        ],
        168,
    );
    put64(&mut a, 8, insns.as_ptr() as u64);
    put64(&mut a, 16, license.as_ptr() as u64);
    a[48..61].copy_from_slice(b"__loader.prog");
    put64(&mut a, 120, fd_array.as_ptr() as u64);
    put64(&mut a, 152, signature.as_ptr() as u64);
    bpf(BPF_PROG_LOAD, &mut a).map(|fd| fd as i32)
}

/// `BPF_PROG_TEST_RUN` of the loader `prog_fd` with `ctx_buf`: its return value.
pub fn test_run(prog_fd: i32, ctx_buf: &mut [u8]) -> Result<i32, i32> {
    let mut a = attr_with(&[(0, prog_fd as u32), (40, ctx_buf.len() as u32)], 80);
    put64(&mut a, 48, ctx_buf.as_mut_ptr() as u64);
    bpf(BPF_PROG_TEST_RUN, &mut a)?;
    Ok(get32(&a, 4) as i32)
}

/// `add_key(2)` of the DER certificate `der` as an "asymmetric" key into `keyring` (-3: the
/// session keyring): the key's serial, or the errno.
pub fn add_cert(der: &[u8], keyring: i32) -> Result<i32, i32> {
    // SAFETY: every pointer is a live NUL-terminated string or the payload of its length.
    let r = unsafe {
        libc::syscall(
            libc::SYS_add_key,
            c"asymmetric".as_ptr(),
            c"skelgen test signer".as_ptr(),
            der.as_ptr(),
            der.len(),
            keyring as libc::c_long,
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(r as i32)
    }
}

/// Makes `key.pem`, a self-signed `cert.pem` and its `cert.der` in `dir` with openssl, the
/// key by `newkey` (`rsa:2048`, `ec -pkeyopt ec_paramgen_curve:P-256`); returns the signer.
pub fn test_signer(dir: &std::path::Path, newkey: &[&str]) -> skelgen::sign::Signer {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl (makes the test key) is installed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "openssl {args:?}: {err}");
    };
    let mut req = vec![
        "req",
        "-x509",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=skelgen test",
    ];
    req.extend(["-keyout", "key.pem", "-out", "cert.pem", "-newkey"]);
    req.extend(newkey);
    run(&req);
    run(&[
        "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der",
    ]);
    skelgen::sign::Signer::from_files(&dir.join("key.pem"), &dir.join("cert.pem")).unwrap()
}

/// Whether the running kernel verifies BPF signatures: its configuration has
/// CONFIG_SYSTEM_DATA_VERIFICATION (without it, signed loads fail with EOPNOTSUPP).
pub fn kernel_verifies_signatures() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    std::fs::read_to_string(format!("/boot/config-{}", release.trim()))
        .is_ok_and(|c| c.contains("CONFIG_SYSTEM_DATA_VERIFICATION=y"))
}

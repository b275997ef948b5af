//! tcpca: the Rust skeleton of examples/bpf/tcpca.bpf.o, a TCP congestion control registered
//! through struct_ops, end to end; the scenarios of examples/c/tcpca.c. An attach that must
//! fail (a program of the structure was not loaded), with no fd left; open, load (the
//! kernel's layout of struct tcp_congestion_ops comes from its BTF), attach (each
//! structure's name joins the available congestion controls), a loopback TCP connection per
//! name that moves data and calls the programs, the link of the .struct_ops.link map,
//! detach (the names go), a second attach, drop. Run again in a private mount namespace, a
//! load without the kernel's BTF, or with a truncated or corrupt one, fails saying so.
//!
//! With `SKELGEN_TCPCA_PLAIN=1` (Linux before 6.4, the VM part `tests/vm/parts/rust`) the
//! .struct_ops.link map is left out (its autocreate off) and only the .struct_ops map runs.

use skelgen_rust_examples::support::{isolated, open_fds, root, run_isolated, serial};
use skelgen_rust_examples::tcpca::{OpenTcpca, Tcpca};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

const CHUNK: usize = 16384;
const CHUNKS: usize = 64;
const BPF_OBJ_GET_INFO_BY_FD: libc::c_long = 15;
const BPF_LINK_TYPE_STRUCT_OPS: u32 = 9;
const BTF_VMLINUX: &str = "/sys/kernel/btf/vmlinux";

/// Only the .struct_ops map: for kernels without .struct_ops.link maps (before 6.4).
fn plain() -> bool {
    std::env::var_os("SKELGEN_TCPCA_PLAIN").is_some()
}

/// Opens the skeleton, the .struct_ops.link map left out in plain mode.
fn open() -> OpenTcpca {
    let mut open = OpenTcpca::open().unwrap();
    if plain() {
        open.struct_ops.tcpca_link.autocreate = false;
    }
    open
}

/// Whether `name` is among the congestion controls the kernel offers.
fn available(name: &str) -> bool {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_congestion_control")
        .unwrap()
        .split_whitespace()
        .any(|w| w == name)
}

/// The first 20 words of the bpf_map_info or bpf_link_info of `fd`.
fn obj_info(fd: BorrowedFd<'_>) -> [u32; 20] {
    #[repr(C)]
    struct InfoAttr {
        fd: u32,
        len: u32,
        info: u64,
    }
    let mut info = [0u32; 20];
    let mut attr = InfoAttr {
        fd: fd.as_raw_fd() as u32,
        len: 80,
        info: info.as_mut_ptr() as u64,
    };
    // SAFETY: the attr is complete and `info` has the 80 bytes it announces.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_OBJ_GET_INFO_BY_FD,
            &mut attr as *mut InfoAttr,
            std::mem::size_of::<InfoAttr>(),
        )
    };
    assert_eq!(
        r,
        0,
        "BPF_OBJ_GET_INFO_BY_FD: {}",
        std::io::Error::last_os_error()
    );
    info
}

/// A TCP socket whose congestion control is `name`, before it connects: the errno of a
/// refused setsockopt.
fn socket_with(name: &str) -> Result<OwnedFd, i32> {
    // SAFETY: socket(2) takes no pointers.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: a new fd that nothing else owns.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: the name's bytes, with their length.
    let r = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            name.as_ptr().cast(),
            name.len() as libc::socklen_t,
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap());
    }
    Ok(sock)
}

/// The congestion control of a connected socket.
fn congestion_control(sock: &TcpStream) -> String {
    let mut name = [0u8; 16];
    let mut len = name.len() as libc::socklen_t;
    // SAFETY: a buffer of `len` bytes, and its length.
    let r = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            name.as_mut_ptr().cast(),
            &mut len,
        )
    };
    assert_eq!(r, 0, "getsockopt: {}", std::io::Error::last_os_error());
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    String::from_utf8_lossy(&name[..end]).into_owned()
}

/// Moves `CHUNK * CHUNKS` bytes over a loopback connection whose client uses congestion
/// control `name`: the bytes received, or the errno of a refused setsockopt.
fn transfer(name: &str) -> Result<usize, i32> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let sock = socket_with(name)?;
    let std::net::SocketAddr::V4(at) = listener.local_addr().unwrap() else {
        unreachable!("bound to an IPv4 address");
    };
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: at.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*at.ip()).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: a complete sockaddr_in, with its size.
    let r = unsafe {
        libc::connect(
            sock.as_raw_fd(),
            (&addr as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "connect: {}", std::io::Error::last_os_error());
    let mut client = TcpStream::from(sock);
    let (mut server, _) = listener.accept().unwrap();
    assert_eq!(congestion_control(&client), name);
    let mut got = 0;
    let mut buf = vec![0u8; CHUNK];
    for i in 0..CHUNKS {
        let out = vec![i as u8; CHUNK];
        client.write_all(&out).unwrap();
        server.read_exact(&mut buf).unwrap();
        assert!(buf == out, "chunk {i} arrived changed");
        got += CHUNK;
    }
    Ok(got)
}

/// A connection through `name` moves every byte and calls the structure's init.
fn use_cc(skel: &Tcpca, name: &str) {
    let inits = skel.bss().init_calls;
    assert_eq!(transfer(name), Ok(CHUNK * CHUNKS), "{name}");
    assert!(skel.bss().init_calls > inits, "{name}: init was not called");
    println!(
        "transfer {name} {} bytes, init_calls {}",
        CHUNK * CHUNKS,
        skel.bss().init_calls
    );
}

#[test]
fn attaching_a_structure_whose_program_was_not_loaded_fails_by_name() {
    if !root() {
        return;
    }
    let _serial = serial();
    let before = open_fds();
    let mut open = open();
    open.progs.tcpca_init.autoload = false; // tcpca.init names it
    let mut skel = open.load().unwrap();
    assert!(!skel.progs.tcpca_init.is_loaded());
    let err = skel.attach_tcpca().unwrap_err();
    assert_eq!(err.errno(), libc::ENOENT, "{err}");
    assert_eq!(
        err.what(),
        "struct_ops map tcpca: program tcpca_init of member init was not loaded (its autoload \
         was off)"
    );
    assert!(err.plan_step().is_none());
    assert_eq!(skel.attach().unwrap_err().what(), err.what());
    assert!(!skel.struct_ops.tcpca.is_attached() && !skel.struct_ops.tcpca_link.is_attached());
    assert!(!available("skg_tcpca") && !available("skg_tcpca_link"));
    drop(skel);
    assert_eq!(open_fds(), before, "a failed attach left fds open");
}

#[test]
fn maps_left_out_are_none_and_only_their_programs_stay_unloaded() {
    if !root() {
        return;
    }
    let _serial = serial();
    let before = open_fds();
    let mut open = OpenTcpca::open().unwrap();
    open.struct_ops.tcpca_link.autocreate = false;
    let mut skel = open.load().unwrap();
    assert!(skel.maps.tcpca_link.is_none() && skel.struct_ops.tcpca_link.value().is_none());
    assert!(skel.progs.tcpca_init.is_loaded(), "tcpca still names it");
    let err = skel.attach_tcpca_link().unwrap_err();
    assert_eq!(err.errno(), libc::ENOENT, "{err}");
    assert_eq!(
        err.what(),
        "struct_ops map tcpca_link was not created (its autocreate was off)"
    );
    drop(skel);

    // With both left out no program is named by a created map: none loads, and the load
    // needs no kernel BTF.
    let mut open = OpenTcpca::open().unwrap();
    open.struct_ops.tcpca.autocreate = false;
    open.struct_ops.tcpca_link.autocreate = false;
    let mut skel = open.load().unwrap();
    assert!(skel.maps.tcpca.is_none() && skel.maps.tcpca_link.is_none());
    let loaded = [
        &skel.progs.tcpca_init,
        &skel.progs.tcpca_ssthresh,
        &skel.progs.tcpca_cong_avoid,
        &skel.progs.tcpca_undo_cwnd,
    ];
    assert!(loaded.iter().all(|p| !p.is_loaded()));
    skel.attach().unwrap();
    assert!(!skel.struct_ops.tcpca.is_attached());
    drop(skel);
    assert_eq!(open_fds(), before, "the skeletons left fds open");
}

/// The .struct_ops.link map's link is a struct_ops link to that map.
fn check_link(skel: &Tcpca) {
    let link = skel
        .struct_ops
        .tcpca_link
        .link()
        .expect("tcpca_link's link");
    let link = obj_info(link.fd());
    let map = obj_info(skel.maps.tcpca_link.as_ref().unwrap().fd());
    assert_eq!(link[0], BPF_LINK_TYPE_STRUCT_OPS, "link type");
    assert_eq!(link[4], map[1], "the link's map id");
}

#[test]
fn both_structures_register_carry_tcp_and_unregister() {
    if !root() {
        return;
    }
    let _serial = serial();
    let before = open_fds();
    let mut skel = open().load().unwrap();
    // The value size is the kernel's bpf_struct_ops_tcp_congestion_ops, not the object's.
    let tcpca = skel.maps.tcpca.as_ref().unwrap();
    let info = obj_info(tcpca.fd());
    assert_eq!(info[3], tcpca.value_size());
    assert!(info[3] > 48, "value size {}", info[3]);
    let value = skel.struct_ops.tcpca.value().unwrap();
    assert_eq!(value.len(), info[3] as usize);
    assert_eq!(skel.maps.tcpca_link.is_some(), !plain());
    // Where this kernel puts the members, which differs between kernels.
    let so = &skel.struct_ops.tcpca;
    let at = |m: &str| so.offset(m).unwrap_or_else(|| panic!("no offset for {m}"));
    println!(
        "kernel_layout value_size {} name {} undo_cwnd {} init {} cong_avoid {} ssthresh {}",
        value.len(),
        at("name"),
        at("undo_cwnd"),
        at("init"),
        at("cong_avoid"),
        at("ssthresh")
    );
    assert_eq!(&value[at("name")..at("name") + 10], b"skg_tcpca\0");

    skel.attach().unwrap();
    assert!(available("skg_tcpca"));
    use_cc(&skel, "skg_tcpca");
    if !plain() {
        assert!(available("skg_tcpca_link"));
        use_cc(&skel, "skg_tcpca_link");
        check_link(&skel);
    }
    let bss = skel.bss();
    println!(
        "calls init {} ssthresh {} cong_avoid {} undo_cwnd {}",
        bss.init_calls, bss.ssthresh_calls, bss.cong_avoid_calls, bss.undo_calls
    );
    assert!(
        bss.cong_avoid_calls > 0,
        "the acks of the transfers call cong_avoid"
    );
    // A second attach() has nothing left to do; attaching one registered again is refused.
    skel.attach().unwrap();
    assert_eq!(skel.attach_tcpca().unwrap_err().errno(), libc::EBUSY);

    skel.detach();
    assert!(!available("skg_tcpca") && !available("skg_tcpca_link"));
    assert_eq!(
        transfer("skg_tcpca"),
        Err(libc::ENOENT),
        "gone after detach"
    );
    // The kernel registers a .struct_ops map once; a .struct_ops.link map again and again.
    let err = skel.attach_tcpca().unwrap_err();
    assert_eq!(err.errno(), libc::EBUSY, "{err}");
    assert_eq!(
        err.what(),
        "struct_ops map tcpca was registered once: a .struct_ops map cannot be registered \
         again after a detach (a .struct_ops.link map can)"
    );
    if !plain() {
        skel.attach_tcpca_link().unwrap();
        assert!(available("skg_tcpca_link"));
        use_cc(&skel, "skg_tcpca_link");
        skel.detach_tcpca_link();
        assert!(!available("skg_tcpca_link"));
        skel.attach_tcpca_link().unwrap();
        assert!(available("skg_tcpca_link"));
    }
    drop(skel);
    assert!(!available("skg_tcpca_link"), "registered after the drop");
    assert_eq!(open_fds(), before, "the skeleton left fds open");
}

#[test]
fn dropping_the_skeleton_unregisters_both_structures() {
    if !root() {
        return;
    }
    let _serial = serial();
    let before = open_fds();
    let mut skel = open().load().unwrap();
    skel.attach().unwrap();
    assert!(available("skg_tcpca"));
    drop(skel);
    assert!(!available("skg_tcpca") && !available("skg_tcpca_link"));
    assert_eq!(open_fds(), before, "the skeleton left fds open");
}

/// In a mount namespace where `BTF_VMLINUX` is what the setup made it: the load fails with
/// `errno` and a message starting with `what`, with no fd left.
fn load_fails(errno: i32, what: &str) {
    let before = open_fds();
    let err = open().load().unwrap_err();
    println!("{err}");
    assert_eq!(err.errno(), errno, "{err}");
    assert!(err.what().starts_with(what), "{err}");
    assert!(err.plan_step().is_none(), "{err:?}");
    assert_eq!(open_fds(), before, "a failed load left fds open");
}

#[test]
#[ignore = "run by without_kernel_btf_the_load_fails_saying_so, in a mount namespace"]
fn without_kernel_btf_inner() {
    assert!(isolated(), "run in a mount namespace only");
    load_fails(
        libc::ENOENT,
        "struct_ops needs the kernel's BTF (CONFIG_DEBUG_INFO_BTF): /sys/kernel/btf/vmlinux",
    );
}

/// Without the kernel's BTF (hidden by an empty tmpfs over /sys/kernel/btf in a private
/// mount namespace), the load fails saying struct_ops needs it.
#[test]
fn without_kernel_btf_the_load_fails_saying_so() {
    if !root() {
        return;
    }
    let setup = "mount -t tmpfs none /sys/kernel/btf";
    let _serial = serial();
    if let Some((ok, out)) = run_isolated("without_kernel_btf_inner", setup) {
        assert!(ok, "{out}");
    }
}

/// Bind-mounts `data` over the kernel's BTF in this (private) mount namespace, in place of
/// what a previous call mounted there.
fn serve_btf(data: &[u8]) {
    let path = std::env::temp_dir().join(format!("skelgen-btf-{}", std::process::id()));
    std::fs::write(&path, data).unwrap();
    let _ = Command::new("umount")
        .arg(BTF_VMLINUX)
        .stderr(Stdio::null())
        .status();
    let status = Command::new("mount")
        .arg("--bind")
        .arg(&path)
        .arg(BTF_VMLINUX)
        .status()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(status.success(), "mount --bind over {BTF_VMLINUX}");
}

/// A word of a BTF header (`i`: 1 hdr_len, 2 type_off, 3 type_len, 4 str_off, 5 str_len).
fn header(btf: &[u8], i: usize) -> usize {
    u32::from_ne_bytes(btf[4 * i..4 * i + 4].try_into().unwrap()) as usize
}

fn set_word(btf: &mut [u8], at: usize, v: u32) {
    btf[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

#[test]
#[ignore = "run by a_truncated_or_corrupt_kernel_btf_is_refused, in a mount namespace"]
fn corrupt_btf_inner() {
    assert!(isolated(), "run in a mount namespace only");
    let btf = std::fs::read(BTF_VMLINUX).unwrap();
    let (hdr_len, type_off, type_len) = (header(&btf, 1), header(&btf, 2), header(&btf, 3));
    let types = hdr_len + type_off;
    let malformed =
        "the kernel's BTF, which struct_ops needs: /sys/kernel/btf/vmlinux is malformed";
    let mut cases: Vec<(String, Vec<u8>)> = [0, 3, 23, 24, 100, btf.len() / 2, btf.len() - 1]
        .into_iter()
        .map(|n| (format!("truncated to {n} bytes"), btf[..n].to_vec()))
        .collect();
    let mut bad = |what: &str, at: usize, v: u32| {
        let mut data = btf.clone();
        set_word(&mut data, at, v);
        cases.push((what.to_string(), data));
    };
    bad("bad magic", 0, 0x1234);
    bad("header past the end", 4, u32::MAX);
    bad("types past the end", 12, u32::MAX);
    bad("type offset wrapping", 8, u32::MAX - 8);
    bad("no strings", 20, 0);
    bad("strings not ending in NUL", 20, header(&btf, 5) as u32 - 1);
    bad("the last type cut short", 12, type_len as u32 - 1);
    // The first type's kind (in its info word) made unknown.
    let info = u32::from_ne_bytes(btf[types + 4..types + 8].try_into().unwrap());
    bad("an unknown kind", types + 4, info | (0x1f << 24));
    for (what, data) in cases {
        println!("{what}");
        serve_btf(&data);
        load_fails(libc::EINVAL, malformed);
    }
    // 1 to 256 words of the type records overwritten at random: whatever the reader makes
    // of them, the load succeeds or fails cleanly.
    let mut seed: u64 = 0x5eed_b7f0;
    for case in 0..18 {
        let mut data = btf.clone();
        for _ in 0..1 << (case % 9) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = types + (seed as usize % (type_len / 4)) * 4;
            set_word(&mut data, at, (seed >> 32) as u32);
        }
        serve_btf(&data);
        let before = open_fds();
        match open().load() {
            Ok(skel) => drop(skel),
            Err(err) => println!("random words: {err}"),
        }
        assert_eq!(open_fds(), before, "a load left fds open");
    }
}

/// A truncated or corrupt kernel BTF (bind-mounted over /sys/kernel/btf/vmlinux in a private
/// mount namespace) fails the load saying it is malformed, without a panic or a leaked fd.
#[test]
fn a_truncated_or_corrupt_kernel_btf_is_refused() {
    if !root() {
        return;
    }
    let _serial = serial();
    if let Some((ok, out)) = run_isolated("corrupt_btf_inner", "") {
        assert!(ok, "{out}");
    }
}

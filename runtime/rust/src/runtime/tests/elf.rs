//! The ELF symbol reader and the binary search of uprobes by name: the handmade file of the
//! C runtime's tests in both byte orders (every case, every truncation, every corrupted
//! byte), this test's own executable and the C library, whose offsets are checked against
//! where `/proc/self/maps` says the running code came from.

use super::super::*;

static FIXTURES: [&[u8]; 2] = [
    include_bytes!("data/elf-fixture-le"),
    include_bytes!("data/elf-fixture-be"),
];
const TEXT_OFF: u64 = 0x100;

fn lookup(data: &[u8], name: &str) -> Result<u64, ElfError> {
    Elf::parse(data)?.func_offset(name)
}

#[test]
fn fixture_cases() {
    for data in FIXTURES {
        assert_eq!(lookup(data, "main"), Ok(TEXT_OFF + 0x10));
        assert_eq!(lookup(data, "helper"), Ok(TEXT_OFF + 0x20));
        assert_eq!(lookup(data, "malloc"), Ok(TEXT_OFF + 0x30));
        assert_eq!(lookup(data, "malloc@@GLIBC_2.2.5"), Ok(TEXT_OFF + 0x30));
        assert_eq!(lookup(data, "mall").unwrap_err().errno, libc::ENOENT);
        assert_eq!(lookup(data, "dup"), Ok(TEXT_OFF + 0x50));
        let twice = lookup(data, "twice").unwrap_err();
        assert_eq!(twice.errno, libc::ENOTUNIQ);
        assert!(twice.why.contains("0x401160"), "{}", twice.why);
        assert_eq!(lookup(data, "data_obj").unwrap_err().errno, libc::ENOENT);
        assert_eq!(lookup(data, "undef").unwrap_err().errno, libc::ENOENT);
        assert_eq!(lookup(data, "ifunc"), Ok(TEXT_OFF + 0x80));
        let outside = lookup(data, "outside").unwrap_err();
        assert!(outside.why.contains("0x409000"), "{}", outside.why);
        assert_eq!(lookup(data, "dyn_only"), Ok(TEXT_OFF + 0x90));
        assert_eq!(lookup(data, "").unwrap_err().errno, libc::ENOENT);
    }
}

#[test]
fn damaged_files_are_errors() {
    for data in FIXTURES {
        for n in 0..data.len() {
            match lookup(&data[..n], "main") {
                Ok(off) => assert_eq!(off, TEXT_OFF + 0x10, "prefix {n}"),
                Err(e) => assert!(!e.why.is_empty(), "prefix {n}"),
            }
        }
        for i in 0..data.len() {
            let mut bad = data.to_vec();
            bad[i] ^= 0xff;
            if let Err(e) = lookup(&bad, "main") {
                assert!(!e.why.is_empty(), "byte {i}");
            }
        }
        let short = lookup(&data[..63], "main").unwrap_err();
        assert_eq!(
            (short.errno, short.why.as_str()),
            (libc::ENOEXEC, "not an ELF file (at offset 0x0)")
        );
    }
    let mut bad = FIXTURES[0].to_vec();
    bad[0x500 + 64 + 32..0x500 + 64 + 40].copy_from_slice(&0x10000u64.to_le_bytes());
    let e = lookup(&bad, "main").unwrap_err();
    assert!(e.why.starts_with("symbol table past the end"), "{}", e.why);
}

/// A function of this program, kept out of line so it has a symbol and an address.
#[no_mangle]
#[inline(never)]
pub extern "C" fn skelgen_rt_test_target(x: i32) -> i32 {
    x * 3 + 1
}

/// Where the running code at `addr` comes from: its file and offset, from /proc/self/maps.
fn mapped_from(addr: usize) -> Option<(String, u64)> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines().find_map(|line| {
        let mut f = line.split_whitespace();
        let (start, end) = f.next()?.split_once('-')?;
        let (start, end) = (
            usize::from_str_radix(start, 16).ok()?,
            usize::from_str_radix(end, 16).ok()?,
        );
        let off = u64::from_str_radix(f.nth(1)?, 16).ok()?;
        let path = f.nth(2).unwrap_or("").to_string();
        (start..end)
            .contains(&addr)
            .then(|| (path, (addr - start) as u64 + off))
    })
}

fn offset_in(path: &std::path::Path, func: &str) -> Result<u64, Error> {
    let opts = UprobeOpts {
        binary: path,
        func,
        offset: 0,
        pid: None,
        retprobe: false,
    };
    uprobe_offset(path, &opts)
}

#[test]
fn real_files() {
    let target: extern "C" fn(i32) -> i32 = std::hint::black_box(skelgen_rt_test_target);
    assert_eq!(target(1), 4);
    let (_, want) = mapped_from(target as usize).unwrap();
    let exe = std::path::Path::new("/proc/self/exe");
    assert_eq!(offset_in(exe, "skelgen_rt_test_target").unwrap(), want);

    // libc's own getpid, as the dynamic linker bound it.
    // SAFETY: both names are NUL-terminated; RTLD_NOLOAD only looks at what is loaded.
    let addr = unsafe {
        let libc = libc::dlopen(c"libc.so.6".as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD);
        assert!(!libc.is_null());
        let f = libc::dlsym(libc, c"getpid".as_ptr());
        libc::dlclose(libc);
        f as usize
    };
    let (path, want) = mapped_from(addr).unwrap();
    assert!(path.contains("libc"), "{path}");
    let found = find_binary(std::path::Path::new("libc.so.6")).unwrap();
    assert_eq!(
        offset_in(&found, "getpid").unwrap(),
        want,
        "{}",
        found.display()
    );

    let e = offset_in(exe, "no_such_function_here").unwrap_err();
    assert_eq!(e.errno(), libc::ENOENT);
    assert!(
        e.what().contains("no_such_function_here") && e.what().contains("/proc/self/exe")
    );
    let e = offset_in(std::path::Path::new("/nonexistent/binary"), "main").unwrap_err();
    assert_eq!(e.errno(), libc::ENOENT);
}

#[test]
fn binaries_are_found() {
    assert!(is_library("libc.so.6") && is_library("libfoo.so") && !is_library("sh"));
    let p = |s: &str| find_binary(std::path::Path::new(s));
    assert_eq!(
        p("/proc/self/exe").unwrap(),
        std::path::Path::new("/proc/self/exe")
    );
    assert!(p("sh").unwrap().ends_with("sh"));
    assert_eq!(p("libskelgen_nothing.so.9"), None);
    assert_eq!(p("skelgen-no-such-program"), None);
    let lib = p("libc.so.6").unwrap();
    assert!(
        lib.starts_with("/lib") || lib.starts_with("/usr/lib"),
        "{}",
        lib.display()
    );
}

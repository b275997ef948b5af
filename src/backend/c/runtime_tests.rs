//! The runtime headers against the files of `runtime/c/`, the loader ABI and `src/uapi.rs`.

use super::{Part, ALL, RUNTIME};
use crate::btf::BtfKind;
use crate::loader::{ctx, plan::LOADER_ABI_VERSION};
use crate::uapi::{self, AttachType, Cmd, MapType, ProgType};
use heck::ToShoutySnakeCase;
use std::path::Path;

fn parts() -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    for part in ALL.iter().flat_map(|l| l.iter()) {
        if !out.contains(part) {
            out.push(*part);
        }
    }
    out
}

/// Every header in runtime/c/ is in a feature list, and every listed one is there.
#[test]
fn feature_lists_cover_the_runtime_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/c");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".h"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = parts().iter().map(|p| p.file.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "runtime/c/*.h and the lists in runtime.rs");
    for part in parts() {
        let on_disk = std::fs::read_to_string(dir.join(part.file)).unwrap();
        assert_eq!(on_disk, part.text, "{} is spliced as written", part.file);
    }
}

/// Each header is guarded by a macro carrying the loader ABI it follows, and says so.
#[test]
fn guards_carry_the_loader_abi() {
    let suffix = format!("_ABI{LOADER_ABI_VERSION}");
    for part in parts() {
        let first = part
            .text
            .lines()
            .find(|l| l.starts_with("#ifndef "))
            .unwrap();
        let guard = first.trim_start_matches("#ifndef ");
        assert!(guard.starts_with("SKELGEN_"), "{}: {guard}", part.file);
        assert!(
            guard.ends_with(&suffix),
            "{}: {guard} is not {suffix}",
            part.file
        );
        assert!(
            part.text.contains(&format!("#define {guard}\n")),
            "{}",
            part.file
        );
        assert!(
            part.text
                .trim_end()
                .ends_with(&format!("#endif /* {guard} */")),
            "{}",
            part.file
        );
        for (i, _) in part.text.match_indices("_ABI") {
            let digits: String = part.text[i + 4..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            assert_eq!(digits, LOADER_ABI_VERSION.to_string(), "{}", part.file);
        }
    }
    assert!(RUNTIME
        .text
        .contains(&format!("header of loader ABI {LOADER_ABI_VERSION} ")));
}

/// `#define SKELGEN_X value` lines of every header: (name without SKELGEN_, value).
fn defines() -> Vec<(String, String, &'static str)> {
    let mut out = Vec::new();
    for part in parts() {
        for line in part.text.lines() {
            let Some(rest) = line.strip_prefix("#define SKELGEN_") else {
                continue;
            };
            let Some((name, value)) = rest.split_once(' ') else {
                continue;
            };
            if name.contains('(') {
                continue;
            }
            out.push((name.to_string(), value.trim().to_string(), part.file));
        }
    }
    out
}

/// A define's value when it is a plain number: `16`, `8UL`, `0xeB9F`, `(1U << 31)`.
fn number(value: &str) -> Option<u64> {
    let v = value.trim_start_matches('(').trim_end_matches(')');
    if let Some((a, b)) = v.split_once(" << ") {
        return Some(number(a)? << number(b)?);
    }
    let v = v.trim_end_matches(['U', 'L', 'u', 'l']);
    if let Some(hex) = v.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok();
    }
    match v.strip_prefix('0') {
        Some(octal) if !octal.is_empty() => u64::from_str_radix(octal, 8).ok(),
        _ => v.parse().ok(),
    }
}

/// The UAPI value of a kernel constant name, from src/uapi.rs and the BTF kinds.
fn uapi_value(name: &str) -> Option<u64> {
    let by_name = (0..=255u32).find(|&raw| {
        ProgType::from_raw(raw).map(ProgType::c_name) == Some(name)
            || MapType::from_raw(raw).map(MapType::c_name) == Some(name)
            || AttachType::from_raw(raw).map(AttachType::c_name) == Some(name)
            || Cmd::from_raw(raw).map(Cmd::c_name) == Some(name)
    });
    if let Some(raw) = by_name {
        return Some(raw.into());
    }
    if let Some(kind) = name.strip_prefix("BTF_KIND_") {
        return (1..=255u8)
            .filter_map(BtfKind::from_u8)
            .find(|k| format!("{k:?}").to_shouty_snake_case() == kind)
            .map(|k| k as u64);
    }
    let flags = [
        ("BPF_F_SLEEPABLE", uapi::BPF_F_SLEEPABLE),
        ("BPF_RINGBUF_BUSY_BIT", uapi::BPF_RINGBUF_BUSY_BIT),
        ("BPF_RINGBUF_DISCARD_BIT", uapi::BPF_RINGBUF_DISCARD_BIT),
        ("BPF_RINGBUF_HDR_SZ", uapi::BPF_RINGBUF_HDR_SZ),
        ("BTF_MAGIC", uapi::BTF_MAGIC.into()),
        ("PERF_TYPE_SOFTWARE", uapi::PERF_TYPE_SOFTWARE),
        ("PERF_TYPE_TRACEPOINT", uapi::PERF_TYPE_TRACEPOINT),
        ("PERF_COUNT_SW_BPF_OUTPUT", uapi::PERF_COUNT_SW_BPF_OUTPUT),
        ("PERF_SAMPLE_RAW", uapi::PERF_SAMPLE_RAW),
        ("PERF_FLAG_FD_CLOEXEC", uapi::PERF_FLAG_FD_CLOEXEC),
        ("PERF_RECORD_LOST", uapi::PERF_RECORD_LOST),
        ("PERF_RECORD_SAMPLE", uapi::PERF_RECORD_SAMPLE),
        ("PERF_DATA_HEAD", uapi::PERF_DATA_HEAD),
        ("PERF_DATA_TAIL", uapi::PERF_DATA_TAIL),
    ];
    flags
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| u64::from(*v))
}

/// The runtime's own numbers, which no UAPI header defines, with what fixes each.
fn own_value(name: &str) -> Option<u64> {
    let own = [
        ("LOADER_KERNEL", u64::from(ctx::FLAG_KERNEL)),
        ("BTF_MAX_DEPTH", 32), // libbpf's limit on modifier chains
        ("BTF_PTR_SIZE", 8),   // the loader supports 64-bit kernels only
        ("NO_OFFSET", u64::from(u32::MAX)),
        ("O_CLOEXEC", 0o2000000), // Linux's value, for a libc that hides it
        ("MAP_ANONYMOUS", 0x20),
        // The ELF format's (elf.h), for the symbol reader of uprobes by name.
        ("ELF_EHDR_SIZE", 64),
        ("ELF_SHDR_SIZE", 64),
        ("ELF_PHDR_SIZE", 56),
        ("ELF_SYM_SIZE", 24),
        ("SHT_SYMTAB", 2),
        ("SHT_NOTE", 7),
        ("SHT_NOBITS", 8),
        ("SHT_DYNSYM", 11),
        ("PT_LOAD", 1),
        ("STT_FUNC", 2),
        ("STT_GNU_IFUNC", 10),
        ("STB_LOCAL", 0),
        ("STB_GLOBAL", 1),
        ("STB_WEAK", 2),
    ];
    own.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// Every number the runtime defines is the UAPI's (src/uapi.rs) or one of its own; the
/// rest are expressions of other macros (ioctl numbers, libc's constants) or text.
#[test]
fn runtime_numbers_follow_uapi() {
    let mut checked = 0;
    for (name, value, file) in defines() {
        let Some(n) = number(&value) else {
            let derived = value.starts_with("_IO")
                || value.starts_with('"')
                || value.starts_with("MAP_")
                || value.starts_with("O_")
                || value.starts_with("static_assert")
                || value.starts_with("_Static_assert")
                || value.starts_with("_Bool")
                || value.starts_with("bool")
                || value.starts_with("((size_t)");
            assert!(
                derived,
                "{file}: SKELGEN_{name} {value}: not a number the test knows"
            );
            continue;
        };
        let want = uapi_value(&name)
            .or_else(|| own_value(&name))
            .unwrap_or_else(|| panic!("{file}: SKELGEN_{name} is in neither src/uapi.rs nor the runtime's own numbers"));
        if name == "MAP_ANONYMOUS" && n != want {
            continue; // the mips value, in its own #elif
        }
        assert_eq!(n, want, "{file}: SKELGEN_{name}");
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} numbers checked");
}

#[test]
fn number_parsing() {
    assert_eq!(number("(1U << 31)"), Some(1 << 31));
    assert_eq!(number("8UL"), Some(8));
    assert_eq!(number("0xeB9F"), Some(0xeb9f));
    assert_eq!(number("0xffffffffu"), Some(0xffff_ffff));
    assert_eq!(number("02000000"), Some(0o2000000));
    assert_eq!(number("_IO('$', 0)"), None);
}

/// The feature lists splice each header once, in order, a blank line between.
#[test]
fn splice_once_in_order() {
    use super::{splice, USER_BASE, USER_KCONFIG, USER_STRUCT_OPS};
    let all = splice(&[USER_BASE, USER_KCONFIG, USER_STRUCT_OPS]);
    assert_eq!(all.matches("#ifndef SKELGEN_C_READ_ALL_ABI").count(), 1);
    assert!(all.starts_with(RUNTIME.text));
    assert!(all.contains("#endif /* SKELGEN_C_RUNTIME_ABI2 */\n\n/*"));
    assert!(!all.ends_with("\n\n"));
}

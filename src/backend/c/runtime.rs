//! The C runtime: the headers of `runtime/c/`, real C compiled and tested on their own
//! (`runtime/c/tests`, `runtime/c/fuzz`), spliced verbatim into each skeleton. The
//! userspace and the kernel-module skeletons share `skelgen_runtime.h`, which selects its
//! platform with `#ifdef __KERNEL__`.

/// One header of `runtime/c/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Its file name in `runtime/c/`.
    pub file: &'static str,
    /// Its text, as spliced.
    pub text: &'static str,
}

macro_rules! part {
    ($file:literal) => {
        Part {
            file: $file,
            text: include_str!(concat!("../../../runtime/c/", $file)),
        }
    };
}

/// Shared by both skeletons: the platform layer, the loader context, the loader calls.
pub const RUNTIME: Part = part!("skelgen_runtime.h");
const USER: Part = part!("skelgen_user.h");
const HELPERS: Part = part!("skelgen_helpers.h");
const BUFFERS: Part = part!("skelgen_buffers.h");
const READ_ALL: Part = part!("skelgen_read_all.h");
const INFLATE: Part = part!("skelgen_inflate.h");
const KCONFIG: Part = part!("skelgen_kconfig.h");
const BTF: Part = part!("skelgen_btf.h");
const STRUCT_OPS: Part = part!("skelgen_struct_ops.h");
const SIGNED: Part = part!("skelgen_signed.h");
const ELF: Part = part!("skelgen_elf.h");
const UPROBE: Part = part!("skelgen_uprobe.h");
const KERNEL: Part = part!("skelgen_kernel.h");
const KERNEL_KCONFIG: Part = part!("skelgen_kconfig_kernel.h");

/// The runtime of every userspace skeleton.
pub const USER_BASE: &[Part] = &[RUNTIME, USER, HELPERS, BUFFERS];
/// Added for objects with `.kconfig` externs: reading the configuration, gzip included.
pub const USER_KCONFIG: &[Part] = &[READ_ALL, INFLATE, KCONFIG];
/// Added for objects with struct_ops maps: the kernel-BTF reader and the layout.
pub const USER_STRUCT_OPS: &[Part] = &[READ_ALL, BTF, STRUCT_OPS];
/// Added for objects with uprobes: the ELF symbol reader and attaching by function name.
pub const USER_UPROBE: &[Part] = &[READ_ALL, ELF, UPROBE];
/// Added for signed loaders (docs/signing.md): the exclusive, hashed loader map, the signed
/// load with its scheme fallback, add_key(2).
pub const USER_SIGNED: &[Part] = &[SIGNED];
/// The runtime of every kernel-module skeleton.
pub const KERNEL_BASE: &[Part] = &[RUNTIME, KERNEL];
/// Added to a kernel-module skeleton for objects with `.kconfig` externs.
pub const KERNEL_KCONFIG_PARTS: &[Part] = &[KERNEL_KCONFIG];

/// Every feature list, for the test that ties them to the files of `runtime/c/`.
pub const ALL: &[&[Part]] = &[
    USER_BASE,
    USER_KCONFIG,
    USER_STRUCT_OPS,
    USER_UPROBE,
    USER_SIGNED,
    KERNEL_BASE,
    KERNEL_KCONFIG_PARTS,
];

/// The runtime text of a skeleton: each selected part once, in order, a blank line
/// between parts.
pub fn splice(lists: &[&[Part]]) -> String {
    let mut seen: Vec<&'static str> = Vec::new();
    let mut out = String::with_capacity(
        lists
            .iter()
            .flat_map(|l| l.iter())
            .map(|p| p.text.len() + 1)
            .sum(),
    );
    for part in lists.iter().flat_map(|l| l.iter()) {
        if seen.contains(&part.file) {
            continue;
        }
        if !seen.is_empty() {
            out.push('\n');
        }
        seen.push(part.file);
        out.push_str(part.text);
    }
    out
}

#[cfg(test)]
#[path = "runtime_tests.rs"]
mod tests;

//! C identifiers: every name from the object goes through here before it reaches the header.
//!
//! A header must compile as C11 and as C++, so names that are keywords in either language,
//! or macros of the headers the skeleton includes, get a trailing `_`. Names that cannot be
//! identifiers at all are refused with an error naming their owner.

use crate::backend::BackendError;
use serde::Serialize;

/// Keywords of C (C11 to C23) and C++ (up to C++23), plus GNU spellings.
const KEYWORDS: &[&str] = &[
    // C
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Bool",
    "_Complex",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "_BitInt",
    "_Decimal32",
    "_Decimal64",
    "_Decimal128",
    "constexpr",
    "typeof",
    "typeof_unqual",
    "asm",
    // C++ (and C23 where they overlap)
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "bitand",
    "bitor",
    "bool",
    "catch",
    "char8_t",
    "char16_t",
    "char32_t",
    "class",
    "compl",
    "concept",
    "consteval",
    "constinit",
    "const_cast",
    "co_await",
    "co_return",
    "co_yield",
    "decltype",
    "delete",
    "dynamic_cast",
    "explicit",
    "export",
    "false",
    "friend",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "reinterpret_cast",
    "requires",
    "static_assert",
    "static_cast",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typeid",
    "typename",
    "using",
    "virtual",
    "wchar_t",
    "xor",
    "xor_eq",
];

/// Macros of the headers the skeleton includes (or that compilers predefine) that would
/// replace a member name.
const MACROS: &[&str] = &[
    "errno",
    "stdin",
    "stdout",
    "stderr",
    "NULL",
    "EOF",
    "BUFSIZ",
    "offsetof",
    "assert",
    "noreturn",
    "complex",
    "imaginary",
    "linux",
    "unix",
    "i386",
    "major",
    "minor",
];

/// Whether `name` is a C identifier.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Object-like macros of the kernel headers (Linux 6.1) the kernel skeleton includes, and
/// of kbuild's command line, that are plausible names in a BPF object. Function-like
/// macros (`min`, `likely`, `container_of`) are left out: a name only expands when a `(`
/// follows it, which never happens to a member name in the skeleton.
/// `tests/kernel_skeleton.rs` checks with kbuild that each one is a macro there.
pub const KERNEL_MACROS: &[&str] = &[
    "current",
    "fallthrough",
    "noinline",
    "notrace",
    "MODULE",
    "KBUILD_MODNAME",
    "THIS_MODULE",
    "HZ",
    "USER_HZ",
    "PAGE_SIZE",
    "PAGE_SHIFT",
    "PAGE_MASK",
    "PAGE_OFFSET",
    "NR_CPUS",
    "BITS_PER_LONG",
    "BITS_PER_BYTE",
    "NSEC_PER_SEC",
    "NSEC_PER_MSEC",
    "NSEC_PER_USEC",
    "USEC_PER_SEC",
    "MSEC_PER_SEC",
    "PATH_MAX",
    "NAME_MAX",
    "U8_MAX",
    "U16_MAX",
    "U32_MAX",
    "U64_MAX",
    "S8_MAX",
    "S16_MAX",
    "S32_MAX",
    "S64_MAX",
    "INT_MAX",
    "INT_MIN",
    "UINT_MAX",
    "LONG_MAX",
    "ULONG_MAX",
    "LLONG_MAX",
    "ULLONG_MAX",
    "SIZE_MAX",
    "GFP_KERNEL",
    "GFP_ATOMIC",
    "KERN_ERR",
    "KERN_WARNING",
    "KERN_INFO",
    "KERN_DEBUG",
    "MAX_ERRNO",
    "BPF_OBJ_NAME_LEN",
];

/// Whether `name` is a macro in a kernel module: one of [`KERNEL_MACROS`], or a configuration
/// option (`CONFIG_*`, which kbuild defines for every option set, and `.kconfig` externs
/// are named after).
pub fn is_kernel_macro(name: &str) -> bool {
    KERNEL_MACROS.contains(&name) || name.starts_with("CONFIG_")
}

/// The C a header is written in. Both dialects escape the same C and C++ keywords, so a
/// name is the same in both headers unless a kernel header defines it as a macro.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    /// The userspace header: C11 and C++, libc headers.
    #[default]
    User,
    /// The kernel-module header: the kernel's C and its headers' macros
    /// ([`is_kernel_macro`]).
    Kernel,
}

impl Dialect {
    /// Whether `name` cannot be used as it is in this dialect.
    pub fn is_reserved(self, name: &str) -> bool {
        KEYWORDS.contains(&name)
            || MACROS.contains(&name)
            || (self == Dialect::Kernel && is_kernel_macro(name))
    }

    /// `name` with a trailing `_` when it is reserved.
    pub fn escape(self, name: &str) -> String {
        if self.is_reserved(name) {
            format!("{name}_")
        } else {
            name.to_string()
        }
    }

    /// The identifier for `name`, owned by `what` (`map`, `program`, `variable in .bss`, ...).
    ///
    /// # Errors
    /// When `name` is not a C identifier.
    pub fn ident(self, what: &str, name: &str) -> Result<String, BackendError> {
        if !is_identifier(name) {
            return Err(BackendError::InvalidName {
                what: what.to_string(),
                name: name.to_string(),
                reason: "not a C identifier (letters, digits and '_', not starting with a digit); \
                     rename it in the BPF source"
                    .into(),
            });
        }
        Ok(self.escape(name))
    }

    /// The identifier of the object, used as the prefix of every generated name.
    ///
    /// # Errors
    /// When the object name is not a C identifier or is reserved.
    pub fn object_ident(self, name: &str) -> Result<String, BackendError> {
        if !is_identifier(name) || self.is_reserved(name) {
            return Err(BackendError::InvalidName {
                what: "object".into(),
                name: name.to_string(),
                reason: "the object name prefixes every C identifier of the skeleton; \
                         choose one with --name (letters, digits and '_')"
                    .into(),
            });
        }
        Ok(name.to_string())
    }

    /// The member name of a global-data section, as bpftool spells it: the section name
    /// without its leading dot, other characters that cannot appear in an identifier as `_`
    /// (`.data.custom` → `data_custom`).
    pub fn section_ident(self, section: &str) -> String {
        let trimmed = section.strip_prefix('.').unwrap_or(section);
        let mut s: String = trimmed
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
            s.insert(0, '_');
        }
        self.escape(&s)
    }
}

/// `name` as usable in C and C++: keywords and macro names get a trailing `_`.
pub fn escape(name: &str) -> String {
    Dialect::User.escape(name)
}

/// The identifier for `name` in the userspace header; see [`Dialect::ident`].
///
/// # Errors
/// When `name` is not a C identifier.
pub fn ident(what: &str, name: &str) -> Result<String, BackendError> {
    Dialect::User.ident(what, name)
}

/// The object's identifier in the userspace header; see [`Dialect::object_ident`].
///
/// # Errors
/// When the object name is not a C identifier or is a keyword.
pub fn object_ident(name: &str) -> Result<String, BackendError> {
    Dialect::User.object_ident(name)
}

/// A section's member name in the userspace header; see [`Dialect::section_ident`].
pub fn section_ident(section: &str) -> String {
    Dialect::User.section_ident(section)
}

/// `text` as the contents of a C string literal (without the quotes), safe in C and C++:
/// quotes, backslashes, `?` (trigraphs) and anything outside printable ASCII are escaped.
pub fn c_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'?' => out.push_str("\\?"),
            b' '..=b'~' => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out
}

/// The include guard for an object's header.
pub fn guard(object: &str) -> String {
    format!("{}_LSKEL_H", object.to_ascii_uppercase())
}

/// Bytes per line of an embedded byte array.
const BYTES_PER_LINE: usize = 16;

/// Bytes as lines of C initialisers.
#[derive(Debug, Serialize)]
pub struct ByteArray {
    /// Number of bytes.
    pub len: usize,
    /// `0x12, 0x34, ...` lines; empty when every byte is zero.
    pub lines: Vec<String>,
}

/// `data` as C initialiser lines; with `skip_zero`, nothing when every byte is zero.
pub fn bytes(data: &[u8], skip_zero: bool) -> ByteArray {
    let lines = if skip_zero && data.iter().all(|&b| b == 0) {
        Vec::new()
    } else {
        data.chunks(BYTES_PER_LINE)
            .map(|c| {
                let items: Vec<String> = c.iter().map(|b| format!("0x{b:02x}")).collect();
                format!("{},", items.join(", "))
            })
            .collect()
    };
    ByteArray {
        len: data.len(),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reserved_word_is_escaped() {
        for &word in KEYWORDS.iter().chain(MACROS) {
            let escaped = ident("field", word).unwrap();
            assert_eq!(escaped, format!("{word}_"), "{word}");
            assert!(is_identifier(&escaped), "{word}");
        }
    }

    #[test]
    fn ordinary_names_pass_unchanged() {
        for name in [
            "counts",
            "_x",
            "CONFIG_HZ",
            "handle_getpid",
            "a1",
            "Int",
            "classy",
        ] {
            assert_eq!(ident("map", name).unwrap(), name);
        }
    }

    #[test]
    fn invalid_names_are_refused_with_their_owner() {
        for name in ["", "1abc", "dump_bpf_map.___fmt", "a-b", "é", "a b"] {
            let err = ident("variable in .rodata", name).unwrap_err().to_string();
            assert!(err.starts_with("variable in .rodata"), "{err}");
            assert!(err.contains(&format!("{name:?}")), "{err}");
        }
    }

    #[test]
    fn object_names_must_be_plain_identifiers() {
        assert_eq!(object_ident("minimal").unwrap(), "minimal");
        for bad in ["my-prog", "class", "int", "9lives"] {
            let err = object_ident(bad).unwrap_err().to_string();
            assert!(err.contains("--name"), "{err}");
        }
    }

    #[test]
    fn sections_follow_bpftool() {
        assert_eq!(section_ident(".bss"), "bss");
        assert_eq!(section_ident(".data.custom"), "data_custom");
        assert_eq!(section_ident(".rodata.str1.1"), "rodata_str1_1");
        assert_eq!(section_ident(".data.1x"), "data_1x");
        assert_eq!(section_ident(".1"), "_1");
    }

    #[test]
    fn string_literals_are_escaped() {
        assert_eq!(c_string("a\"b\\c"), "a\\\"b\\\\c");
        assert_eq!(c_string("??/"), "\\?\\?/");
        assert_eq!(c_string("\n\u{e9}"), "\\012\\303\\251");
    }
}

//! Go identifiers: every name from the object goes through here before it reaches the file.
//!
//! Names the user sees are exported CamelCase (`handle_getpid` → `HandleGetpid`), with the
//! initialisms Go writes in capitals (`target_pid` → `TargetPID`, `xdp_to_dev` →
//! `XDPToDev`). Go's keywords and predeclared identifiers are all lower case, so they can
//! only meet a name that stays lower case: the package name and the unexported prefix of
//! the runtime's identifiers. Two names that convert to the same identifier are an error
//! naming both (see [`crate::backend::model::Scope`]); skelgen never renames one of them silently.

use crate::backend::BackendError;
use heck::ToSnakeCase;

/// Go's keywords (The Go Programming Language Specification, "Keywords").
pub const KEYWORDS: &[&str] = &[
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
];

/// Go's predeclared identifiers (the universe block), up to Go 1.26.
pub const PREDECLARED: &[&str] = &[
    // types
    "any",
    "bool",
    "byte",
    "comparable",
    "complex64",
    "complex128",
    "error",
    "float32",
    "float64",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "rune",
    "string",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    // constants and the zero value
    "true",
    "false",
    "iota",
    "nil",
    // functions
    "append",
    "cap",
    "clear",
    "close",
    "complex",
    "copy",
    "delete",
    "imag",
    "len",
    "make",
    "max",
    "min",
    "new",
    "panic",
    "print",
    "println",
    "real",
    "recover",
];

/// Package names a default must not produce: `main` makes a command, not a package, and a
/// package named `init` cannot be imported under its own name.
const SPECIAL_PACKAGES: &[&str] = &["main", "init"];

/// Words Go writes in capitals (or with its own capitalisation) inside identifiers: the
/// initialisms of Go's style guide, plus those of the BPF world.
const INITIALISMS: &[(&str, &str)] = &[
    ("acl", "ACL"),
    ("api", "API"),
    ("ascii", "ASCII"),
    ("bpf", "BPF"),
    ("btf", "BTF"),
    ("cpu", "CPU"),
    ("css", "CSS"),
    ("dns", "DNS"),
    ("eof", "EOF"),
    ("gid", "GID"),
    ("guid", "GUID"),
    ("html", "HTML"),
    ("http", "HTTP"),
    ("https", "HTTPS"),
    ("icmp", "ICMP"),
    ("id", "ID"),
    ("ip", "IP"),
    ("ipv4", "IPv4"),
    ("ipv6", "IPv6"),
    ("json", "JSON"),
    ("lpm", "LPM"),
    ("lsm", "LSM"),
    ("mtu", "MTU"),
    ("pid", "PID"),
    ("qps", "QPS"),
    ("ram", "RAM"),
    ("rpc", "RPC"),
    ("sctp", "SCTP"),
    ("skb", "SKB"),
    ("sql", "SQL"),
    ("ssh", "SSH"),
    ("tc", "TC"),
    ("tcp", "TCP"),
    ("tcx", "TCX"),
    ("tgid", "TGID"),
    ("tid", "TID"),
    ("tls", "TLS"),
    ("ttl", "TTL"),
    ("udp", "UDP"),
    ("ui", "UI"),
    ("uid", "UID"),
    ("uri", "URI"),
    ("url", "URL"),
    ("utf8", "UTF8"),
    ("uuid", "UUID"),
    ("vm", "VM"),
    ("xdp", "XDP"),
    ("xml", "XML"),
];

/// Whether `word` is a Go keyword or predeclared identifier.
pub fn is_reserved(word: &str) -> bool {
    KEYWORDS.contains(&word) || PREDECLARED.contains(&word)
}

/// The words of `name`, lower case, split at underscores, dots and case changes.
fn words(name: &str) -> Vec<String> {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    cleaned
        .to_snake_case()
        .split('_')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// One word with its first letter capitalised, or its initialism.
fn capitalise(word: &str) -> String {
    if let Some((_, go)) = INITIALISMS.iter().find(|(w, _)| *w == word) {
        return (*go).to_string();
    }
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The exported Go identifier for `name` (`handle_getpid` → `HandleGetpid`,
/// `CONFIG_HZ` → `ConfigHz`, `target_pid` → `TargetPID`). A name whose words start with a
/// digit, or that has no letters or digits at all, gets an `X` in front.
pub fn exported(name: &str) -> String {
    let joined: String = words(name).iter().map(|w| capitalise(w)).collect();
    if joined.is_empty() || joined.starts_with(|c: char| c.is_ascii_digit()) {
        format!("X{joined}")
    } else {
        joined
    }
}

/// The unexported Go identifier for `name`: its first word in lower case, the others as
/// in [`exported`] (`xdp_prog` → `xdpProg`, `minimal` → `minimal`). The result is used as
/// a prefix only, so it never stands alone where a keyword could be meant.
pub fn unexported(name: &str) -> String {
    let words = words(name);
    let mut out = match words.first() {
        Some(first) if !first.starts_with(|c: char| c.is_ascii_digit()) => first.clone(),
        Some(first) => format!("x{first}"),
        None => "x".to_string(),
    };
    for w in words.iter().skip(1) {
        out.push_str(&capitalise(w));
    }
    out
}

/// The default package name for object `name`: lower case letters, digits and `_`, not
/// starting with a digit (`bpf` is put in front), and never a keyword, a predeclared
/// identifier, `main` or `init` (a `_` is appended).
pub fn default_package(name: &str) -> String {
    let mut pkg: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if pkg.chars().all(|c| c == '_') || pkg.starts_with(|c: char| c.is_ascii_digit()) {
        pkg.insert_str(0, "bpf");
    }
    if is_reserved(&pkg) || SPECIAL_PACKAGES.contains(&pkg.as_str()) {
        pkg.push('_');
    }
    pkg
}

/// Checks a package name given with `--go-package`: a Go identifier that is not a keyword
/// and not `_` (`main` is allowed: the skeleton then belongs to a command).
///
/// # Errors
/// When `name` cannot be a package name.
pub fn check_package(name: &str) -> Result<String, BackendError> {
    let mut chars = name.chars();
    let identifier = matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
    let reason = if !identifier {
        "not a Go identifier (ASCII letters, digits and '_', not starting with a digit)"
    } else if KEYWORDS.contains(&name) {
        "a Go keyword"
    } else if name == "_" {
        "the blank identifier"
    } else {
        return Ok(name.to_string());
    };
    Err(BackendError::InvalidName {
        what: "--go-package".into(),
        name: name.to_string(),
        reason: format!("{reason}; choose another package name"),
    })
}

/// `text` as the contents of a Go interpreted string literal (without the quotes): quotes,
/// backslashes and every byte outside printable ASCII escaped.
pub fn go_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// `text` made safe inside a `//` comment: one line.
pub fn comment(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// The type-name stem of a global-data section: the section name without its leading dot
/// (`.data.custom` → `DataCustom`, `.bss` → `Bss`).
pub fn section(section: &str) -> String {
    exported(section.strip_prefix('.').unwrap_or(section))
}

/// Bytes per line of an embedded string constant.
const BYTES_PER_LINE: usize = 32;

/// `data` as the lines of a Go string constant: `"\x12\x34..." +` each, the last without
/// the `+`.
pub fn string_lines(data: &[u8]) -> Vec<String> {
    let n = data.len().div_ceil(BYTES_PER_LINE);
    data.chunks(BYTES_PER_LINE)
        .enumerate()
        .map(|(i, c)| {
            let body: String = c.iter().map(|b| format!("\\x{b:02x}")).collect();
            let more = if i + 1 < n { " +" } else { "" };
            format!("\"{body}\"{more}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::model::Scope;

    #[test]
    fn docs_list_every_initialism() {
        let docs = include_str!("../../../docs/naming.md");
        let listed = docs.split("`my_pid` is `MyPID`").next().unwrap_or_default();
        for (word, go) in INITIALISMS {
            assert!(
                listed.contains(&format!("`{go}`")),
                "{go} missing from docs/naming.md"
            );
            assert_eq!(exported(word), *go);
        }
    }

    #[test]
    fn camel_case_with_go_initialisms() {
        for (name, want) in [
            ("handle_getpid", "HandleGetpid"),
            ("target_pid", "TargetPID"),
            ("xdp_to_dev", "XDPToDev"),
            ("tcx_in", "TCXIn"),
            ("CONFIG_HZ", "ConfigHz"),
            ("CONFIG_BPF_SYSCALL", "ConfigBPFSyscall"),
            ("last_ip", "LastIP"),
            ("src_ipv6", "SrcIPv6"),
            ("cpuId", "CPUID"),
            ("_x", "X"),
            ("__u64", "U64"),
            ("data.custom", "DataCustom"),
            ("rodata.str1.1", "RodataStr11"),
            ("_1st", "X1st"),
            ("__", "X"),
        ] {
            assert_eq!(exported(name), want, "{name}");
        }
        assert_eq!(unexported("minimal"), "minimal");
        assert_eq!(unexported("cgroup_lsm"), "cgroupLSM");
        assert_eq!(unexported("xdp_prog"), "xdpProg");
        assert_eq!(unexported("9lives"), "x9lives");
        assert_eq!(section(".data.custom"), "DataCustom");
        assert_eq!(section(".bss"), "Bss");
    }

    #[test]
    fn default_package_names() {
        assert_eq!(default_package("minimal"), "minimal");
        assert_eq!(default_package("Cgroup-LSM"), "cgroup_lsm");
        assert_eq!(default_package("9lives"), "bpf9lives");
        assert_eq!(default_package("--"), "bpf__");
        assert_eq!(default_package("main"), "main_");
        assert_eq!(default_package("init"), "init_");
    }

    #[test]
    fn explicit_package_names() {
        assert_eq!(check_package("main").unwrap(), "main");
        assert_eq!(check_package("skel").unwrap(), "skel");
        for bad in ["", "_", "9x", "a-b", "é"] {
            let err = check_package(bad).unwrap_err().to_string();
            assert!(err.starts_with("--go-package"), "{err}");
        }
    }

    #[test]
    fn collisions_name_both_owners() {
        let mut scope = Scope::default();
        scope.claim("field \"foo_bar\"", "FooBar").unwrap();
        let err = scope.claim("field \"fooBar\"", "FooBar").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("foo_bar") && text.contains("fooBar"),
            "{text}"
        );
        let mut own = Scope::with_reserved("method", &["Close"]);
        let text = own
            .claim("program \"close\"", "Close")
            .unwrap_err()
            .to_string();
        assert!(text.contains("method Close"), "{text}");
    }

    #[test]
    fn string_literals_and_comments() {
        assert_eq!(go_string("a\"b\\c"), "a\\\"b\\\\c");
        assert_eq!(go_string("\n\u{e9}"), "\\x0a\\xc3\\xa9");
        assert_eq!(comment("a\nb"), "a b");
    }
}

//! Kernel-module identifiers: the C backend's rules ([`Dialect::Kernel`], which also knows
//! the object-like macros of the kernel headers), the struct tags of those headers, and the
//! names of `.kconfig` macros.

use crate::backend::c::names::{is_identifier, Dialect};
use crate::backend::BackendError;

/// Struct tags of the kernel headers the skeleton includes that are plausible object
/// names: the skeleton's `struct NAME` would redefine them. `tests/kernel_skeleton.rs`
/// checks with kbuild that each one is a complete type there.
pub const KERNEL_STRUCTS: &[&str] = &[
    "net",
    "sock",
    "socket",
    "file",
    "inode",
    "dentry",
    "path",
    "task_struct",
    "cred",
    "module",
    "device",
    "page",
    "cgroup",
    "bpf_map",
    "bpf_prog",
    "bpf_link",
    "bpf_array",
    "bpf_insn",
    "sk_buff",
    "seq_file",
    "mm_struct",
    "vm_area_struct",
    "kobject",
    "work_struct",
    "timer_list",
    "list_head",
    "mutex",
    "completion",
    "xdp_buff",
    "xdp_md",
    "fdtable",
    "files_struct",
    "super_block",
];

/// The object's identifier in the kernel header: the C rules, and not the tag of a kernel
/// struct (the skeleton is `struct NAME`).
///
/// # Errors
/// When the name cannot be used.
pub fn object_ident(name: &str) -> Result<String, BackendError> {
    let ident = Dialect::Kernel.object_ident(name)?;
    if KERNEL_STRUCTS.contains(&name) {
        return Err(BackendError::InvalidName {
            what: "object".into(),
            name: name.to_string(),
            reason: format!(
                "struct {name} is a type of the kernel headers the skeleton includes, and the \
                 skeleton is struct {name}; choose another name with --name"
            ),
        });
    }
    Ok(ident)
}

/// The include guard of an object's kernel header.
pub fn guard(object: &str) -> String {
    format!("{}_KERN_LSKEL_H", object.to_ascii_uppercase())
}

/// The name of a `.kconfig` extern, used as a macro name in `#if defined(...)`.
///
/// # Errors
/// When the name is not a C identifier.
pub fn kconfig_macro(name: &str) -> Result<String, BackendError> {
    if !is_identifier(name) {
        return Err(BackendError::InvalidName {
            what: "kconfig extern".into(),
            name: name.to_string(),
            reason: "the kernel skeleton tests it as a macro of the kernel configuration, \
                     which needs a C identifier"
                .into(),
        });
    }
    Ok(name.to_string())
}

/// Whether `name` is escaped in the kernel header but not in the userspace one.
pub fn kernel_only(name: &str) -> bool {
    Dialect::Kernel.is_reserved(name) && !Dialect::User.is_reserved(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::c::names::{is_kernel_macro, KERNEL_MACROS};

    #[test]
    fn every_kernel_macro_is_escaped() {
        for &word in KERNEL_MACROS {
            let escaped = Dialect::Kernel.ident("variable in .bss", word).unwrap();
            assert_eq!(escaped, format!("{word}_"), "{word}");
            assert!(is_identifier(&escaped), "{word}");
            assert!(
                Dialect::Kernel.object_ident(word).is_err(),
                "{word} as an object name"
            );
        }
    }

    #[test]
    fn configuration_options_are_escaped() {
        for word in ["CONFIG_HZ", "CONFIG_BPF_SYSCALL", "CONFIG_"] {
            assert_eq!(
                Dialect::Kernel.ident("variable in .kconfig", word).unwrap(),
                format!("{word}_")
            );
            assert_eq!(
                Dialect::User.ident("variable in .kconfig", word).unwrap(),
                word
            );
        }
        assert!(!is_kernel_macro("LINUX_KERNEL_VERSION"));
    }

    #[test]
    fn kernel_macros_are_not_escaped_for_userspace() {
        for &word in KERNEL_MACROS {
            assert!(kernel_only(word), "{word} is already reserved in C");
            assert_eq!(Dialect::User.ident("map", word).unwrap(), word);
        }
    }

    #[test]
    fn c_keywords_are_escaped_in_the_kernel_too() {
        for word in ["int", "class", "errno", "linux", "NULL"] {
            assert_eq!(
                Dialect::Kernel.ident("map", word).unwrap(),
                Dialect::User.ident("map", word).unwrap()
            );
        }
    }

    #[test]
    fn kernel_struct_tags_are_refused_as_object_names() {
        for &tag in KERNEL_STRUCTS {
            let err = object_ident(tag).unwrap_err().to_string();
            assert!(
                err.contains("--name") && err.contains(&format!("struct {tag}")),
                "{err}"
            );
            assert!(
                Dialect::Kernel.object_ident(tag).is_ok(),
                "{tag} is a C keyword"
            );
        }
        assert_eq!(object_ident("iterators").unwrap(), "iterators");
    }

    #[test]
    fn sections_and_guards() {
        assert_eq!(
            Dialect::Kernel.section_ident(".data.current"),
            "data_current"
        );
        assert_eq!(Dialect::Kernel.section_ident(".current"), "current_");
        assert_eq!(guard("iterators"), "ITERATORS_KERN_LSKEL_H");
    }

    #[test]
    fn kconfig_names_must_be_identifiers() {
        assert_eq!(kconfig_macro("CONFIG_HZ").unwrap(), "CONFIG_HZ");
        let err = kconfig_macro("CONFIG-X").unwrap_err().to_string();
        assert!(
            err.contains("kconfig extern") && err.contains("CONFIG-X"),
            "{err}"
        );
    }
}

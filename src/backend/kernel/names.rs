//! Kernel-module identifiers: the C backend's rules ([`Dialect::Kernel`], which also knows
//! the object-like macros of the kernel headers), the struct tags of those headers, and the
//! names of `.kconfig` macros.

use crate::backend::c::names::{is_identifier, Dialect};
use crate::backend::BackendError;

/// The struct, union and enum tags a kernel module sees, one per line, sorted: every tag
/// that the kernel headers the skeleton includes declare or use, and every tag defined in
/// `include/linux/*.h`, which modules include next to the skeleton (`kprobe`, from
/// `<linux/kprobes.h>`). The skeleton's `struct NAME` would clash with any of them (tags of
/// structs, unions and enums share one namespace). `tests/kernel_skeleton.rs` writes and
/// checks the list from Debian's 6.1 headers with a preprocessor pass.
pub const KERNEL_TAGS: &str = include_str!("tags.txt");

/// Whether `name` is in [`KERNEL_TAGS`].
pub fn is_kernel_tag(name: &str) -> bool {
    KERNEL_TAGS.lines().any(|l| l == name)
}

/// The object's identifier in the kernel header: the C rules, and not the tag of a kernel
/// struct (the skeleton is `struct NAME`).
///
/// # Errors
/// When the name cannot be used.
pub fn object_ident(name: &str) -> Result<String, BackendError> {
    let ident = Dialect::Kernel.object_ident(name)?;
    if is_kernel_tag(name) {
        return Err(BackendError::InvalidName {
            what: "object".into(),
            name: name.to_string(),
            reason: format!(
                "the kernel headers a module sees declare a struct, union or enum {name}, \
                 and the kernel skeleton is struct {name}; choose another name with --name"
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
        for tag in [
            "net",
            "kprobe",
            "task_struct",
            "bpf_map",
            "sk_buff",
            "module",
        ] {
            let err = object_ident(tag).unwrap_err().to_string();
            assert!(
                err.contains("--name") && err.contains(&format!("struct {tag};")),
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
    fn the_tag_list_is_sorted_and_holds_identifiers() {
        let tags: Vec<&str> = KERNEL_TAGS.lines().collect();
        assert!(tags.len() > 1000, "{} tags", tags.len());
        assert!(
            tags.windows(2).all(|w| w[0] < w[1]),
            "not sorted or repeated"
        );
        assert!(tags.iter().all(|t| is_identifier(t)));
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

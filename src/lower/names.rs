//! Names the kernel sees, chosen the way libbpf chooses them so both loaders agree.

/// Longest object name the kernel stores (`BPF_OBJ_NAME_LEN` minus the NUL).
const MAX_NAME: usize = 15;

/// A map or program name as the kernel will store it: cut to 15 bytes, with characters the
/// kernel rejects replaced by `_`.
pub(crate) fn kernel_object_name(name: &str) -> String {
    sanitize(&truncate(name, MAX_NAME))
}

/// libbpf's name for a global-data map: up to 8 bytes of the object name, then the section
/// name (`minimal.bss`); custom sections with a second dot (`.data.custom`) get no prefix.
pub(crate) fn internal_map_name(obj_name: &str, section: &str) -> String {
    let sfx_len = section.len().clamp(7, MAX_NAME);
    let custom = section.get(1..).is_some_and(|rest| rest.contains('.'));
    let pfx_len = if custom {
        0
    } else {
        (MAX_NAME - sfx_len).min(obj_name.len())
    };
    let name = format!(
        "{}{}",
        truncate(obj_name, pfx_len),
        truncate(section, sfx_len)
    );
    sanitize(&truncate(&name, MAX_NAME))
}

fn truncate(s: &str, max: usize) -> String {
    s.bytes().take(max).map(char::from).collect()
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_names_match_libbpf() {
        assert_eq!(internal_map_name("minimal", ".bss"), "minimal.bss");
        assert_eq!(internal_map_name("iterators", ".rodata"), "iterator.rodata");
        assert_eq!(internal_map_name("iterators", ".bss"), "iterator.bss");
        assert_eq!(internal_map_name("minimal", ".data.custom"), ".data.custom");
        assert_eq!(internal_map_name("x", ".rodata.str1.1"), ".rodata.str1.1");
        assert_eq!(internal_map_name("ksyms", ".kconfig"), "ksyms.kconfig");
    }

    #[test]
    fn kernel_names_are_cut_and_cleaned() {
        assert_eq!(
            kernel_object_name("a_very_long_map_name_indeed"),
            "a_very_long_map"
        );
        assert_eq!(kernel_object_name("odd-name"), "odd_name");
    }
}

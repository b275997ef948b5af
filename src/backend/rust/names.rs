//! Rust identifiers: every name from the object goes through here before it reaches the
//! generated module.
//!
//! The module must compile in every edition, so a name that is a keyword in any of them is
//! written as a raw identifier (`type` → `r#type`). `self`, `Self`, `super` and `crate`
//! cannot be raw identifiers and get a trailing `_` instead, as does `_`, which is not an
//! identifier at all. Names composed from several parts (`attach_<program>`) are escaped
//! once they are whole. Two things that would end up with the same identifier are reported
//! by [`crate::backend::model::Scope`] rather than silently renamed.

use crate::backend::BackendError;
use heck::ToUpperCamelCase;

/// Strict and reserved keywords of every Rust edition (2015 to 2024).
pub const KEYWORDS: &[&str] = &[
    // Strict, all editions.
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", // Strict from 2018.
    "async", "await", "dyn", // Reserved, all editions.
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", // Reserved from 2018 and 2024.
    "try", "gen",
];

/// Keywords that cannot be raw identifiers.
pub const NOT_RAW: &[&str] = &["self", "Self", "super", "crate"];

/// Whether `name` is an identifier of C (and so of the object): ASCII letters, digits and
/// `_`, not starting with a digit.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// `name` (already an identifier) as usable in Rust: keywords become raw identifiers, the
/// four that cannot be raw and `_` get a trailing `_`.
pub fn escape(name: &str) -> String {
    if NOT_RAW.contains(&name) || name == "_" {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// The identifier for `name`, owned by `what` (`map`, `program`, `member of struct foo`).
///
/// # Errors
/// When `name` is not an identifier.
pub fn ident(what: &str, name: &str) -> Result<String, BackendError> {
    if !is_identifier(name) {
        return Err(BackendError::InvalidName {
            what: what.to_string(),
            name: name.to_string(),
            reason: "not an identifier (ASCII letters, digits and '_', not starting with a \
                     digit)"
                .into(),
        });
    }
    Ok(escape(name))
}

/// The module name of the object and the prefix of its type names (`minimal` →
/// (`minimal`, `Minimal`)).
///
/// # Errors
/// When either is not a plain identifier (a keyword, or not an identifier at all).
pub fn object_idents(name: &str) -> Result<(String, String), BackendError> {
    let camel = name.to_upper_camel_case();
    let plain = |s: &str| is_identifier(s) && escape(s) == s;
    if !plain(name) || !plain(&camel) {
        return Err(BackendError::InvalidName {
            what: "object".into(),
            name: name.to_string(),
            reason: format!(
                "the object name is the skeleton's module name and, as {camel:?}, the prefix of \
                 its type names; choose one with --name (letters, digits and '_')"
            ),
        });
    }
    Ok((name.to_string(), camel))
}

/// The identifier of a global-data section, as bpftool spells its member: the section name
/// without its leading dot, other characters that cannot appear in an identifier as `_`
/// (`.data.custom` → `data_custom`).
pub fn section_ident(section: &str) -> String {
    escape(&sanitize(section))
}

/// `text` as an identifier, not yet escaped: without a leading dot, every character that
/// cannot appear in an identifier as `_`, and a `_` before a leading digit.
pub fn sanitize(text: &str) -> String {
    let trimmed = text.strip_prefix('.').unwrap_or(text);
    let mut s: String = trimmed
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// The type name of a global-data section's struct (`.data.custom` → `DataCustom`).
pub fn section_type(section: &str) -> String {
    let camel = sanitize(section).to_upper_camel_case();
    if camel.is_empty() || camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Section{camel}")
    } else {
        escape(&camel)
    }
}

/// `text` as a Rust string literal, quotes included.
pub fn string_literal(text: &str) -> String {
    format!("{text:?}")
}

/// `text` made safe for one line of a doc comment.
pub fn doc(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// `text` as the lines of a doc comment of at most `width` characters (longer words stay
/// whole).
pub fn doc_lines(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in doc(text).split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// Bytes per line of an embedded byte string.
const BYTES_PER_LINE: usize = 24;

/// `data` as a byte string literal, `BYTES_PER_LINE` bytes per source line.
pub fn byte_string(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 4 + data.len() / BYTES_PER_LINE * 12 + 3);
    out.push_str("b\"");
    for (i, chunk) in data.chunks(BYTES_PER_LINE).enumerate() {
        if i > 0 {
            out.push_str("\\\n        ");
        }
        for b in chunk {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;

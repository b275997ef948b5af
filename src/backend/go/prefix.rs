//! The per-object prefix of the Go runtime's names.
//!
//! The runtime (`runtime/go`) is written with a placeholder prefix on every package-level
//! name: `SkelgenRt` on exported ones (`SkelgenRtMap`), `skelgenRt` on the others
//! (`skelgenRtLoad`). A skeleton replaces it by the object's prefixes (`MinimalMap`,
//! `minimalLoad`), so several skeletons can share a package. The rewrite reads Go tokens:
//! an identifier that starts with a placeholder is renamed, and so is such a word in a
//! comment (comments name identifiers); a placeholder anywhere else (inside an identifier
//! or a comment word, in a string or rune literal) is refused, since renaming it there
//! would change what the program says or does.

use std::fmt;

/// The placeholder of exported names.
pub const EXPORTED: &str = "SkelgenRt";
/// The placeholder of unexported names.
pub const UNEXPORTED: &str = "skelgenRt";
// A word's placeholder is cut off by this one length, whichever it is.
const _: () = assert!(EXPORTED.len() == UNEXPORTED.len());

/// A stretch of runtime source: a byte range kept as is, or a placeholder to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// The bytes `start..end` of the source, copied verbatim.
    Text(usize, usize),
    /// Where the exported prefix goes.
    Exported,
    /// Where the unexported prefix goes.
    Unexported,
}

/// A placeholder the rewrite cannot handle, at a byte offset of a runtime file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixError {
    /// Byte offset in the file.
    pub offset: usize,
    /// What holds the placeholder.
    pub what: &'static str,
}

impl fmt::Display for PrefixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "byte {}: the placeholder prefix {UNEXPORTED}/{EXPORTED} inside {}, where renaming it would change the program",
            self.offset, self.what
        )
    }
}

/// What a Go token is, as far as the rewrite cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An identifier or keyword.
    Ident,
    /// A `//` or `/* */` comment.
    Comment,
    /// A string or rune literal.
    Literal,
    /// A number.
    Number,
    /// A newline.
    Newline,
    /// Anything else: one operator or punctuation byte, or a run of blanks.
    Other,
}

/// One token: its kind and its byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Its kind.
    pub kind: Kind,
    /// First byte.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The end of the string or rune literal opened by `quote` at `start`.
fn literal_end(src: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < src.len() && src[i] != quote {
        if src[i] == b'\\' && quote != b'`' {
            i += 1;
        }
        i += 1;
    }
    (i + 1).min(src.len())
}

/// The Go tokens of `src`, covering every byte.
pub fn tokens(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let kind = match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = src[i..].find('\n').map_or(b.len(), |n| i + n);
                Kind::Comment
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = src[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
                Kind::Comment
            }
            q @ (b'"' | b'\'' | b'`') => {
                i = literal_end(b, i, q);
                Kind::Literal
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && (is_word(b[i]) || b[i] == b'.') {
                    i += 1;
                }
                Kind::Number
            }
            c if is_word(c) => {
                while i < b.len() && is_word(b[i]) {
                    i += 1;
                }
                Kind::Ident
            }
            b'\n' => {
                i += 1;
                Kind::Newline
            }
            b' ' | b'\t' | b'\r' => {
                while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r') {
                    i += 1;
                }
                Kind::Other
            }
            _ => {
                i += src[i..].chars().next().map_or(1, char::len_utf8);
                Kind::Other
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out
}

/// Whether `word` holds a placeholder.
fn holds_placeholder(word: &str) -> bool {
    word.contains(EXPORTED) || word.contains(UNEXPORTED)
}

/// Appends the bytes `start..end` to `out`, joined with a text segment it ends with.
fn text(out: &mut Vec<Segment>, start: usize, end: usize) {
    match out.last_mut() {
        Some(Segment::Text(_, last)) if *last == start => *last = end,
        _ if start == end => {}
        _ => out.push(Segment::Text(start, end)),
    }
}

/// Splits the word at `start..end` of `src` at its leading placeholder; an error when it
/// holds one elsewhere.
fn word(
    src: &str,
    (start, end): (usize, usize),
    what: &'static str,
    out: &mut Vec<Segment>,
) -> Result<(), PrefixError> {
    let w = &src[start..end];
    let placeholder = if w.starts_with(EXPORTED) {
        Some(Segment::Exported)
    } else if w.starts_with(UNEXPORTED) {
        Some(Segment::Unexported)
    } else {
        None
    };
    let rest = start + placeholder.map_or(0, |_| EXPORTED.len());
    if holds_placeholder(&src[rest..end]) {
        return Err(PrefixError {
            offset: start,
            what,
        });
    }
    out.extend(placeholder);
    text(out, rest, end);
    Ok(())
}

/// The words of the comment at `start..end` of `src`, each split at its leading
/// placeholder.
fn comment(
    src: &str,
    (start, end): (usize, usize),
    out: &mut Vec<Segment>,
) -> Result<(), PrefixError> {
    let b = src.as_bytes();
    let mut i = start;
    while i < end {
        let from = i;
        let in_word = is_word(b[i]);
        while i < end && is_word(b[i]) == in_word {
            i += 1;
        }
        if in_word {
            word(src, (from, i), "a comment word", out)?;
        } else {
            text(out, from, i);
        }
    }
    Ok(())
}

/// `src` split at every placeholder the rewrite replaces.
///
/// # Errors
/// When a placeholder stands where renaming it would change the program: inside a string
/// or rune literal, or not at the start of an identifier or a comment word.
pub fn segments(src: &str) -> Result<Vec<Segment>, PrefixError> {
    let mut out = Vec::new();
    for t in tokens(src) {
        let range = (t.start, t.end);
        match t.kind {
            Kind::Ident => word(src, range, "an identifier", &mut out)?,
            Kind::Comment => comment(src, range, &mut out)?,
            Kind::Literal | Kind::Number if holds_placeholder(&src[t.start..t.end]) => {
                return Err(PrefixError {
                    offset: t.start,
                    what: "a literal",
                })
            }
            _ => text(&mut out, t.start, t.end),
        }
    }
    Ok(out)
}

/// Appends `src`, split into `segments`, to `out` with the placeholders replaced by
/// `exported` and `unexported`.
pub fn rewrite(
    src: &str,
    segments: &[Segment],
    exported: &str,
    unexported: &str,
    out: &mut String,
) {
    for s in segments {
        match *s {
            Segment::Text(start, end) => out.push_str(&src[start..end]),
            Segment::Exported => out.push_str(exported),
            Segment::Unexported => out.push_str(unexported),
        }
    }
}

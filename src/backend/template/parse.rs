//! Reading a template into nodes. The grammar is the part of tera's syntax the skeleton
//! templates may use, and nothing else:
//!
//! ```text
//! {{ path }}                      the value at a dotted path (a string, number or boolean;
//!                                 `pair.0` is the first element of a list)
//! {% for x in path %} … {% endfor %}
//! {% if [not] path %} … [{% else %} …] {% endif %}
//! {% include "name" %}
//! ```
//!
//! A `-` just inside a delimiter (`{%-`, `-%}`, `{{-`, `-}}`) removes the white space,
//! newlines included, between the tag and the text on that side. Anything else between
//! delimiters (filters, `and`/`or`, `set`, macros, comments) is refused: a template that
//! needs more logic is a sign that the view should decide it.

use super::TemplateError;

/// A dotted path into the context: `map.name` is `["map", "name"]`.
pub(super) type Path = Vec<String>;

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    /// Literal text, printed as it is.
    Text(String),
    /// `{{ path }}`; `line` is where it stands, for errors.
    Var { path: Path, line: usize },
    /// `{% for var in over %}`.
    For {
        var: String,
        over: Path,
        line: usize,
        body: Vec<Node>,
    },
    /// `{% if [not] cond %} then {% else %} otherwise {% endif %}`.
    If {
        negate: bool,
        cond: Path,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    /// `{% include "name" %}`.
    Include { name: String, line: usize },
}

/// A tag as written, before it is placed in the tree.
#[derive(Debug)]
enum Tag {
    Var(Path),
    For(String, Path),
    If(bool, Path),
    Else,
    EndIf,
    EndFor,
    Include(String),
}

/// A block's nodes and the tag that ended it, with its line (`None` at the end of input).
type Block = (Vec<Node>, Option<(Tag, usize)>);

/// The pieces of a template in order: text, or a tag with its line.
enum Token {
    Text(String),
    Tag(Tag, usize),
}

/// Parses template `name` (whose text is `src`) into nodes.
pub(super) fn parse(name: &str, src: &str) -> Result<Vec<Node>, TemplateError> {
    let tokens = tokenize(name, src)?;
    let mut iter = tokens.into_iter();
    let (nodes, end) = block(name, &mut iter)?;
    match end {
        None => Ok(nodes),
        Some((tag, line)) => Err(TemplateError::at(
            name,
            line,
            format!("{tag:?} without an opening tag"),
        )),
    }
}

/// Nodes up to the end of the input or to the first `else`/`endif`/`endfor`, which is
/// returned with its line.
fn block(name: &str, tokens: &mut impl Iterator<Item = Token>) -> Result<Block, TemplateError> {
    let mut nodes = Vec::new();
    while let Some(token) = tokens.next() {
        let (tag, line) = match token {
            Token::Text(text) => {
                if !text.is_empty() {
                    nodes.push(Node::Text(text));
                }
                continue;
            }
            Token::Tag(tag, line) => (tag, line),
        };
        match tag {
            Tag::Var(path) => nodes.push(Node::Var { path, line }),
            Tag::Include(include) => nodes.push(Node::Include {
                name: include,
                line,
            }),
            Tag::For(var, over) => {
                let (body, end) = block(name, tokens)?;
                expect_end(name, line, "for", end, |t| matches!(t, Tag::EndFor))?;
                nodes.push(Node::For {
                    var,
                    over,
                    line,
                    body,
                });
            }
            Tag::If(negate, cond) => nodes.push(if_node(name, line, negate, cond, tokens)?),
            end @ (Tag::Else | Tag::EndIf | Tag::EndFor) => return Ok((nodes, Some((end, line)))),
        }
    }
    Ok((nodes, None))
}

/// The rest of an `if` whose tag stood at `line`: its branches up to `endif`.
fn if_node(
    name: &str,
    line: usize,
    negate: bool,
    cond: Path,
    tokens: &mut impl Iterator<Item = Token>,
) -> Result<Node, TemplateError> {
    let (then, end) = block(name, tokens)?;
    let otherwise = match end {
        Some((Tag::Else, _)) => {
            let (otherwise, end) = block(name, tokens)?;
            expect_end(name, line, "if", end, |t| matches!(t, Tag::EndIf))?;
            otherwise
        }
        end => {
            expect_end(name, line, "if", end, |t| matches!(t, Tag::EndIf))?;
            Vec::new()
        }
    };
    Ok(Node::If {
        negate,
        cond,
        then,
        otherwise,
    })
}

/// Checks that the block opened by `what` at `line` ended with the tag `is_end` accepts.
fn expect_end(
    name: &str,
    line: usize,
    what: &str,
    end: Option<(Tag, usize)>,
    is_end: impl Fn(&Tag) -> bool,
) -> Result<(), TemplateError> {
    match end {
        Some((tag, _)) if is_end(&tag) => Ok(()),
        Some((tag, at)) => Err(TemplateError::at(
            name,
            at,
            format!("{tag:?} closes the {what} of line {line}"),
        )),
        None => Err(TemplateError::at(
            name,
            line,
            format!("{what} is never closed"),
        )),
    }
}

/// Splits `src` into text and tags, applying the `-` white-space trims.
fn tokenize(name: &str, src: &str) -> Result<Vec<Token>, TemplateError> {
    let mut tokens = Vec::new();
    let mut rest = src;
    let mut line = 1;
    let mut trim_next = false;
    while let Some(open) = find_open(rest) {
        let mut text = &rest[..open];
        if trim_next {
            text = text.trim_start();
        }
        let after = &rest[open + 2..];
        let (close, is_var) = if rest[open..].starts_with("{{") {
            ("}}", true)
        } else {
            ("%}", false)
        };
        let end = after.find(close).ok_or_else(|| {
            TemplateError::at(
                name,
                line + count_lines(&rest[..open]),
                format!("no closing `{close}`"),
            )
        })?;
        let mut inner = &after[..end];
        let trim_before = inner.starts_with('-');
        trim_next = inner.ends_with('-');
        if trim_before {
            inner = &inner[1..];
            text = text.trim_end();
        }
        if trim_next {
            inner = &inner[..inner.len() - 1];
        }
        line += count_lines(&rest[..open]);
        tokens.push(Token::Text(text.to_string()));
        tokens.push(Token::Tag(tag(name, line, inner.trim(), is_var)?, line));
        line += count_lines(&after[..end]);
        rest = &after[end + 2..];
    }
    let text = if trim_next { rest.trim_start() } else { rest };
    tokens.push(Token::Text(text.to_string()));
    Ok(tokens)
}

/// Where the next `{{` or `{%` starts.
fn find_open(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(1)).find(|&i| b[i] == b'{' && (b[i + 1] == b'{' || b[i + 1] == b'%'))
}

fn count_lines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
}

/// Reads the inside of a tag (`body`, trimmed); `is_var` for `{{ }}`.
fn tag(name: &str, line: usize, body: &str, is_var: bool) -> Result<Tag, TemplateError> {
    let bad = || {
        TemplateError::at(name, line, format!("unsupported tag `{body}`: templates only print values, loop, test a boolean and include"))
    };
    if is_var {
        return path(body).map(Tag::Var).ok_or_else(bad);
    }
    let words: Vec<&str> = body.split_whitespace().collect();
    let tag = match words.as_slice() {
        ["else"] => Tag::Else,
        ["endif"] => Tag::EndIf,
        ["endfor"] => Tag::EndFor,
        ["if", "not", p] => Tag::If(true, path(p).ok_or_else(bad)?),
        ["if", p] => Tag::If(false, path(p).ok_or_else(bad)?),
        ["for", var, "in", p] if is_ident(var) => {
            Tag::For(var.to_string(), path(p).ok_or_else(bad)?)
        }
        ["include", quoted] => Tag::Include(
            quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .ok_or_else(bad)?
                .to_string(),
        ),
        _ => return Err(bad()),
    };
    Ok(tag)
}

/// A dotted path of identifiers, or `None`; a part after the first may be a number, the
/// index of an element of a list (a tuple of the view serializes as one).
fn path(s: &str) -> Option<Path> {
    let parts: Path = s.split('.').map(str::to_string).collect();
    let index = |p: &String| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (is_ident(&parts[0]) && parts[1..].iter().all(|p| is_ident(p) || index(p))).then_some(parts)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(s, "not" | "and" | "or" | "in")
}

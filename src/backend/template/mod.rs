//! The template engine of the backends: the small part of tera's syntax the skeleton
//! templates use (values, `for`, `if [not]`, `include`, white-space control; see
//! [`parse`]), rendered from a serde view.
//!
//! Why not tera itself: parsing the templates with tera took more than half of a
//! `--lang all` run (its pest grammar), for a syntax the templates may only use a sliver
//! of. This engine reads them in microseconds, and refusing everything else keeps the rule
//! that templates hold no logic beyond loops and plain booleans: a filter, an `and` or a
//! `set` fails the backend's template test instead of slipping in.

mod parse;
#[cfg(test)]
mod tests;

use parse::{Node, Path};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

/// A template that could not be read or rendered: which one, where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{template}:{line}: {message}")]
pub struct TemplateError {
    /// The template's name (`c/skel.h.tera`).
    pub template: String,
    /// The line of the tag at fault (1-based; 0 when no tag is at fault).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl TemplateError {
    fn at(template: &str, line: usize, message: String) -> Self {
        TemplateError {
            template: template.to_string(),
            line,
            message,
        }
    }
}

/// A set of parsed templates that can include each other by name.
#[derive(Debug)]
pub struct Templates {
    named: Vec<(&'static str, Vec<Node>)>,
}

impl Templates {
    /// Parses every `(name, text)` pair.
    ///
    /// # Errors
    /// The first template that uses syntax outside the engine's, or whose blocks do not nest.
    pub fn parse(sources: &[(&'static str, &'static str)]) -> Result<Self, TemplateError> {
        let named = sources
            .iter()
            .map(|&(name, src)| parse::parse(name, src).map(|nodes| (name, nodes)))
            .collect::<Result<_, _>>()?;
        Ok(Templates { named })
    }

    /// Renders template `name` with `view` (serialized to JSON values) as its context, and
    /// `extra` values added at the top level.
    ///
    /// # Errors
    /// An unknown template or include, a value missing from the view, a value that cannot
    /// be printed (an object, an array, null), a loop over something that is not an array.
    pub fn render(
        &self,
        name: &str,
        view: &impl Serialize,
        extra: &[(&str, &str)],
    ) -> Result<String, TemplateError> {
        let mut root = serde_json::to_value(view)
            .map_err(|e| TemplateError::at(name, 0, format!("the view does not serialize: {e}")))?;
        if let Value::Object(map) = &mut root {
            for &(key, value) in extra {
                map.insert(key.to_string(), Value::String(value.to_string()));
            }
        }
        let mut out = String::new();
        let mut scopes = Scopes {
            root: &root,
            loops: Vec::new(),
        };
        self.render_into(name, &mut scopes, &mut out)?;
        Ok(out)
    }

    fn nodes(&self, name: &str) -> Option<&[Node]> {
        self.named
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, nodes)| nodes.as_slice())
    }

    fn render_into<'a>(
        &'a self,
        name: &str,
        scopes: &mut Scopes<'a>,
        out: &mut String,
    ) -> Result<(), TemplateError> {
        let nodes = self
            .nodes(name)
            .ok_or_else(|| TemplateError::at(name, 0, "no such template".into()))?;
        let mut renderer = Renderer {
            templates: self,
            name,
            out,
        };
        renderer.nodes(nodes, scopes)
    }
}

/// The values names resolve to: the loop variables, innermost last, then the view.
struct Scopes<'v> {
    root: &'v Value,
    /// Each enclosing loop's variable, its value, its index and its length.
    loops: Vec<(&'v str, &'v Value, usize, usize)>,
}

impl<'v> Scopes<'v> {
    /// The value at `path`, or `None` when some part of it is missing. `loop.index`
    /// (from 1), `loop.index0`, `loop.first` and `loop.last` describe the innermost loop.
    fn lookup(&self, path: &[String]) -> Option<Cow<'v, Value>> {
        let (first, rest) = path.split_first()?;
        if first == "loop" {
            let &(_, _, i, n) = self.loops.last()?;
            let value = match rest {
                [k] if k == "index" => Value::from(i + 1),
                [k] if k == "index0" => Value::from(i),
                [k] if k == "first" => Value::from(i == 0),
                [k] if k == "last" => Value::from(i + 1 == n),
                _ => return None,
            };
            return Some(Cow::Owned(value));
        }
        let start = match self.loops.iter().rev().find(|(n, ..)| n == first) {
            Some(&(_, v, ..)) => v,
            None => self.root.get(first)?,
        };
        rest.iter()
            .try_fold(start, |v, key| match (v, key.parse::<usize>()) {
                (Value::Array(items), Ok(i)) => items.get(i),
                _ => v.get(key),
            })
            .map(Cow::Borrowed)
    }
}

struct Renderer<'a, 'o> {
    templates: &'a Templates,
    name: &'o str,
    out: &'o mut String,
}

impl<'a> Renderer<'a, '_> {
    fn nodes(&mut self, nodes: &'a [Node], scopes: &mut Scopes<'a>) -> Result<(), TemplateError> {
        for node in nodes {
            match node {
                Node::Text(text) => self.out.push_str(text),
                Node::Var { path, line } => self.var(path, *line, scopes)?,
                Node::If {
                    negate,
                    cond,
                    then,
                    otherwise,
                } => {
                    let holds = scopes.lookup(cond).is_some_and(|v| truthy(&v)) != *negate;
                    self.nodes(if holds { then } else { otherwise }, scopes)?;
                }
                Node::For {
                    var,
                    over,
                    line,
                    body,
                } => self.for_loop(var, over, *line, body, scopes)?,
                Node::Include { name, line } => {
                    if self.templates.nodes(name).is_none() {
                        return Err(
                            self.error(*line, format!("includes unknown template {name:?}"))
                        );
                    }
                    self.templates.render_into(name, scopes, self.out)?;
                }
            }
        }
        Ok(())
    }

    fn var(&mut self, path: &Path, line: usize, scopes: &Scopes<'_>) -> Result<(), TemplateError> {
        match scopes.lookup(path).as_deref() {
            Some(Value::String(s)) => self.out.push_str(s),
            Some(Value::Number(n)) => self.out.push_str(&n.to_string()),
            Some(Value::Bool(b)) => self.out.push_str(if *b { "true" } else { "false" }),
            Some(other) => {
                return Err(self.error(
                    line,
                    format!(
                        "`{}` is {}, which cannot be printed",
                        path.join("."),
                        kind(other)
                    ),
                ))
            }
            None => {
                return Err(self.error(line, format!("`{}` is not in the view", path.join("."))))
            }
        }
        Ok(())
    }

    fn for_loop(
        &mut self,
        var: &'a str,
        over: &Path,
        line: usize,
        body: &'a [Node],
        scopes: &mut Scopes<'a>,
    ) -> Result<(), TemplateError> {
        let items: &'a [Value] = match scopes.lookup(over) {
            Some(Cow::Borrowed(Value::Array(items))) => items,
            Some(other) => {
                return Err(self.error(
                    line,
                    format!("`{}` is {}, not a list", over.join("."), kind(&other)),
                ))
            }
            None => {
                return Err(self.error(line, format!("`{}` is not in the view", over.join("."))))
            }
        };
        for (i, item) in items.iter().enumerate() {
            scopes.loops.push((var, item, i, items.len()));
            let result = self.nodes(body, scopes);
            scopes.loops.pop();
            result?;
        }
        Ok(())
    }

    fn error(&self, line: usize, message: String) -> TemplateError {
        TemplateError::at(self.name, line, message)
    }
}

/// Whether a value counts as true in `if`: as in tera, false, zero, an empty string, list
/// or object and null are false.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

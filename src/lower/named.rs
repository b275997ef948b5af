//! Finds the named types `--type` asks for: a struct, union or enum of the object's BTF by
//! its C name, so the skeletons can define it (most often the record a program writes to a
//! ring buffer or perf event array).

use super::LowerError;
use crate::btf::{Btf, BtfKind};

/// A struct, union or enum of the object's BTF that `--type` can name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedType {
    /// `struct`, `union` or `enum` (an `enum64` is an `enum` to C).
    pub keyword: &'static str,
    /// Its C name.
    pub name: String,
    /// Its BTF type id.
    pub btf_id: u32,
    /// Its size in bytes.
    pub size: u32,
}

impl NamedType {
    /// How C spells it: `struct event`.
    pub fn spelled(&self) -> String {
        format!("{} {}", self.keyword, self.name)
    }
}

/// Every named struct, union and enum with a body (forward declarations are left out), in
/// BTF order.
pub fn named_types(btf: &Btf) -> Vec<NamedType> {
    (1..btf.types_len())
        .filter_map(|id| {
            let keyword = match btf.type_by_id(id).ok()?.kind() {
                BtfKind::Struct => "struct",
                BtfKind::Union => "union",
                BtfKind::Enum | BtfKind::Enum64 => "enum",
                _ => return None,
            };
            let name = btf.type_name(id).ok().flatten()?.to_string();
            let size = btf.resolve_size(id).ok()?;
            Some(NamedType {
                keyword,
                name,
                btf_id: id,
                size,
            })
        })
        .collect()
}

/// The BTF id of the type `asked` names: `event`, or with its keyword, `struct event`.
pub(super) fn find(btf: &Btf, asked: &str) -> Result<u32, LowerError> {
    let all = named_types(btf);
    let (keyword, name) = match asked.trim().split_once(' ') {
        Some((k @ ("struct" | "union" | "enum"), n)) => (Some(k), n.trim()),
        _ => (None, asked.trim()),
    };
    let found: Vec<&NamedType> = all
        .iter()
        .filter(|t| t.name == name && keyword.is_none_or(|k| k == t.keyword))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.btf_id),
        [] => Err(LowerError::UnknownType {
            name: asked.to_string(),
            close: close_names(&all, name),
        }),
        many => Err(LowerError::AmbiguousType {
            name: asked.to_string(),
            candidates: many
                .iter()
                .map(|t| format!("{} (BTF id {}, {} bytes)", t.spelled(), t.btf_id, t.size))
                .collect(),
        }),
    }
}

/// Up to five names of `all` a typing mistake away from `name`, closest first.
fn close_names(all: &[NamedType], name: &str) -> Vec<String> {
    let lower = name.to_ascii_lowercase();
    let limit = (name.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, String)> = all
        .iter()
        .filter_map(|t| {
            let other = t.name.to_ascii_lowercase();
            let d = distance(&lower, &other);
            let related = d <= limit || (lower.len() >= 3 && other.contains(&lower));
            related.then(|| (d, t.spelled()))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(5).map(|(_, s)| s).collect()
}

/// Levenshtein distance between two strings, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(keyword: &'static str, name: &str) -> NamedType {
        NamedType {
            keyword,
            name: name.to_string(),
            btf_id: 1,
            size: 8,
        }
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("event", "event"), 0);
        assert_eq!(distance("evnet", "event"), 2);
        assert_eq!(distance("evt", "event"), 2);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn close_names_are_near_misses_and_containing_names() {
        let all = [
            named("struct", "event"),
            named("struct", "exec_event"),
            named("enum", "event_kind"),
            named("struct", "sample"),
        ];
        let close = close_names(&all, "evnt");
        assert_eq!(close, ["struct event"]);
        let close = close_names(&all, "event");
        assert_eq!(
            close,
            ["struct event", "enum event_kind", "struct exec_event"]
        );
        assert!(close_names(&all, "zzzzzzzz").is_empty());
    }

    #[test]
    fn examples_name_their_types() {
        let obj = crate::parse_object(
            &std::fs::read("examples/bpf/minimal.bpf.o").unwrap(),
            "minimal.bpf.o",
        )
        .unwrap();
        let btf = Btf::parse(&obj.btf.0).unwrap();
        let id = find(&btf, "sample").unwrap();
        assert_eq!(find(&btf, "struct sample").unwrap(), id);
        assert!(matches!(
            find(&btf, "union sample"),
            Err(LowerError::UnknownType { .. })
        ));
        let Err(LowerError::UnknownType { close, .. }) = find(&btf, "sampel") else {
            panic!("sampel was found");
        };
        assert_eq!(close, ["struct sample"]);
    }
}

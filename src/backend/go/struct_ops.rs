//! The struct_ops part of a Go skeleton's view: the tables the runtime matches against the
//! kernel's BTF at `Load` (every name, offset and byte computed here), and the names of the
//! knobs, links and attach methods of each struct_ops map.

use super::names;
use crate::backend::model::Scope;
use crate::backend::struct_ops::member_row;
use crate::backend::BackendError;
use crate::ir::{ObjectSpec, StructOpsMember};
use crate::loader::Blob;
use serde::Serialize;

/// The struct_ops maps and programs of an object, in context descriptor order.
#[derive(Debug, Serialize)]
pub struct StructOpsView {
    /// struct_ops maps.
    pub maps: Vec<StructOpsMapView>,
    /// The field in `Progs` of each struct_ops program, by slot.
    pub progs: Vec<String>,
}

/// One struct_ops map.
#[derive(Debug, Serialize)]
pub struct StructOpsMapView {
    /// Its field in `Maps` and `StructOps` (and `Links` for a `.struct_ops.link` map), and
    /// the stem of its `Attach`/`Detach` methods.
    pub ident: String,
    /// Map name, escaped for a string literal.
    pub name_lit: String,
    /// The kernel struct's name, escaped for a string literal.
    pub type_lit: String,
    /// Map, section and struct, for comments.
    pub comment: String,
    /// `.struct_ops.link`: registered through a BPF link kept in `Links`.
    pub link: bool,
    /// Default of the `Autocreate` knob.
    pub autocreate: bool,
    /// Index of the map in the object (and in the loader context).
    pub map_index: usize,
    /// The compiled structure, as string-literal lines.
    pub image: Vec<String>,
    /// Its members, as Go composite literals of the runtime's member type.
    pub members: Vec<MemberLine>,
}

/// One member of a struct_ops map's structure, as a line of the runtime's table.
#[derive(Debug, Serialize)]
pub struct MemberLine {
    /// `{"name", offset, size, slot, zero},`, padded as gofmt aligns the comments after it.
    pub entry: String,
    /// What the member holds.
    pub comment: String,
}

/// The struct_ops view of `spec` (`maps` and `progs`: the identifiers of its maps and
/// programs), or `None` when it has no struct_ops maps or programs.
/// Claims the attach and detach methods of every map in `members`, and the link of every
/// `.struct_ops.link` map in `links` (the fields of `Links`).
pub(super) fn view(
    spec: &ObjectSpec,
    blob: &Blob,
    maps: &[&str],
    progs: &[&str],
    members: &mut Scope,
    links: &mut Scope,
) -> Result<Option<StructOpsView>, BackendError> {
    let plan = &blob.plan;
    if plan.struct_ops_maps.is_empty() && plan.struct_ops_progs.is_empty() {
        return Ok(None);
    }
    members.claim("the struct_ops knobs", "StructOps")?;
    let mut out = Vec::with_capacity(plan.struct_ops_maps.len());
    for &i in &plan.struct_ops_maps {
        let m = &spec.maps[i];
        let Some(s) = m.struct_ops.as_ref() else {
            continue;
        };
        let ident = maps[i].to_string();
        let owner = format!("struct_ops map {:?}", m.name);
        members.claim(&owner, &format!("Attach{ident}"))?;
        members.claim(&owner, &format!("Detach{ident}"))?;
        if s.link {
            links.claim(&owner, &ident)?;
        }
        out.push(StructOpsMapView {
            name_lit: names::go_string(&m.name),
            type_lit: names::go_string(&s.type_name),
            comment: names::comment(&format!(
                "{} ({}: struct {})",
                m.name, s.section, s.type_name
            )),
            link: s.link,
            autocreate: s.autocreate,
            map_index: i,
            image: names::string_lines(&s.image.0),
            members: member_lines(spec, &plan.struct_ops_progs, &s.members),
            ident,
        });
    }
    Ok(Some(StructOpsView {
        maps: out,
        progs: plan
            .struct_ops_progs
            .iter()
            .map(|&p| progs[p].to_string())
            .collect(),
    }))
}

/// The table lines of `members`; `slots` are the struct_ops programs by slot.
fn member_lines(
    spec: &ObjectSpec,
    slots: &[usize],
    members: &[StructOpsMember],
) -> Vec<MemberLine> {
    let lines: Vec<(String, String)> = members
        .iter()
        .map(|m| {
            let row = member_row(spec, slots, m);
            let slot = row.slot.map_or(-1, |s| s as i64);
            let entry = format!(
                "{{\"{}\", {}, {}, {slot}, {}}},",
                names::go_string(&m.name),
                m.offset,
                m.size,
                row.zero
            );
            (entry, names::comment(&format!("{}: {}", m.name, row.what)))
        })
        .collect();
    let width = lines.iter().map(|(e, _)| e.len()).max().unwrap_or(0);
    lines
        .into_iter()
        .map(|(entry, comment)| MemberLine {
            entry: format!("{entry:<width$}"),
            comment,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::backend::BackendError;

    fn tcpca() -> crate::ObjectSpec {
        super::super::tests::example("tcpca")
    }

    #[test]
    fn tables_follow_the_object() {
        let spec = tcpca();
        let blob = crate::loader::compile(&spec).unwrap();
        let view = super::super::view::build(&spec, &blob, None).unwrap();
        let so = view.struct_ops.unwrap();
        assert_eq!(
            so.progs,
            [
                "TcpcaInit",
                "TcpcaSsthresh",
                "TcpcaCongAvoid",
                "TcpcaUndoCwnd"
            ]
        );
        let idents: Vec<(&str, bool, usize)> = so
            .maps
            .iter()
            .map(|m| (m.ident.as_str(), m.link, m.map_index))
            .collect();
        assert_eq!(idents, [("Tcpca", false, 1), ("TcpcaLink", true, 2)]);
        assert!(view.links);
        let entries: Vec<&str> = so.maps[1]
            .members
            .iter()
            .map(|m| m.entry.trim_end())
            .collect();
        assert_eq!(
            entries,
            [
                "{\"name\", 0, 16, -1, false},",
                "{\"undo_cwnd\", 16, 8, 3, false},",
                "{\"init\", 24, 8, 0, false},",
                "{\"cong_avoid\", 32, 8, 2, false},",
                "{\"ssthresh\", 40, 8, 1, false},",
            ]
        );
    }

    /// A program whose attach method would be a struct_ops map's is refused, naming both.
    #[test]
    fn a_program_named_like_a_map_is_refused() {
        let mut spec = tcpca();
        super::super::tests::add_tracepoint(&mut spec, "tcpca");
        let blob = crate::loader::compile(&spec).unwrap();
        match super::super::render(&spec, &blob, None) {
            Err(BackendError::NameCollision {
                first,
                second,
                ident,
            }) => {
                assert_eq!(ident, "AttachTcpca");
                assert!(first.contains("program \"tcpca\""), "{first}");
                assert!(second.contains("struct_ops map \"tcpca\""), "{second}");
            }
            other => panic!("{other:?}"),
        }
    }
}

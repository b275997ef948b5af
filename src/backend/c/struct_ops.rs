//! The struct_ops part of a C skeleton's view: the tables the runtime matches against the
//! kernel's BTF at `__load` (every name, offset and byte computed here), and the names of
//! the descriptors, values, links and attach functions of each struct_ops map.

use super::attach::comment;
use super::names::{bytes, c_string, ByteArray};
use crate::backend::model::Scope;
use crate::backend::struct_ops::member_row;
use crate::backend::BackendError;
use crate::ir::ObjectSpec;
use crate::loader::Blob;
use serde::Serialize;

/// The struct_ops maps and programs of an object, in context descriptor order.
#[derive(Debug, Serialize)]
pub struct StructOpsView {
    /// struct_ops maps.
    pub maps: Vec<StructOpsMapView>,
    /// struct_ops programs (slots).
    pub progs: Vec<StructOpsProgView>,
    /// Number of struct_ops maps.
    pub nr_maps: usize,
    /// Number of struct_ops programs.
    pub nr_progs: usize,
    /// Length of the arrays of maps the runtime takes: their number, at least 1 (C has no
    /// empty arrays).
    pub map_slots: usize,
    /// Length of the arrays of programs, at least 1.
    pub prog_slots: usize,
}

/// One struct_ops map.
#[derive(Debug, Serialize)]
pub struct StructOpsMapView {
    /// Its member name in `skel->maps`, `skel->struct_ops` and `skel->struct_ops_values`.
    pub ident: String,
    /// Map name, escaped for a string literal.
    pub name_lit: String,
    /// The kernel struct's name, escaped for a string literal.
    pub type_lit: String,
    /// Section and struct, for comments.
    pub comment: String,
    /// `.struct_ops.link`: registered through a BPF link kept in `skel->links.<ident>_fd`.
    pub link: bool,
    /// Default of the `autocreate` knob.
    pub autocreate: u32,
    /// The compiled structure.
    pub image: ByteArray,
    /// Its members.
    pub members: Vec<StructOpsMemberView>,
}

/// One member of a struct_ops map's structure, as a runtime table entry.
#[derive(Debug, Serialize)]
pub struct StructOpsMemberView {
    /// Member name, escaped for a string literal.
    pub name_lit: String,
    /// Offset in the image.
    pub offset: u32,
    /// Size in the image.
    pub size: u32,
    /// Program slot, or -1 for data.
    pub slot: i64,
    /// 1 when the data is all zero.
    pub zero: u32,
    /// What the member holds, for a comment.
    pub comment: String,
}

/// One struct_ops program slot.
#[derive(Debug, Serialize)]
pub struct StructOpsProgView {
    /// Its member name in `skel->progs` and `skel->struct_ops_progs`.
    pub ident: String,
    /// Program name, escaped for a string literal.
    pub name_lit: String,
}

/// The struct_ops view of `spec` (`maps` and `progs`: the identifiers of its maps and
/// programs), or `None` when it has no struct_ops maps or programs.
/// Claims the attach, detach and link names of every map.
pub(super) fn view(
    spec: &ObjectSpec,
    blob: &Blob,
    maps: &[&str],
    progs: &[&str],
    idents: &mut Scope,
) -> Result<Option<StructOpsView>, BackendError> {
    let plan = &blob.plan;
    if plan.struct_ops_maps.is_empty() && plan.struct_ops_progs.is_empty() {
        return Ok(None);
    }
    let slots: Vec<StructOpsProgView> = plan
        .struct_ops_progs
        .iter()
        .map(|&p| StructOpsProgView {
            ident: progs[p].to_string(),
            name_lit: c_string(&spec.programs[p].name),
        })
        .collect();
    let mut out = Vec::with_capacity(plan.struct_ops_maps.len());
    for &i in &plan.struct_ops_maps {
        let m = &spec.maps[i];
        let Some(s) = m.struct_ops.as_ref() else {
            continue;
        };
        let ident = maps[i].to_string();
        let owner = format!("struct_ops map {}", m.name);
        idents.claim_kind("fn", &owner, &format!("{ident}__attach"))?;
        idents.claim_kind("fn", &owner, &format!("{ident}__detach"))?;
        if s.link {
            idents.claim_kind("link", &owner, &format!("{ident}_fd"))?;
        }
        let members = s
            .members
            .iter()
            .map(|mb| member_view(spec, plan, mb))
            .collect();
        out.push(StructOpsMapView {
            name_lit: c_string(&m.name),
            type_lit: c_string(&s.type_name),
            comment: comment(&format!("{}: struct {}", s.section, s.type_name)),
            link: s.link,
            autocreate: u32::from(s.autocreate),
            image: bytes(&s.image.0, false),
            members,
            ident,
        });
    }
    Ok(Some(StructOpsView {
        nr_maps: out.len(),
        nr_progs: slots.len(),
        map_slots: out.len().max(1),
        prog_slots: slots.len().max(1),
        maps: out,
        progs: slots,
    }))
}

fn member_view(
    spec: &ObjectSpec,
    plan: &crate::loader::LoaderPlan,
    m: &crate::ir::StructOpsMember,
) -> StructOpsMemberView {
    let row = member_row(spec, &plan.struct_ops_progs, m);
    StructOpsMemberView {
        name_lit: c_string(&m.name),
        offset: m.offset,
        size: m.size,
        slot: row.slot.map_or(-1, |s| s as i64),
        zero: u32::from(row.zero),
        comment: comment(&format!("{}: {}", m.name, row.what)),
    }
}

/// The members of `struct NAME__links`, without `_fd`: every program, then every
/// `.struct_ops.link` map.
pub(super) fn links(progs: &[&str], struct_ops: Option<&StructOpsView>) -> Vec<String> {
    let link_maps = struct_ops
        .into_iter()
        .flat_map(|s| s.maps.iter().filter(|m| m.link));
    progs
        .iter()
        .map(|p| p.to_string())
        .chain(link_maps.map(|m| m.ident.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::backend::BackendError;

    fn tcpca() -> crate::ObjectSpec {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bpf/tcpca.bpf.o");
        crate::parse_object(&std::fs::read(path).unwrap(), "tcpca").unwrap()
    }

    #[test]
    fn a_program_named_like_a_link_map_is_refused() {
        let mut spec = tcpca();
        spec.programs[0].name = "tcpca_link".into();
        let blob = crate::loader::compile(&spec).unwrap();
        match super::super::render(&spec, &blob) {
            Err(BackendError::NameCollision { ident, .. }) => assert_eq!(ident, "tcpca_link_fd"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tables_follow_the_object() {
        let spec = tcpca();
        let blob = crate::loader::compile(&spec).unwrap();
        let view = super::super::view::build(&spec, &blob).unwrap();
        let so = view.struct_ops.unwrap();
        assert_eq!(
            (so.nr_maps, so.nr_progs, so.map_slots, so.prog_slots),
            (2, 4, 2, 4)
        );
        assert_eq!(view.links.last().map(String::as_str), Some("tcpca_link"));
        let link = &so.maps[1];
        assert!(link.link && link.autocreate == 1);
        let slots: Vec<i64> = link.members.iter().map(|m| m.slot).collect();
        assert_eq!(slots, [-1, 3, 0, 2, 1]);
        assert_eq!(link.members[0].zero, 0);
    }
}

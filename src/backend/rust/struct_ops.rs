//! The struct_ops part of a Rust skeleton's view: the tables the runtime matches against the
//! kernel's BTF at load (every name, offset and byte computed here), and the names of the
//! attach and detach methods of each struct_ops map.

use super::names;
use crate::backend::model::Scope;
use crate::backend::struct_ops::member_row;
use crate::backend::BackendError;
use crate::ir::{ObjectSpec, StructOpsMember, StructOpsSpec};
use crate::loader::Blob;
use serde::Serialize;

/// The struct_ops maps and program slots of an object, in context descriptor order.
#[derive(Debug, Serialize)]
pub struct StructOpsView {
    /// struct_ops maps.
    pub maps: Vec<StructOpsMapView>,
    /// struct_ops programs, by slot.
    pub progs: Vec<StructOpsProgView>,
    /// Number of struct_ops programs.
    pub nr_progs: usize,
}

/// One struct_ops map.
#[derive(Debug, Serialize)]
pub struct StructOpsMapView {
    /// Its field in the maps, knobs and struct_ops structs.
    pub ident: String,
    /// Its index among the object's maps.
    pub map_index: usize,
    /// The local holding its `StructOps` while the skeleton is built.
    pub local: String,
    /// Map name, a string literal.
    pub name: String,
    /// The kernel struct's name, a string literal.
    pub type_name: String,
    /// Section and struct, for doc comments.
    pub doc: String,
    /// `.struct_ops.link`: registered through a BPF link.
    pub link: bool,
    /// Default of the `autocreate` knob.
    pub autocreate: bool,
    /// The compiled structure, a byte string literal.
    pub image: String,
    /// Its members.
    pub members: Vec<StructOpsMemberView>,
    /// The skeleton's method registering it.
    pub attach: String,
    /// Its doc comment's lines.
    pub attach_doc: Vec<String>,
    /// The skeleton's method unregistering it.
    pub detach: String,
    /// Its doc comment's lines.
    pub detach_doc: Vec<String>,
}

/// One member of a struct_ops map's structure, as a runtime table entry.
#[derive(Debug, Serialize)]
pub struct StructOpsMemberView {
    /// Member name, a string literal.
    pub name: String,
    /// Offset in the image.
    pub offset: u32,
    /// Size in the image.
    pub size: u32,
    /// Its program's slot (`Some(n)`), or `None` for data.
    pub slot: String,
    /// The data is all zero.
    pub zero: bool,
}

/// One struct_ops program slot.
#[derive(Debug, Serialize)]
pub struct StructOpsProgView {
    /// Its field in the programs struct.
    pub ident: String,
    /// Program name, a string literal.
    pub name: String,
    /// Its index among the object's programs.
    pub prog_index: usize,
}

/// The struct_ops view of `spec` (`maps` and `progs`: the identifiers of its maps and
/// programs), or `None` when it has no struct_ops maps or programs.
/// Claims the attach and detach method names of every map in `methods`.
pub(super) fn view(
    spec: &ObjectSpec,
    blob: &Blob,
    maps: &[&str],
    progs: &[&str],
    methods: &mut Scope,
) -> Result<Option<StructOpsView>, BackendError> {
    let plan = &blob.plan;
    if plan.struct_ops_maps.is_empty() && plan.struct_ops_progs.is_empty() {
        return Ok(None);
    }
    let slots = plan
        .struct_ops_progs
        .iter()
        .map(|&p| StructOpsProgView {
            ident: progs[p].to_string(),
            name: names::string_literal(&spec.programs[p].name),
            prog_index: p,
        })
        .collect();
    let mut out = Vec::with_capacity(plan.struct_ops_maps.len());
    for &i in &plan.struct_ops_maps {
        let m = &spec.maps[i];
        let Some(s) = m.struct_ops.as_ref() else {
            continue;
        };
        let owner = format!("struct_ops map {}", m.name);
        let attach = names::escape(&format!("attach_{}", m.name));
        let detach = names::escape(&format!("detach_{}", m.name));
        methods.claim(&owner, &attach)?;
        methods.claim(&owner, &detach)?;
        out.push(StructOpsMapView {
            ident: maps[i].to_string(),
            map_index: i,
            local: format!("so{}", out.len()),
            name: names::string_literal(&m.name),
            type_name: names::string_literal(&s.type_name),
            doc: names::doc(&format!("`{}`: struct {}", s.section, s.type_name)),
            link: s.link,
            autocreate: s.autocreate,
            image: names::byte_string(&s.image.0),
            members: s
                .members
                .iter()
                .map(|mb| member_view(spec, &plan.struct_ops_progs, mb))
                .collect(),
            attach_doc: attach_doc(&m.name, s, &detach),
            detach_doc: names::doc_lines(
                &format!("Unregisters the struct_ops map `{}`.", m.name),
                88,
            ),
            attach,
            detach,
        });
    }
    Ok(Some(StructOpsView {
        maps: out,
        nr_progs: plan.struct_ops_progs.len(),
        progs: slots,
    }))
}

/// The doc comment of a struct_ops map's attach method.
fn attach_doc(map: &str, s: &StructOpsSpec, detach: &str) -> Vec<String> {
    let how = if s.link {
        format!(
            "through a BPF link (Linux 6.4), which `self.struct_ops.{map}` keeps; `{detach}` \
             closes the link, and this registers it again"
        )
    } else {
        format!(
            "by writing its structure to the map; `{detach}` deletes it, which unregisters \
             it for good (the kernel registers a `.struct_ops` map once)"
        )
    };
    names::doc_lines(
        &format!(
            "Registers the struct_ops map `{map}` (section `{}`, struct {}) {how}.",
            s.section, s.type_name
        ),
        88,
    )
}

fn member_view(spec: &ObjectSpec, slots: &[usize], m: &StructOpsMember) -> StructOpsMemberView {
    let row = member_row(spec, slots, m);
    StructOpsMemberView {
        name: names::string_literal(&m.name),
        offset: m.offset,
        size: m.size,
        slot: row
            .slot
            .map_or_else(|| "None".to_string(), |s| format!("Some({s})")),
        zero: row.zero,
    }
}

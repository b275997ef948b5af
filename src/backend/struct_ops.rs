//! What every backend's struct_ops tables say of a member, decided once: which program slot
//! fills it, whether its data is all zero, and what it holds (for a comment).

use crate::ir::{MemberValue, ObjectSpec, StructOpsMember};

/// One member of a struct_ops structure, before a backend spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberRow {
    /// The struct_ops program slot (index into `plan.struct_ops_progs`) of a program
    /// member; `None` for data.
    pub slot: Option<usize>,
    /// Data that is all zero (a member the kernel may lack).
    pub zero: bool,
    /// `program NAME` or `data`.
    pub what: String,
}

/// The row of member `m`; `slots` are the struct_ops programs by slot.
pub(crate) fn member_row(spec: &ObjectSpec, slots: &[usize], m: &StructOpsMember) -> MemberRow {
    match m.value {
        MemberValue::Prog { prog } => MemberRow {
            slot: slots.iter().position(|&p| p == prog),
            zero: false,
            what: format!(
                "program {}",
                spec.programs.get(prog).map_or("?", |p| p.name.as_str())
            ),
        },
        MemberValue::Data { zero } => MemberRow {
            slot: None,
            zero,
            what: "data".to_string(),
        },
    }
}

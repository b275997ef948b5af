//! struct_ops maps: a kernel structure of callbacks (a TCP congestion control, a scheduler)
//! whose function pointers are programs of the object. Registering the structure with the
//! kernel is what attaching the map means.
//!
//! Only the object's own (local) layout is known here. The kernel's layout of the same
//! structure differs between kernels and objects often declare only the members they use,
//! so a runtime matches the members below to the kernel's by name, on the target.

use super::HexBytes;
use serde::{Deserialize, Serialize};

/// The contents of a struct_ops map, in the object's layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructOpsSpec {
    /// ELF section of the variable (`.struct_ops` or `.struct_ops.link`), without a leading
    /// `?`.
    pub section: String,
    /// The kernel structure's name (`tcp_congestion_ops`): the local struct's name without
    /// a `___flavour` suffix.
    pub type_name: String,
    /// `.struct_ops.link`: created with `BPF_F_LINK` and registered through a BPF link
    /// (Linux 6.4), instead of by the map update itself.
    pub link: bool,
    /// Created by default; `SEC("?.struct_ops")` turns it off, as libbpf does.
    pub autocreate: bool,
    /// The variable's compiled bytes (function pointer slots are zero).
    pub image: HexBytes,
    /// Members in declaration order.
    pub members: Vec<StructOpsMember>,
}

/// One member of the local structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StructOpsMember {
    /// Member name, matched to the kernel structure's member of the same name.
    pub name: String,
    /// Byte offset in [`StructOpsSpec::image`].
    pub offset: u32,
    /// Size in bytes in the local layout.
    pub size: u32,
    /// What the member holds.
    pub value: MemberValue,
}

/// What a struct_ops member holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MemberValue {
    /// A function pointer set to a struct_ops program: the kernel gets the program's fd.
    Prog {
        /// Index into [`super::ObjectSpec::programs`].
        prog: usize,
    },
    /// Plain data (or a function pointer left empty): copied into the kernel's layout.
    Data {
        /// Every byte is zero, so a kernel without the member can do without it.
        zero: bool,
    },
}

impl StructOpsSpec {
    /// The programs the map's members refer to, with the member of each, in member order.
    pub fn programs(&self) -> impl Iterator<Item = (usize, &StructOpsMember)> {
        self.members.iter().filter_map(|m| match m.value {
            MemberValue::Prog { prog } => Some((prog, m)),
            MemberValue::Data { .. } => None,
        })
    }
}

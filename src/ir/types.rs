//! The type table: C types reachable from maps and global data, with layout made explicit.
//!
//! Backends print these; they never look at BTF. Every struct lists its members in offset
//! order with explicit padding, so a backend only has to print what it sees.

use serde::{Deserialize, Serialize};

/// Index into [`TypeTable::types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TypeId(pub u32);

/// All types the backends need, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeTable {
    /// The types; a [`TypeId`] is an index into this vector.
    pub types: Vec<TypeDef>,
}

/// One type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    /// C name, if the type has one.
    pub name: Option<String>,
}

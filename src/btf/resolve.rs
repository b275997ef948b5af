//! Size and alignment of types, and skipping of modifiers, all in bounded time.

use super::{Btf, BtfError, BtfMember, BtfType};
use std::collections::HashMap;

/// Longest chain of typedefs, modifiers and arrays followed before giving up (libbpf's limit).
pub const MAX_RESOLVE_DEPTH: u32 = 32;
/// Deepest nesting of struct members followed when computing an alignment.
const MAX_ALIGN_DEPTH: u32 = 64;
/// Pointer size of the BPF target.
pub const PTR_SIZE: u32 = 8;

impl Btf {
    /// Size in bytes. Follows typedefs, modifiers, type tags and `VAR`s; multiplies array
    /// lengths (checked). Void, forward declarations, functions and tags have no size.
    pub fn resolve_size(&self, id: u32) -> Result<u32, BtfError> {
        let mut mult: u32 = 1;
        let mut cur = id;
        for _ in 0..MAX_RESOLVE_DEPTH {
            let t = self.type_from(cur, id)?;
            let size = match t {
                BtfType::Int { size, .. }
                | BtfType::Float { size, .. }
                | BtfType::Struct { size, .. }
                | BtfType::Union { size, .. }
                | BtfType::Enum { size, .. }
                | BtfType::Enum64 { size, .. }
                | BtfType::Datasec { size, .. } => *size,
                BtfType::Ptr { .. } => PTR_SIZE,
                BtfType::Typedef { ty, .. }
                | BtfType::Volatile { ty, .. }
                | BtfType::Const { ty, .. }
                | BtfType::Restrict { ty, .. }
                | BtfType::TypeTag { ty, .. }
                | BtfType::Var { ty, .. } => {
                    cur = *ty;
                    continue;
                }
                BtfType::Array {
                    elem_ty, nelems, ..
                } => {
                    mult = mult
                        .checked_mul(*nelems)
                        .ok_or(BtfError::SizeOverflow { id })?;
                    cur = *elem_ty;
                    continue;
                }
                other => {
                    return Err(BtfError::Unsized {
                        id: cur,
                        kind: other.kind(),
                    })
                }
            };
            return size.checked_mul(mult).ok_or(BtfError::SizeOverflow { id });
        }
        Err(BtfError::TooDeep { id })
    }

    /// Follows typedefs, `const`, `volatile`, `restrict` and type tags to the first other type.
    pub fn skip_mods_and_typedefs(&self, id: u32) -> Result<u32, BtfError> {
        self.skip_while(id, |t| {
            matches!(
                t,
                BtfType::Typedef { .. }
                    | BtfType::Volatile { .. }
                    | BtfType::Const { .. }
                    | BtfType::Restrict { .. }
                    | BtfType::TypeTag { .. }
            )
        })
    }

    /// Follows `const`, `volatile`, `restrict` and type tags, stopping at typedefs.
    pub fn skip_mods(&self, id: u32) -> Result<u32, BtfError> {
        self.skip_while(id, |t| {
            matches!(
                t,
                BtfType::Volatile { .. }
                    | BtfType::Const { .. }
                    | BtfType::Restrict { .. }
                    | BtfType::TypeTag { .. }
            )
        })
    }

    fn skip_while(&self, id: u32, skip: impl Fn(&BtfType) -> bool) -> Result<u32, BtfError> {
        let mut cur = id;
        for _ in 0..MAX_RESOLVE_DEPTH {
            let t = self.type_from(cur, id)?;
            match t.referenced() {
                Some(next) if skip(t) => cur = next,
                _ => return Ok(cur),
            }
        }
        Err(BtfError::TooDeep { id })
    }

    /// Alignment in bytes, by libbpf's rules: scalars align to their size capped at the
    /// pointer size; a struct or union aligns to its strictest member, or to 1 when a member
    /// offset or the size shows it was packed.
    pub fn resolve_align(&self, id: u32) -> Result<u32, BtfError> {
        // Memoised so that a type shared by many members (a DAG) is visited once.
        let mut memo = HashMap::new();
        self.align_in(id, 0, &mut memo)
    }

    fn align_in(&self, id: u32, depth: u32, memo: &mut HashMap<u32, u32>) -> Result<u32, BtfError> {
        if let Some(&a) = memo.get(&id) {
            return Ok(a);
        }
        if depth >= MAX_ALIGN_DEPTH {
            return Err(BtfError::TooDeep { id });
        }
        let t = self.type_by_id(id)?;
        let align = match t {
            BtfType::Int { size, .. }
            | BtfType::Float { size, .. }
            | BtfType::Enum { size, .. }
            | BtfType::Enum64 { size, .. } => (*size).clamp(1, PTR_SIZE),
            BtfType::Ptr { .. } => PTR_SIZE,
            BtfType::Typedef { ty, .. }
            | BtfType::Volatile { ty, .. }
            | BtfType::Const { ty, .. }
            | BtfType::Restrict { ty, .. }
            | BtfType::TypeTag { ty, .. } => self.align_in(*ty, depth + 1, memo)?,
            BtfType::Array { elem_ty, .. } => self.align_in(*elem_ty, depth + 1, memo)?,
            BtfType::Struct { .. } | BtfType::Union { .. } => {
                self.composite_align(id, depth, memo)?
            }
            other => {
                return Err(BtfError::Unsized {
                    id,
                    kind: other.kind(),
                })
            }
        };
        memo.insert(id, align);
        Ok(align)
    }

    fn composite_align(
        &self,
        id: u32,
        depth: u32,
        memo: &mut HashMap<u32, u32>,
    ) -> Result<u32, BtfError> {
        let t = self.type_by_id(id)?;
        let (
            Some((members, kind_flag)),
            BtfType::Struct { size, .. } | BtfType::Union { size, .. },
        ) = (t.members(), t)
        else {
            return Err(BtfError::UnexpectedKind {
                id,
                kind: t.kind(),
                expected: "struct or union",
            });
        };
        let mut max_align = 1;
        for m in members {
            let align = self.align_in(m.ty, depth + 1, memo)?;
            max_align = max_align.max(align);
            // A plain member that is not aligned for its type means the struct was packed.
            let bit_align = u64::from(align) * 8;
            let bitfield = self.member_bitfield_size(m, kind_flag)? != 0;
            if !bitfield && u64::from(m.bit_offset(kind_flag)) % bit_align != 0 {
                return Ok(1);
            }
        }
        // A size that is not a multiple of the alignment also means packed.
        Ok(if size % max_align != 0 { 1 } else { max_align })
    }

    /// Bitfield width of a member, 0 for a plain member. Covers both encodings: the
    /// kind_flag one (width in the member's offset field) and the older one, where the member's
    /// type is an `INT` narrower than its storage or with a bit offset of its own.
    pub fn member_bitfield_size(&self, m: &BtfMember, kind_flag: bool) -> Result<u32, BtfError> {
        if kind_flag {
            return Ok(m.bitfield_size(true));
        }
        let target = self.skip_mods_and_typedefs(m.ty)?;
        match self.type_by_id(target)? {
            BtfType::Int {
                size, offset, bits, ..
            } if *offset != 0 || u64::from(*bits) != u64::from(*size) * 8 => Ok((*bits).into()),
            _ => Ok(0),
        }
    }

    /// Bit offset of a member from the start of its struct, including the `INT` bit offset of
    /// the older bitfield encoding.
    pub fn member_bit_offset(&self, m: &BtfMember, kind_flag: bool) -> Result<u64, BtfError> {
        let base = u64::from(m.bit_offset(kind_flag));
        if kind_flag {
            return Ok(base);
        }
        let target = self.skip_mods_and_typedefs(m.ty)?;
        match self.type_by_id(target)? {
            BtfType::Int { offset, .. } => Ok(base + u64::from(*offset)),
            _ => Ok(base),
        }
    }
}

//! Printing a struct or union body: members, padding, bitfields, anonymous members,
//! attributes and the layout assertions.

use super::{
    is_extension, offset_assert, size_assert, unsupported, AssertView, TypeDefView, TypePrinter,
};
use crate::backend::BackendError;
use crate::ir::types::{Bitfield, Member, MemberKind, TypeDef, TypeKind};
use crate::ir::TypeId;
use std::collections::BTreeSet;

/// State while printing one top-level definition.
struct Body {
    lines: Vec<String>,
    asserts: Vec<AssertView>,
    pads: u32,
    names: BTreeSet<String>,
    outer: String,
}

impl TypePrinter<'_> {
    pub(super) fn emit_aggregate(
        &mut self,
        def: &TypeDef,
        spelled: &str,
        members: &[Member],
    ) -> Result<(), BackendError> {
        let mut body = Body {
            lines: Vec::new(),
            asserts: Vec::new(),
            pads: 0,
            names: BTreeSet::new(),
            outer: spelled.to_string(),
        };
        collect_names(self, members, &mut body.names)?;
        let (attrs, align) = self.attributes(def, members)?;
        let (keyword, tag) = spelled.split_once(' ').unwrap_or((spelled, ""));
        body.lines.push(format!("{keyword}{attrs} {tag} {{"));
        let is_union = matches!(def.kind, TypeKind::Union { .. });
        self.members(&mut body, members, is_union, 1, 0)?;
        body.lines.push("};".into());
        // A data section's size need not be a multiple of its alignment; C rounds it up.
        body.asserts
            .insert(0, size_assert(spelled, def.size.next_multiple_of(align)));
        let own = tag.starts_with(&format!("{}__", self.object));
        let guard = (!own).then(|| format!("SKELGEN_DEFINED_{keyword}_{tag}"));
        self.defs.push(TypeDefView {
            guard,
            lines: body.lines,
            asserts: body.asserts,
        });
        Ok(())
    }

    /// `__attribute__((...))` for a struct whose layout C would not reproduce on its own,
    /// and the alignment C then gives it.
    fn attributes(&self, def: &TypeDef, members: &[Member]) -> Result<(String, u32), BackendError> {
        let mut natural = 1;
        let mut misaligned = false;
        for m in members {
            let align = match &m.kind {
                MemberKind::Field { ty, .. } => self.c_align(*ty)?,
                MemberKind::Bitfields { fields } => {
                    let mut a = 1;
                    for f in fields {
                        a = a.max(self.c_align(f.ty)?);
                    }
                    a
                }
                MemberKind::Padding => 1,
            };
            if !matches!(m.kind, MemberKind::Bitfields { .. }) && m.offset % align != 0 {
                misaligned = true;
            }
            natural = natural.max(align);
        }
        Ok(if misaligned || def.align < natural {
            if def.align > 1 {
                let attr = format!(" __attribute__((__packed__, __aligned__({})))", def.align);
                (attr, def.align)
            } else {
                (" __attribute__((__packed__))".into(), 1)
            }
        } else if def.align > natural {
            let attr = format!(" __attribute__((__aligned__({})))", def.align);
            (attr, def.align)
        } else {
            (String::new(), natural)
        })
    }

    fn members(
        &mut self,
        body: &mut Body,
        members: &[Member],
        is_union: bool,
        depth: usize,
        base: u32,
    ) -> Result<(), BackendError> {
        let indent = "\t".repeat(depth);
        let mut bit_cursor: Option<u64> = None;
        for m in members {
            match &m.kind {
                MemberKind::Padding => {
                    let pad = next_pad(body);
                    let byte = super::byte(self.dialect);
                    body.lines
                        .push(format!("{indent}{byte} {pad}[{}];", m.size));
                    bit_cursor = None;
                }
                MemberKind::Field { name: None, ty } => {
                    self.anonymous_member(body, *ty, depth, base + m.offset)?;
                    bit_cursor = None;
                }
                MemberKind::Field { name: Some(n), ty } => {
                    if m.size == 0 {
                        body.lines
                            .push(format!("{indent}/* {n}: flexible array, not shown */"));
                        continue;
                    }
                    let ident = self
                        .dialect
                        .ident(&format!("member of {}", body.outer), n)?;
                    let (b, suffix) = self.spell(*ty)?;
                    let ext = if is_extension(&b) {
                        "__extension__ "
                    } else {
                        ""
                    };
                    body.lines
                        .push(format!("{indent}{ext}{b} {ident}{suffix};"));
                    body.asserts
                        .push(offset_assert(&body.outer, &ident, base + m.offset));
                    bit_cursor = None;
                }
                MemberKind::Bitfields { fields } => {
                    if is_union && fields.iter().any(|f| f.bit_offset != 0) {
                        return Err(BackendError::Unsupported {
                            what: body.outer.clone(),
                            reason: "a union bitfield that does not start at bit 0".into(),
                        });
                    }
                    let start = u64::from(m.offset) * 8;
                    let cursor = if is_union {
                        start
                    } else {
                        bit_cursor.unwrap_or(start)
                    };
                    let end = self.bitfields(body, fields, start, cursor, &indent)?;
                    bit_cursor = Some(end);
                }
            }
        }
        Ok(())
    }

    /// Prints one storage unit of bitfields; `cursor` is the bit C has reached. Returns the
    /// bit after the last field.
    fn bitfields(
        &mut self,
        body: &mut Body,
        fields: &[Bitfield],
        unit_start: u64,
        mut cursor: u64,
        indent: &str,
    ) -> Result<u64, BackendError> {
        for f in fields {
            let (b, _) = self.spell(f.ty)?;
            let ext = if self.plain_bitfield(f.ty)? {
                ""
            } else {
                "__extension__ "
            };
            let at = unit_start + u64::from(f.bit_offset);
            let width = u64::from(self.get(f.ty)?.size) * 8;
            while at > cursor {
                let gap = (at - cursor).min(width.max(1));
                body.lines.push(format!("{indent}{ext}{b} : {gap};"));
                cursor += gap;
            }
            let name = match &f.name {
                Some(n) => self
                    .dialect
                    .ident(&format!("bitfield of {}", body.outer), n)?,
                None => String::new(),
            };
            let sep = if name.is_empty() { "" } else { " " };
            body.lines
                .push(format!("{indent}{ext}{b}{sep}{name} : {};", f.bits));
            cursor = at + u64::from(f.bits);
        }
        Ok(cursor)
    }

    fn anonymous_member(
        &mut self,
        body: &mut Body,
        ty: TypeId,
        depth: usize,
        offset: u32,
    ) -> Result<(), BackendError> {
        let def = self.get(ty)?;
        let (keyword, members, is_union) = match &def.kind {
            TypeKind::Struct { members } => ("struct", members, false),
            TypeKind::Union { members } => ("union", members, true),
            _ => {
                return Err(unsupported(
                    def,
                    "anonymous member that is not a struct or union",
                ))
            }
        };
        let indent = "\t".repeat(depth);
        let (attrs, _) = self.attributes(def, members)?;
        body.lines.push(format!("{indent}{keyword}{attrs} {{"));
        self.members(body, members, is_union, depth + 1, offset)?;
        body.lines.push(format!("{indent}}};"));
        Ok(())
    }
}

/// Names of every member reachable without a member name (C puts them in one scope).
fn collect_names(
    p: &TypePrinter<'_>,
    members: &[Member],
    out: &mut BTreeSet<String>,
) -> Result<(), BackendError> {
    for m in members {
        match &m.kind {
            MemberKind::Field { name: Some(n), .. } => {
                out.insert(p.dialect.escape(n));
            }
            MemberKind::Field { name: None, ty } => {
                if let TypeKind::Struct { members } | TypeKind::Union { members } =
                    &p.get(*ty)?.kind
                {
                    collect_names(p, members, out)?;
                }
            }
            MemberKind::Bitfields { fields } => {
                out.extend(
                    fields
                        .iter()
                        .filter_map(|f| f.name.as_deref().map(|n| p.dialect.escape(n))),
                );
            }
            MemberKind::Padding => {}
        }
    }
    Ok(())
}

fn next_pad(body: &mut Body) -> String {
    loop {
        let name = format!("__pad{}", body.pads);
        body.pads += 1;
        if !body.names.contains(&name) {
            return name;
        }
    }
}

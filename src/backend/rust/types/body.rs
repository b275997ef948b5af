//! Printing a struct or union body: field names, padding, bitfield storage, anonymous
//! members, `repr`, the accessor methods and the layout assertions.

use super::{
    keyword, names, unsupported, AccessorView, AssertView, FieldView, TypePrinter, TypeView,
};
use crate::backend::model::Scope;
use crate::backend::BackendError;
use crate::ir::types::{Member, MemberKind, TypeDef, TypeKind};
use crate::ir::TypeId;

/// One step of the path from `self` to a value: a field name, and whether the field
/// belongs to a union (reading it then needs `unsafe`).
#[derive(Debug, Clone)]
struct Seg {
    field: String,
    in_union: bool,
}

/// The Rust field name of each member (`None` for a flexible array, which is not shown),
/// the same for the definition and for every accessor that reaches into it.
fn field_names(
    printer: &TypePrinter<'_>,
    owner: &str,
    members: &[Member],
) -> Result<Vec<Option<String>>, BackendError> {
    let mut taken = Scope::default();
    for m in members {
        if let MemberKind::Field { name: Some(n), .. } = &m.kind {
            let ident = names::ident(&format!("member of {owner}"), n)?;
            taken.claim(&format!("member {n} of {owner}"), &ident)?;
        }
    }
    let mut next = |prefix: &str| {
        let mut n = 0;
        loop {
            let name = format!("__{prefix}{n}");
            if !taken.contains(&name) {
                taken.claim(owner, &name).ok();
                return name;
            }
            n += 1;
        }
    };
    members
        .iter()
        .map(|m| {
            Ok(match &m.kind {
                MemberKind::Field { name: Some(_), .. } if m.size == 0 => None,
                MemberKind::Field { name: Some(n), .. } => Some(names::escape(n)),
                MemberKind::Field { name: None, ty } => {
                    // An anonymous member must be a struct or union; anything else is refused.
                    let def = printer.get(*ty)?;
                    if !matches!(def.kind, TypeKind::Struct { .. } | TypeKind::Union { .. }) {
                        return Err(unsupported(
                            def,
                            "anonymous member that is not a struct or union",
                        ));
                    }
                    Some(next("anon"))
                }
                MemberKind::Bitfields { .. } => Some(next("bf")),
                MemberKind::Padding => Some(next("pad")),
            })
        })
        .collect()
}

impl TypePrinter<'_> {
    pub(super) fn emit_aggregate(
        &mut self,
        def: &TypeDef,
        name: &str,
        doc: String,
        members: &[Member],
    ) -> Result<(), BackendError> {
        let owner = format!("{} {name}", keyword(def));
        let is_union = matches!(def.kind, TypeKind::Union { .. });
        let idents = field_names(self, &owner, members)?;
        let mut fields = Vec::new();
        let mut asserts = vec![AssertView {
            cond: format!("::core::mem::size_of::<{name}>() == {}", def.size),
            msg: names::string_literal(&format!("{name}: size")),
        }];
        for (m, ident) in members.iter().zip(&idents) {
            let Some(ident) = ident else { continue };
            let ty = match &m.kind {
                MemberKind::Field { ty, .. } => self.spell(*ty)?,
                MemberKind::Bitfields { .. } | MemberKind::Padding => format!("[u8; {}]", m.size),
            };
            if !is_union {
                asserts.push(AssertView {
                    cond: format!("::core::mem::offset_of!({name}, {ident}) == {}", m.offset),
                    msg: names::string_literal(&format!("{name}: offset of {ident}")),
                });
            }
            fields.push(FieldView {
                name: ident.clone(),
                ty,
            });
        }
        let mut methods = Scope::default();
        let mut accessors = Vec::new();
        self.accessors(
            &owner,
            members,
            &idents,
            is_union,
            &[],
            &mut methods,
            &mut accessors,
        )?;
        let repr = self.repr(def, members, &owner)?;
        self.defs.push(TypeView {
            doc,
            keyword: keyword(def),
            name: name.to_string(),
            repr,
            fields,
            accessors,
            asserts,
        });
        Ok(())
    }

    /// `#[repr(...)]` for a layout Rust must reproduce exactly.
    fn repr(&self, def: &TypeDef, members: &[Member], owner: &str) -> Result<String, BackendError> {
        let mut natural = 1;
        let mut misaligned = false;
        let mut aligns = Vec::new();
        for m in members {
            let align = match &m.kind {
                MemberKind::Field { ty, .. } if m.size > 0 => self.rust_align(*ty)?,
                _ => 1,
            };
            misaligned |= m.offset % align != 0;
            natural = natural.max(align);
            aligns.push((m.offset, align));
        }
        let want = def.align.max(1);
        if !misaligned && want == natural {
            return Ok("C".into());
        }
        if !misaligned && want > natural {
            return Ok(format!("C, align({want})"));
        }
        if want == 1 {
            return Ok("C, packed".into());
        }
        // packed(N) lowers every field's alignment to at most N; it reproduces the layout
        // when every field sits at a multiple of that and the struct's alignment is N.
        let fits = aligns.iter().all(|(off, a)| off % (*a).min(want) == 0);
        if fits && natural >= want {
            return Ok(format!("C, packed({want})"));
        }
        Err(BackendError::Unsupported {
            what: owner.to_string(),
            reason: format!(
                "a packed layout aligned to {want} bytes that Rust's repr cannot express"
            ),
        })
    }

    /// Getters and setters for what is not a plain field of this type: its bitfields, the
    /// fields of a union, and everything inside anonymous members (as C reaches them).
    #[allow(clippy::too_many_arguments)]
    fn accessors(
        &self,
        owner: &str,
        members: &[Member],
        idents: &[Option<String>],
        is_union: bool,
        prefix: &[Seg],
        methods: &mut Scope,
        out: &mut Vec<AccessorView>,
    ) -> Result<(), BackendError> {
        for (m, ident) in members.iter().zip(idents) {
            let Some(ident) = ident else { continue };
            let mut path = prefix.to_vec();
            path.push(Seg {
                field: ident.clone(),
                in_union: is_union,
            });
            match &m.kind {
                MemberKind::Padding => {}
                MemberKind::Field { name: Some(n), ty } => {
                    if is_union || !prefix.is_empty() {
                        let acc = self.field_accessor(n, *ty, &path)?;
                        claim_accessor(methods, owner, &acc)?;
                        out.push(acc);
                    }
                }
                MemberKind::Field { name: None, ty } => {
                    let def = self.get(*ty)?;
                    let (TypeKind::Struct { members: inner } | TypeKind::Union { members: inner }) =
                        &def.kind
                    else {
                        continue;
                    };
                    let inner_owner = format!("{} inside {owner}", keyword(def));
                    let inner_idents = field_names(self, &inner_owner, inner)?;
                    let inner_union = matches!(def.kind, TypeKind::Union { .. });
                    self.accessors(
                        owner,
                        inner,
                        &inner_idents,
                        inner_union,
                        &path,
                        methods,
                        out,
                    )?;
                }
                MemberKind::Bitfields { fields } => {
                    for f in fields {
                        let Some(n) = &f.name else { continue };
                        let acc = self.bits_accessor(n, f.ty, &path, f.bit_offset, f.bits)?;
                        claim_accessor(methods, owner, &acc)?;
                        out.push(acc);
                    }
                }
            }
        }
        Ok(())
    }

    fn field_accessor(
        &self,
        name: &str,
        ty: TypeId,
        path: &[Seg],
    ) -> Result<AccessorView, BackendError> {
        let place = place(path);
        let read = if path.iter().any(|s| s.in_union) {
            format!("unsafe {{ {place} }}")
        } else {
            place.clone()
        };
        Ok(AccessorView {
            doc: format!("`{name}`{}", where_(path)),
            get: names::escape(name),
            set: names::escape(&format!("set_{name}")),
            ty: self.spell(ty)?,
            read,
            write: format!("{place} = value;"),
        })
    }

    fn bits_accessor(
        &self,
        name: &str,
        ty: TypeId,
        path: &[Seg],
        bit_offset: u32,
        bits: u32,
    ) -> Result<AccessorView, BackendError> {
        let ty_name = self.spell(ty)?;
        let place = place(path);
        let through_union = path.iter().any(|s| s.in_union);
        let (get_ref, set_ref) = if through_union {
            (
                format!("unsafe {{ &{place} }}"),
                format!("unsafe {{ &mut {place} }}"),
            )
        } else {
            (format!("&{place}"), format!("&mut {place}"))
        };
        let (getter, wide) = if self.is_signed(ty)? {
            ("bits_signed", "i128")
        } else {
            ("bits", "u128")
        };
        let cast = if ty_name == wide {
            String::new()
        } else {
            format!(" as {ty_name}")
        };
        let value = if ty_name == "u128" {
            "value".to_string()
        } else {
            "value as u128".to_string()
        };
        Ok(AccessorView {
            doc: format!("the bitfield `{name}` ({bits} bits){}", where_(path)),
            get: names::escape(name),
            set: names::escape(&format!("set_{name}")),
            read: format!("super::runtime::{getter}({get_ref}, {bit_offset}, {bits}){cast}"),
            write: format!("super::runtime::set_bits({set_ref}, {bit_offset}, {bits}, {value});"),
            ty: ty_name,
        })
    }
}

fn claim_accessor(
    methods: &mut Scope,
    owner: &str,
    acc: &AccessorView,
) -> Result<(), BackendError> {
    methods.claim(&format!("getter of {} in {owner}", acc.doc), &acc.get)?;
    methods.claim(&format!("setter of {} in {owner}", acc.doc), &acc.set)
}

/// `self.a.b.c`.
fn place(path: &[Seg]) -> String {
    let mut s = String::from("self");
    for seg in path {
        s.push('.');
        s.push_str(&seg.field);
    }
    s
}

/// Where an accessor reaches, for its doc comment.
fn where_(path: &[Seg]) -> String {
    let through: Vec<&str> = path[..path.len().saturating_sub(1)]
        .iter()
        .map(|s| s.field.as_str())
        .collect();
    if through.is_empty() {
        String::new()
    } else {
        format!(", through `{}`", through.join("."))
    }
}

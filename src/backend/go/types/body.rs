//! Printing a struct body: members flattened, padded and checked against Go's own layout
//! rules, aligned as gofmt aligns them, with bitfield accessors and layout checks.

use super::{
    def_name, integer, unsupported, AssertView, BitfieldMethodView, GoLayout, TypeDefView,
};
use super::{names, TypePrinter};
use crate::backend::model::Scope;
use crate::backend::BackendError;
use crate::ir::types::{Bitfield, Member, MemberKind, TypeDef, TypeKind};
use crate::ir::TypeId;

/// One piece of a struct body before printing.
enum Slot {
    /// A named field.
    Field {
        ident: String,
        ty: String,
        layout: GoLayout,
        offset: u32,
        note: Option<String>,
    },
    /// `_ [size]byte`.
    Pad { size: u32 },
    /// A comment line.
    Note(String),
}

/// State while printing one definition.
struct Body<'s> {
    slots: Vec<Slot>,
    methods: Vec<BitfieldMethodView>,
    scope: Scope,
    outer: &'s str,
}

/// `members` with the fields `keep` refuses turned into padding.
pub(super) fn keep_only(members: &[Member], keep: &dyn Fn(&str) -> bool) -> Vec<Member> {
    members
        .iter()
        .map(|m| match &m.kind {
            MemberKind::Field { name: Some(n), .. } if !keep(n) => Member {
                offset: m.offset,
                size: m.size,
                kind: MemberKind::Padding,
            },
            _ => m.clone(),
        })
        .collect()
}

impl TypePrinter<'_> {
    /// Prints `members` as struct `name`. With `exact`, Go's size must equal the BTF size
    /// (the type can be an element or a member of another); otherwise it may round up.
    pub(super) fn emit_struct(
        &mut self,
        def: &TypeDef,
        name: &str,
        doc: Vec<String>,
        members: &[Member],
        exact: bool,
    ) -> Result<GoLayout, BackendError> {
        let outer = format!("struct {}", def_name(def));
        let mut body = Body {
            slots: Vec::new(),
            methods: Vec::new(),
            scope: Scope::default(),
            outer: &outer,
        };
        self.flatten(&mut body, members, 0)?;
        fix_alignment(&mut body.slots, def.size, exact);
        let align = body
            .slots
            .iter()
            .map(|s| match s {
                Slot::Field { layout, .. } => layout.align,
                _ => 1,
            })
            .max()
            .unwrap_or(1);
        let layout = GoLayout {
            size: if exact {
                def.size
            } else {
                def.size.next_multiple_of(align)
            },
            align,
        };
        let asserts = asserts(name, &body.slots, def.size, exact);
        self.defs.push(TypeDefView {
            doc,
            name: name.to_string(),
            lines: print(&body.slots),
            methods: body.methods,
            asserts,
        });
        Ok(layout)
    }

    fn flatten(&self, body: &mut Body, members: &[Member], base: u32) -> Result<(), BackendError> {
        for m in members {
            let offset = base + m.offset;
            match &m.kind {
                MemberKind::Padding => body.slots.push(Slot::Pad { size: m.size }),
                MemberKind::Field { name: Some(n), .. } if m.size == 0 => {
                    let text = format!("{}: a flexible array, not a field.", names::comment(n));
                    body.slots.push(Slot::Note(text));
                }
                MemberKind::Field { name: Some(n), ty } => {
                    let ident = names::exported(n);
                    body.scope
                        .claim(&format!("field {n:?} of {}", body.outer), &ident)?;
                    let (ty, layout) = self.spell(*ty)?;
                    body.slots.push(Slot::Field {
                        ident,
                        ty,
                        layout,
                        offset,
                        note: None,
                    });
                }
                MemberKind::Field { name: None, ty } => {
                    self.anonymous(body, *ty, offset, m.size)?
                }
                MemberKind::Bitfields { fields } => {
                    body.slots.push(Slot::Pad { size: m.size });
                    for f in fields {
                        self.accessors(body, f, offset)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// An anonymous struct is flattened; of an anonymous union only the first member is.
    fn anonymous(
        &self,
        body: &mut Body,
        ty: TypeId,
        offset: u32,
        size: u32,
    ) -> Result<(), BackendError> {
        let def = self.get(ty)?;
        match &def.kind {
            TypeKind::Struct { members } => self.flatten(body, members, offset),
            TypeKind::Union { members } => {
                let others = self.member_names(members.get(1..).unwrap_or_default());
                let mut text =
                    format!("An anonymous union of {size} bytes: Go holds its first member only");
                if !others.is_empty() {
                    text.push_str(&format!("; the others are {}", others.join(", ")));
                }
                text.push('.');
                body.slots.push(Slot::Note(names::comment(&text)));
                let first = members.first().cloned();
                let covered = first.as_ref().map_or(0, |m| m.size);
                if let Some(m) = first {
                    self.flatten(body, std::slice::from_ref(&m), offset)?;
                }
                if covered < size {
                    body.slots.push(Slot::Pad {
                        size: size - covered,
                    });
                }
                Ok(())
            }
            _ => Err(unsupported(
                def,
                "anonymous member that is not a struct or union",
            )),
        }
    }

    /// The getter and setter of one named bitfield of the unit at `unit` bytes.
    fn accessors(&self, body: &mut Body, f: &Bitfield, unit: u32) -> Result<(), BackendError> {
        let Some(n) = &f.name else {
            return Ok(());
        };
        let (ty, signed, is_bool) = self.bitfield_type(f.ty)?;
        let getter = names::exported(n);
        let setter = format!("Set{getter}");
        let owner = format!("bitfield {n:?} of {}", body.outer);
        body.scope.claim(&owner, &getter)?;
        body.scope.claim(&owner, &setter)?;
        let bit = u64::from(unit) * 8 + u64::from(f.bit_offset);
        let rt = &self.runtime;
        let at = format!("unsafe.Pointer(s), {bit}, {}", f.bits);
        let get = if is_bool {
            format!("return {rt}Bits({at}) != 0")
        } else if signed {
            format!("return {ty}({rt}SignedBits({at}))")
        } else {
            format!("return {ty}({rt}Bits({at}))")
        };
        let set = if is_bool {
            format!("{rt}SetBits({at}, {rt}BoolBits(v))")
        } else {
            format!("{rt}SetBits({at}, uint64(v))")
        };
        let what = format!(
            "the {}-bit bitfield {} at bit {bit}",
            f.bits,
            names::comment(n)
        );
        body.methods.push(BitfieldMethodView {
            doc: format!("{getter} returns {what}."),
            signature: format!("{getter}() {ty}"),
            body: get,
        });
        body.methods.push(BitfieldMethodView {
            doc: format!("{setter} sets {what} (extra high bits of v are dropped)."),
            signature: format!("{setter}(v {ty})"),
            body: set,
        });
        Ok(())
    }

    /// The Go type of a bitfield's declared type, whether it is signed, whether `bool`.
    fn bitfield_type(&self, id: TypeId) -> Result<(String, bool, bool), BackendError> {
        let def = self.get(id)?;
        match &def.kind {
            TypeKind::Typedef { target } => self.bitfield_type(*target),
            TypeKind::Int { is_bool: true, .. } => Ok(("bool".into(), false, true)),
            TypeKind::Int { .. } if super::is_char(def) => Ok(("byte".into(), false, false)),
            TypeKind::Int { signed, .. } | TypeKind::Enum { signed, .. } => {
                match integer(def.size, *signed) {
                    Some(t) => Ok((t, *signed, false)),
                    None => Err(unsupported(def, "bitfield of an unusual size")),
                }
            }
            _ => Err(unsupported(def, "bitfield that is not an integer")),
        }
    }
}

/// Turns into bytes every field Go would not place at its offset, and (with `exact`) every
/// field whose alignment would make Go round the struct past `size`.
fn fix_alignment(slots: &mut [Slot], size: u32, exact: bool) {
    // The largest alignment whose multiples include `size` (a zero size fits any).
    let fits = if size == 0 {
        8
    } else {
        1 << size.trailing_zeros().min(3)
    };
    for slot in slots.iter_mut() {
        if let Slot::Field {
            ty,
            layout,
            offset,
            note,
            ..
        } = slot
        {
            let misplaced = *offset % layout.align != 0;
            if misplaced || (exact && layout.align > fits) {
                *note = Some(format!(
                    "Kept as bytes: Go would not place a {ty} at offset {offset} of a {size}-byte struct."
                ));
                *ty = format!("[{}]byte", layout.size);
                *layout = GoLayout {
                    size: layout.size,
                    align: 1,
                };
            }
        }
    }
}

/// The body's lines: consecutive fields aligned in columns as gofmt aligns them (a comment
/// line ends a run), padding merged.
fn print(slots: &[Slot]) -> Vec<String> {
    enum Line {
        Comment(String),
        Field(String, String),
    }
    let mut lines: Vec<Line> = Vec::new();
    let mut pad: Option<u32> = None;
    let flush = |pad: &mut Option<u32>, lines: &mut Vec<Line>| {
        if let Some(n) = pad.take() {
            lines.push(Line::Field("_".into(), format!("[{n}]byte")));
        }
    };
    for s in slots {
        match s {
            Slot::Pad { size, .. } => *pad.get_or_insert(0) += size,
            Slot::Note(text) => {
                flush(&mut pad, &mut lines);
                lines.push(Line::Comment(text.clone()));
            }
            Slot::Field {
                ident, ty, note, ..
            } => {
                flush(&mut pad, &mut lines);
                if let Some(n) = note {
                    lines.push(Line::Comment(n.clone()));
                }
                lines.push(Line::Field(ident.clone(), ty.clone()));
            }
        }
    }
    flush(&mut pad, &mut lines);
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if let Line::Comment(text) = &lines[i] {
            out.push(format!("\t// {text}"));
            i += 1;
            continue;
        }
        let run_end = (i..lines.len())
            .find(|&j| matches!(lines[j], Line::Comment(_)))
            .unwrap_or(lines.len());
        let width = lines[i..run_end]
            .iter()
            .map(|l| match l {
                Line::Field(name, _) => name.len(),
                Line::Comment(_) => 0,
            })
            .max()
            .unwrap_or(0);
        for l in &lines[i..run_end] {
            if let Line::Field(name, ty) = l {
                out.push(format!("\t{name:width$} {ty}"));
            }
        }
        i = run_end;
    }
    out
}

/// Size and offset checks. A data section's struct may be rounded up to Go's alignment
/// (at most 8 bytes more), so a size that is not a multiple of 8 gets a range check.
fn asserts(name: &str, slots: &[Slot], size: u32, exact: bool) -> Vec<AssertView> {
    let minus = |n: u32| {
        if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        }
    };
    let len = if exact || size % 8 == 0 { 1 } else { 8 };
    let mut out = vec![AssertView {
        len,
        index: format!("unsafe.Sizeof({name}{{}}){}", minus(size)),
    }];
    for s in slots {
        if let Slot::Field { ident, offset, .. } = s {
            out.push(AssertView {
                len: 1,
                index: format!("unsafe.Offsetof({name}{{}}.{ident}){}", minus(*offset)),
            });
        }
    }
    out
}

//! Builds the IR's [`TypeTable`] from BTF: the types of map keys and values and of global
//! variables, with every layout made explicit so backends never need BTF.

use crate::btf::{Btf, BtfError, BtfType};
use crate::ir::types::{Bitfield, EnumValue, Member, MemberKind, TypeDef, TypeKind};
use crate::ir::{MapSpec, TypeId, TypeTable};
use std::collections::{HashMap, VecDeque};

/// Collects types into a [`TypeTable`], each BTF type once, in breadth-first order of first
/// use (so the same calls always give the same table).
pub(crate) struct TypeTableBuilder<'a> {
    btf: &'a Btf,
    types: Vec<TypeDef>,
    ids: HashMap<u32, TypeId>,
    /// Reserved entries whose definitions are still to be built: (BTF id, slot, name hint).
    queue: VecDeque<(u32, TypeId, Vec<String>)>,
}

/// One member before padding is inserted: its bit range and what it is.
struct Placed {
    start_bit: u64,
    end_bit: u64,
    name: Option<String>,
    ty: TypeId,
    bitfield: bool,
}

impl<'a> TypeTableBuilder<'a> {
    /// An empty table over `btf`.
    pub(crate) fn new(btf: &'a Btf) -> Self {
        TypeTableBuilder {
            btf,
            types: Vec::new(),
            ids: HashMap::new(),
            queue: VecDeque::new(),
        }
    }

    /// Adds the BTF type `btf_id` and everything it references; returns its id in the table.
    /// Qualifiers and `VAR` wrappers are looked through. Adding a type twice gives the same id.
    // The lowering adds map types with hints; this plain entry point is for other callers.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn add(&mut self, btf_id: u32) -> Result<TypeId, BtfError> {
        self.add_with_hint(btf_id, Vec::new())
    }

    /// Like [`Self::add`], with the name hint an anonymous type should get.
    pub(crate) fn add_with_hint(
        &mut self,
        btf_id: u32,
        hint: Vec<String>,
    ) -> Result<TypeId, BtfError> {
        let id = self.reserve(btf_id, hint)?;
        while let Some((btf_id, slot, hint)) = self.queue.pop_front() {
            let def = self.build(btf_id, hint)?;
            if let Some(entry) = self.types.get_mut(slot.0 as usize) {
                *entry = def;
            }
        }
        Ok(id)
    }

    /// Adds a struct describing a whole data section: `vars` are (name, byte offset, BTF id
    /// of the variable's type); gaps between and after them become padding.
    pub(crate) fn add_datasec(
        &mut self,
        section: &str,
        size: u32,
        vars: &[(String, u32, u32)],
    ) -> Result<TypeId, BtfError> {
        let mut sorted: Vec<&(String, u32, u32)> = vars.iter().collect();
        sorted.sort_by_key(|v| v.1);
        let mut placed = Vec::with_capacity(sorted.len());
        let mut align = 1;
        for (name, offset, ty) in sorted {
            let hint = vec![section.to_string(), name.clone()];
            let tid = self.add_with_hint(*ty, hint)?;
            let (var_size, var_align) = self.size_align(*ty)?;
            align = align.max(var_align);
            let start_bit = u64::from(*offset) * 8;
            let end_bit = start_bit + u64::from(var_size) * 8;
            placed.push(Placed {
                start_bit,
                end_bit,
                name: Some(name.clone()),
                ty: tid,
                bitfield: false,
            });
        }
        let members = lay_out_struct(0, size, placed)?;
        let kind = TypeKind::Struct { members };
        let def = TypeDef {
            name: Some(section.to_string()),
            name_hint: Vec::new(),
            size,
            align,
            kind,
        };
        self.types.push(def);
        Ok(TypeId(self.types.len() as u32 - 1))
    }

    /// The finished table.
    pub(crate) fn finish(self) -> TypeTable {
        TypeTable { types: self.types }
    }

    /// Gives `btf_id` (without qualifiers) a slot, queueing it if it is new. Never recurses,
    /// so self-referencing types and deep type graphs cost no stack.
    fn reserve(&mut self, btf_id: u32, hint: Vec<String>) -> Result<TypeId, BtfError> {
        let mut key = self.btf.skip_mods(btf_id)?;
        if let BtfType::Var { ty, .. } = self.btf.type_by_id(key)? {
            key = self.btf.skip_mods(*ty)?;
        }
        if let Some(&id) = self.ids.get(&key) {
            return Ok(id);
        }
        let id = TypeId(self.types.len() as u32);
        let placeholder = TypeDef {
            name: None,
            name_hint: Vec::new(),
            size: 0,
            align: 1,
            kind: TypeKind::Void,
        };
        self.types.push(placeholder);
        self.ids.insert(key, id);
        self.queue.push_back((key, id, hint));
        Ok(id)
    }

    /// Size and alignment, (0, 1) for types that have none (void, prototypes, forwards).
    fn size_align(&self, btf_id: u32) -> Result<(u32, u32), BtfError> {
        match (
            self.btf.resolve_size(btf_id),
            self.btf.resolve_align(btf_id),
        ) {
            (Err(BtfError::Unsized { .. }), _) | (_, Err(BtfError::Unsized { .. })) => Ok((0, 1)),
            (size, align) => Ok((size?, align?.max(1))),
        }
    }

    fn build(&mut self, btf_id: u32, hint: Vec<String>) -> Result<TypeDef, BtfError> {
        let btf = self.btf;
        let t = btf.type_by_id(btf_id)?;
        let name = btf.type_name(btf_id)?.map(str::to_string);
        // The path children are named from: this type's own name, else the hint it was given.
        let path = name.clone().map_or(hint.clone(), |n| vec![n]);
        let kind = match t {
            BtfType::Void => TypeKind::Void,
            BtfType::Int { encoding, .. } => TypeKind::Int {
                signed: encoding & crate::btf::BTF_INT_SIGNED != 0,
                is_bool: encoding & crate::btf::BTF_INT_BOOL != 0,
                is_char: encoding & crate::btf::BTF_INT_CHAR != 0,
            },
            BtfType::Float { .. } => TypeKind::Float,
            BtfType::Ptr { ty, .. } => TypeKind::Pointer {
                pointee: self.reserve(*ty, path)?,
            },
            BtfType::Array {
                elem_ty, nelems, ..
            } => TypeKind::Array {
                elem: self.reserve(*elem_ty, path)?,
                len: *nelems,
            },
            BtfType::Struct { .. } | BtfType::Union { .. } => self.composite(btf_id, &path)?,
            BtfType::Enum { .. } | BtfType::Enum64 { .. } => enum_kind(btf, t)?,
            BtfType::Typedef { ty, .. } => TypeKind::Typedef {
                target: self.reserve(*ty, path)?,
            },
            BtfType::FuncProto { .. } => TypeKind::FuncProto,
            BtfType::Fwd { kind_flag, .. } => TypeKind::Fwd {
                is_union: *kind_flag,
            },
            other => {
                let expected = "a data type";
                return Err(BtfError::UnexpectedKind {
                    id: btf_id,
                    kind: other.kind(),
                    expected,
                });
            }
        };
        let (size, align) = self.size_align(btf_id)?;
        // Only anonymous types that need a name in Rust or Go keep the hint.
        let wants_hint = name.is_none()
            && matches!(
                kind,
                TypeKind::Struct { .. } | TypeKind::Union { .. } | TypeKind::Enum { .. }
            );
        let name_hint = if wants_hint { hint } else { Vec::new() };
        Ok(TypeDef {
            name,
            name_hint,
            size,
            align,
            kind,
        })
    }

    fn composite(&mut self, btf_id: u32, path: &[String]) -> Result<TypeKind, BtfError> {
        let btf = self.btf;
        let t = btf.type_by_id(btf_id)?;
        let (
            Some((members, kind_flag)),
            BtfType::Struct { size, .. } | BtfType::Union { size, .. },
        ) = (t.members(), t)
        else {
            return Err(BtfError::UnexpectedKind {
                id: btf_id,
                kind: t.kind(),
                expected: "struct or union",
            });
        };
        let mut placed = Vec::with_capacity(members.len());
        for (i, m) in members.iter().enumerate() {
            let name = match m.name_off {
                0 => None,
                off => Some(btf.string_at(off)?.to_string()).filter(|n| !n.is_empty()),
            };
            let elem = name.clone().unwrap_or_else(|| format!("anon{i}"));
            let child_hint = path.iter().cloned().chain([elem]).collect();
            let ty = self.reserve(m.ty, child_hint)?;
            let start_bit = btf.member_bit_offset(m, kind_flag)?;
            let bits = btf.member_bitfield_size(m, kind_flag)?;
            let (len, bitfield) = if bits != 0 {
                (u64::from(bits), true)
            } else {
                (u64::from(btf.resolve_size(m.ty)?) * 8, false)
            };
            placed.push(Placed {
                start_bit,
                end_bit: start_bit + len,
                name,
                ty,
                bitfield,
            });
        }
        Ok(match t {
            BtfType::Union { .. } => TypeKind::Union {
                members: lay_out_union(btf_id, *size, placed)?,
            },
            _ => TypeKind::Struct {
                members: lay_out_struct(btf_id, *size, placed)?,
            },
        })
    }
}

fn enum_kind(btf: &Btf, t: &BtfType) -> Result<TypeKind, BtfError> {
    let mut values = Vec::new();
    let signed = match t {
        BtfType::Enum {
            kind_flag,
            values: vs,
            ..
        } => {
            for v in vs {
                values.push(EnumValue {
                    name: btf.string_at(v.name_off)?.to_string(),
                    value: v.value(*kind_flag),
                });
            }
            *kind_flag
        }
        BtfType::Enum64 {
            kind_flag,
            values: vs,
            ..
        } => {
            for v in vs {
                values.push(EnumValue {
                    name: btf.string_at(v.name_off)?.to_string(),
                    value: v.value() as i64,
                });
            }
            *kind_flag
        }
        _ => false,
    };
    Ok(TypeKind::Enum { signed, values })
}

fn bad_layout(id: u32, bit_offset: u64, what: &'static str) -> BtfError {
    BtfError::BadLayout {
        id,
        bit_offset,
        what,
    }
}

/// Orders members by offset, groups bitfields that share bytes into storage units, and fills
/// every gap (tail included) with padding so the sizes add up to `size`.
fn lay_out_struct(id: u32, size: u32, mut placed: Vec<Placed>) -> Result<Vec<Member>, BtfError> {
    placed.sort_by_key(|p| p.start_bit);
    let mut out = Vec::new();
    let mut cursor: u64 = 0; // first byte not yet covered
    let mut group: Option<(u64, u64, Vec<Bitfield>)> = None; // (start byte, end byte, fields)
    for p in placed {
        if p.bitfield {
            let sharing = matches!(&group, Some((_, end, _)) if p.start_bit < end * 8);
            if !sharing {
                flush_group(&mut out, &mut group, &mut cursor);
                let start = p.start_bit / 8;
                pad_to(&mut out, &mut cursor, start).map_err(|w| bad_layout(id, p.start_bit, w))?;
                group = Some((start, start, Vec::new()));
            }
            if let Some((start, end, fields)) = group.as_mut() {
                *end = (*end).max(p.end_bit.div_ceil(8));
                let bit_offset = (p.start_bit - *start * 8) as u32;
                let bits = (p.end_bit - p.start_bit) as u32;
                fields.push(Bitfield {
                    name: p.name,
                    ty: p.ty,
                    bit_offset,
                    bits,
                });
            }
            continue;
        }
        flush_group(&mut out, &mut group, &mut cursor);
        if p.start_bit % 8 != 0 {
            return Err(bad_layout(id, p.start_bit, "member not at a byte boundary"));
        }
        let start = p.start_bit / 8;
        pad_to(&mut out, &mut cursor, start).map_err(|w| bad_layout(id, p.start_bit, w))?;
        let kind = MemberKind::Field {
            name: p.name,
            ty: p.ty,
        };
        out.push(Member {
            offset: start as u32,
            size: ((p.end_bit - p.start_bit) / 8) as u32,
            kind,
        });
        cursor = p.end_bit / 8;
    }
    flush_group(&mut out, &mut group, &mut cursor);
    if cursor > u64::from(size) {
        return Err(bad_layout(id, cursor * 8, "member extends past the end"));
    }
    pad_to(&mut out, &mut cursor, size.into()).map_err(|w| bad_layout(id, cursor * 8, w))?;
    Ok(out)
}

/// Ends the open bitfield storage unit, if any.
fn flush_group(
    out: &mut Vec<Member>,
    group: &mut Option<(u64, u64, Vec<Bitfield>)>,
    cursor: &mut u64,
) {
    if let Some((start, end, fields)) = group.take() {
        let kind = MemberKind::Bitfields { fields };
        out.push(Member {
            offset: start as u32,
            size: (end - start) as u32,
            kind,
        });
        *cursor = end;
    }
}

/// Pads from `cursor` up to byte `to`; fails if `to` is behind (members overlap).
fn pad_to(out: &mut Vec<Member>, cursor: &mut u64, to: u64) -> Result<(), &'static str> {
    if to < *cursor {
        return Err("member overlaps the previous one");
    }
    if to > *cursor {
        out.push(Member {
            offset: *cursor as u32,
            size: (to - *cursor) as u32,
            kind: MemberKind::Padding,
        });
        *cursor = to;
    }
    Ok(())
}

/// Union members all start at 0; one padding member covers the size if none does.
fn lay_out_union(id: u32, size: u32, placed: Vec<Placed>) -> Result<Vec<Member>, BtfError> {
    let mut out = Vec::with_capacity(placed.len() + 1);
    let mut widest = 0u64;
    for p in placed {
        let end = p.end_bit.div_ceil(8);
        if end > u64::from(size) {
            return Err(bad_layout(id, p.start_bit, "member extends past the end"));
        }
        widest = widest.max(end);
        let kind = if p.bitfield {
            let bits = (p.end_bit - p.start_bit) as u32;
            MemberKind::Bitfields {
                fields: vec![Bitfield {
                    name: p.name,
                    ty: p.ty,
                    bit_offset: p.start_bit as u32,
                    bits,
                }],
            }
        } else if p.start_bit != 0 {
            return Err(bad_layout(id, p.start_bit, "union member not at offset 0"));
        } else {
            MemberKind::Field {
                name: p.name,
                ty: p.ty,
            }
        };
        out.push(Member {
            offset: 0,
            size: end as u32,
            kind,
        });
    }
    if widest < u64::from(size) {
        out.push(Member {
            offset: 0,
            size,
            kind: MemberKind::Padding,
        });
    }
    Ok(out)
}

/// Builds the type table for lowered maps: key and value types of maps that keep BTF ids,
/// and for global-data maps the variables' types and the section layout (also used as the
/// value type). `var_types[i]` holds the BTF type id of each variable of `maps[i]`, in the
/// order of its `data.variables`.
pub(crate) fn fill_types(
    btf: &Btf,
    maps: &mut [MapSpec],
    var_types: &[Vec<u32>],
) -> Result<TypeTable, BtfError> {
    let mut b = TypeTableBuilder::new(btf);
    for (i, map) in maps.iter_mut().enumerate() {
        let vars = var_types.get(i).map(Vec::as_slice).unwrap_or(&[]);
        fill_map(&mut b, map, vars)?;
    }
    Ok(b.finish())
}

fn fill_map(
    b: &mut TypeTableBuilder<'_>,
    map: &mut MapSpec,
    var_types: &[u32],
) -> Result<(), BtfError> {
    if let Some(data) = map.data.as_mut() {
        let mut vars = Vec::with_capacity(data.variables.len());
        for (v, &ty) in data.variables.iter_mut().zip(var_types) {
            v.ty = b.add_with_hint(ty, vec![data.section.clone(), v.name.clone()])?;
            vars.push((v.name.clone(), v.offset, ty));
        }
        data.layout = b.add_datasec(&data.section, map.value_size, &vars)?;
        map.value_type = Some(data.layout);
        return Ok(());
    }
    if map.btf_key_type_id != 0 {
        map.key_type =
            Some(b.add_with_hint(map.btf_key_type_id, vec![map.name.clone(), "key".into()])?);
    }
    if map.btf_value_type_id != 0 {
        map.value_type = Some(b.add_with_hint(
            map.btf_value_type_id,
            vec![map.name.clone(), "value".into()],
        )?);
    }
    if let Some(inner) = map.inner.as_deref_mut() {
        fill_map(b, inner, &[])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {}

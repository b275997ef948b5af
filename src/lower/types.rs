//! Builds the IR's [`TypeTable`] from BTF: the types of map keys and values and of global
//! variables, with every layout made explicit so backends never need BTF.

use crate::btf::{Btf, BtfError, BtfType};
use crate::ir::types::{
    lay_out_struct, lay_out_union, EnumValue, LayoutError, PlacedMember, TypeDef, TypeKind,
};
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
            placed.push(PlacedMember {
                start_bit,
                end_bit,
                name: Some(name.clone()),
                ty: tid,
                bitfield: false,
            });
        }
        let members = lay_out_struct(size, placed).map_err(|e| bad_layout(0, e))?;
        let kind = TypeKind::Struct { members };
        self.types
            .push(TypeDef::new(Some(section.to_string()), size, align, kind));
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
        // Filled in when the queue reaches it.
        self.types.push(TypeDef::new(None, 0, 1, TypeKind::Void));
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
            placed.push(PlacedMember {
                start_bit,
                end_bit: start_bit + len,
                name,
                ty,
                bitfield,
            });
        }
        let bad = |e| bad_layout(btf_id, e);
        Ok(match t {
            BtfType::Union { .. } => TypeKind::Union {
                members: lay_out_union(*size, placed).map_err(bad)?,
            },
            _ => TypeKind::Struct {
                members: lay_out_struct(*size, placed).map_err(bad)?,
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

fn bad_layout(id: u32, e: LayoutError) -> BtfError {
    BtfError::BadLayout {
        id,
        bit_offset: e.bit_offset,
        what: e.what,
    }
}

/// Builds the type table for lowered maps: key and value types of maps that keep BTF ids,
/// and for global-data maps the variables' types and the section layout (also used as the
/// value type). `var_types[i]` holds the BTF type id of each variable of `maps[i]`, in the
/// order of its `data.variables`. The named types `asked` (BTF ids) come last; their ids in
/// the table are returned with it, in the same order.
pub(crate) fn fill_types(
    btf: &Btf,
    maps: &mut [MapSpec],
    var_types: &[Vec<u32>],
    asked: &[u32],
) -> Result<(TypeTable, Vec<TypeId>), BtfError> {
    let mut b = TypeTableBuilder::new(btf);
    for (i, map) in maps.iter_mut().enumerate() {
        let vars = var_types.get(i).map(Vec::as_slice).unwrap_or(&[]);
        fill_map(&mut b, map, vars)?;
    }
    let named = asked
        .iter()
        .map(|&id| b.add(id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((b.finish(), named))
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
mod tests {
    use super::*;
    use crate::btf::testutil::{blob, info, sample};
    use crate::btf::Endian;
    use crate::ir::types::MemberKind;

    /// Checks the table's promise: struct members in order, contiguous, summing to the size.
    fn check_layouts(table: &TypeTable) {
        for t in &table.types {
            if let TypeKind::Struct { members } = &t.kind {
                let mut at = 0;
                for m in members {
                    assert_eq!(m.offset, at, "{t:?}");
                    at += m.size;
                }
                assert_eq!(at, t.size, "{t:?}");
            }
        }
    }

    #[test]
    fn struct_with_bitfield_and_padding() {
        let btf = Btf::parse(&sample(Endian::Little)).unwrap();
        let mut b = TypeTableBuilder::new(&btf);
        let t = b.add(5).unwrap(); // const t -> typedef t -> struct s
        assert_eq!(b.add(4).unwrap(), t, "qualifiers are dropped");
        let table = b.finish();
        check_layouts(&table);
        let names: Vec<_> = table.types.iter().map(|t| t.name.as_deref()).collect();
        assert_eq!(names, [Some("t"), Some("s"), Some("int")]);
        let TypeKind::Struct { members } = &table.types[1].kind else {
            panic!()
        };
        let kinds: Vec<_> = members.iter().map(|m| (m.offset, m.size)).collect();
        assert_eq!(kinds, [(0, 4), (4, 1), (5, 3)]);
        let MemberKind::Bitfields { fields } = &members[1].kind else {
            panic!()
        };
        assert_eq!(
            (
                fields[0].name.as_deref(),
                fields[0].bit_offset,
                fields[0].bits
            ),
            (Some("b"), 0, 3)
        );
        assert_eq!(members[2].kind, MemberKind::Padding);
        assert_eq!(table.types[1].align, 4);
    }

    #[test]
    fn pointers_arrays_enums_unions() {
        let btf = Btf::parse(&sample(Endian::Big)).unwrap();
        let mut b = TypeTableBuilder::new(&btf);
        let p = b.add(2).unwrap();
        let a = b.add(6).unwrap();
        let e = b.add(7).unwrap();
        let u = b
            .add_with_hint(8, vec!["m".into(), "value".into()])
            .unwrap();
        let table = b.finish();
        assert!(matches!(
            table.types[p.0 as usize].kind,
            TypeKind::Pointer { pointee: TypeId(1) }
        ));
        assert_eq!(table.types[a.0 as usize].size, 16);
        let TypeKind::Enum {
            signed: true,
            values,
        } = &table.types[e.0 as usize].kind
        else {
            panic!()
        };
        assert_eq!((values[0].name.as_str(), values[0].value), ("X", -1));
        let ud = &table.types[u.0 as usize];
        assert_eq!(ud.name_hint, ["m", "value"]);
        let TypeKind::Union { members } = &ud.kind else {
            panic!()
        };
        assert_eq!(
            members.len(),
            2,
            "one field, then padding to the union's 8 bytes"
        );
        assert_eq!(
            (members[1].size, &members[1].kind),
            (8, &MemberKind::Padding)
        );
    }

    /// [1] int, [2] struct node { struct node *next; anon_t v; }, [3] ptr -> 2,
    /// [4] typedef anon_t -> 5, [5] struct (anon) { int x; }.
    fn self_referencing() -> Btf {
        let s = b"\0int\0node\0next\0v\0anon_t\0x\0";
        #[rustfmt::skip]
        let types = [
            1, info(1, 0, false), 4, 0x0100_0020,
            5, info(4, 2, false), 16, 10, 3, 0, 15, 4, 64,
            0, info(2, 0, false), 2,
            17, info(8, 0, false), 5,
            0, info(4, 1, false), 4, 24, 1, 0,
        ];
        Btf::parse(&blob(&types, s, Endian::Little)).unwrap()
    }

    #[test]
    fn cycles_through_pointers_and_name_hints() {
        let btf = self_referencing();
        let mut b = TypeTableBuilder::new(&btf);
        let node = b.add(2).unwrap();
        let table = b.finish();
        check_layouts(&table);
        assert_eq!(table.types.len(), 5);
        let TypeKind::Struct { members } = &table.types[node.0 as usize].kind else {
            panic!()
        };
        let MemberKind::Field { ty: next, .. } = members[0].kind else {
            panic!()
        };
        assert_eq!(
            table.types[next.0 as usize].kind,
            TypeKind::Pointer { pointee: node }
        );
        let anon = table
            .types
            .iter()
            .find(|t| t.name.is_none() && t.size == 4)
            .unwrap();
        assert_eq!(anon.name_hint, ["anon_t"]);
    }

    #[test]
    fn datasec_struct_pads_between_and_after() {
        let btf = self_referencing();
        let mut b = TypeTableBuilder::new(&btf);
        let vars = [("b".to_string(), 8, 1), ("a".to_string(), 0, 5)];
        let sec = b.add_datasec(".bss", 24, &vars).unwrap();
        let table = b.finish();
        check_layouts(&table);
        let def = &table.types[sec.0 as usize];
        assert_eq!(
            (def.name.as_deref(), def.size, def.align),
            (Some(".bss"), 24, 4)
        );
        let TypeKind::Struct { members } = &def.kind else {
            panic!()
        };
        let shape: Vec<_> = members
            .iter()
            .map(|m| (m.offset, m.size, m.kind == MemberKind::Padding))
            .collect();
        assert_eq!(
            shape,
            [(0, 4, false), (4, 4, true), (8, 4, false), (12, 12, true)]
        );
        assert_eq!(table.types[0].name_hint, [".bss", "a"]);
        let overlap = [("a".to_string(), 0, 5), ("b".to_string(), 2, 1)];
        let e = TypeTableBuilder::new(&btf)
            .add_datasec(".bss", 8, &overlap)
            .unwrap_err();
        assert!(
            matches!(e, BtfError::BadLayout { bit_offset: 16, .. }),
            "{e}"
        );
        let e = TypeTableBuilder::new(&btf)
            .add_datasec(".bss", 2, &vars)
            .unwrap_err();
        assert!(matches!(e, BtfError::BadLayout { .. }), "{e}");
    }

    /// Every struct, union and DATASEC of the example objects lays out with sizes that add up.
    #[test]
    fn example_objects() {
        use object::{Object, ObjectSection};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bpf");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut seen = 0;
        for path in entries.flatten().map(|e| e.path()) {
            if !path.to_string_lossy().ends_with(".bpf.o") {
                continue;
            }
            seen += 1;
            let data = std::fs::read(&path).unwrap();
            let file = object::File::parse(&*data).unwrap();
            let btf = Btf::parse(file.section_by_name(".BTF").unwrap().data().unwrap()).unwrap();
            let mut b = TypeTableBuilder::new(&btf);
            for id in 1..btf.types_len() {
                match btf.type_by_id(id).unwrap() {
                    BtfType::Struct { .. } | BtfType::Union { .. } => {
                        b.add(id)
                            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    }
                    BtfType::Datasec { vars, size, .. } if *size != 0 => {
                        let vars: Vec<_> = vars
                            .iter()
                            .map(|v| (format!("v{}", v.ty), v.offset, v.ty))
                            .collect();
                        b.add_datasec("sec", *size, &vars).unwrap();
                    }
                    _ => {}
                }
            }
            check_layouts(&b.finish());
        }
        assert!(seen > 0, "no example objects in {dir}");
    }
}

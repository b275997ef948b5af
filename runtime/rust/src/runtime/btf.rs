/// The running kernel's BTF, read to lay out struct_ops values: structs found by name, their
/// members by name, and the sizes of types. Every offset taken from the file is checked
/// before it is used, so a truncated or corrupt file is refused, never read out of bounds.
struct Btf {
    data: Vec<u8>,
    /// Where the type records start in `data`.
    types: usize,
    /// Where the strings start in `data`, and their length (the last byte is a NUL).
    strs: usize,
    strs_len: usize,
    /// Where type `id` starts, from `types`: `offs[id - 1]`.
    offs: Vec<usize>,
}

const BTF_MAGIC: u16 = 0xeb9f;
const BTF_KIND_INT: u32 = 1;
const BTF_KIND_PTR: u32 = 2;
const BTF_KIND_ARRAY: u32 = 3;
const BTF_KIND_STRUCT: u32 = 4;
const BTF_KIND_UNION: u32 = 5;
const BTF_KIND_ENUM: u32 = 6;
const BTF_KIND_FWD: u32 = 7;
const BTF_KIND_TYPEDEF: u32 = 8;
const BTF_KIND_VOLATILE: u32 = 9;
const BTF_KIND_CONST: u32 = 10;
const BTF_KIND_RESTRICT: u32 = 11;
const BTF_KIND_FUNC: u32 = 12;
const BTF_KIND_FUNC_PROTO: u32 = 13;
const BTF_KIND_VAR: u32 = 14;
const BTF_KIND_DATASEC: u32 = 15;
const BTF_KIND_FLOAT: u32 = 16;
const BTF_KIND_DECL_TAG: u32 = 17;
const BTF_KIND_TYPE_TAG: u32 = 18;
const BTF_KIND_ENUM64: u32 = 19;
/// Typedef and modifier chains longer than this are refused (libbpf's limit).
const BTF_MAX_DEPTH: usize = 32;
/// Pointers in the kernel's structures: the loader supports 64-bit kernels only.
const BTF_PTR_SIZE: u64 = 8;

/// The 32-bit word at `at` of `data`, if it is all there.
fn word_at(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes(bytes.try_into().ok()?))
}

/// One type record: its 12-byte header and what follows it (checked when parsed).
#[derive(Clone, Copy)]
struct BtfType<'a>(&'a [u8]);

impl BtfType<'_> {
    /// Word `i` of the record; 0 past its end, which a parsed record never reaches.
    fn word(&self, i: usize) -> u32 {
        word_at(self.0, 4 * i).unwrap_or(0)
    }

    fn name_off(&self) -> u32 {
        self.word(0)
    }

    fn kind(&self) -> u32 {
        (self.word(1) >> 24) & 0x1f
    }

    fn vlen(&self) -> usize {
        (self.word(1) & 0xffff) as usize
    }

    fn kind_flag(&self) -> bool {
        self.word(1) >> 31 != 0
    }

    /// The size of an int, struct, union, enum or float; the type a pointer, typedef or
    /// modifier refers to.
    fn size_or_type(&self) -> u32 {
        self.word(2)
    }
}

/// Bytes that follow the 12-byte header of a type record, or `None` for a kind this reader
/// does not know.
fn btf_extra(kind: u32, vlen: usize) -> Option<usize> {
    match kind {
        BTF_KIND_INT | BTF_KIND_VAR | BTF_KIND_DECL_TAG => Some(4),
        BTF_KIND_ARRAY => Some(12),
        BTF_KIND_STRUCT | BTF_KIND_UNION | BTF_KIND_DATASEC | BTF_KIND_ENUM64 => {
            Some(12 * vlen)
        }
        BTF_KIND_ENUM | BTF_KIND_FUNC_PROTO => Some(8 * vlen),
        BTF_KIND_PTR | BTF_KIND_FWD | BTF_KIND_TYPEDEF | BTF_KIND_VOLATILE
        | BTF_KIND_CONST | BTF_KIND_RESTRICT | BTF_KIND_FUNC | BTF_KIND_FLOAT
        | BTF_KIND_TYPE_TAG => Some(0),
        _ => None,
    }
}

/// A member of a struct, as BTF describes it.
#[derive(Debug, Clone, Copy)]
struct BtfMember {
    /// Its position in the struct.
    index: u32,
    ty: u32,
    bit_offset: u32,
    /// The size in bits of a bitfield, 0 for a whole member.
    bitfield: u32,
}

impl Btf {
    /// Checks the header and the string section of `data`, and indexes the types; `None`
    /// when anything is out of bounds or unknown.
    fn parse(data: Vec<u8>) -> Option<Btf> {
        let magic = u16::from_ne_bytes(data.get(0..2)?.try_into().ok()?);
        let field = |i: usize| word_at(&data, 4 + 4 * i).map(|v| v as usize);
        let (hdr_len, type_off, type_len) = (field(0)?, field(1)?, field(2)?);
        let (str_off, str_len) = (field(3)?, field(4)?);
        let body = data.len().checked_sub(hdr_len)?;
        if magic != BTF_MAGIC
            || hdr_len < 24
            || type_off.checked_add(type_len)? > body
            || str_off.checked_add(str_len)? > body
            || str_len == 0
            || data.get(hdr_len + str_off + str_len - 1) != Some(&0)
        {
            return None;
        }
        let types = hdr_len + type_off;
        let records = data.get(types..types + type_len)?;
        let mut offs = Vec::new();
        let mut pos = 0;
        while pos < records.len() {
            let t = BtfType(records.get(pos..pos + 12)?);
            let extra = btf_extra(t.kind(), t.vlen())?;
            if extra > records.len() - pos - 12 {
                return None;
            }
            offs.push(pos);
            pos += 12 + extra;
        }
        Some(Btf {
            types,
            strs: hdr_len + str_off,
            strs_len: str_len,
            offs,
            data,
        })
    }

    /// The record of type `id`: `None` for void and ids out of range.
    fn ty(&self, id: u32) -> Option<BtfType<'_>> {
        let start = self.types + *self.offs.get((id as usize).checked_sub(1)?)?;
        let t = BtfType(self.data.get(start..start + 12)?);
        let end = start + 12 + btf_extra(t.kind(), t.vlen())?;
        Some(BtfType(self.data.get(start..end)?))
    }

    /// The string at `off`, without its NUL: every string in range ends within the section,
    /// whose last byte is a NUL.
    fn str(&self, off: u32) -> &[u8] {
        let strs = self.data.get(self.strs..self.strs + self.strs_len);
        let rest = strs.and_then(|s| s.get(off as usize..)).unwrap_or_default();
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        &rest[..end]
    }

    /// The first type of `kind` named `name`.
    fn find(&self, name: &str, kind: u32) -> Option<u32> {
        (1..=self.offs.len() as u32).find(|&id| {
            self.ty(id).is_some_and(|t| {
                t.kind() == kind && self.str(t.name_off()) == name.as_bytes()
            })
        })
    }

    /// `id` with typedefs, modifiers and type tags skipped; `None` when the chain is broken
    /// or too long.
    fn skip(&self, mut id: u32) -> Option<u32> {
        for _ in 0..BTF_MAX_DEPTH {
            let t = self.ty(id)?;
            match t.kind() {
                BTF_KIND_TYPEDEF | BTF_KIND_VOLATILE | BTF_KIND_CONST
                | BTF_KIND_RESTRICT | BTF_KIND_TYPE_TAG => id = t.size_or_type(),
                _ => return Some(id),
            }
        }
        None
    }

    /// The size of type `id` in bytes, through typedefs, modifiers and arrays.
    fn size(&self, mut id: u32) -> Option<u64> {
        let mut mult: u64 = 1;
        for _ in 0..BTF_MAX_DEPTH {
            id = self.skip(id)?;
            let t = self.ty(id)?;
            match t.kind() {
                BTF_KIND_INT | BTF_KIND_STRUCT | BTF_KIND_UNION | BTF_KIND_ENUM
                | BTF_KIND_ENUM64 | BTF_KIND_FLOAT => {
                    return Some(mult * u64::from(t.size_or_type()))
                }
                BTF_KIND_PTR => return Some(mult * BTF_PTR_SIZE),
                BTF_KIND_ARRAY => {
                    mult *= u64::from(t.word(5));
                    if mult > u64::from(u32::MAX) {
                        return None;
                    }
                    id = t.word(3);
                }
                _ => return None,
            }
        }
        None
    }

    /// Whether type `id` is a pointer to a function prototype.
    fn is_func_ptr(&self, id: u32) -> bool {
        let target = self
            .skip(id)
            .and_then(|id| self.ty(id))
            .filter(|t| t.kind() == BTF_KIND_PTR)
            .and_then(|t| self.skip(t.size_or_type()))
            .and_then(|id| self.ty(id));
        target.is_some_and(|t| t.kind() == BTF_KIND_FUNC_PROTO)
    }

    /// Member `index` of the struct or union `t`, which has that many members.
    fn member_at(t: BtfType<'_>, index: usize) -> BtfMember {
        let at = 3 + 3 * index;
        let off = t.word(at + 2);
        let (bit_offset, bitfield) = if t.kind_flag() {
            (off & 0xff_ffff, off >> 24)
        } else {
            (off, 0)
        };
        BtfMember {
            index: index as u32,
            ty: t.word(at + 1),
            bit_offset,
            bitfield,
        }
    }

    /// The members of struct `id`, with their names.
    fn members(&self, id: u32) -> impl Iterator<Item = (&[u8], BtfMember)> + '_ {
        let t = self.ty(id).filter(|t| t.kind() == BTF_KIND_STRUCT);
        let count = t.map_or(0, |t| t.vlen());
        (0..count).filter_map(move |i| {
            let t = t?;
            Some((self.str(t.word(3 + 3 * i)), Btf::member_at(t, i)))
        })
    }

    /// Member `name` of struct `id`.
    fn member(&self, id: u32, name: &str) -> Option<BtfMember> {
        self.members(id)
            .find(|(n, _)| *n == name.as_bytes())
            .map(|(_, m)| m)
    }
}

//! Externs in `.kconfig` and `.ksyms`, and the BTF edits libbpf makes so the kernel accepts
//! their DATASECs.

use super::link::ExternRef;
use super::LowerError;
use crate::btf::{Btf, BtfKind, BtfType};
use crate::elf::{Binding, ElfFile, SymbolKind};
use crate::ir::{ExternKind, ExternSpec, KconfigKind};
use std::collections::HashMap;

const KCONFIG: &str = ".kconfig";
const KSYMS: &str = ".ksyms";
const VAR_GLOBAL_ALLOCATED: u32 = 1;
const FUNC_GLOBAL: u16 = 1;
const BTF_INT_SIGNED: u8 = 1 << 0;
const BTF_INT_BOOL: u8 = 1 << 2;

/// The externs of an object, in libbpf's order, and how instructions reach each.
#[derive(Debug, Default)]
pub(crate) struct Externs {
    pub specs: Vec<ExternSpec>,
    /// By ELF symbol index: (index into `specs`, what the symbol is).
    pub by_symbol: HashMap<usize, (usize, ExternRef)>,
    /// Size of the `.kconfig` map value, if there are kconfig externs.
    pub kconfig_size: Option<u32>,
}

struct Found {
    symbol: usize,
    spec: ExternSpec,
    align: u32,
}

/// Collects externs and rewrites the `.kconfig`/`.ksyms` DATASECs as libbpf does.
pub(crate) fn collect(elf: &ElfFile<'_>, btf: &mut Btf) -> Result<Externs, LowerError> {
    let mut found = Vec::new();
    for sym in elf.symbols() {
        let is_extern = sym.section.is_none()
            && sym.kind == SymbolKind::NoType
            && matches!(sym.binding, Binding::Global | Binding::Weak)
            && !sym.name.is_empty();
        if is_extern {
            found.push(describe(
                btf,
                sym.index,
                &sym.name,
                sym.binding == Binding::Weak,
            )?);
        }
    }
    // libbpf's order: kconfig before ksyms; kconfig by alignment (descending), then size; then name.
    found.sort_by(|a, b| {
        let rank = |f: &Found| match &f.spec.kind {
            ExternKind::Kconfig { size, .. } => (0, u32::MAX - f.align, *size),
            _ => (1, 0, 0),
        };
        rank(a)
            .cmp(&rank(b))
            .then_with(|| a.spec.name.cmp(&b.spec.name))
    });
    let mut out = Externs::default();
    let mut off = 0u32;
    for f in &mut found {
        if let ExternKind::Kconfig { offset, size, .. } = &mut f.spec.kind {
            *offset = off.next_multiple_of(f.align.max(1));
            off = *offset + *size;
        }
    }
    if found
        .iter()
        .any(|f| matches!(f.spec.kind, ExternKind::Kconfig { .. }))
    {
        out.kconfig_size = Some(off);
    }
    for (i, f) in found.into_iter().enumerate() {
        let eref = match f.spec.kind {
            ExternKind::Kconfig { offset, .. } => ExternRef::Kconfig { offset },
            ExternKind::Kfunc { .. } => ExternRef::Kfunc,
            ExternKind::KsymTyped { .. } => ExternRef::KsymTyped,
            ExternKind::KsymTypeless => ExternRef::KsymTypeless,
        };
        out.by_symbol.insert(f.symbol, (i, eref));
        out.specs.push(f.spec);
    }
    fix_ksyms_datasec(btf)?;
    fix_kconfig_datasec(btf, &out)?;
    Ok(out)
}

fn describe(btf: &Btf, symbol: usize, name: &str, weak: bool) -> Result<Found, LowerError> {
    let bad = |reason: &str| LowerError::BadExtern {
        name: name.to_string(),
        reason: reason.into(),
    };
    let (id, section) = extern_btf(btf, name)?.ok_or_else(|| {
        bad("no BTF VAR or FUNC in .kconfig or .ksyms; declare it with __kconfig or __ksym")
    })?;
    let ty = btf.type_by_id(id).map_err(LowerError::btf)?.clone();
    let (kind, align) = match (section.as_str(), &ty) {
        (KCONFIG, BtfType::Var { ty, .. }) => kconfig_kind(btf, name, *ty)?,
        (KSYMS, BtfType::Func { ty, .. }) => (ExternKind::Kfunc { proto_btf_id: *ty }, 1),
        (KSYMS, BtfType::Var { ty, .. }) => {
            let target = btf.skip_mods_and_typedefs(*ty).map_err(LowerError::btf)?;
            if target == 0 {
                (ExternKind::KsymTypeless, 1)
            } else {
                (
                    ExternKind::KsymTyped {
                        type_btf_id: target,
                    },
                    1,
                )
            }
        }
        (KCONFIG, _) => return Err(bad("functions are not allowed in .kconfig")),
        _ => return Err(bad(&format!("unrecognized extern section {section}"))),
    };
    Ok(Found {
        symbol,
        spec: ExternSpec {
            name: name.to_string(),
            weak,
            kind,
        },
        align,
    })
}

/// The VAR or FUNC with extern linkage named `name`, and the DATASEC that lists it.
fn extern_btf(btf: &Btf, name: &str) -> Result<Option<(u32, String)>, LowerError> {
    for id in 1..btf.types_len() {
        let t = btf.type_by_id(id).map_err(LowerError::btf)?;
        if !matches!(t, BtfType::Var { .. } | BtfType::Func { .. }) {
            continue;
        }
        if btf.string_at(t.name_off()).map_err(LowerError::btf)? != name {
            continue;
        }
        for sec_id in 1..btf.types_len() {
            if let BtfType::Datasec { name_off, vars, .. } =
                btf.type_by_id(sec_id).map_err(LowerError::btf)?
            {
                if vars.iter().any(|v| v.ty == id) {
                    let sec = btf.string_at(*name_off).map_err(LowerError::btf)?;
                    return Ok(Some((id, sec.to_string())));
                }
            }
        }
    }
    Ok(None)
}

fn kconfig_kind(btf: &Btf, name: &str, ty: u32) -> Result<(ExternKind, u32), LowerError> {
    let bad = |reason: &str| LowerError::BadExtern {
        name: name.to_string(),
        reason: reason.into(),
    };
    let size = btf.resolve_size(ty).map_err(LowerError::btf)?;
    let align = btf.resolve_align(ty).map_err(LowerError::btf)?;
    let value = match name {
        "LINUX_KERNEL_VERSION" => KconfigKind::KernelVersion,
        "LINUX_HAS_BPF_COOKIE" | "LINUX_HAS_SYSCALL_WRAPPER" => KconfigKind::LibbpfFeature,
        n if n.starts_with("CONFIG_") => kconfig_value(btf, ty)?
            .ok_or_else(|| bad("unsupported type; use bool, char, an integer, enum libbpf_tristate or a char array"))?,
        _ => return Err(bad("a .kconfig extern must be named CONFIG_* or be one of libbpf's LINUX_* values")),
    };
    Ok((
        ExternKind::Kconfig {
            offset: 0,
            size,
            value,
        },
        align,
    ))
}

/// How libbpf classifies the type of a kconfig extern.
fn kconfig_value(btf: &Btf, ty: u32) -> Result<Option<KconfigKind>, LowerError> {
    let id = btf.skip_mods_and_typedefs(ty).map_err(LowerError::btf)?;
    let t = btf.type_by_id(id).map_err(LowerError::btf)?;
    let name = btf.string_at(t.name_off()).map_err(LowerError::btf)?;
    Ok(match t {
        BtfType::Int { size, encoding, .. } if encoding & BTF_INT_BOOL != 0 => {
            (*size == 1).then_some(KconfigKind::Bool)
        }
        BtfType::Int { size: 1, .. } => Some(KconfigKind::Char),
        BtfType::Int { size, encoding, .. } if size.is_power_of_two() && *size <= 8 => {
            Some(KconfigKind::Int {
                signed: encoding & BTF_INT_SIGNED != 0,
            })
        }
        BtfType::Enum { size: 4, .. } | BtfType::Enum64 { .. } if name == "libbpf_tristate" => {
            Some(KconfigKind::Tristate)
        }
        BtfType::Array {
            elem_ty, nelems, ..
        } if *nelems > 0 => {
            let elem = kconfig_value(btf, *elem_ty)?;
            (elem == Some(KconfigKind::Char)).then_some(KconfigKind::CharArray)
        }
        _ => None,
    })
}

/// The kernel rejects extern VARs and FUNCs in a DATASEC: each `.ksyms` entry becomes a
/// 4-byte allocated int variable, and kfuncs are replaced by a dummy variable.
fn fix_ksyms_datasec(btf: &mut Btf) -> Result<(), LowerError> {
    let Some(sec_id) = btf.find_by_name_kind(KSYMS, BtfKind::Datasec) else {
        return Ok(());
    };
    let BtfType::Datasec { vars, .. } = btf.type_by_id(sec_id).map_err(LowerError::btf)?.clone()
    else {
        return Ok(());
    };
    let int_id = (1..btf.types_len())
        .find(|&id| matches!(btf.type_by_id(id), Ok(BtfType::Int { bits: 32, .. })))
        .ok_or_else(|| LowerError::BadSection {
            section: KSYMS.into(),
            reason: "BTF has no 32-bit int to describe externs with".into(),
        })?;
    let has_func = vars
        .iter()
        .any(|v| matches!(btf.type_by_id(v.ty), Ok(BtfType::Func { .. })));
    let dummy = if has_func {
        let name_off = btf.add_string("dummy_ksym");
        Some((
            btf.add_type(BtfType::Var {
                name_off,
                ty: int_id,
                linkage: VAR_GLOBAL_ALLOCATED,
            }),
            name_off,
        ))
    } else {
        None
    };
    let mut new_vars = vars.clone();
    for (i, v) in new_vars.iter_mut().enumerate() {
        match btf.type_by_id_mut(v.ty).map_err(LowerError::btf)? {
            BtfType::Func { linkage, ty, .. } => {
                *linkage = FUNC_GLOBAL;
                let proto = *ty;
                let (dummy_id, dummy_name) = dummy.expect("a dummy exists when there is a func");
                name_unnamed_params(btf, proto, dummy_name)?;
                v.ty = dummy_id;
            }
            BtfType::Var { linkage, ty, .. } => {
                *linkage = VAR_GLOBAL_ALLOCATED;
                *ty = int_id;
            }
            _ => {}
        }
        v.offset = (i * 4) as u32;
        v.size = 4;
    }
    if let BtfType::Datasec { vars, size, .. } =
        btf.type_by_id_mut(sec_id).map_err(LowerError::btf)?
    {
        *size = (new_vars.len() * 4) as u32;
        *vars = new_vars;
    }
    Ok(())
}

/// The kernel wants every parameter of a FUNC_PROTO named; libbpf borrows the dummy's name.
fn name_unnamed_params(btf: &mut Btf, proto: u32, name_off: u32) -> Result<(), LowerError> {
    if let BtfType::FuncProto { params, .. } = btf.type_by_id_mut(proto).map_err(LowerError::btf)? {
        for p in params.iter_mut().filter(|p| p.ty != 0 && p.name_off == 0) {
            p.name_off = name_off;
        }
    }
    Ok(())
}

/// `.kconfig` variables become allocated, at the offsets computed for the kconfig map.
fn fix_kconfig_datasec(btf: &mut Btf, externs: &Externs) -> Result<(), LowerError> {
    let Some(sec_id) = btf.find_by_name_kind(KCONFIG, BtfKind::Datasec) else {
        return Ok(());
    };
    let BtfType::Datasec { mut vars, .. } =
        btf.type_by_id(sec_id).map_err(LowerError::btf)?.clone()
    else {
        return Ok(());
    };
    for v in vars.iter_mut() {
        let name = btf
            .type_name(v.ty)
            .map_err(LowerError::btf)?
            .unwrap_or_default()
            .to_string();
        let offset = externs.specs.iter().find_map(|e| match e.kind {
            ExternKind::Kconfig { offset, .. } if e.name == name => Some(offset),
            _ => None,
        });
        let offset = offset.ok_or_else(|| LowerError::BadExtern {
            name: name.clone(),
            reason: "listed in .kconfig but has no ELF symbol".into(),
        })?;
        if let BtfType::Var { linkage, .. } = btf.type_by_id_mut(v.ty).map_err(LowerError::btf)? {
            *linkage = VAR_GLOBAL_ALLOCATED;
        }
        v.offset = offset;
    }
    vars.sort_by_key(|v| v.offset);
    if let BtfType::Datasec {
        vars: slot, size, ..
    } = btf.type_by_id_mut(sec_id).map_err(LowerError::btf)?
    {
        *slot = vars;
        *size = externs.kconfig_size.unwrap_or(0);
    }
    Ok(())
}

//! `--emit summary`: a readable account of what the loader will create.

use crate::ir::types::{TypeKind, TypeTable};
use crate::ir::{ExternKind, MapSpec, ObjectSpec, ProgramSpec, TypeId};
use std::fmt::Write as _;

/// Renders the summary of an object.
pub(crate) fn render(spec: &ObjectSpec) -> String {
    let mut out = String::new();
    let license = if spec.license.is_empty() {
        "none"
    } else {
        &spec.license
    };
    let _ = writeln!(
        out,
        "object {} (license {license:?}, BTF {} bytes)",
        spec.name,
        spec.btf.0.len()
    );
    let _ = writeln!(out, "\nprograms ({}):", spec.programs.len());
    for p in &spec.programs {
        program(&mut out, p);
    }
    let _ = writeln!(out, "\nmaps ({}):", spec.maps.len());
    for m in &spec.maps {
        map(&mut out, spec, m);
    }
    if !spec.externs.is_empty() {
        let _ = writeln!(out, "\nexterns ({}):", spec.externs.len());
        for e in &spec.externs {
            let kind = match &e.kind {
                ExternKind::Kconfig {
                    offset,
                    size,
                    value,
                } => format!("kconfig {value:?} at {offset}, {size} bytes"),
                ExternKind::Kfunc { .. } => "kfunc".to_string(),
                ExternKind::KsymTyped { .. } => "typed ksym".to_string(),
                ExternKind::KsymTypeless => "typeless ksym".to_string(),
            };
            let weak = if e.weak { " (weak)" } else { "" };
            let _ = writeln!(out, "  {}: {kind}{weak}", e.name);
        }
    }
    named_types(&mut out, spec);
    out
}

/// The structs, unions and enums `--type` can name, sorted by name; those asked for are
/// marked.
fn named_types(out: &mut String, spec: &ObjectSpec) {
    let Ok(btf) = crate::btf::Btf::parse(&spec.btf.0) else {
        return;
    };
    let mut all = crate::lower::named_types(&btf);
    if all.is_empty() {
        return;
    }
    all.sort_by(|a, b| (&a.name, a.keyword).cmp(&(&b.name, b.keyword)));
    let asked: Vec<&str> = spec
        .named_types
        .iter()
        .filter_map(|&id| spec.types.get(id)?.name.as_deref())
        .collect();
    let _ = writeln!(out, "\ntypes for --type ({}):", all.len());
    for t in &all {
        let mark = if asked.contains(&t.name.as_str()) {
            ", defined"
        } else {
            ""
        };
        let _ = writeln!(out, "  {} ({} bytes{mark})", t.spelled(), t.size);
    }
}

fn program(out: &mut String, p: &ProgramSpec) {
    let attach = p
        .expected_attach_type
        .map(|a| format!(" {}", a.c_name()))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} ({}): {}{attach}",
        p.name,
        p.section,
        p.prog_type.c_name()
    );
    let mut facts = vec![format!("{} insns", p.insns.len())];
    if let Some(t) = &p.attach_to {
        facts.push(format!("attach to {t}"));
    }
    if let Some(t) = &p.btf_target {
        facts.push(format!("kernel BTF {:?} {}", t.kind, t.name));
    }
    if !p.core_relos.is_empty() {
        facts.push(format!("{} CO-RE relocations", p.core_relos.len()));
    }
    if p.flags != 0 {
        facts.push(format!("flags {:#x}", p.flags));
    }
    if !p.autoload {
        facts.push("not loaded by default".to_string());
    }
    let _ = writeln!(out, "    {}", facts.join(", "));
}

fn map(out: &mut String, spec: &ObjectSpec, m: &MapSpec) {
    let _ = writeln!(
        out,
        "  {} [{}]: {} key {} value {} max_entries {} flags {:#x}",
        m.name,
        m.kernel_name,
        m.map_type.c_name(),
        m.key_size,
        m.value_size,
        m.max_entries,
        m.flags
    );
    let types = &spec.types;
    if let (Some(k), Some(v)) = (m.key_type, m.value_type) {
        let _ = writeln!(
            out,
            "    {} -> {}",
            type_name(types, k),
            type_name(types, v)
        );
    } else if let (Some(v), None) = (m.value_type, &m.data) {
        let _ = writeln!(out, "    value {}", type_name(types, v));
    }
    for f in &m.fixups {
        let _ = writeln!(out, "    note: {f}");
    }
    if let Some(inner) = &m.inner {
        let _ = writeln!(
            out,
            "    inner: {} key {} value {}",
            inner.map_type.c_name(),
            inner.key_size,
            inner.value_size
        );
    }
    for s in &m.init_slots {
        let target = match s.target {
            crate::ir::SlotTarget::Map(i) => format!("map {}", spec.maps[i].name),
            crate::ir::SlotTarget::Program(i) => format!("program {}", spec.programs[i].name),
        };
        let _ = writeln!(out, "    slot {}: {target}", s.index);
    }
    if let Some(so) = &m.struct_ops {
        struct_ops(out, spec, so);
    }
    if let Some(data) = &m.data {
        for v in &data.variables {
            let linkage = if v.global { "" } else { "static " };
            let _ = writeln!(
                out,
                "    {:>5}  {linkage}{} {} ({} bytes)",
                v.offset,
                type_name(types, v.ty),
                v.name,
                v.size
            );
        }
    }
}

/// A struct_ops map's structure: its kernel type and what each member holds.
fn struct_ops(out: &mut String, spec: &ObjectSpec, so: &crate::ir::StructOpsSpec) {
    let created = if so.autocreate {
        ""
    } else {
        ", not created by default"
    };
    let _ = writeln!(
        out,
        "    struct {} ({}{created}; its kernel layout is read at load)",
        so.type_name, so.section
    );
    for m in &so.members {
        let what = match m.value {
            crate::ir::MemberValue::Prog { prog } => format!(
                "= {}",
                spec.programs.get(prog).map_or("?", |p| p.name.as_str())
            ),
            crate::ir::MemberValue::Data { zero: true } => "(zero)".to_string(),
            crate::ir::MemberValue::Data { zero: false } => "(data)".to_string(),
        };
        let _ = writeln!(
            out,
            "    {:>5}  {} ({} bytes) {what}",
            m.offset, m.name, m.size
        );
    }
}

/// A C-like spelling of a type, for people reading the summary.
pub(crate) fn type_name(types: &TypeTable, id: TypeId) -> String {
    type_name_depth(types, id, 0)
}

fn type_name_depth(types: &TypeTable, id: TypeId, depth: u32) -> String {
    let Some(t) = types.get(id) else {
        return format!("<type {}>", id.0);
    };
    if depth > 16 {
        return "...".to_string();
    }
    let named = |kw: &str| match &t.name {
        Some(n) => format!("{kw}{n}"),
        None => format!("{kw}<anonymous>"),
    };
    match &t.kind {
        TypeKind::Void => "void".to_string(),
        TypeKind::Int { .. } | TypeKind::Float | TypeKind::Typedef { .. } => named(""),
        TypeKind::Pointer { pointee } => {
            format!("{} *", type_name_depth(types, *pointee, depth + 1))
        }
        TypeKind::Array { elem, len } => {
            format!("{}[{len}]", type_name_depth(types, *elem, depth + 1))
        }
        TypeKind::Struct { .. } => named("struct "),
        TypeKind::Union { .. } => named("union "),
        TypeKind::Enum { .. } => named("enum "),
        TypeKind::FuncProto => "function".to_string(),
        TypeKind::Fwd { is_union } => named(if *is_union { "union " } else { "struct " }),
    }
}

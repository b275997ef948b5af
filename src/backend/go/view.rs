//! The view model of a Go skeleton: everything the templates print, computed here.

use super::attach::{attach_method, AttachMethod};
use super::names;
use super::runtime::{self, Features};
use super::struct_ops::StructOpsView;
use super::types::{TypeDefView, TypePrinter};
use crate::backend::kconfig::{kconfig_map, kconfig_rows, kind_name};
use crate::backend::model::Model;
use crate::backend::model::Scope;
use crate::backend::BackendError;
use crate::ir::{MapSpec, ObjectSpec, TypeId};
use crate::loader::{step_title, Blob};
use serde::Serialize;

/// Methods and fields of the skeleton type that names from the object must not take.
const SKELETON_MEMBERS: &[&str] = &[
    "Maps", "Progs", "Links", "LogLevel", "LogBuf", "Load", "Attach", "Detach", "Close",
];

/// The whole file.
#[derive(Debug, Serialize)]
pub struct SkelView {
    /// skelgen's version.
    pub version: &'static str,
    /// Loader ABI version (`docs/loader-abi.md`).
    pub abi_version: u32,
    /// The object's name, for comments.
    pub object: String,
    /// The object's name, escaped for a string literal.
    pub object_lit: String,
    /// The package clause's name.
    pub package: String,
    /// Imported packages, sorted as gofmt sorts them.
    pub imports: Vec<String>,
    /// The skeleton type (`Minimal`), prefix of every exported name.
    pub name: String,
    /// Prefix of every unexported package-level name (`minimal`).
    pub rt: String,
    /// Context size.
    pub ctx_size: u32,
    /// Maps, in context order.
    pub maps: Vec<MapView>,
    /// Programs, in context order.
    pub progs: Vec<ProgView>,
    /// Mapped global-data sections with a typed view.
    pub sections: Vec<SectionView>,
    /// Type definitions the views need, in order.
    pub types: Vec<TypeDefView>,
    /// The enums `--type` asked for.
    pub enums: Vec<super::types::EnumView>,
    /// Plan step descriptions, escaped for string literals.
    pub steps: Vec<String>,
    /// Loader instructions as string-literal lines.
    pub insns: Vec<String>,
    /// Loader data blob as string-literal lines.
    pub data: Vec<String>,
    /// `.kconfig` externs, when the object has a `.kconfig` map.
    pub kconfig: Option<KconfigView>,
    /// Whether any program or struct_ops map can be attached (the `Links` struct has
    /// fields).
    pub links: bool,
    /// Programs `Attach()` attaches.
    pub auto: Vec<String>,
    /// The programs `Attach()` leaves alone, with why: one list item each.
    pub skipped: Vec<String>,
    /// struct_ops maps and programs, when the object has any.
    pub struct_ops: Option<StructOpsView>,
    /// The runtime parts the object needs.
    #[serde(skip)]
    pub runtime: Features,
    /// The object has struct_ops maps (`Attach` registers them).
    pub struct_ops_maps: bool,
    /// `Attach` registers struct_ops maps after attaching programs, and detaches them when
    /// that fails.
    pub attach_then_register: bool,
    /// `Attach` only registers struct_ops maps: it returns what that returns.
    pub attach_only_registers: bool,
}

/// One map.
#[derive(Debug, Serialize)]
pub struct MapView {
    /// Field name in the `Maps` struct.
    pub ident: String,
    /// Its name in the object, escaped for a string literal.
    pub name_lit: String,
    /// What it is, for a comment.
    pub comment: String,
    /// `BPF_MAP_TYPE_*` number.
    pub map_type: u32,
    /// Compiled key size.
    pub key_size: u32,
    /// Compiled value size.
    pub value_size: u32,
    /// Compiled max_entries.
    pub max_entries: u32,
    /// A global-data map with a typed view.
    pub view: bool,
    /// Read-only after load.
    pub frozen: bool,
}

/// One program.
#[derive(Debug, Serialize)]
pub struct ProgView {
    /// Field name in the `Progs` struct (and `Links`), and stem of its methods.
    pub ident: String,
    /// Its name in the object, escaped for a string literal.
    pub name_lit: String,
    /// Its name and section, for comments.
    pub comment: String,
    /// Default of `Autoload`.
    pub autoload: bool,
    /// Its attach method, if skelgen can attach it.
    pub attach: Option<AttachMethod>,
    /// An iterator: it gets an `<ident>Iter` method.
    pub iter: bool,
}

/// A global-data section with a typed view.
#[derive(Debug, Serialize)]
pub struct SectionView {
    /// Field of the skeleton holding the view (`Bss`, `DataCustom`).
    pub ident: String,
    /// Its Go type (`MinimalBss`).
    pub type_name: String,
    /// Field of its map in `Maps`.
    pub map_ident: String,
    /// ELF section, for comments.
    pub section: String,
    /// ELF section, escaped for a string literal.
    pub section_lit: String,
    /// Size of the section in bytes.
    pub size: u32,
    /// Frozen before programs load: mapped read-only after load.
    pub frozen: bool,
    /// Initial image as string-literal lines (empty when all zero).
    pub image: Vec<String>,
}

/// `.kconfig` externs.
#[derive(Debug, Serialize)]
pub struct KconfigView {
    /// Field of the kconfig map in `Maps`.
    pub map_ident: String,
    /// The externs, as Go composite literals of the runtime's extern type.
    pub externs: Vec<String>,
}

/// Builds the view of `spec` and its compiled loader; `package` is `--go-package`.
pub fn build(
    spec: &ObjectSpec,
    blob: &Blob,
    package: Option<&str>,
) -> Result<SkelView, BackendError> {
    let package = match package {
        Some(p) => names::check_package(p)?,
        None => names::default_package(&spec.name),
    };
    let name = names::exported(&spec.name);
    let rt = names::unexported(&spec.name);
    let mut members = Scope::with_reserved("member", SKELETON_MEMBERS);
    let has_struct_ops =
        !blob.plan.struct_ops_maps.is_empty() || !blob.plan.struct_ops_progs.is_empty();
    let mut printer = TypePrinter::new(
        &spec.types,
        &name,
        &rt,
        package_scope(&name, has_struct_ops)?,
    );
    let model = Model::new(spec);
    let maps = map_views(&model, &mut printer)?;
    let mut links = Scope::default();
    let progs = prog_views(&model, &rt, &mut members, &mut links)?;
    let map_idents: Vec<&str> = maps.iter().map(|m| m.ident.as_str()).collect();
    let prog_idents: Vec<&str> = progs.iter().map(|p| p.ident.as_str()).collect();
    let struct_ops = super::struct_ops::view(
        spec,
        blob,
        &map_idents,
        &prog_idents,
        &mut members,
        &mut links,
    )?;
    let sections = sections(&model, &maps, &name, &mut printer, &mut members)?;
    for &id in &spec.named_types {
        printer.define_named(id)?;
    }
    let kconfig = kconfig_view(spec, &maps, &rt);
    let features = Features {
        bitfields: printer.defs.iter().any(|d| !d.methods.is_empty()),
        kconfig: kconfig.is_some(),
        buffers: model.has_buffers(),
        struct_ops: struct_ops.is_some(),
        uprobe: model.has_uprobes(),
    };
    let auto: Vec<String> = model
        .programs
        .iter()
        .zip(&progs)
        .filter(|(p, _)| p.auto)
        .map(|(_, v)| v.ident.clone())
        .collect();
    let struct_ops_maps = struct_ops.as_ref().is_some_and(|s| !s.maps.is_empty());
    Ok(SkelView {
        links: progs.iter().any(|p| p.attach.is_some())
            || struct_ops
                .as_ref()
                .is_some_and(|s| s.maps.iter().any(|m| m.link)),
        attach_then_register: struct_ops_maps && !auto.is_empty(),
        attach_only_registers: struct_ops_maps && auto.is_empty(),
        struct_ops_maps,
        auto,
        skipped: model
            .skipped()
            .map(|(p, why)| names::comment(&format!("{} ({}): {why}.", p.name, p.section)))
            .collect(),
        version: env!("CARGO_PKG_VERSION"),
        abi_version: blob.plan.abi_version,
        object: names::comment(&spec.name),
        object_lit: names::go_string(&spec.name),
        package,
        imports: runtime::imports(&features)?,
        name,
        rt,
        ctx_size: blob.ctx_size,
        maps,
        progs,
        sections,
        types: printer.defs,
        enums: printer.enums,
        steps: blob
            .plan
            .steps
            .iter()
            .map(|s| names::go_string(&step_title(s)))
            .collect(),
        insns: names::string_lines(&blob.insns),
        data: names::string_lines(&blob.data),
        kconfig,
        struct_ops,
        runtime: features,
    })
}

/// The package scope with the skeleton's own exported names taken (those of struct_ops
/// too when the object has it).
fn package_scope(name: &str, struct_ops: bool) -> Result<Scope, BackendError> {
    let struct_ops_types: &[&str] = if struct_ops {
        &["StructOps", "StructOpsMap"]
    } else {
        &[]
    };
    let runtime = ["RingBuf", "PerfBuf", "Records", "CPURecords"];
    let own: Vec<String> = ["", "Maps", "Progs", "Links", "Map", "Program", "Error"]
        .iter()
        .chain(&runtime)
        .chain(struct_ops_types)
        .map(|s| format!("{name}{s}"))
        .chain([format!("Open{name}"), format!("Load{name}")])
        .collect();
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    Ok(Scope::with_reserved("type", &own))
}

/// The maps; the Go types of keys and values are defined (to use with Lookup and Update).
fn map_views(
    model: &Model<'_>,
    printer: &mut TypePrinter<'_>,
) -> Result<Vec<MapView>, BackendError> {
    let mut scope = Scope::default();
    model
        .maps
        .iter()
        .map(|facts| {
            let m = facts.spec;
            let ident = map_ident(m);
            scope.claim(&format!("map {:?}", m.name), &ident)?;
            let mut typed = |id: Option<TypeId>, size: u32| match id {
                Some(id) if m.data.is_none() => printer.define(id),
                _ => Ok(format!("{size} bytes")),
            };
            let key = typed(m.key_type, m.key_size)?;
            let value = typed(m.value_type, m.value_size)?;
            Ok(MapView {
                name_lit: names::go_string(&m.name),
                comment: names::comment(&format!(
                    "{}: {}, key {key}, value {value}, max_entries {}.",
                    m.name,
                    m.map_type.c_name(),
                    m.max_entries
                )),
                map_type: m.map_type as u32,
                key_size: m.key_size,
                value_size: m.value_size,
                max_entries: m.max_entries,
                view: facts.section.is_some(),
                frozen: facts.frozen,
                ident,
            })
        })
        .collect()
}

fn map_ident(m: &MapSpec) -> String {
    match &m.data {
        Some(_) => names::section(&m.name),
        None => names::exported(&m.name),
    }
}

/// The programs; each attachable one claims its attach method in `members` and its field of
/// `Links` in `links`.
fn prog_views(
    model: &Model<'_>,
    rt: &str,
    members: &mut Scope,
    links: &mut Scope,
) -> Result<Vec<ProgView>, BackendError> {
    let mut fields = Scope::default();
    let mut out = Vec::new();
    for facts in &model.programs {
        let p = facts.spec;
        let ident = names::exported(&p.name);
        let owner = format!("program {:?}", p.name);
        fields.claim(&owner, &ident)?;
        let attach = attach_method(p, rt);
        if attach.is_some() {
            members.claim(&owner, &format!("Attach{ident}"))?;
            links.claim(&owner, &ident)?;
        }
        let iter = facts.iter;
        if iter {
            members.claim(&owner, &format!("{ident}Iter"))?;
        }
        out.push(ProgView {
            name_lit: names::go_string(&p.name),
            comment: names::comment(&format!("{} ({})", p.name, p.section)),
            autoload: p.autoload,
            attach,
            iter,
            ident,
        });
    }
    Ok(out)
}

fn sections(
    model: &Model<'_>,
    maps: &[MapView],
    name: &str,
    printer: &mut TypePrinter<'_>,
    members: &mut Scope,
) -> Result<Vec<SectionView>, BackendError> {
    let mut out = Vec::new();
    for (i, m, d) in model.sections() {
        let ident = names::section(&m.spec.name);
        members.claim(&format!("the view of section {}", m.spec.name), &ident)?;
        let globals = m.globals();
        let keep = |n: &str| globals.contains(&n);
        let type_name = format!("{name}{ident}");
        let frozen = m.frozen;
        let doc = vec![format!(
            "{type_name} is the {} section: its global variables at their offsets{}.",
            names::comment(&d.section),
            if frozen { "; read-only after Load" } else { "" }
        )];
        printer.define_section(d.layout, &type_name, doc, &keep)?;
        let all_zero = d.initial.0.iter().all(|&b| b == 0);
        out.push(SectionView {
            map_ident: maps[i].ident.clone(),
            section: names::comment(&d.section),
            section_lit: names::go_string(&d.section),
            size: m.spec.value_size,
            frozen,
            image: if all_zero {
                Vec::new()
            } else {
                names::string_lines(&d.initial.0)
            },
            type_name,
            ident,
        });
    }
    Ok(out)
}

fn kconfig_view(spec: &ObjectSpec, maps: &[MapView], rt: &str) -> Option<KconfigView> {
    let index = kconfig_map(spec)?;
    let externs = kconfig_rows(spec)
        .map(|k| {
            format!(
                "{{\"{}\", {}, {}, {rt}Kconfig{}, {}}}",
                names::go_string(k.name),
                k.offset,
                k.size,
                kind_name(k.kind),
                k.weak
            )
        })
        .collect();
    Some(KconfigView {
        map_ident: maps[index].ident.clone(),
        externs,
    })
}

//! The view model of a Rust skeleton: everything the templates print, computed here.

use super::attach::{attach_method, AttachMethod};
use super::kconfig::{kconfig_view, KconfigView};
use super::names;
use super::struct_ops::StructOpsView;
use super::types::{AliasView, EnumView, TypePrinter, TypeView};
use crate::backend::model::Scope;
use crate::backend::model::{Model, Program};
use crate::backend::BackendError;
use crate::ir::{MapSpec, ObjectSpec};
use crate::loader::{step_title, Blob};
use serde::Serialize;

/// Names the module defines itself, which a name from the object must not take.
const RUNTIME_ITEMS: &[&str] = &[
    "Error",
    "Link",
    "Map",
    "Prog",
    "MapKnobs",
    "ProgKnobs",
    "Plain",
    "Keys",
    "RingBuf",
    "PerfBuf",
    "record_as",
    "possible_cpus",
    "types",
    "runtime",
    "MAPS",
    "LOADER",
    "KCONFIG",
    "StructOps",
    "StructOpsKnobs",
    "STRUCT_OPS",
];

/// Methods the loaded skeleton always has.
const FIXED_METHODS: &[&str] = &["open_and_load", "attach", "detach"];

/// The whole module.
#[derive(Debug, Serialize)]
pub struct SkelView {
    /// The first comment of the file (prepended after formatting).
    #[serde(skip)]
    pub header: String,
    /// Object name, as given.
    pub object: String,
    /// Module name.
    pub module: String,
    /// The loaded skeleton's type (`Minimal`).
    pub skel: String,
    /// The open skeleton's type (`OpenMinimal`).
    pub open: String,
    /// Loader ABI version.
    pub abi_version: u32,
    /// Maps, in context order.
    pub maps: Vec<MapView>,
    /// Programs, in context order.
    pub progs: Vec<ProgView>,
    /// Programs `attach()` attaches.
    pub auto_progs: Vec<ProgMethodView>,
    /// The module documentation's list of the programs `attach()` leaves alone, with why:
    /// its lines.
    pub skipped: Vec<String>,
    /// Iterator programs and their `iter_<prog>` methods.
    pub iter_progs: Vec<ProgMethodView>,
    /// Syscall programs and their `run_<prog>` methods.
    pub run_progs: Vec<ProgMethodView>,
    /// Mapped global-data sections with a typed view.
    pub sections: Vec<SectionView>,
    /// Struct and union definitions.
    pub types: Vec<TypeView>,
    /// Typedef aliases.
    pub aliases: Vec<AliasView>,
    /// The enums `--type` asked for.
    pub enums: Vec<EnumView>,
    /// Plan step names, as string literals.
    pub steps: Vec<String>,
    /// Number of maps, programs; context size.
    pub nr_maps: u32,
    /// Number of programs.
    pub nr_progs: u32,
    /// Context size.
    pub ctx_size: u32,
    /// Loader instructions, a byte string literal.
    pub insns: String,
    /// Loader data blob, a byte string literal.
    pub data: String,
    /// `.kconfig` externs, when the object has a `.kconfig` map.
    pub kconfig: Option<KconfigView>,
    /// Whether the object has ring buffer or perf event array maps (the runtime then has
    /// their readers).
    pub buffers: bool,
    /// struct_ops maps and programs, when the object has any.
    pub struct_ops: Option<StructOpsView>,
    /// The object has uprobe programs (the runtime then reads ELF symbol tables).
    pub uprobe: bool,
    /// The object has maps or programs: the load writes their knobs into the context.
    pub knobs: bool,
}

/// One map.
#[derive(Debug, Serialize)]
pub struct MapView {
    /// Field name in the maps structs.
    pub ident: String,
    /// Name in the object, a string literal.
    pub name: String,
    /// What it is, for a doc comment.
    pub doc: String,
    /// `BPF_MAP_TYPE_*` number, sizes and `max_entries` as compiled.
    pub map_type: u32,
    /// Key size.
    pub key_size: u32,
    /// Value size.
    pub value_size: u32,
    /// `max_entries`.
    pub max_entries: u32,
    /// The field of the section view it backs, if any.
    pub view: Option<String>,
    /// Its type in the loaded maps struct: `Option<Map>` for a struct_ops map.
    pub ty: &'static str,
    /// The loader always creates it, so its fd (an `Option<OwnedFd>` after the load) must be
    /// there: every map but a struct_ops map, which may be left out.
    pub required: bool,
    /// A struct_ops map's `StructOps` local while the skeleton is built.
    pub struct_ops: Option<String>,
}

/// A method of the loaded skeleton about one program.
#[derive(Debug, Serialize)]
pub struct ProgMethodView {
    /// The method.
    pub method: String,
    /// The program's field.
    pub field: String,
    /// The program's name, a string literal.
    pub name: String,
}

/// One program.
#[derive(Debug, Serialize)]
pub struct ProgView {
    /// Field name in the programs and links structs.
    pub ident: String,
    /// Name in the object, a string literal.
    pub name: String,
    /// Section, for a doc comment.
    pub section: String,
    /// Default of `autoload`.
    pub autoload: bool,
    /// Its attach method, if skelgen can attach it.
    pub attach: Option<AttachMethod>,
}

/// A global-data section with a typed view.
#[derive(Debug, Serialize)]
pub struct SectionView {
    /// Field of the views struct and name of the read method (`bss`).
    pub ident: String,
    /// Name of the write method (`bss_mut`).
    pub ident_mut: String,
    /// Its struct in `types`.
    pub ty: String,
    /// ELF section, a string literal.
    pub section: String,
    /// ELF section, for doc comments.
    pub section_doc: String,
    /// Size of the section in bytes.
    pub size: u32,
    /// Frozen before programs load: read-only after load.
    pub frozen: bool,
    /// Initial image, a byte string literal (`b""` when all zero).
    pub image: String,
    /// Index of its map.
    pub map_index: usize,
}

/// Builds the view of `spec` and its compiled loader.
pub fn build(spec: &ObjectSpec, blob: &Blob) -> Result<SkelView, BackendError> {
    let (module, camel) = names::object_idents(&spec.name)?;
    let open = format!("Open{camel}");
    claim_items(&spec.name, &camel, &open)?;
    let mut methods = Scope::default();
    for m in FIXED_METHODS {
        methods.claim("the skeleton", m)?;
    }
    let model = Model::new(spec);
    let mut maps = map_views(spec)?;
    let progs = prog_views(spec, &mut methods)?;
    let mut printer = TypePrinter::new(&spec.types);
    let sections = sections(&model, &maps, &mut printer, &mut methods)?;
    for &id in &spec.named_types {
        printer.define_named(id)?;
    }
    for s in &sections {
        maps[s.map_index].view = Some(s.ident.clone());
    }
    let kconfig = kconfig_view(spec, &|map| {
        sections
            .iter()
            .find(|s| s.map_index == map)
            .map(|s| s.ident.clone())
    });
    let iter_progs = prog_methods(&model, &progs, &mut methods, "iter", |p| p.iter)?;
    let run_progs = prog_methods(&model, &progs, &mut methods, "run", |p| p.run)?;
    let map_idents: Vec<&str> = maps.iter().map(|m| m.ident.as_str()).collect();
    let prog_idents: Vec<&str> = progs.iter().map(|p| p.ident.as_str()).collect();
    let struct_ops = super::struct_ops::view(spec, blob, &map_idents, &prog_idents, &mut methods)?;
    if let Some(so) = &struct_ops {
        for s in &so.maps {
            let m = &mut maps[s.map_index];
            (m.ty, m.required, m.struct_ops) = ("Option<Map>", false, Some(s.local.clone()));
        }
    }
    Ok(SkelView {
        header: header(&spec.name, blob),
        object: names::doc(&spec.name),
        auto_progs: auto_progs(&model, &progs),
        skipped: skipped(&model),
        iter_progs,
        run_progs,
        buffers: model.has_buffers(),
        uprobe: model.has_uprobes(),
        module,
        skel: camel,
        open,
        abi_version: blob.plan.abi_version,
        maps,
        progs,
        sections,
        types: printer.defs,
        aliases: printer.aliases,
        enums: printer.enums,
        steps: blob
            .plan
            .steps
            .iter()
            .map(|s| names::string_literal(&step_title(s)))
            .collect(),
        nr_maps: blob.plan.nr_maps,
        nr_progs: blob.plan.nr_progs,
        ctx_size: blob.ctx_size,
        insns: names::byte_string(&blob.insns),
        data: names::byte_string(&blob.data),
        kconfig,
        struct_ops,
        knobs: !spec.maps.is_empty() || !spec.programs.is_empty(),
    })
}

/// Claims the module's item names: the runtime's, then the skeleton's own types.
fn claim_items(object: &str, camel: &str, open: &str) -> Result<(), BackendError> {
    let mut items = Scope::default();
    for item in RUNTIME_ITEMS {
        items.claim("the skeleton's runtime", item)?;
    }
    let owner = format!("object {object}");
    for suffix in ["", "Maps", "Progs", "Links", "Views", "StructOps"] {
        items.claim(&owner, &format!("{camel}{suffix}"))?;
    }
    for suffix in ["", "Maps", "Progs", "StructOps"] {
        items.claim(&owner, &format!("{open}{suffix}"))?;
    }
    Ok(())
}

/// The programs `attach()` attaches: those whose attach method needs no target.
fn auto_progs(model: &Model<'_>, progs: &[ProgView]) -> Vec<ProgMethodView> {
    model
        .programs
        .iter()
        .zip(progs)
        .filter(|(facts, _)| facts.auto)
        .filter_map(|(_, p)| {
            let a = p.attach.as_ref()?;
            Some(ProgMethodView {
                method: a.method.clone(),
                field: p.ident.clone(),
                name: p.name.clone(),
            })
        })
        .collect()
}

/// The lines of a list item for each program `attach()` leaves alone, with why.
fn skipped(model: &Model<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    for (p, why) in model.skipped() {
        let item = format!("- `{}` (section `{}`): {why}.", p.name, p.section);
        for (i, line) in names::doc_lines(&item, 84).into_iter().enumerate() {
            lines.push(if i == 0 { line } else { format!("  {line}") });
        }
    }
    lines
}

/// A `<prefix>_<prog>` method for each program `keep` accepts.
fn prog_methods(
    model: &Model<'_>,
    progs: &[ProgView],
    methods: &mut Scope,
    prefix: &str,
    keep: fn(&Program<'_>) -> bool,
) -> Result<Vec<ProgMethodView>, BackendError> {
    model
        .programs
        .iter()
        .zip(progs)
        .filter(|(p, _)| keep(p))
        .map(|(Program { spec: p, .. }, v)| {
            let method = names::escape(&format!("{prefix}_{}", p.name));
            methods.claim(&format!("program {}", p.name), &method)?;
            Ok(ProgMethodView {
                method,
                field: v.ident.clone(),
                name: v.name.clone(),
            })
        })
        .collect()
}

/// The file's first comment: what it is and what produced it.
fn header(object: &str, blob: &Blob) -> String {
    format!(
        "// Light skeleton of the BPF object \"{}\", @generated by skelgen {} (loader ABI {}).\n\
         // DO NOT EDIT. Needs the `libc` crate. Include it with\n\
         // `include!(concat!(env!(\"OUT_DIR\"), \"/{}\"));` and see the module's docs.\n",
        names::doc(object),
        env!("CARGO_PKG_VERSION"),
        blob.plan.abi_version,
        names::doc(&crate::Lang::Rust.file_name(object)),
    )
}

fn map_views(spec: &ObjectSpec) -> Result<Vec<MapView>, BackendError> {
    let mut fields = Scope::default();
    spec.maps
        .iter()
        .map(|m| {
            let ident = match &m.data {
                Some(_) => names::section_ident(&m.name),
                None => names::ident("map", &m.name)?,
            };
            fields.claim(&format!("map {}", m.name), &ident)?;
            Ok(MapView {
                name: names::string_literal(&m.name),
                doc: map_doc(m),
                map_type: m.map_type.raw(),
                key_size: m.key_size,
                value_size: m.value_size,
                max_entries: m.max_entries,
                view: None,
                ty: "Map",
                required: true,
                struct_ops: None,
                ident,
            })
        })
        .collect()
}

fn map_doc(m: &MapSpec) -> String {
    if let Some(s) = &m.struct_ops {
        return names::doc(&format!(
            "`{}`: {}, struct {} (the kernel's value size)",
            m.name,
            m.map_type.c_name(),
            s.type_name
        ));
    }
    names::doc(&format!(
        "`{}`: {}, key {} bytes, value {} bytes, max_entries {}",
        m.name,
        m.map_type.c_name(),
        m.key_size,
        m.value_size,
        m.max_entries
    ))
}

fn prog_views(spec: &ObjectSpec, methods: &mut Scope) -> Result<Vec<ProgView>, BackendError> {
    let mut fields = Scope::default();
    let mut out = Vec::new();
    for p in &spec.programs {
        let ident = names::ident("program", &p.name)?;
        fields.claim(&format!("program {}", p.name), &ident)?;
        let attach = attach_method(p);
        if let Some(a) = &attach {
            methods.claim(&format!("program {}", p.name), &a.method)?;
        }
        out.push(ProgView {
            ident,
            name: names::string_literal(&p.name),
            section: names::doc(&p.section),
            autoload: p.autoload,
            attach,
        });
    }
    Ok(out)
}

fn sections(
    model: &Model<'_>,
    maps: &[MapView],
    printer: &mut TypePrinter<'_>,
    methods: &mut Scope,
) -> Result<Vec<SectionView>, BackendError> {
    // Section structs are named before any type of the object, so theirs never change.
    for (_, _, d) in model.sections() {
        printer.reserve(
            &format!("section {}", d.section),
            &names::section_type(&d.section),
        )?;
    }
    let mut out = Vec::new();
    for (i, m, d) in model.sections() {
        let owner = format!("section {}", d.section);
        let ident = maps[i].ident.clone();
        let ident_mut = format!("{ident}_mut");
        methods.claim(&owner, &ident)?;
        methods.claim(&owner, &ident_mut)?;
        let globals = m.globals();
        for v in &globals {
            names::ident(&format!("variable in {}", d.section), v)?;
        }
        let ty = names::section_type(&d.section);
        let keep = |n: &str| globals.contains(&n);
        printer.define_section(d.layout, &ty, &d.section, &keep)?;
        out.push(SectionView {
            ident,
            ident_mut,
            ty,
            section: names::string_literal(&d.section),
            section_doc: names::doc(&d.section),
            size: m.spec.value_size,
            frozen: m.frozen,
            image: if d.initial.0.iter().all(|&b| b == 0) {
                "b\"\"".into()
            } else {
                names::byte_string(&d.initial.0)
            },
            map_index: i,
        });
    }
    Ok(out)
}

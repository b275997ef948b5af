//! The view model of a C skeleton: everything the templates print, computed here.

use super::attach::{self, AttachFn};
use super::names::{self, bytes, ByteArray, Dialect};
use super::struct_ops::StructOpsView;
use super::types::{TypeDefView, TypePrinter};
use crate::backend::kconfig::{kconfig_map, kconfig_rows, kind_name};
use crate::backend::model::{Buffer, Map, Model, Program, Scope};
use crate::backend::BackendError;
use crate::ir::ObjectSpec;
use crate::loader::{step_title, Blob};
use heck::ToShoutySnakeCase;
use serde::Serialize;

/// The whole header.
#[derive(Debug, Serialize)]
pub struct SkelView {
    /// Object identifier, the prefix of every generated name.
    pub name: String,
    /// Include guard.
    pub guard: String,
    /// The skelgen version that generates the header.
    pub skelgen_version: &'static str,
    /// Loader ABI version (`docs/loader-abi.md`).
    pub abi_version: u32,
    /// Number of map descriptors.
    pub nr_maps: u32,
    /// Number of program descriptors.
    pub nr_progs: u32,
    /// Context size.
    pub ctx_size: u32,
    /// Maps, in context order.
    pub maps: Vec<MapView>,
    /// Programs, in context order.
    pub progs: Vec<ProgView>,
    /// Programs `NAME__attach` attaches.
    pub auto_progs: Vec<AutoView>,
    /// Programs `NAME__attach` leaves alone, with why, for the header's comment.
    pub skipped: Vec<SkippedView>,
    /// Programs with an iterator link.
    pub iter_progs: Vec<String>,
    /// Syscall programs, run with `BPF_PROG_TEST_RUN`.
    pub run_progs: Vec<String>,
    /// Ring buffer maps, with a reader.
    pub ringbufs: Vec<RingbufView>,
    /// Perf event array maps, with a reader.
    pub perfbufs: Vec<String>,
    /// The structs and unions `--type` asked for, each with a function that reads a ring or
    /// perf buffer record as one.
    pub records: Vec<RecordView>,
    /// Mapped global-data sections with a typed view.
    pub sections: Vec<SectionView>,
    /// Type definitions the views need, in order.
    pub types: Vec<TypeDefView>,
    /// Plan step descriptions, escaped for string literals.
    pub steps: Vec<String>,
    /// Loader instructions.
    pub insns: ByteArray,
    /// Loader data blob.
    pub data: ByteArray,
    /// `.kconfig` externs, when the object has a `.kconfig` map.
    pub kconfig: Option<KconfigView>,
    /// The object has uprobe programs (the runtime then reads ELF symbol tables).
    pub uprobe: bool,
    /// struct_ops maps and programs, when the object has any.
    pub struct_ops: Option<StructOpsView>,
    /// The object has struct_ops maps (`NAME__attach` registers them).
    pub struct_ops_maps: bool,
    /// The signatures, when the loader is signed.
    pub signed: Option<SignedView>,
    /// `NAME__attach` has something to do: programs to attach or struct_ops maps to
    /// register.
    pub attach_all: bool,
    /// The members of `struct NAME__links`: `<ident>_fd` of every program, then of every
    /// `.struct_ops.link` map.
    pub links: Vec<String>,
}

/// What a signed skeleton embeds besides its loader (`runtime/c/skelgen_signed.h`).
#[derive(Debug, Serialize)]
pub struct SignedView {
    /// The certificate's subject, safe inside a comment.
    pub subject: String,
    /// Its subject key identifier, hex.
    pub key_id: String,
    /// SHA-256 of the loader instructions.
    pub excl_prog_hash: ByteArray,
    /// The signature over instructions and blob (Linux 7.3 and later).
    pub with_metadata: ByteArray,
    /// The signature over the instructions (Linux 6.18 to 7.2).
    pub insns_only: ByteArray,
}

/// One map.
#[derive(Debug, Serialize)]
pub struct MapView {
    /// Member name in `skel->maps`.
    pub ident: String,
    /// What it is, for a comment.
    pub comment: String,
    /// A perf event array compiled with `max_entries = 0`: the runtime sets the CPU count.
    pub per_cpu_entries: bool,
}

/// A ring buffer map.
#[derive(Debug, Serialize)]
pub struct RingbufView {
    /// Member name in `skel->maps`.
    pub ident: String,
    /// Compiled size in bytes.
    pub max_entries: u32,
}

/// One program.
#[derive(Debug, Serialize)]
pub struct ProgView {
    /// Member name in `skel->progs`, and `<ident>_fd` in `skel->links`.
    pub ident: String,
    /// Section, for a comment.
    pub section: String,
    /// Default of `autoload`.
    pub autoload: u32,
    /// Its attach function, if skelgen can attach it.
    pub attach: Option<AttachFn>,
}

/// A program the attach-all call attaches.
#[derive(Debug, Serialize)]
pub struct AutoView {
    /// Member name in `skel->progs`.
    pub ident: String,
    /// What `skel->err_step` says when attaching it fails, escaped for a string literal.
    pub step: String,
}

/// A program the attach-all call leaves alone.
#[derive(Debug, Serialize)]
pub struct SkippedView {
    /// Member name in `skel->progs`.
    pub ident: String,
    /// Section, for a comment.
    pub section: String,
    /// Why, for a comment.
    pub why: String,
}

/// A global-data section with a typed view.
#[derive(Debug, Serialize)]
pub struct SectionView {
    /// Member name of the pointer in the skeleton (`bss`, `data_custom`).
    pub ident: String,
    /// Member name of its map in `skel->maps`.
    pub map_ident: String,
    /// ELF section, for a comment.
    pub section: String,
    /// ELF section, escaped for a string literal.
    pub section_lit: String,
    /// Size of the section in bytes.
    pub size: u32,
    /// Frozen before programs load: mapped read-only after load.
    pub frozen: bool,
    /// Initial image (empty when all zero).
    pub image: ByteArray,
}

/// `.kconfig` externs.
#[derive(Debug, Serialize)]
pub struct KconfigView {
    /// Member name of the data view.
    pub section: String,
    /// The externs.
    pub externs: Vec<KconfigExtern>,
}

/// One kconfig extern as a runtime table entry.
#[derive(Debug, Serialize)]
pub struct KconfigExtern {
    /// Name, escaped for a string literal.
    pub name: String,
    /// Offset in the section.
    pub offset: u32,
    /// Size.
    pub size: u32,
    /// `SKELGEN_KCFG_*` constant.
    pub kind: String,
    /// 1 when declared `__weak`.
    pub weak: u32,
}

/// Builds the view of `spec` and its compiled loader.
pub fn build(spec: &ObjectSpec, blob: &Blob) -> Result<SkelView, BackendError> {
    build_in(spec, blob, Dialect::User)
}

/// A struct or union `--type` asked for, read from buffer records by `<name>__<ident>__read`.
#[derive(Debug, Serialize)]
pub struct RecordView {
    /// How C spells it (`struct event`).
    pub spelled: String,
    /// Its tag, the middle of the read function's name.
    pub ident: String,
}

/// Defines the types `--type` asked for; the structs and unions among them get a record
/// reader, whose name is claimed.
fn named_types(
    spec: &ObjectSpec,
    printer: &mut TypePrinter<'_>,
    idents: &mut Scope,
) -> Result<Vec<RecordView>, BackendError> {
    let mut out = Vec::new();
    for &id in &spec.named_types {
        let spelled = printer.define_named(id)?;
        if let Some(tag) = spelled
            .strip_prefix("struct ")
            .or_else(|| spelled.strip_prefix("union "))
        {
            let owner = format!("--type {spelled}");
            idents.claim_kind("fn", &owner, &format!("{tag}__read"))?;
            out.push(RecordView {
                ident: tag.to_string(),
                spelled,
            });
        }
    }
    Ok(out)
}

/// Builds the view of `spec` with the names and types of `dialect`: the kernel-module
/// backend starts from this view.
pub fn build_in(
    spec: &ObjectSpec,
    blob: &Blob,
    dialect: Dialect,
) -> Result<SkelView, BackendError> {
    let name = dialect.object_ident(&spec.name)?;
    let model = Model::new(spec);
    let mut idents = Scope::default();
    let maps = model
        .maps
        .iter()
        .map(|m| map_view(m, dialect, &mut idents))
        .collect::<Result<Vec<_>, _>>()?;
    let progs = program_views(&model, dialect, &mut idents)?;
    let map_idents: Vec<&str> = maps.iter().map(|m| m.ident.as_str()).collect();
    let prog_idents: Vec<&str> = progs.iter().map(|p| p.ident.as_str()).collect();
    let struct_ops = super::struct_ops::view(spec, blob, &map_idents, &prog_idents, &mut idents)?;
    let links = super::struct_ops::links(&prog_idents, struct_ops.as_ref());
    let idents_where = |keep: fn(&Program<'_>) -> bool| -> Vec<String> {
        model
            .programs
            .iter()
            .zip(&progs)
            .filter(|(p, _)| keep(p))
            .map(|(_, v)| v.ident.clone())
            .collect()
    };
    let auto_progs: Vec<AutoView> = model
        .programs
        .iter()
        .zip(&progs)
        .filter(|(p, _)| p.auto)
        .map(|(p, v)| AutoView {
            ident: v.ident.clone(),
            step: names::c_string(&format!(
                "attach {} (section {})",
                p.spec.name, p.spec.section
            )),
        })
        .collect();
    let skipped = model
        .programs
        .iter()
        .zip(&progs)
        .filter_map(|(p, v)| {
            p.skipped.as_ref().map(|why| SkippedView {
                ident: v.ident.clone(),
                section: v.section.clone(),
                why: attach::comment(why),
            })
        })
        .collect();
    let struct_ops_maps = struct_ops.as_ref().is_some_and(|s| !s.maps.is_empty());
    let iter_progs = idents_where(|p| p.iter);
    let run_progs = idents_where(|p| p.run);
    let ringbufs = model
        .buffers(Buffer::Ring)
        .map(|(i, m)| RingbufView {
            ident: maps[i].ident.clone(),
            max_entries: m.spec.max_entries,
        })
        .collect();
    let perfbufs = model
        .buffers(Buffer::Perf)
        .map(|(i, _)| maps[i].ident.clone())
        .collect();
    let mut printer = TypePrinter::for_dialect(&spec.types, &name, dialect);
    let sections = sections(&model, &maps, &name, &mut printer, &mut idents)?;
    let records = named_types(spec, &mut printer, &mut idents)?;
    let kconfig = kconfig_view(spec, dialect);
    let signed = signed_view(blob, &mut idents)?;
    Ok(SkelView {
        guard: names::guard(&name),
        name,
        skelgen_version: env!("CARGO_PKG_VERSION"),
        abi_version: blob.plan.abi_version,
        nr_maps: blob.plan.nr_maps,
        nr_progs: blob.plan.nr_progs,
        ctx_size: blob.ctx_size,
        maps,
        progs,
        attach_all: !auto_progs.is_empty() || struct_ops_maps,
        struct_ops_maps,
        auto_progs,
        skipped,
        iter_progs,
        run_progs,
        ringbufs,
        perfbufs,
        records,
        sections,
        types: printer.defs,
        steps: blob
            .plan
            .steps
            .iter()
            .map(|s| names::c_string(&step_title(s)))
            .collect(),
        insns: bytes(&blob.insns, false),
        data: bytes(&blob.data, false),
        kconfig,
        uprobe: dialect == Dialect::User && model.has_uprobes(),
        struct_ops,
        links,
        signed,
    })
}

/// The signed skeleton's arrays and its `keyring_id` member, named as bpftool names it.
fn signed_view(blob: &Blob, idents: &mut Scope) -> Result<Option<SignedView>, BackendError> {
    let Some(sigs) = &blob.signatures else {
        return Ok(None);
    };
    idents.claim_kind("view", "the signed skeleton's keyring_id", "keyring_id")?;
    Ok(Some(SignedView {
        subject: attach::comment(&sigs.signer.subject),
        key_id: crate::loader::signed::hex(&sigs.signer.key_id),
        excl_prog_hash: bytes(&sigs.excl_prog_hash, false),
        with_metadata: bytes(&sigs.with_metadata, false),
        insns_only: bytes(&sigs.insns_only, false),
    }))
}

fn program_views(
    model: &Model<'_>,
    dialect: Dialect,
    idents: &mut Scope,
) -> Result<Vec<ProgView>, BackendError> {
    let mut progs = Vec::new();
    for Program { spec: p, .. } in &model.programs {
        let ident = dialect.ident("program", &p.name)?;
        let owner = format!("program {}", p.name);
        idents.claim_kind("prog", &owner, &ident)?;
        idents.claim_kind("link", &owner, &format!("{ident}_fd"))?;
        let attach = attach::attach_fn(p);
        if let Some(a) = &attach {
            idents.claim_kind("fn", &owner, &format!("{ident}__attach{}", a.suffix))?;
        }
        progs.push(ProgView {
            ident,
            section: attach::comment(&p.section),
            autoload: u32::from(p.autoload),
            attach,
        });
    }
    Ok(progs)
}

fn map_view(
    model: &Map<'_>,
    dialect: Dialect,
    idents: &mut Scope,
) -> Result<MapView, BackendError> {
    let m = model.spec;
    let ident = match &m.data {
        Some(_) => dialect.section_ident(&m.name),
        None => dialect.ident("map", &m.name)?,
    };
    idents.claim_kind("map", &format!("map {}", m.name), &ident)?;
    Ok(MapView {
        comment: attach::comment(&format!(
            "{}: {}, key {}, value {}, max_entries {}",
            m.name,
            m.map_type.c_name(),
            m.key_size,
            m.value_size,
            m.max_entries
        )),
        per_cpu_entries: model.per_cpu_entries,
        ident,
    })
}

fn sections(
    model: &Model<'_>,
    maps: &[MapView],
    object: &str,
    printer: &mut TypePrinter<'_>,
    idents: &mut Scope,
) -> Result<Vec<SectionView>, BackendError> {
    let mut out = Vec::new();
    for (i, m, d) in model.sections() {
        let name = &m.spec.name;
        let ident = printer.dialect().section_ident(name);
        idents.claim_kind("view", &format!("section {name}"), &ident)?;
        let globals = m.globals();
        for v in &globals {
            printer.dialect().ident(&format!("variable in {name}"), v)?;
        }
        let keep = |n: &str| globals.contains(&n);
        printer.define_as(d.layout, &format!("{object}__{ident}"), &keep)?;
        out.push(SectionView {
            map_ident: maps[i].ident.clone(),
            section: attach::comment(&d.section),
            section_lit: names::c_string(&d.section),
            size: m.spec.value_size,
            frozen: m.frozen,
            image: bytes(&d.initial.0, true),
            ident,
        });
    }
    Ok(out)
}

fn kconfig_view(spec: &ObjectSpec, dialect: Dialect) -> Option<KconfigView> {
    let map = &spec.maps[kconfig_map(spec)?];
    let externs = kconfig_rows(spec)
        .map(|k| KconfigExtern {
            name: names::c_string(k.name),
            offset: k.offset,
            size: k.size,
            kind: format!("SKELGEN_KCFG_{}", kind_name(k.kind).to_shouty_snake_case()),
            weak: u32::from(k.weak),
        })
        .collect();
    Some(KconfigView {
        section: dialect.section_ident(&map.name),
        externs,
    })
}

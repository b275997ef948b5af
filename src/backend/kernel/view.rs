//! The view model of a kernel-module skeleton. Names, types, sections, plan steps and the
//! embedded bytes come from the C backend's view built in [`Dialect::Kernel`]; this module
//! adds what only a module needs: program types for taking references, the attach
//! functions a module can use, and `.kconfig` values taken from the kernel configuration the
//! module is built against.

use super::attach::{attach_fn, KernAttachFn};
use super::kconfig::{kconfig_view, KconfigView};
use super::names;
use crate::backend::c::names::ByteArray;
use crate::backend::c::names::Dialect;
use crate::backend::c::types::TypeDefView;
use crate::backend::c::view::{self as cview, MapView, SectionView};
use crate::backend::model::Model;
use crate::backend::BackendError;
use crate::ir::ObjectSpec;
use crate::loader::Blob;
use serde::Serialize;

/// The whole kernel header.
#[derive(Debug, Serialize)]
pub struct KernView {
    /// Object identifier, the prefix of every generated name.
    pub name: String,
    /// Include guard.
    pub guard: String,
    /// skelgen's version.
    pub version: &'static str,
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
    pub progs: Vec<KernProgView>,
    /// Programs `NAME__attach` attaches.
    pub auto_progs: Vec<String>,
    /// Programs `NAME__attach` leaves alone, with why, for the header's comment.
    pub skipped: Vec<cview::SkippedView>,
    /// Global-data sections with a typed view.
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
    /// The object has maps or programs: the skeleton takes references to them.
    pub refs: bool,
}

/// Why a module's attach-all call leaves alone a program the other skeletons attach.
const MODULE_CANNOT: &str = "a module cannot attach it: it needs perf_event_open(2) \
     (tracepoints, kprobes, ksyscall); the program is loaded and its fd handed out";

/// One program.
#[derive(Debug, Serialize)]
pub struct KernProgView {
    /// Member name in `skel->progs`, `skel->refs.progs` and `skel->refs.links`, and
    /// `<ident>_fd` in `skel->links`.
    pub ident: String,
    /// Section, for a comment.
    pub section: String,
    /// Default of `autoload`.
    pub autoload: u32,
    /// `enum bpf_prog_type` value, for taking a reference to the loaded program.
    pub prog_type: u32,
    /// `BPF_PROG_TYPE_*` name, for a comment.
    pub prog_type_name: &'static str,
    /// Its attach function, if a module can attach it.
    pub attach: Option<KernAttachFn>,
}

/// Builds the kernel view of `spec` and its compiled loader.
pub fn build(spec: &ObjectSpec, blob: &Blob) -> Result<KernView, BackendError> {
    names::object_ident(&spec.name)?;
    let base = cview::build_in(spec, blob, Dialect::Kernel)?;
    let model = Model::new(spec);
    let progs: Vec<KernProgView> = spec
        .programs
        .iter()
        .zip(base.progs)
        .map(|(p, v)| KernProgView {
            ident: v.ident,
            section: v.section,
            autoload: v.autoload,
            prog_type: p.prog_type.raw(),
            prog_type_name: p.prog_type.c_name(),
            attach: attach_fn(p),
        })
        .collect();
    // The attach-all call attaches what needs no target, of what a module can attach.
    let auto_progs = model
        .programs
        .iter()
        .zip(&progs)
        .filter(|(p, v)| p.auto && v.attach.is_some())
        .map(|(_, v)| v.ident.clone())
        .collect();
    let skipped = model
        .programs
        .iter()
        .zip(&progs)
        .filter_map(|(p, v)| {
            let why = match (&p.skipped, &v.attach) {
                (Some(why), _) => why.clone(),
                (None, None) => MODULE_CANNOT.to_string(),
                (None, Some(_)) => return None,
            };
            Some(cview::SkippedView {
                ident: v.ident.clone(),
                section: v.section.clone(),
                why: crate::backend::c::attach::comment(&why),
            })
        })
        .collect();
    let kconfig = match &base.kconfig {
        Some(k) => Some(kconfig_view(spec, &k.section)?),
        None => None,
    };
    Ok(KernView {
        guard: names::guard(&base.name),
        name: base.name,
        version: env!("CARGO_PKG_VERSION"),
        abi_version: base.abi_version,
        nr_maps: base.nr_maps,
        nr_progs: base.nr_progs,
        ctx_size: base.ctx_size,
        maps: base.maps,
        progs,
        auto_progs,
        skipped,
        sections: base.sections,
        types: base.types,
        steps: base.steps,
        insns: base.insns,
        data: base.data,
        kconfig,
        refs: !spec.maps.is_empty() || !spec.programs.is_empty(),
    })
}

//! What a plan step is called: its title, which every skeleton names a failed load by, and
//! for `--emit plan` one line per syscall or lookup of each step, naming its arguments and
//! where the run-time ones come from in the context.

use super::plan::{LoaderPlan, Resolution, Step};
use crate::ir::{ObjectSpec, SlotTarget};
use std::fmt::Write as _;

/// The title of a plan step: what a failed load names in every language (the skeletons
/// embed one title per step and their runtimes print the failing step's).
pub fn step_title(step: &Step) -> String {
    match step {
        Step::CheckContext => "check the loader context".into(),
        Step::LoadBtf => "BTF_LOAD of the object's BTF".into(),
        Step::CreateInnerMap { name, .. } => format!("MAP_CREATE of the inner map of {name}"),
        Step::CreateMap { name, .. } => format!("MAP_CREATE {name}"),
        Step::UpdateElem { name, .. } => format!("MAP_UPDATE_ELEM {name} (initial value)"),
        Step::Freeze { name, .. } => format!("MAP_FREEZE {name}"),
        Step::FillSlot { text, .. } => format!("MAP_UPDATE_ELEM {text}"),
        Step::LoadProgram { name, resolve, .. } => {
            let looked_up: Vec<&str> = resolve
                .iter()
                .filter_map(|r| match r {
                    Resolution::AttachTarget { name, .. }
                    | Resolution::Btf { name, .. }
                    | Resolution::Kallsyms { name, .. } => Some(name.as_str()),
                    Resolution::StructOps { .. } => None,
                })
                .collect();
            if looked_up.is_empty() {
                format!("PROG_LOAD {name}")
            } else {
                format!(
                    "PROG_LOAD {name} (after looking up {})",
                    looked_up.join(", ")
                )
            }
        }
        Step::Finish => "finish: copy the fds into the context".into(),
    }
}

impl LoaderPlan {
    /// One line per step, in order, naming the syscall or lookup and its arguments.
    pub fn describe(&self, spec: &ObjectSpec) -> Vec<String> {
        self.steps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                step_lines(self, spec, s)
                    .into_iter()
                    .map(move |l| format!("{i:4}  {l}"))
            })
            .collect()
    }
}

/// The lines `--emit plan` prints for `step`.
fn step_lines(plan: &LoaderPlan, spec: &ObjectSpec, step: &Step) -> Vec<String> {
    let map = |i: usize| spec.maps.get(i);
    match step {
        Step::CheckContext => vec![check_line(plan)],
        Step::LoadBtf => vec![format!(
            "bpf(BPF_BTF_LOAD, btf_size={}, log from ctx)",
            spec.btf.0.len()
        )],
        Step::CreateInnerMap { outer, .. } => match map(*outer).and_then(|m| m.inner.as_deref()) {
            Some(m) => vec![format!(
                "bpf(BPF_MAP_CREATE, {} (inner prototype of {}))",
                map_args(m),
                spec.maps[*outer].name
            )],
            None => vec![],
        },
        Step::CreateMap { map: i, .. } => match (map(*i), plan.struct_ops_map_slot(*i)) {
            (Some(m), Some(k)) => vec![format!(
                "bpf(BPF_MAP_CREATE, {} name={:?} key_size={} value_size=maps[{i}].value_size \
                 btf_vmlinux_value_type_id=maps[{i}].btf_vmlinux_value_type_id max_entries={} \
                 flags={:#x} btf_fd) if struct_ops_maps[{k}].autocreate",
                m.map_type.c_name(),
                m.kernel_name,
                m.key_size,
                m.max_entries,
                m.flags
            )],
            (Some(m), None) => vec![format!(
                "bpf(BPF_MAP_CREATE, {}, knobs maps[{i}])",
                map_args(m)
            )],
            (None, _) => vec![],
        },
        Step::UpdateElem { map: i, name } => {
            let size = map(*i).map_or(0, |m| m.value_size);
            vec![format!("bpf(BPF_MAP_UPDATE_ELEM, {name}, key=0, value={size} bytes from maps[{i}].initial_value or the compiled image)")]
        }
        Step::Freeze { name, .. } => vec![format!("bpf(BPF_MAP_FREEZE, {name})")],
        Step::FillSlot { text, target, .. } => {
            let cond = if matches!(target, SlotTarget::Program(_)) {
                " if the program was loaded"
            } else {
                ""
            };
            vec![format!("bpf(BPF_MAP_UPDATE_ELEM, {text}){cond}")]
        }
        Step::LoadProgram {
            prog,
            name,
            resolve,
        } => describe_prog(spec, *prog, name, resolve),
        Step::Finish => vec!["close(btf_fd); copy map and program fds to ctx".into()],
    }
}

fn check_line(plan: &LoaderPlan) -> String {
    let mut line = format!(
        "check ctx: abi {}, {} maps, {} programs",
        plan.abi_version, plan.nr_maps, plan.nr_progs
    );
    if !plan.struct_ops_maps.is_empty() || !plan.struct_ops_progs.is_empty() {
        let _ = write!(
            line,
            ", {} struct_ops maps, {} struct_ops programs",
            plan.struct_ops_maps.len(),
            plan.struct_ops_progs.len()
        );
    }
    let _ = write!(line, ", {} bytes", plan.ctx_size());
    line
}

fn map_args(m: &crate::ir::MapSpec) -> String {
    format!(
        "{} name={:?} key_size={} value_size={} max_entries={} flags={:#x}",
        m.map_type.c_name(),
        m.kernel_name,
        m.key_size,
        m.value_size,
        m.max_entries,
        m.flags
    )
}

fn describe_prog(
    spec: &ObjectSpec,
    prog: usize,
    name: &str,
    resolve: &[Resolution],
) -> Vec<String> {
    let mut out: Vec<String> = resolve.iter().map(resolution).collect();
    if let Some(p) = spec.programs.get(prog) {
        let mut line = format!(
            "bpf(BPF_PROG_LOAD, {} name={name:?} insn_cnt={}",
            p.prog_type.c_name(),
            p.insns.len()
        );
        if let Some(t) = p.expected_attach_type {
            let _ = write!(line, " expected_attach_type={}", t.c_name());
        }
        for r in resolve {
            if let Resolution::StructOps { slot, .. } = r {
                let _ = write!(
                    line,
                    " expected_attach_type=struct_ops_progs[{slot}].member_index \
                     attach_btf_id=struct_ops_progs[{slot}].attach_btf_id"
                );
            }
        }
        if p.flags != 0 {
            let _ = write!(line, " flags={:#x}", p.flags);
        }
        let _ = write!(line, ") if progs[{prog}].autoload");
        out.push(line);
    }
    out
}

/// The lookup (or context read) a resolution makes before the load.
fn resolution(r: &Resolution) -> String {
    match r {
        Resolution::AttachTarget { name, btf_kind } => {
            format!("bpf_btf_find_by_name_kind({name:?}, {btf_kind:?}) -> attach_btf_id")
        }
        Resolution::Btf {
            name,
            func,
            weak,
            calls,
            loads,
            ..
        } => format!(
            "bpf_btf_find_by_name_kind({name:?}, {}){} -> {} call(s), {} load(s)",
            if *func { "FUNC" } else { "VAR" },
            if *weak { " weak" } else { "" },
            calls.len(),
            loads.len()
        ),
        Resolution::StructOps { slot, members } => format!(
            "struct_ops_progs[{slot}]: filled by the runtime from the kernel's BTF for {}",
            if members.is_empty() {
                "no member (no struct_ops map names the program: it cannot load)".to_string()
            } else {
                members.join(", ")
            }
        ),
        Resolution::Kallsyms {
            name, weak, loads, ..
        } => format!(
            "bpf_kallsyms_lookup_name({name:?}){} -> {} load(s)",
            if *weak { " weak" } else { "" },
            loads.len()
        ),
    }
}

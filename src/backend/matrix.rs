//! What each backend supports, kept in code: [`check`] refuses, before rendering, an object
//! that uses a feature a language refuses, and `docs/backends.md` is generated from the same
//! table (a test fails when the two disagree).

use crate::backend::model::Model;
use crate::backend::BackendError;
use crate::ir::{Attach, ObjectSpec, Pinning, ProgramSpec};
use crate::Lang;
use std::fmt::Write as _;

/// How far one backend supports one feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Generated, and exercised by the end-to-end tests.
    Yes,
    /// Generated, with the limit the note states.
    Partly(&'static str),
    /// Not generated, for the reason the note states; an object using it still gets a
    /// skeleton (its program is loaded and its fd handed out).
    No(&'static str),
    /// An object using it is refused at generation, for the reason the note states.
    Refused(&'static str),
}

/// One [`Support`] per language.
#[derive(Debug, Clone, Copy)]
pub struct PerLang {
    /// `--lang c`.
    pub c: Support,
    /// `--lang rust`.
    pub rust: Support,
    /// `--lang go`.
    pub go: Support,
    /// `--lang kernel`.
    pub kernel: Support,
}

impl PerLang {
    /// `support` for every language.
    pub const fn same(support: Support) -> PerLang {
        PerLang {
            c: support,
            rust: support,
            go: support,
            kernel: support,
        }
    }

    /// The support of `lang`.
    pub fn get(&self, lang: Lang) -> Support {
        match lang {
            Lang::C => self.c,
            Lang::Rust => self.rust,
            Lang::Go => self.go,
            Lang::Kernel => self.kernel,
        }
    }
}

/// What in an object uses a feature.
#[derive(Debug, Clone, Copy)]
pub enum Use {
    /// Every object.
    Always,
    /// A mapped global-data section.
    Sections,
    /// A perf event array compiled with `max_entries = 0`.
    PerCpuPerfArray,
    /// A map pinned by name.
    Pinning,
    /// A struct_ops map or program.
    StructOps,
    /// `.kconfig` externs.
    Kconfig,
    /// A ring buffer or a perf event array.
    Buffers,
    /// A program of this attach kind ([`Attach::KINDS`]).
    Attach(&'static str),
    /// A signed loader (`--sign-key`, `--sign-cert`).
    Signed,
}

/// One row of the matrix.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    /// What the row is about.
    pub name: &'static str,
    /// What in an object uses it.
    pub used: Use,
    /// How far each language supports it.
    pub support: PerLang,
}

use Support::{No, Partly, Refused, Yes};

const PINNING: Support =
    Refused("the loader program cannot open bpffs paths; pin from the application after load");

const STRUCT_OPS: Support = Partly(
    "struct_ops types of vmlinux (not of modules); .struct_ops.link maps need Linux 6.4, older \
     kernels load the object with their autocreate off; proven on 6.18 (both kinds) and 6.1 \
     (.struct_ops)",
);
const STRUCT_OPS_REFUSED: Support =
    Refused("this runtime does not read the kernel's BTF to lay out struct_ops maps yet");

const KERNEL_PER_CPU: Support =
    Partly("max_entries set to num_possible_cpus() at load; not exercised by the module tests");
const KERNEL_KCONFIG: Support = Partly(
    "from the configuration of the kernel the module is built for, when it is compiled; \
     LINUX_KERNEL_VERSION from the running kernel",
);
const KERNEL_NO_PERF: Support = No(
    "needs perf_event_open(2), which a module cannot call; the program is loaded and its fd \
     handed out",
);
const KERNEL_NO_FD: Support = No(
    "the target is an fd of an open file, which a module does not hold; the program is loaded \
     and its fd handed out",
);

const UNSIGNED_RUNTIME: Support = Refused("this runtime has no signed load path");
const KERNEL_UNSIGNED: Support = Refused(
    "a module loads through kern_sys_bpf, which has no signed variant: the kernel verifies \
     signatures only on BPF_PROG_LOAD from user space",
);

const KSYSCALL: Support = Partly(
    "a kprobe on the kernel's name of the syscall (__x64_sys_openat where the kernel has \
     syscall wrappers, else sys_openat); the host kernel refuses kprobes, and attach-all fails \
     naming the program",
);

/// Every feature, attach kinds last (one row per [`Attach::KINDS`] entry).
pub const FEATURES: &[Feature] = &[
    Feature {
        name: "open / load / destroy",
        used: Use::Always,
        support: PerLang::same(Yes),
    },
    Feature {
        name: "typed global-data views, live after load",
        used: Use::Sections,
        support: PerLang::same(Yes),
    },
    Feature {
        name: "knobs: max_entries, value_size, autoload",
        used: Use::Always,
        support: PerLang::same(Yes),
    },
    Feature {
        name: "perf event arrays sized 0: possible CPUs, set at open",
        used: Use::PerCpuPerfArray,
        support: PerLang {
            c: Yes,
            rust: Yes,
            go: Yes,
            kernel: KERNEL_PER_CPU,
        },
    },
    Feature {
        name: "maps pinned by name (LIBBPF_PIN_BY_NAME)",
        used: Use::Pinning,
        support: PerLang::same(PINNING),
    },
    Feature {
        name: "struct_ops maps: kernel layout read on the target, registered by attach",
        used: Use::StructOps,
        support: PerLang {
            c: STRUCT_OPS,
            rust: STRUCT_OPS,
            go: STRUCT_OPS,
            kernel: STRUCT_OPS_REFUSED,
        },
    },
    Feature {
        name: ".kconfig values read on the target",
        used: Use::Kconfig,
        support: PerLang {
            c: Yes,
            rust: Yes,
            go: Yes,
            kernel: KERNEL_KCONFIG,
        },
    },
    Feature {
        name: "signed loader (--sign-key, --sign-cert), both kernel schemes",
        used: Use::Signed,
        support: PerLang {
            c: Yes,
            rust: UNSIGNED_RUNTIME,
            go: UNSIGNED_RUNTIME,
            kernel: KERNEL_UNSIGNED,
        },
    },
    Feature {
        name: "verifier log on failure",
        used: Use::Always,
        support: PerLang::same(Yes),
    },
    Feature {
        name: "ring buffer / perf buffer reading",
        used: Use::Buffers,
        support: PerLang {
            c: Yes,
            rust: Yes,
            go: Yes,
            kernel: No("no reader: a module reads maps through the kernel's own map API"),
        },
    },
    Feature {
        name: "attach: tracepoint",
        used: Use::Attach("tracepoint"),
        support: PerLang {
            c: Yes,
            rust: Yes,
            go: Yes,
            kernel: KERNEL_NO_PERF,
        },
    },
    Feature {
        name: "attach: raw_tp",
        used: Use::Attach("raw_tp"),
        support: PerLang::same(Yes),
    },
    Feature {
        name: "attach: btf_trace",
        used: Use::Attach("btf_trace"),
        support: PerLang {
            c: Partly("fentry/fexit/fmod_ret/lsm proven on Linux 6.1 in the VM; the host kernel refuses them"),
            rust: Partly("fentry/fexit/fmod_ret/lsm proven on Linux 6.1 in the VM; the host kernel refuses them"),
            go: Partly("fentry/fexit/fmod_ret/lsm proven on Linux 6.1 in the VM; the host kernel refuses them"),
            kernel: Partly("fentry, fexit, fmod_ret and lsm exercised; tp_btf attaches the same way but is not exercised"),
        },
    },
    Feature {
        name: "attach: iter",
        used: Use::Attach("iter"),
        support: PerLang::same(Yes),
    },
    Feature {
        name: "attach: kprobe",
        used: Use::Attach("kprobe"),
        support: PerLang {
            c: Partly("proven on Linux 6.1 in the VM; the host kernel refuses kprobes"),
            rust: Partly("proven on Linux 6.1 in the VM; the host kernel refuses kprobes"),
            go: Partly("proven on Linux 6.1 in the VM; the host kernel refuses kprobes"),
            kernel: KERNEL_NO_PERF,
        },
    },
    Feature {
        name: "attach: uprobe",
        used: Use::Attach("uprobe"),
        support: PerLang {
            c: Yes,
            rust: Yes,
            go: Yes,
            kernel: KERNEL_NO_PERF,
        },
    },
    Feature {
        name: "attach: xdp",
        used: Use::Attach("xdp"),
        support: PerLang::same(Yes),
    },
    Feature {
        name: "attach: tcx",
        used: Use::Attach("tcx"),
        support: PerLang {
            c: Yes,
            rust: Yes,
            go: Yes,
            kernel: No("not generated: tcx needs Linux 6.6, and the module tests boot 6.1"),
        },
    },
    Feature {
        name: "attach: cgroup",
        used: Use::Attach("cgroup"),
        support: PerLang {
            c: Yes,
            rust: Yes,
            go: Yes,
            kernel: KERNEL_NO_FD,
        },
    },
    Feature {
        name: "attach: netns",
        used: Use::Attach("netns"),
        support: PerLang {
            c: Yes,
            rust: Yes,
            go: Yes,
            kernel: KERNEL_NO_FD,
        },
    },
    Feature {
        name: "attach: sockmap",
        used: Use::Attach("sockmap"),
        support: PerLang {
            c: Partly("a BPF link on a sockmap needs Linux 6.10"),
            rust: Partly("a BPF link on a sockmap needs Linux 6.10"),
            go: Partly("a BPF link on a sockmap needs Linux 6.10"),
            kernel: KERNEL_NO_FD,
        },
    },
    Feature {
        name: "attach: ksyscall",
        used: Use::Attach("ksyscall"),
        support: PerLang {
            c: KSYSCALL,
            rust: KSYSCALL,
            go: KSYSCALL,
            kernel: KERNEL_NO_PERF,
        },
    },
    Feature {
        name: "attach: perf_event",
        used: Use::Attach("perf_event"),
        support: PerLang {
            c: Yes,
            rust: Yes,
            go: Yes,
            kernel: KERNEL_NO_FD,
        },
    },
];

/// A kind of program skelgen loads but does not attach, and why.
#[derive(Debug, Clone, Copy)]
pub struct NotAttached {
    /// The programs, by their sections.
    pub what: &'static str,
    /// Why they are not attached, and what the skeleton offers instead.
    pub why: &'static str,
}

const fn not_attached(what: &'static str, why: &'static str) -> NotAttached {
    NotAttached { what, why }
}

const MULTI: NotAttached = not_attached(
    "kprobe.multi, uprobe.multi, kprobe/uprobe sessions",
    "need link options skelgen does not write yet; the program fd is handed out",
);
const FSESSION: NotAttached = not_attached(
    "fsession (Linux 7.0)",
    "attached differently; the program fd is handed out",
);
const UNTARGETED_BTF: NotAttached = not_attached(
    "fentry, fexit, fmod_ret, lsm and tp_btf without a target in the section",
    "the target is fixed when the program loads, and the section names none to load it \
     against",
);
const IN_MAPS: NotAttached = not_attached(
    "xdp/devmap, xdp/cpumap",
    "placed in map entries by the caller, not attached",
);
const NO_FUNCTION: NotAttached = not_attached(
    "socket filters, sk_reuseport, legacy tc, lwt, netfilter, netkit, freplace, usdt",
    "no attach function; the program fd is handed out for the caller's own \
     setsockopt/netlink/link",
);
const STRUCT_OPS_PROGS: NotAttached = not_attached(
    "struct_ops programs",
    "attached as members of their struct_ops map, by the map's attach",
);
const SYSCALL_PROGS: NotAttached = not_attached(
    "syscall programs",
    "run with BPF_PROG_TEST_RUN by their run function, not attached",
);

/// Programs skelgen loads but does not attach, and why.
pub const NOT_ATTACHED: &[NotAttached] = &[
    MULTI,
    FSESSION,
    UNTARGETED_BTF,
    IN_MAPS,
    NO_FUNCTION,
    STRUCT_OPS_PROGS,
    SYSCALL_PROGS,
];

/// The row of [`NOT_ATTACHED`] a program without an attach function belongs to.
pub fn why_not_attached(p: &ProgramSpec) -> &'static NotAttached {
    use crate::uapi::{AttachType as A, ProgType as P};
    match (p.prog_type, p.expected_attach_type) {
        (P::Kprobe, Some(_)) => &MULTI,
        (P::Tracing, Some(A::TraceFsession)) => &FSESSION,
        (P::Tracing | P::Lsm, _) => &UNTARGETED_BTF,
        (P::Xdp, _) => &IN_MAPS,
        (P::StructOps, _) => &STRUCT_OPS_PROGS,
        (P::Syscall, _) => &SYSCALL_PROGS,
        _ => &NO_FUNCTION,
    }
}

/// Refuses `spec` (with a `signed` loader or not) for `lang` when it uses a feature `lang`
/// refuses: the error names the map or program and the languages that support the feature.
///
/// # Errors
/// [`BackendError::Unsupported`] for the first such use.
pub fn check(lang: Lang, spec: &ObjectSpec, signed: bool) -> Result<(), BackendError> {
    let model = Model::new(spec);
    for f in FEATURES {
        let Refused(note) = f.support.get(lang) else {
            continue;
        };
        let what = match f.used {
            Use::Signed => signed.then(|| format!("object {} (signed)", spec.name)),
            used => first_use(used, spec, &model),
        };
        let Some(what) = what else {
            continue;
        };
        let others: Vec<Lang> = Lang::ALL
            .into_iter()
            .filter(|l| matches!(f.support.get(*l), Yes | Partly(_)))
            .collect();
        let hint = if others.is_empty() {
            "no language supports it".to_string()
        } else {
            let flags: Vec<String> = others
                .iter()
                .map(|l| format!("--lang {}", l.as_str()))
                .collect();
            format!("{} support it ({})", column_list(&others), flags.join(", "))
        };
        return Err(BackendError::Unsupported {
            what,
            reason: format!(
                "the {} skeleton refuses \"{}\": {note}; {hint}",
                column(lang),
                f.name
            ),
        });
    }
    Ok(())
}

/// The part of `spec` that uses a feature, named for an error; `None` when nothing does.
fn first_use(used: Use, spec: &ObjectSpec, model: &Model<'_>) -> Option<String> {
    let map = |keep: &dyn Fn(&crate::ir::MapSpec) -> bool| {
        spec.maps
            .iter()
            .find(|m| keep(m))
            .map(|m| format!("map {}", m.name))
    };
    match used {
        Use::Always => Some(format!("object {}", spec.name)),
        Use::Sections => model
            .sections()
            .next()
            .map(|(_, m, _)| format!("map {}", m.spec.name)),
        Use::PerCpuPerfArray => model
            .maps
            .iter()
            .find(|m| m.per_cpu_entries)
            .map(|m| format!("map {}", m.spec.name)),
        Use::Pinning => map(&|m| m.pinning == Pinning::ByName),
        Use::StructOps => struct_ops_use(spec),
        Use::Kconfig => {
            super::kconfig::kconfig_map(spec).map(|i| format!("map {}", spec.maps[i].name))
        }
        Use::Buffers => model
            .maps
            .iter()
            .find(|m| m.buffer.is_some())
            .map(|m| format!("map {}", m.spec.name)),
        Use::Attach(kind) => spec
            .programs
            .iter()
            .find(|p| p.attach.as_ref().map(Attach::kind) == Some(kind))
            .map(|p| format!("program {} (section {})", p.name, p.section)),
        Use::Signed => None,
    }
}

/// The first struct_ops map, or failing that program, of `spec`.
fn struct_ops_use(spec: &ObjectSpec) -> Option<String> {
    if let Some(m) = spec.maps.iter().find(|m| m.struct_ops.is_some()) {
        let section = m.struct_ops.as_ref().map_or("", |s| s.section.as_str());
        return Some(format!("struct_ops map {} (section {section})", m.name));
    }
    spec.programs
        .iter()
        .find(|p| p.prog_type == crate::uapi::ProgType::StructOps)
        .map(|p| format!("struct_ops program {} (section {})", p.name, p.section))
}

/// A language as the matrix's column names it.
pub fn column(lang: Lang) -> &'static str {
    match lang {
        Lang::C => "C",
        Lang::Rust => "Rust",
        Lang::Go => "Go",
        Lang::Kernel => "kernel module",
    }
}

/// `C, Rust and Go`.
fn column_list(langs: &[Lang]) -> String {
    let names: Vec<&str> = langs.iter().map(|l| column(*l)).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// `docs/backends.md`, generated.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str("# Backend support matrix\n\n");
    out.push_str(
        "Generated from `src/backend/matrix.rs` (`skelgen::backend::matrix`); a test fails when \
         this file is stale. Regenerate with\n`SKELGEN_BLESS=1 cargo test --test docs`.\n\n",
    );
    out.push_str("| feature |");
    for lang in Lang::ALL {
        let _ = write!(out, " {} |", column(lang));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(Lang::ALL.len()));
    out.push('\n');
    let mut notes: Vec<String> = Vec::new();
    for f in FEATURES {
        let _ = write!(out, "| {} |", f.name);
        for lang in Lang::ALL {
            let cell = match f.support.get(lang) {
                Yes => "yes".to_string(),
                Partly(note) => cell("partly", note.to_string(), &mut notes),
                No(note) => cell("no", note.to_string(), &mut notes),
                Refused(note) => cell("no", format!("{REFUSED}{note}"), &mut notes),
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push('\n');
    for (i, note) in notes.iter().enumerate() {
        let _ = writeln!(out, "{}. {note}", i + 1);
    }
    out.push_str("\n## Programs that are loaded but not attached\n\n");
    for n in NOT_ATTACHED {
        let _ = writeln!(out, "- {}: {}.", n.what, n.why);
    }
    out
}

/// How the documentation opens the note of a [`Support::Refused`] cell.
const REFUSED: &str = "refused at generation, naming the map or program: ";

/// `word [n]`, where `n` numbers `note` among the notes so far.
fn cell(word: &str, note: String, notes: &mut Vec<String>) -> String {
    let n = match notes.iter().position(|x| *x == note) {
        Some(i) => i + 1,
        None => {
            notes.push(note);
            notes.len()
        }
    };
    format!("{word} [{n}]")
}

/// The feature rows of attach kinds, so a new kind cannot be left out of the matrix.
pub fn attach_rows() -> impl Iterator<Item = &'static str> {
    Attach::KINDS.iter().copied()
}

#[cfg(test)]
#[path = "matrix_tests.rs"]
mod tests;

//! What each backend supports, kept in code so `docs/backends.md` is generated from it and a
//! test fails when the two disagree.

use crate::ir::Attach;
use std::fmt::Write as _;

/// The backends, in the matrix's column order.
pub const BACKENDS: [&str; 4] = ["C", "Rust", "Go", "kernel module"];

/// How far one backend supports one feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Generated, and exercised by the end-to-end tests.
    Yes,
    /// Generated, with the limit the note states.
    Partly(&'static str),
    /// Not generated, for the reason the note states.
    No(&'static str),
}

/// One row of the matrix.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    /// What the row is about.
    pub name: &'static str,
    /// One entry per backend, in [`BACKENDS`] order.
    pub support: [Support; 4],
}

use Support::{No, Partly, Yes};

const NOT_YET: Support = No("backend not available yet");
const PINNING: Support = No(
    "refused at generation, naming the map: the loader program cannot open bpffs paths; \
     pin from the application after load",
);

const STRUCT_OPS: Support = Partly(
    "struct_ops types of vmlinux (not of modules); .struct_ops.link maps need Linux 6.4, older \
     kernels load the object with their autocreate off; proven on 6.18 (both kinds) and 6.1 \
     (.struct_ops)",
);
const STRUCT_OPS_REFUSED: Support = No(
    "an object with struct_ops is refused at generation, naming the map: this runtime does not \
     read the kernel's BTF yet; --lang c, --lang rust and --lang go support struct_ops",
);

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

/// Every feature, attach kinds last (one row per [`Attach::KINDS`] entry).
pub const FEATURES: &[Feature] = &[
    Feature {
        name: "open / load / destroy",
        support: [
            Yes,
            Yes,
            Yes,
            Yes,
        ],
    },
    Feature {
        name: "typed global-data views, live after load",
        support: [
            Yes,
            Yes,
            Yes,
            Yes,
        ],
    },
    Feature {
        name: "knobs: max_entries, value_size, autoload",
        support: [
            Yes,
            Yes,
            Yes,
            Yes,
        ],
    },
    Feature {
        name: "perf event arrays sized 0: possible CPUs, set at open",
        support: [
            Yes,
            Yes,
            Yes,
            NOT_YET,
        ],
    },
    Feature {
        name: "maps pinned by name (LIBBPF_PIN_BY_NAME)",
        support: [
            PINNING,
            PINNING,
            PINNING,
            PINNING,
        ],
    },
    Feature {
        name: "struct_ops maps: kernel layout read on the target, registered by attach",
        support: [
            STRUCT_OPS,
            STRUCT_OPS,
            STRUCT_OPS,
            STRUCT_OPS_REFUSED,
        ],
    },
    Feature {
        name: ".kconfig values read on the target",
        support: [
            Yes,
            Yes,
            Yes,
            KERNEL_KCONFIG,
        ],
    },
    Feature {
        name: "verifier log on failure",
        support: [
            Yes,
            Yes,
            Yes,
            Yes,
        ],
    },
    Feature {
        name: "ring buffer / perf buffer reading",
        support: [
            Yes,
            Yes,
            Yes,
            No("no reader: a module reads maps through the kernel's own map API"),
        ],
    },
    Feature {
        name: "attach: tracepoint",
        support: [
            Yes,
            Yes,
            Yes,
            KERNEL_NO_PERF,
        ],
    },
    Feature {
        name: "attach: raw_tp",
        support: [
            Yes,
            Yes,
            Yes,
            Yes,
        ],
    },
    Feature {
        name: "attach: btf_trace",
        support: [
            Partly("fentry/fexit/fmod_ret/lsm proven on Linux 6.1 in the VM; the host kernel refuses them"),
            Partly("fentry/fexit/fmod_ret/lsm proven on Linux 6.1 in the VM; the host kernel refuses them"),
            Partly("fentry/fexit/fmod_ret/lsm proven on Linux 6.1 in the VM; the host kernel refuses them"),
            Partly("fentry, fexit, fmod_ret and lsm exercised; tp_btf attaches the same way but is not exercised"),
        ],
    },
    Feature {
        name: "attach: iter",
        support: [
            Yes,
            Yes,
            Yes,
            Yes,
        ],
    },
    Feature {
        name: "attach: kprobe",
        support: [
            Partly("proven on Linux 6.1 in the VM; the host kernel refuses kprobes"),
            Partly("proven on Linux 6.1 in the VM; the host kernel refuses kprobes"),
            Partly("proven on Linux 6.1 in the VM; the host kernel refuses kprobes"),
            KERNEL_NO_PERF,
        ],
    },
    Feature {
        name: "attach: uprobe",
        support: [
            Yes,
            Yes,
            Yes,
            KERNEL_NO_PERF,
        ],
    },
    Feature {
        name: "attach: xdp",
        support: [
            Yes,
            Yes,
            Yes,
            Yes,
        ],
    },
    Feature {
        name: "attach: tcx",
        support: [
            Yes,
            Yes,
            Yes,
            No("not generated: tcx needs Linux 6.6, and the module tests boot 6.1"),
        ],
    },
    Feature {
        name: "attach: cgroup",
        support: [
            Yes,
            Yes,
            Yes,
            KERNEL_NO_FD,
        ],
    },
    Feature {
        name: "attach: netns",
        support: [
            Yes,
            Yes,
            Yes,
            KERNEL_NO_FD,
        ],
    },
    Feature {
        name: "attach: sockmap",
        support: [
            Partly("a BPF link on a sockmap needs Linux 6.10"),
            Partly("a BPF link on a sockmap needs Linux 6.10"),
            Partly("a BPF link on a sockmap needs Linux 6.10"),
            KERNEL_NO_FD,
        ],
    },
    Feature {
        name: "attach: perf_event",
        support: [
            Yes,
            Yes,
            Yes,
            KERNEL_NO_FD,
        ],
    },
];

/// Programs skelgen loads but does not attach, and why.
pub const NOT_ATTACHED: &[(&str, &str)] = &[
    ("kprobe.multi, uprobe.multi, kprobe/uprobe sessions", "need link options skelgen does not write yet; the program fd is handed out"),
    ("fsession (Linux 7.0)", "attached differently; the program fd is handed out"),
    ("xdp/devmap, xdp/cpumap", "placed in map entries by the caller, not attached"),
    ("socket filters, sk_reuseport, legacy tc, lwt, netfilter, freplace, usdt", "no attach function; the program fd is handed out for the caller's own setsockopt/netlink/link"),
    ("struct_ops programs", "attached as members of their struct_ops map, by the map's attach"),
];

/// `docs/backends.md`, generated.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str("# Backend support matrix\n\n");
    out.push_str(
        "Generated from `src/backend/matrix.rs` (`skelgen::backend::matrix`); a test fails when \
         this file is stale. Regenerate with\n`SKELGEN_BLESS=1 cargo test --test docs`.\n\n",
    );
    out.push_str("| feature |");
    for b in BACKENDS {
        let _ = write!(out, " {b} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(BACKENDS.len()));
    out.push('\n');
    let mut notes = Vec::new();
    for f in FEATURES {
        let _ = write!(out, "| {} |", f.name);
        for s in f.support {
            let cell = match s {
                Yes => "yes".to_string(),
                Partly(note) | No(note) => {
                    let n = match notes.iter().position(|x| *x == note) {
                        Some(i) => i + 1,
                        None => {
                            notes.push(note);
                            notes.len()
                        }
                    };
                    let word = if matches!(s, Yes | Partly(_)) {
                        "partly"
                    } else {
                        "no"
                    };
                    format!("{word} [{n}]")
                }
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
    for (what, why) in NOT_ATTACHED {
        let _ = writeln!(out, "- {what}: {why}.");
    }
    out
}

/// The feature rows of attach kinds, so a new kind cannot be left out of the matrix.
pub fn attach_rows() -> impl Iterator<Item = &'static str> {
    Attach::KINDS.iter().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attach_kind_has_a_row() {
        for kind in attach_rows() {
            let row = format!("attach: {kind}");
            assert!(FEATURES.iter().any(|f| f.name == row), "no row for {row}");
        }
    }
}

//! What each backend supports, kept in code so `docs/backends.md` is generated from it and a
//! test fails when the two disagree.

use crate::backend::attach::Attach;
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

/// Every feature, attach kinds last (one row per [`Attach::KINDS`] entry).
pub const FEATURES: &[Feature] = &[
    Feature {
        name: "open / load / destroy",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "typed global-data views, live after load",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "knobs: max_entries, value_size, autoload",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: ".kconfig values read on the target",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "verifier log on failure",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "ring buffer / perf buffer reading",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "attach: tracepoint",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "attach: raw_tp",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "attach: btf_trace",
        support: [
            Partly("fentry/fexit/fmod_ret/lsm proven on Linux 6.1 in the VM; the host kernel refuses them"),
            Partly("fentry/fexit/fmod_ret/lsm proven on Linux 6.1 in the VM; the host kernel refuses them"),
            NOT_YET,
            NOT_YET,
        ],
    },
    Feature {
        name: "attach: iter",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "attach: kprobe",
        support: [
            Partly("proven on Linux 6.1 in the VM; the host kernel refuses kprobes"),
            Partly("proven on Linux 6.1 in the VM; the host kernel refuses kprobes"),
            NOT_YET,
            NOT_YET,
        ],
    },
    Feature {
        name: "attach: uprobe",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "attach: xdp",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "attach: tcx",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "attach: cgroup",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "attach: netns",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
    Feature {
        name: "attach: sockmap",
        support: [
            Partly("a BPF link on a sockmap needs Linux 6.10"),
            Partly("a BPF link on a sockmap needs Linux 6.10"),
            NOT_YET,
            NOT_YET,
        ],
    },
    Feature {
        name: "attach: perf_event",
        support: [Yes, Yes, NOT_YET, NOT_YET],
    },
];

/// Programs skelgen loads but does not attach, and why.
pub const NOT_ATTACHED: &[(&str, &str)] = &[
    ("kprobe.multi, uprobe.multi, kprobe/uprobe sessions", "need link options skelgen does not write yet; the program fd is handed out"),
    ("fsession (Linux 7.0)", "attached differently; the program fd is handed out"),
    ("xdp/devmap, xdp/cpumap", "placed in map entries by the caller, not attached"),
    ("socket filters, sk_reuseport, legacy tc, lwt, netfilter, freplace, usdt", "no attach function; the program fd is handed out for the caller's own setsockopt/netlink/link"),
    ("struct_ops", "refused at generation time with an error naming the map"),
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

//! The skeleton model: the facts every language's skeleton is made of, decided once.
//!
//! Which programs attach and which of them the attach-all call attaches, which are
//! iterators or syscall programs to run, which maps get a ring or perf buffer reader, which
//! global-data sections are mapped (and read-only after load), and how identifiers are
//! handed out within a scope. Each language's `view.rs` walks a [`Model`] and only spells
//! names, types and escapes; `.kconfig` rows and struct_ops members are decided the same way
//! in [`super::kconfig`] and [`super::struct_ops`].

use crate::backend::BackendError;
use crate::ir::{GlobalData, GlobalKind, MapSpec, ObjectSpec, ProgramSpec};
use crate::uapi::{MapType, ProgType};
use std::collections::BTreeMap;

/// One object's skeleton, language-neutral.
#[derive(Debug)]
pub(crate) struct Model<'a> {
    /// The programs, in context order.
    pub programs: Vec<Program<'a>>,
    /// The maps, in context order.
    pub maps: Vec<Map<'a>>,
}

/// A program and what its skeleton offers for it.
#[derive(Debug)]
pub(crate) struct Program<'a> {
    /// The program.
    pub spec: &'a ProgramSpec,
    /// The attach-all call attaches it: it needs nothing from the caller.
    pub auto: bool,
    /// Why the attach-all call leaves it alone, for the skeleton's documentation: what its
    /// own attach function needs from the caller, or why it has none. `None` when `auto`.
    pub skipped: Option<String>,
    /// A BPF iterator, read through its link.
    pub iter: bool,
    /// A syscall program, run with `BPF_PROG_TEST_RUN`.
    pub run: bool,
}

/// A map and what its skeleton offers for it.
#[derive(Debug)]
pub(crate) struct Map<'a> {
    /// The map.
    pub spec: &'a MapSpec,
    /// The buffer reader it gets, if it is a ring buffer or a perf event array.
    pub buffer: Option<Buffer>,
    /// Its global-data section, when the skeleton maps it as a typed view.
    pub section: Option<&'a GlobalData>,
    /// Its view is read-only after load (`.rodata`, `.kconfig`, or frozen).
    pub frozen: bool,
    /// A perf event array compiled with `max_entries = 0`: the runtime sets the CPU count.
    pub per_cpu_entries: bool,
}

/// The kind of buffer reader a map gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Buffer {
    /// `BPF_MAP_TYPE_RINGBUF`.
    Ring,
    /// `BPF_MAP_TYPE_PERF_EVENT_ARRAY`.
    Perf,
}

impl<'a> Model<'a> {
    /// Decides the facts of `spec`.
    pub fn new(spec: &'a ObjectSpec) -> Model<'a> {
        let programs = spec.programs.iter().map(Program::new).collect();
        let maps = spec.maps.iter().map(Map::new).collect();
        Model { programs, maps }
    }

    /// The maps with a buffer reader of `kind`.
    pub fn buffers(&self, kind: Buffer) -> impl Iterator<Item = (usize, &Map<'a>)> {
        self.maps
            .iter()
            .enumerate()
            .filter(move |(_, m)| m.buffer == Some(kind))
    }

    /// The programs the attach-all call leaves alone, with why.
    pub fn skipped(&self) -> impl Iterator<Item = (&'a ProgramSpec, &str)> {
        self.programs
            .iter()
            .filter_map(|p| p.skipped.as_deref().map(|why| (p.spec, why)))
    }

    /// Whether any program is a uprobe (the skeleton needs the ELF symbol reader to attach
    /// by function name).
    pub fn has_uprobes(&self) -> bool {
        self.programs
            .iter()
            .any(|p| matches!(p.spec.attach, Some(crate::ir::Attach::Uprobe { .. })))
    }

    /// Whether any map gets a buffer reader (the skeleton needs the readers' runtime).
    pub fn has_buffers(&self) -> bool {
        self.maps.iter().any(|m| m.buffer.is_some())
    }

    /// The maps whose section is a typed view, with that section.
    pub fn sections(&self) -> impl Iterator<Item = (usize, &Map<'a>, &'a GlobalData)> {
        self.maps
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.section.map(|d| (i, m, d)))
    }
}

impl<'a> Program<'a> {
    fn new(spec: &'a ProgramSpec) -> Program<'a> {
        let skipped = match &spec.attach {
            Some(a) => a
                .caller_names()
                .map(|what| format!("its attach function takes {what}")),
            None => Some(super::matrix::why_not_attached(spec).why.to_string()),
        };
        Program {
            spec,
            auto: skipped.is_none(),
            skipped,
            iter: spec.is_iter(),
            run: spec.prog_type == ProgType::Syscall,
        }
    }
}

impl<'a> Map<'a> {
    /// The names of its section's global variables: those its typed view shows.
    pub fn globals(&self) -> Vec<&'a str> {
        self.section.map_or_else(Vec::new, |d| {
            d.variables
                .iter()
                .filter(|v| v.global)
                .map(|v| v.name.as_str())
                .collect()
        })
    }

    fn new(spec: &'a MapSpec) -> Map<'a> {
        let buffer = match spec.map_type {
            MapType::Ringbuf => Some(Buffer::Ring),
            MapType::PerfEventArray => Some(Buffer::Perf),
            _ => None,
        };
        let data = spec.data.as_ref();
        Map {
            spec,
            buffer,
            section: data.filter(|d| d.mmapable),
            frozen: data.is_some_and(|d| {
                d.frozen || matches!(d.kind, GlobalKind::Rodata | GlobalKind::Kconfig)
            }),
            per_cpu_entries: buffer == Some(Buffer::Perf) && spec.max_entries == 0,
        }
    }
}

/// Identifiers handed out in one scope of the generated code (a struct's fields, a type's
/// methods, a module's items, a package), so two things never get the same one: the second
/// is refused with both owners named.
#[derive(Debug, Default)]
pub struct Scope {
    /// `(kind, identifier)` to its owner; the kind is empty where a scope has one kind.
    taken: BTreeMap<(String, String), String>,
}

impl Scope {
    /// A scope where `reserved` are already taken by the skeleton itself (`what` says what
    /// they are, for the error).
    pub fn with_reserved(what: &str, reserved: &[&str]) -> Scope {
        let mut scope = Scope::default();
        for r in reserved {
            let owner = format!("the skeleton's own {what} {r}");
            scope.taken.insert((String::new(), (*r).to_string()), owner);
        }
        scope
    }

    /// Claims `ident` for `owner` (`map counts`, `field "tag" of struct filter_config`).
    ///
    /// # Errors
    /// When another owner already holds `ident`: the error names both.
    pub fn claim(&mut self, owner: &str, ident: &str) -> Result<(), BackendError> {
        self.claim_kind("", owner, ident)
    }

    /// Claims `ident` among the identifiers of one `kind` (C keeps members, functions and
    /// struct tags apart); otherwise as [`Scope::claim`].
    ///
    /// # Errors
    /// When another owner already holds `ident` of that kind.
    pub fn claim_kind(&mut self, kind: &str, owner: &str, ident: &str) -> Result<(), BackendError> {
        let key = (kind.to_string(), ident.to_string());
        if let Some(first) = self.taken.get(&key) {
            return Err(BackendError::NameCollision {
                first: first.clone(),
                second: owner.to_string(),
                ident: ident.to_string(),
            });
        }
        self.taken.insert(key, owner.to_string());
        Ok(())
    }

    /// Whether `ident` is taken.
    pub fn contains(&self, ident: &str) -> bool {
        self.taken.contains_key(&(String::new(), ident.to_string()))
    }

    /// `base`, or the first of `base2`, `base3`, ... that is free, claimed for `owner`.
    pub fn claim_numbered(&mut self, owner: &str, base: &str) -> String {
        let mut candidate = base.to_string();
        let mut n = 1;
        while self.contains(&candidate) {
            n += 1;
            candidate = format!("{base}{n}");
        }
        self.taken
            .insert((String::new(), candidate.clone()), owner.to_string());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_refuses_a_second_owner() {
        let mut s = Scope::with_reserved("member", &["Load"]);
        let err = s.claim("program \"load\"", "Load").unwrap_err().to_string();
        assert!(err.contains("the skeleton's own member Load"), "{err}");
        s.claim("map counts", "counts").unwrap();
        assert!(s.claim("program counts", "counts").is_err());
        // Kinds are separate namespaces.
        s.claim_kind("fn", "program counts", "counts").unwrap();
        assert!(s.claim_kind("fn", "map counts", "counts").is_err());
        assert_eq!(s.claim_numbered("a", "counts"), "counts2");
        assert_eq!(s.claim_numbered("b", "counts"), "counts3");
    }

    #[test]
    fn example_facts() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bpf/many.bpf.o");
        let spec = crate::parse_object(&std::fs::read(path).unwrap(), "many").unwrap();
        let model = Model::new(&spec);
        let names = |f: &dyn Fn(&Program<'_>) -> bool| -> Vec<&str> {
            model
                .programs
                .iter()
                .filter(|p| f(p))
                .map(|p| p.spec.name.as_str())
                .collect()
        };
        assert_eq!(names(&|p| p.iter), ["iter_tasks", "iter_maps"]);
        assert_eq!(names(&|p| p.run), ["run_syscall"]);
        // A tracepoint with a target is attached by the attach-all call; a uprobe is not.
        assert!(names(&|p| p.auto).contains(&"tp_write"));
        assert!(!names(&|p| p.auto).contains(&"user_entry"));
        // Every program is attached by the attach-all call or documented as left alone.
        let skipped: Vec<(&str, &str)> = model
            .skipped()
            .map(|(p, why)| (p.name.as_str(), why))
            .collect();
        assert_eq!(
            skipped.len() + names(&|p| p.auto).len(),
            model.programs.len()
        );
        assert!(skipped.contains(&(
            "user_entry",
            "its attach function takes the process, binary and file offset"
        )));
        assert!(skipped.contains(&(
            "run_syscall",
            "run with BPF_PROG_TEST_RUN by their run function, not attached"
        )));
        let maps = |k| -> Vec<&str> {
            model
                .buffers(k)
                .map(|(_, m)| m.spec.name.as_str())
                .collect()
        };
        assert_eq!(maps(Buffer::Ring), ["rb"]);
        assert_eq!(maps(Buffer::Perf), ["events"]);
        let sections: Vec<(&str, bool)> = model
            .sections()
            .map(|(_, m, d)| (d.section.as_str(), m.frozen))
            .collect();
        assert_eq!(sections, [(".rodata", true), (".bss", false)]);
    }
}

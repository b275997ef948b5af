//! Differential oracle: every example the host can load is loaded twice, once by skelgen's
//! loader (the runtime's five syscalls) and once by libbpf (`bpftool prog loadall`, with
//! programs and maps pinned in a scratch bpffs directory). The kernel must then hold the
//! same thing: each program's translated instructions (`bpftool prog dump xlated -j`)
//! identical apart from map ids, and each map's type, key and value size, max_entries,
//! flags and frozen state identical.
//!
//! An example is skipped, with the reason, only when both loaders are refused by the host
//! for the same cause, or when bpftool's libbpf cannot load it at all.
//! Needs root and bpftool.

mod support;

use serde_json::Value;
use skelgen::ir::ObjectSpec;
use skelgen::loader::{compile, Blob};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::loader::*;
use support::root;

const EXAMPLES: &[&str] = &[
    "minimal",
    "subprogs",
    "core",
    "ksyms",
    "ksymvar",
    "mapinmap",
    "iterators",
    "net",
    "many",
    "probes",
    "tcpca",
];

/// Why libbpf 1.1.2 (bpftool 7.1) or the host refuses an object, recognised from
/// bpftool's output; the loader must then be refused for the same cause (`errno`), or,
/// with `None`, the refusal is bpftool's own limitation.
const KNOWN_REFUSALS: &[(&str, &str, Option<i32>)] = &[
    (
        "failed to guess program type from ELF section 'tcx/",
        "bpftool 7.1's libbpf (1.1.2) predates tcx/ sections",
        None,
    ),
    (
        "BPF program load failed: Operation not permitted",
        "the host refuses fentry/fexit/lsm programs (EPERM)",
        Some(libc::EPERM),
    ),
    (
        "failed to find the address for kernel symbol",
        "the host's kallsyms lists no variables (typed ksym of a variable)",
        Some(libc::ENOENT),
    ),
];

/// `BPF_F_MMAPABLE`.
const BPF_F_MMAPABLE: u64 = 0x400;

/// Whether map `kernel_name` holds global data with no global variable (only static data).
fn static_only(spec: &ObjectSpec, kernel_name: &str) -> bool {
    spec.maps
        .iter()
        .find(|m| m.kernel_name == kernel_name)
        .and_then(|m| m.data.as_ref())
        .is_some_and(|d| !d.mmapable)
}

/// A scratch bpffs directory, removed with everything pinned in it.
struct Pins(PathBuf);

impl Pins {
    fn new(name: &str) -> Option<Pins> {
        let root = Path::new("/sys/fs/bpf");
        if !root.is_dir() {
            eprintln!("skipping: bpffs is not mounted at /sys/fs/bpf");
            return None;
        }
        let dir = root.join(format!("skelgen-oracle-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Some(Pins(dir))
    }
}

impl Drop for Pins {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `bpftool ARGS`: stdout, or stdout and stderr of a failure.
fn bpftool(args: &[&str]) -> Result<String, String> {
    let out = Command::new("bpftool")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
    }
}

fn json(args: &[&str]) -> Value {
    let text = bpftool(args).unwrap_or_else(|e| panic!("bpftool {args:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bpftool {args:?}: {e}: {text}"))
}

/// What the kernel says about one map, minus what differs between two loads (id, BTF id).
fn map_facts(selector: &[&str]) -> BTreeMap<String, Value> {
    let mut args = vec!["map", "show"];
    args.extend_from_slice(selector);
    args.push("-j");
    let v = json(&args);
    [
        "type",
        "name",
        "flags",
        "bytes_key",
        "bytes_value",
        "max_entries",
        "frozen",
    ]
    .iter()
    .map(|k| (k.to_string(), v.get(*k).cloned().unwrap_or(Value::Null)))
    .collect()
}

/// A program's translated instructions, one line each, with every `map[id:N]` replaced by
/// the map's name: ids are the one thing two loads of the same object cannot share.
fn xlated(selector: &[&str]) -> Vec<String> {
    let mut args = vec!["prog", "dump", "xlated"];
    args.extend_from_slice(selector);
    args.push("-j");
    let insns = json(&args);
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for i in insns.as_array().expect("a list of instructions") {
        let mut line = i["disasm"].as_str().unwrap_or_default().to_string();
        while let Some(start) = line.find("map[id:") {
            let rest = &line[start + 7..];
            let end = rest.find(']').expect("map[id:N]");
            let id = rest[..end].to_string();
            let name = names
                .entry(id.clone())
                .or_insert_with(|| {
                    let facts = map_facts(&["id", &id]);
                    facts["name"].as_str().unwrap_or_default().to_string()
                })
                .clone();
            line = format!("{}map[{name}]{}", &line[..start], &rest[end + 1..]);
        }
        for key in ["proto", "src"] {
            if let Some(s) = i.get(key).and_then(Value::as_str) {
                line.push_str(&format!("  ; {key}: {s}"));
            }
        }
        out.push(line);
    }
    out
}

fn id_of(fd: i32) -> String {
    get32(&info(fd), 4).to_string()
}

/// What libbpf made of `name`: program dumps by function name, map facts by kernel name.
fn libbpf_load(name: &str, pins: &Pins) -> Result<Loaded, String> {
    let (p, m) = (pins.0.join("p"), pins.0.join("m"));
    let obj = example_path(name);
    let args = [
        "prog",
        "loadall",
        obj.as_str(),
        p.to_str().unwrap(),
        "pinmaps",
        m.to_str().unwrap(),
    ];
    bpftool(&args)?;
    let mut loaded = Loaded::default();
    for e in std::fs::read_dir(&p).unwrap() {
        let path = e.unwrap().path();
        let prog = path.file_name().unwrap().to_string_lossy().into_owned();
        loaded
            .progs
            .insert(prog, xlated(&["pinned", path.to_str().unwrap()]));
    }
    for e in std::fs::read_dir(&m).unwrap() {
        let path = e.unwrap().path();
        let facts = map_facts(&["pinned", path.to_str().unwrap()]);
        let name = facts["name"].as_str().unwrap_or_default().to_string();
        loaded.maps.insert(name, facts);
    }
    Ok(loaded)
}

#[derive(Default, Debug)]
struct Loaded {
    progs: BTreeMap<String, Vec<String>>,
    maps: BTreeMap<String, BTreeMap<String, Value>>,
}

/// What skelgen's loader made of `spec`; closes every fd it got. `Err` is the errno and
/// failed step.
fn skelgen_load(spec: &ObjectSpec, blob: &Blob) -> Result<Loaded, (i32, u32)> {
    let mut c = default_ctx(spec, blob);
    // libbpf 1.1.2 (bpftool 7.1) predates .struct_ops.link sections (libbpf 1.2) and skips
    // them; leaving those maps out (autocreate 0, as a runtime does on kernels before 6.4)
    // makes both loads create the same maps.
    for (i, m) in spec.maps.iter().enumerate() {
        if m.struct_ops.as_ref().is_some_and(|s| s.link) {
            set_autocreate(blob, &mut c, i, false);
        }
    }
    let ret = run_loader(blob, &mut c);
    if ret != 0 {
        return Err((-ret, step_of(&c).0));
    }
    let mut loaded = Loaded::default();
    for j in 0..spec.programs.len() {
        let fd = prog_fd(blob, &c, j);
        if fd > 0 {
            let dump = xlated(&["id", &id_of(fd)]);
            loaded.progs.insert(spec.programs[j].name.clone(), dump);
            close(fd);
        }
    }
    for i in 0..spec.maps.len() {
        let fd = map_fd(blob, &c, i);
        if fd == 0 {
            continue;
        }
        let facts = map_facts(&["id", &id_of(fd)]);
        let name = facts["name"].as_str().unwrap_or_default().to_string();
        loaded.maps.insert(name, facts);
        close(fd);
    }
    Ok(loaded)
}

/// Compares one example; returns the skip reason when it cannot be compared.
fn compare(name: &str) -> Option<String> {
    let spec = spec(name);
    let blob = compile(&spec).unwrap_or_else(|e| panic!("{name}: {e}"));
    let pins = Pins::new(name)?;
    let before = open_fds();
    let ours = skelgen_load(&spec, &blob);
    assert_eq!(open_fds(), before, "{name}: fds left open");
    let theirs = match libbpf_load(name, &pins) {
        Ok(t) => t,
        Err(text) => {
            let Some((_, why, errno)) = KNOWN_REFUSALS.iter().find(|(k, ..)| text.contains(k))
            else {
                panic!("{name}: bpftool failed for an unknown reason:\n{text}");
            };
            if let Some(errno) = errno {
                // The host's refusal must refuse our loader too, with the same errno.
                assert!(
                    matches!(ours, Err((e, _)) if e == *errno),
                    "{name}: libbpf was refused ({why}) but skelgen's loader gave {:?}",
                    ours.as_ref().map(|_| "success")
                );
            }
            return Some(why.to_string());
        }
    };
    let ours = ours.unwrap_or_else(|(e, step)| {
        panic!("{name}: libbpf loaded it, skelgen's loader failed with errno {e} at step {step}")
    });
    assert_eq!(
        ours.maps.keys().collect::<Vec<_>>(),
        theirs.maps.keys().collect::<Vec<_>>(),
        "{name}: map names"
    );
    for (map, facts) in &ours.maps {
        let mut want = theirs.maps[map].clone();
        if static_only(&spec, map) {
            // libbpf 1.1.2 made every global-data map mmapable; since 1.2 libbpf (and
            // skelgen) leave out BPF_F_MMAPABLE when the section has no global variable,
            // as .rodata.str1.1 (string literals) has none.
            let flags = want["flags"].as_u64().unwrap_or(0);
            want.insert("flags".into(), Value::from(flags & !BPF_F_MMAPABLE));
        }
        assert_eq!(facts, &want, "{name}: map {map}");
    }
    assert_eq!(
        ours.progs.keys().collect::<Vec<_>>(),
        theirs.progs.keys().collect::<Vec<_>>(),
        "{name}: programs"
    );
    assert_eq!(
        ours.progs.len(),
        spec.programs.iter().filter(|p| p.autoload).count(),
        "{name}: programs loaded"
    );
    for (prog, dump) in &ours.progs {
        let want = &theirs.progs[prog];
        assert!(!dump.is_empty(), "{name}: {prog} has no instructions");
        if dump != want {
            let diff: Vec<String> = dump
                .iter()
                .zip(want)
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .take(10)
                .map(|(i, (a, b))| format!("{i}: skelgen {a}\n{i}: libbpf  {b}"))
                .collect();
            panic!(
                "{name}: program {prog} differs ({} vs {} insns):\n{}",
                dump.len(),
                want.len(),
                diff.join("\n")
            );
        }
    }
    eprintln!(
        "{name}: {} programs and {} maps identical",
        ours.progs.len(),
        ours.maps.len()
    );
    None
}

#[test]
fn kernel_holds_what_libbpf_loads() {
    let _g = KERNEL.lock().unwrap_or_else(|e| e.into_inner());
    if !root() {
        return;
    }
    if bpftool(&["version"]).is_err() {
        eprintln!("skipping: bpftool is not installed");
        return;
    }
    let mut compared = 0;
    for name in EXAMPLES {
        match compare(name) {
            None => compared += 1,
            Some(why) => eprintln!("{name}: skipped: {why}"),
        }
    }
    assert!(compared >= 5, "only {compared} examples compared");
}

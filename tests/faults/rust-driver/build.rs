//! Generates the skeletons of minimal.bpf.o, iterators.bpf.o and many.bpf.o into OUT_DIR,
//! and `kernel_names.rs`: the names the kernel gives their programs (and the loader's own),
//! by which the driver tells its programs from other processes'.

use std::fmt::Write as _;
use std::path::Path;

const OBJECTS: [&str; 3] = ["minimal", "iterators", "many"];

fn main() {
    let bpf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../examples/bpf");
    let out = Path::new(&std::env::var_os("OUT_DIR").expect("OUT_DIR")).to_path_buf();
    let mut builder = skelgen::build::Builder::new();
    let mut names = String::new();
    for object in OBJECTS {
        let path = bpf.join(format!("{object}.bpf.o"));
        builder.object(&path);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let spec = skelgen::parse_object(&bytes, &format!("{object}.bpf.o"))
            .unwrap_or_else(|e| panic!("skelgen: {e}"));
        let progs: String = spec
            .programs
            .iter()
            .map(|p| kernel_name(&p.name))
            .chain(["__loader.prog".to_string()])
            .map(|n| format!("{n:?}, "))
            .collect();
        writeln!(
            names,
            "/// The kernel's names of {object}.bpf.o's programs.\n\
             pub const {}: KernelNames = KernelNames {{ progs: &[{progs}] }};",
            object.to_uppercase(),
        )
        .unwrap();
    }
    builder
        .generate()
        .unwrap_or_else(|err| panic!("skelgen: {err}"));
    skelgen::write_if_changed(&out.join("kernel_names.rs"), names.as_bytes())
        .unwrap_or_else(|err| panic!("{err}"));
}

/// An object name as the kernel keeps it: at most 15 bytes.
fn kernel_name(name: &str) -> String {
    name.chars()
        .scan(0, |len, c| {
            *len += c.len_utf8();
            (*len <= 15).then_some(c)
        })
        .collect()
}

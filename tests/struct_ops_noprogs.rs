//! An object whose only content is a struct_ops map with no programs: every member is data
//! or left zero. The C header once had an empty struct (`struct has no members` under
//! -pedantic, and in C++, where an empty struct has size one, a failed context-prefix
//! assertion) and an unused parameter, and the Go file was not gofmt-clean. Each language's
//! strict build must pass, and the C skeleton must load the object on the host, where the
//! kernel lays out the structure and then refuses to register a congestion control without
//! its callbacks, by name and leaving nothing behind.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use support::{have, root, run, run_ok};

const SOURCE: &str = r#"
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

struct sock;

struct tcp_congestion_ops {
	char name[16];
	__u32 (*ssthresh)(struct sock *sk);
	__u32 (*undo_cwnd)(struct sock *sk);
};

SEC(".struct_ops")
struct tcp_congestion_ops noprogs = {
	.name = "skelgen_noprogs",
};

char LICENSE[] SEC("license") = "GPL";
"#;

fn object() -> Option<PathBuf> {
    static OBJECT: OnceLock<Option<PathBuf>> = OnceLock::new();
    OBJECT
        .get_or_init(|| support::bpf::compile("noprogs", SOURCE))
        .clone()
}

/// `skelgen --lang LANG` of the object into `dir/file`.
fn generate(obj: &Path, lang: &str, dir: &Path, file: &str) -> PathBuf {
    let out = dir.join(file);
    let mut cmd = support::cmd::skelgen(["--lang", lang, "-o"]);
    cmd.arg(&out).arg(obj);
    support::cmd::stdout_ok(cmd);
    out
}

const C_DRIVER: &str = r#"#include <errno.h>
#include <stdio.h>
#include "noprogs.lskel.h"

int main(void)
{
	struct noprogs *skel = noprogs__open();
	int err;

	if (!skel)
		return 1;
	err = noprogs__load(skel);
	printf("load %d\n", err);
	if (!err) {
		err = noprogs__attach(skel);
		printf("attach %d\n", err);
		printf("attach_step %s\n", skel->err_step ? skel->err_step : "(none)");
	}
	noprogs__destroy(skel);
	printf("done\n");
	return 0;
}
"#;

#[test]
fn c_header_builds_strictly_as_c_and_cpp() {
    let Some(obj) = object() else { return };
    if !have("gcc") || !have("g++") {
        return;
    }
    let dir = support::env::fresh_scratch("struct_ops_noprogs", "c");
    generate(&obj, "c", &dir, "noprogs.lskel.h");
    let main = dir.join("main.c");
    std::fs::write(&main, C_DRIVER).unwrap();
    let strict = ["-Wall", "-Wextra", "-pedantic", "-Werror", "-c", "-o"];
    run_ok(
        Command::new("gcc")
            .arg("-std=c11")
            .args(strict)
            .arg(dir.join("c.o"))
            .arg(&main),
    );
    run_ok(
        Command::new("g++")
            .args(["-std=c++17", "-x", "c++"])
            .args(strict)
            .arg(dir.join("cpp.o"))
            .arg(&main),
    );
}

#[test]
fn c_skeleton_loads_and_the_kernel_refuses_to_register_it() {
    let Some(obj) = object() else { return };
    if !root() || !have("gcc") {
        return;
    }
    let dir = support::env::fresh_scratch("struct_ops_noprogs", "c-run");
    generate(&obj, "c", &dir, "noprogs.lskel.h");
    let exe = support::c::build_driver(&dir, "noprogs", C_DRIVER);
    let out = run_ok(&mut Command::new(&exe));
    for line in [
        "load 0",
        &format!("attach {}", -libc::EINVAL),
        "attach_step struct_ops map noprogs: the kernel refuses its struct \
         tcp_congestion_ops (BPF_MAP_UPDATE_ELEM)",
        "done",
    ] {
        assert!(out.lines().any(|l| l == line), "no {line:?} in:\n{out}");
    }
}

#[test]
fn go_file_is_gofmt_and_vet_clean() {
    let Some(obj) = object() else { return };
    let Some(go) = support::go::go() else { return };
    let dir = support::env::fresh_scratch("struct_ops_noprogs", "go");
    std::fs::write(dir.join("go.mod"), "module noprogs\n\ngo 1.21\n").unwrap();
    let file = generate(&obj, "go", &dir, "noprogs_skel.go");
    let gofmt = go.with_file_name("gofmt");
    let unformatted = run_ok(Command::new(gofmt).arg("-l").arg(&file));
    assert!(
        unformatted.trim().is_empty(),
        "not gofmt-clean: {unformatted}"
    );
    run_ok(support::go::go_cmd(&go, &dir).args(["vet", "./..."]));
}

#[test]
fn rust_module_is_clippy_clean() {
    let Some(obj) = object() else { return };
    if !support::rust::have_cargo_tool("clippy") {
        return;
    }
    let dir = support::rust::scratch_crate("struct-ops-noprogs", "2021");
    generate(&obj, "rust", &dir.join("src"), "noprogs.skel.rs");
    std::fs::write(
        dir.join("src/lib.rs"),
        "#![deny(warnings)]\ninclude!(\"noprogs.skel.rs\");\n",
    )
    .unwrap();
    let (ok, text) = run(support::rust::cargo()
        .args(["clippy", "--offline", "--quiet", "--", "-D", "warnings"])
        .current_dir(&dir));
    assert!(ok, "{text}");
}

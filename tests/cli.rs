//! The `skelgen` command as users run it: several languages in one run, file names and
//! their override, writing only what changed and nothing on failure, version stamps,
//! byte-identical output wherever and however it is run, completions and the manual page.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};
use support::cmd::{
    conventional_name, files_in, run_fails, skeleton_langs, skelgen, stdout_ok, Scratch,
};
use support::{example_objects, minimal};

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[test]
fn several_languages_need_a_directory() {
    for langs in [&["--lang", "c", "--lang", "go"][..], &["--lang", "all"]] {
        let err = run_fails(skelgen(langs).arg(minimal()));
        assert!(err.contains("name a directory with -o DIR"), "{err}");
    }
}

#[test]
fn a_failing_backend_is_named_and_nothing_is_written() {
    let working = skeleton_langs();
    let failing: Vec<&str> = ["rust", "go", "kernel"]
        .into_iter()
        .filter(|l| !working.contains(l))
        .collect();
    if failing.is_empty() {
        eprintln!(
            "skipped: every backend renders the minimal example, so no run with several \
             languages fails on it"
        );
        return;
    }
    let scratch = Scratch::new("cli-failing");
    let dir = scratch.join("out");
    fs::create_dir_all(&dir).unwrap();
    // A stale C header from an earlier run must survive a failed run untouched.
    let stale = dir.join("minimal.lskel.h");
    fs::write(&stale, "stale\n").unwrap();
    for lang in &failing {
        let err = run_fails(
            skelgen(["--lang", "c", "--lang", lang, "-o"])
                .arg(&dir)
                .arg(minimal()),
        );
        assert!(err.contains(&format!("{lang} skeleton")), "{err}");
        assert_eq!(files_in(&dir), ["minimal.lskel.h"]);
        assert_eq!(fs::read_to_string(&stale).unwrap(), "stale\n");
    }
    let err = run_fails(skelgen(["--lang", "all", "-o"]).arg(&dir).arg(minimal()));
    assert!(err.contains(&format!("{} skeleton", failing[0])), "{err}");
    assert_eq!(files_in(&dir), ["minimal.lskel.h"]);
    assert_eq!(fs::read_to_string(&stale).unwrap(), "stale\n");
}

#[test]
fn several_languages_write_each_under_its_file_name() {
    let langs = skeleton_langs();
    if langs.len() < 2 {
        eprintln!("skipped: only --lang {langs:?} exists, a run with several needs two");
        return;
    }
    let mut args = Vec::new();
    if langs.len() == 4 {
        args.extend(["--lang", "all"]);
    } else {
        for lang in langs {
            args.extend(["--lang", lang]);
        }
    }
    let scratch = Scratch::new("cli-several");
    let dir = scratch.join("out");
    stdout_ok(skelgen(&args).arg("-o").arg(&dir).arg(minimal()));
    let mut expected: Vec<String> = langs
        .iter()
        .map(|l| conventional_name(l, "minimal"))
        .collect();
    expected.sort();
    assert_eq!(files_in(&dir), expected);
    for lang in langs {
        let alone = stdout_ok(skelgen(["--lang", lang]).arg(minimal()));
        let written = fs::read(dir.join(conventional_name(lang, "minimal"))).unwrap();
        assert!(alone == written, "--lang {lang} alone and in a set differ");
    }

    // A second run changes nothing, not even a modification time.
    let old = SystemTime::now() - Duration::from_secs(3600);
    for name in &expected {
        set_mtime(&dir.join(name), old);
    }
    stdout_ok(skelgen(&args).arg("-o").arg(&dir).arg(minimal()));
    for name in &expected {
        assert_eq!(
            mtime(&dir.join(name)),
            old,
            "{name} was rewritten unchanged"
        );
    }

    // --file-name renames one file; the others keep their conventional names.
    let renamed = Scratch::new("cli-renamed");
    let first = langs[0];
    let pattern = format!("{first}=gen_{{name}}.out");
    stdout_ok(
        skelgen(&args)
            .args(["--file-name", &pattern, "-o"])
            .arg(&renamed.0)
            .arg(minimal()),
    );
    let names = files_in(&renamed.0);
    assert!(names.contains(&"gen_minimal.out".to_string()), "{names:?}");
    assert!(
        !names.contains(&conventional_name(first, "minimal")),
        "{names:?}"
    );
    assert_eq!(names.len(), langs.len(), "{names:?}");
}

#[test]
fn file_name_mistakes_are_refused_before_anything_is_written() {
    let scratch = Scratch::new("cli-file-name");
    let dir = scratch.join("out");
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "--lang",
                "c",
                "--lang",
                "go",
                "--file-name",
                "c=x",
                "--file-name",
                "go=x",
            ],
            "c and go would both be written to x",
        ),
        (
            &["--lang", "c", "--lang", "go", "--file-name", "rust=x.rs"],
            "--lang does not ask for rust",
        ),
        (
            &[
                "--lang",
                "all",
                "--file-name",
                "c=a.h",
                "--file-name",
                "c=b.h",
            ],
            "c is named twice",
        ),
        (
            &[
                "--lang",
                "c",
                "--lang",
                "kernel",
                "--file-name",
                "c=minimal.kern.lskel.h",
            ],
            "c and kernel would both be written to minimal.kern.lskel.h",
        ),
    ];
    for (args, message) in cases {
        let err = run_fails(skelgen(args).arg("-o").arg(&dir).arg(minimal()));
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!dir.exists(), "{args:?} created {}", dir.display());
    }
    let err = run_fails(
        skelgen(["--lang", "c", "--file-name", "c=x.h", "-o"])
            .arg(scratch.join("x.h"))
            .arg(minimal()),
    );
    assert!(err.contains("with one, -o names the file"), "{err}");
    for bad in ["c=sub/x.h", "c=", "cpp=x.h", "c"] {
        let out = skelgen(["--lang", "c", "--lang", "go", "--file-name", bad, "-o"])
            .arg(&dir)
            .arg(minimal())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--file-name {bad} was accepted");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--file-name"));
    }
    assert_eq!(files_in(&scratch.0), Vec::<String>::new());
}

#[test]
fn one_language_writes_its_file_only_when_it_changes() {
    let scratch = Scratch::new("cli-one");
    let header = scratch.join("minimal.lskel.h");
    stdout_ok(skelgen(["--lang", "c", "-o"]).arg(&header).arg(minimal()));
    let first = fs::read(&header).unwrap();
    assert_eq!(first, stdout_ok(skelgen(["--lang", "c"]).arg(minimal())));

    let old = SystemTime::now() - Duration::from_secs(3600);
    set_mtime(&header, old);
    stdout_ok(skelgen(["--lang", "c", "-o"]).arg(&header).arg(minimal()));
    assert_eq!(mtime(&header), old, "an unchanged header was rewritten");

    stdout_ok(
        skelgen(["--lang", "c", "--name", "renamed", "-o"])
            .arg(&header)
            .arg(minimal()),
    );
    assert_ne!(mtime(&header), old, "a changed header was not written");
    assert_ne!(fs::read(&header).unwrap(), first);
    assert_eq!(
        files_in(&scratch.0),
        ["minimal.lskel.h"],
        "a staging file was left"
    );

    let err = run_fails(
        skelgen(["--lang", "c", "-o"])
            .arg(&scratch.0)
            .arg(minimal()),
    );
    assert!(err.contains("is a directory"), "{err}");
}

#[test]
fn every_output_names_the_skelgen_version_and_loader_abi() {
    let abi = skelgen::loader::plan::LOADER_ABI_VERSION;
    for (emit, comment) in [("summary", "#"), ("plan", "#"), ("asm", ";")] {
        let text = String::from_utf8(stdout_ok(skelgen(["--emit", emit]).arg(minimal()))).unwrap();
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            format!("{comment} generated by skelgen {VERSION}, loader ABI {abi}"),
            "--emit {emit}"
        );
    }
    for lang in skeleton_langs() {
        let text = String::from_utf8(stdout_ok(skelgen(["--lang", lang]).arg(minimal()))).unwrap();
        // Kernel style puts the SPDX line first; the stamp follows within a few lines.
        let head: Vec<&str> = text.lines().take(5).take_while(|l| is_comment(l)).collect();
        assert!(
            !head.is_empty(),
            "--lang {lang}: the file does not start with a comment"
        );
        let head = head.join("\n");
        assert!(
            head.contains(&format!("skelgen {VERSION}")) && abi_named(&head) == Some(abi),
            "--lang {lang}: the first comment does not name skelgen {VERSION} and loader ABI {abi}:\n{head}"
        );
    }
}

/// The number after the first "ABI" in `text` ("loader ABI 1", "loader ABI version 1").
fn abi_named(text: &str) -> Option<u32> {
    let rest = &text[text.find("ABI")? + 3..];
    let start = rest.find(|c: char| c.is_ascii_digit())?;
    let digits: String = rest[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    rest[..start]
        .chars()
        .all(|c| c.is_alphabetic() || c.is_whitespace() || c == ':')
        .then(|| digits.parse().ok())?
}

#[test]
fn abi_named_reads_the_version_after_abi() {
    assert_eq!(abi_named("skelgen 0.1.0 (loader ABI 1)"), Some(1));
    assert_eq!(abi_named("loader ABI version 12."), Some(12));
    assert_eq!(abi_named("loader ABI, see docs/loader-abi.md 2"), None);
    assert_eq!(abi_named("skelgen 0.1.0"), None);
}

fn is_comment(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("/*") || line.starts_with('*') || line.starts_with("//")
}

/// Every output kind of every example, generated in two different working directories, once
/// with the object by a relative and once by an absolute path, is byte-identical and holds no
/// path of the machine it was made on and no time of day.
#[test]
fn output_is_byte_identical_wherever_it_is_made() {
    let here = Scratch::new("cli-det-a");
    let there = Scratch::new("cli-det-b");
    fs::create_dir_all(here.join("objs")).unwrap();
    let mut kinds: Vec<Vec<&str>> = ["summary", "ir", "plan", "asm", "blob"]
        .into_iter()
        .map(|k| vec!["--emit", k])
        .collect();
    kinds.extend(skeleton_langs().iter().map(|l| vec!["--lang", *l]));
    let forbidden = [
        support::ROOT.to_string(),
        here.0.display().to_string(),
        there.0.display().to_string(),
    ];
    let mut checked = 0;
    for obj in example_objects() {
        let file = obj.file_name().unwrap();
        fs::copy(&obj, here.join("objs").join(file)).unwrap();
        let relative = Path::new("objs").join(file);
        for kind in &kinds {
            let (sa, sb) = (
                skelgen(kind)
                    .arg(&relative)
                    .current_dir(&here.0)
                    .output()
                    .unwrap(),
                skelgen(kind)
                    .arg(&obj)
                    .current_dir(&there.0)
                    .output()
                    .unwrap(),
            );
            // A backend may refuse an object (the kernel skeleton of `net` would be struct
            // net); it must refuse it the same way from anywhere.
            if !sa.status.success() && kind[0] == "--lang" {
                assert!(
                    !sb.status.success(),
                    "{kind:?} {}: fails only once",
                    obj.display()
                );
                continue;
            }
            let (a, b) = (
                stdout_ok(skelgen(kind).arg(&relative).current_dir(&here.0)),
                stdout_ok(skelgen(kind).arg(&obj).current_dir(&there.0)),
            );
            assert!(
                sa.stdout == a && sb.stdout == b,
                "{kind:?}: differs between runs"
            );
            let what = format!("{} {}", kind.join(" "), obj.display());
            assert!(a == b, "{what}: differs between runs");
            for path in &forbidden {
                assert!(
                    !contains(&a, path.as_bytes()),
                    "{what}: holds the path {path}"
                );
            }
            if kind[1] != "blob" {
                let text = String::from_utf8(a).unwrap();
                if let Some(stamp) = time_like(&text) {
                    panic!("{what}: holds something like a date or time: {stamp}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 5 * example_objects().len());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The first `dddd-dd-dd` or `dd:dd:dd` in `text`.
fn time_like(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let shape = |i: usize, pattern: &[u8]| {
        pattern.iter().enumerate().all(|(k, &p)| match p {
            b'd' => digit(i + k),
            sep => b.get(i + k) == Some(&sep),
        })
    };
    (0..b.len()).find_map(|i| {
        for pattern in [&b"dddd-dd-dd"[..], b"dd:dd:dd"] {
            if shape(i, pattern) && !digit(i.wrapping_sub(1)) && !digit(i + pattern.len()) {
                return Some(&text[i..i + pattern.len()]);
            }
        }
        None
    })
}

#[test]
fn time_like_finds_dates_and_times_only() {
    assert_eq!(time_like("built 2026-11-22 here"), Some("2026-11-22"));
    assert_eq!(time_like("at 03:27:14."), Some("03:27:14"));
    assert_eq!(time_like("r1 = 0x1234; step 12: 3:4"), None);
    assert_eq!(time_like("12345-67-89"), None);
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let text = String::from_utf8(stdout_ok(skelgen(["--completions", shell]))).unwrap();
        for word in ["skelgen", "file-name", "lang", "emit", "completions"] {
            assert!(text.contains(word), "{shell} completions lack {word}");
        }
        let scratch = Scratch::new("cli-completions");
        let script = scratch.join(format!("skelgen.{shell}"));
        fs::write(&script, &text).unwrap();
        // Each shell that is installed checks the script's syntax.
        let check: &[&str] = match shell {
            "bash" | "zsh" => &["-n"],
            "fish" => &["--no-execute"],
            _ => continue,
        };
        if Command::new(shell).arg("-c").arg("true").output().is_err() {
            eprintln!(
                "note: {shell} is not installed; its completion script is not syntax-checked"
            );
            continue;
        }
        stdout_ok(Command::new(shell).args(check).arg(&script));
    }
    let err = skelgen(["--completions", "bash"])
        .arg(minimal())
        .output()
        .unwrap();
    assert_eq!(
        err.status.code(),
        Some(2),
        "--completions with an object was accepted"
    );
}

#[test]
fn manual_page() {
    let text = String::from_utf8(stdout_ok(skelgen(["--man"]))).unwrap();
    assert!(
        text.contains(&format!(".TH skelgen 1  \"skelgen {VERSION}\"")),
        "{text}"
    );
    for word in ["file\\-name", "completions", "emit", "OBJECT"] {
        assert!(text.contains(word), "the manual page lacks {word}");
    }
    // groff, where installed, must read it without a warning.
    match Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Err(_) => eprintln!("note: groff is not installed; the manual page is not rendered"),
        Ok(mut child) => {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success());
            let warnings = String::from_utf8_lossy(&out.stderr);
            assert!(warnings.is_empty(), "groff warns:\n{warnings}");
        }
    }
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

fn set_mtime(path: &Path, time: SystemTime) {
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

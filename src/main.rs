//! The `skelgen` command: read a BPF object, write what `--emit` asks for.

use anyhow::{anyhow, Context, Result};
use clap::{CommandFactory, Parser};
use skelgen::{Emit, Options};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Light BPF skeletons from a compiled BPF object.
#[derive(Debug, Parser)]
#[command(name = "skelgen", version, about)]
struct Cli {
    /// Write output to this file instead of standard output; with several languages, the
    /// directory to write each skeleton into under its file name
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: Option<PathBuf>,

    #[command(flatten)]
    options: Options,

    /// Print the completion script for SHELL and exit
    #[arg(long, value_name = "SHELL", exclusive = true)]
    completions: Option<clap_complete::Shell>,

    /// Print the manual page (roff) and exit
    #[arg(long, exclusive = true)]
    man: bool,

    /// The compiled BPF object (`clang -g -O2 -target bpf -c foo.bpf.c -o foo.bpf.o`)
    #[arg(required_unless_present_any = ["completions", "man"])]
    object: Option<PathBuf>,
}

fn main() {
    if let Err(err) = run() {
        eprintln!("skelgen: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    if let Some(shell) = cli.completions {
        let mut text = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "skelgen", &mut text);
        return write_stdout(&text);
    }
    if cli.man {
        let mut text = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut text)
            .map_err(|e| anyhow!("rendering the manual page: {e}"))?;
        return write_stdout(&text);
    }
    let object = cli.object.as_deref().context("no object given")?;
    if cli.options.effective_emit() == Emit::Signature {
        return write_signatures(object, cli.output.as_deref(), &cli.options);
    }
    if cli.options.langs().len() > 1 && cli.options.effective_emit() == Emit::Skeleton {
        return write_all_langs(object, cli.output.as_deref(), &cli.options);
    }
    if !cli.options.file_name.is_empty() {
        anyhow::bail!(
            "--file-name: names files in the -o directory of a run with several languages; \
             with one, -o names the file"
        );
    }
    if let Some(path) = &cli.output {
        if path.is_dir() {
            anyhow::bail!(
                "-o {}: is a directory; with one language (or any --emit but skeleton) -o names \
                 the file to write",
                path.display()
            );
        }
    }
    let text = skelgen::generate_file(object, &cli.options)?;
    // Output is produced completely before anything is written, so a failure writes nothing.
    match &cli.output {
        Some(path) => {
            skelgen::write_if_changed(path, &text)?;
            Ok(())
        }
        None => write_stdout(&text),
    }
}

fn write_stdout(text: &[u8]) -> Result<()> {
    std::io::stdout()
        .write_all(text)
        .map_err(|e| anyhow!("writing standard output: {e}"))
}

/// Several languages: every skeleton is produced before the first is written, so a failure
/// in one backend writes nothing.
fn write_all_langs(object: &Path, dir: Option<&Path>, options: &Options) -> Result<()> {
    let Some(dir) = dir else {
        anyhow::bail!("several languages make several files: name a directory with -o DIR");
    };
    let data = fs::read(object).map_err(|e| anyhow!("{}: {e}", object.display()))?;
    let outputs = skelgen::generate_outputs(&data, &object.display().to_string(), options)?;
    fs::create_dir_all(dir).map_err(|e| anyhow!("creating directory {}: {e}", dir.display()))?;
    let files: Vec<(&str, &[u8])> = outputs
        .iter()
        .map(|o| (o.file_name.as_str(), o.contents.as_slice()))
        .collect();
    write_outputs(dir, &files)
}

/// `--emit signature`: each scheme's signature and the bytes it signs, into the -o directory,
/// all or nothing.
fn write_signatures(object: &Path, dir: Option<&Path>, options: &Options) -> Result<()> {
    let Some(dir) = dir else {
        anyhow::bail!(
            "--emit signature writes a signature and its signed bytes per kernel scheme: name a \
             directory with -o DIR"
        );
    };
    let data = fs::read(object).map_err(|e| anyhow!("{}: {e}", object.display()))?;
    let files = skelgen::generate_signatures(&data, &object.display().to_string(), options)?;
    fs::create_dir_all(dir).map_err(|e| anyhow!("creating directory {}: {e}", dir.display()))?;
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|f| (f.file_name.as_str(), f.contents.as_slice()))
        .collect();
    write_outputs(dir, &files)
}

/// Writes each output that changed into `dir`. Every changed file is first staged next to
/// its destination and only then are they all renamed into place, so a failure to write
/// one (a full disk, a read-only file) leaves every file as it was.
fn write_outputs(dir: &Path, outputs: &[(&str, &[u8])]) -> Result<()> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let unstage = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = fs::remove_file(tmp);
        }
    };
    for &(file_name, contents) in outputs {
        let path = dir.join(file_name);
        if fs::read(&path).is_ok_and(|old| old == contents) {
            continue;
        }
        let tmp = dir.join(format!(".{file_name}.skelgen-tmp"));
        if let Err(err) = fs::write(&tmp, contents) {
            let _ = fs::remove_file(&tmp);
            unstage(&staged);
            return Err(anyhow!("{}: {err}", path.display()));
        }
        staged.push((tmp, path));
    }
    for (i, (tmp, path)) in staged.iter().enumerate() {
        if let Err(err) = fs::rename(tmp, path) {
            unstage(&staged[i..]);
            return Err(anyhow!("{}: {err}", path.display()));
        }
    }
    Ok(())
}

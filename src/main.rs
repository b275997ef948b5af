//! The `skelgen` command: read a BPF object, write what `--emit` asks for.

use anyhow::{Context, Result};
use clap::Parser;
use skelgen::{Emit, Options};
use std::io::Write;
use std::path::PathBuf;

/// Light BPF skeletons from a compiled BPF object.
#[derive(Debug, Parser)]
#[command(name = "skelgen", version, about)]
struct Cli {
    /// Write output to this file instead of standard output; with several languages, the
    /// directory to write each skeleton into under its conventional name
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    output: Option<PathBuf>,

    #[command(flatten)]
    options: Options,

    /// The compiled BPF object (`clang -g -O2 -target bpf -c foo.bpf.c -o foo.bpf.o`)
    object: PathBuf,
}

fn main() {
    if let Err(err) = run() {
        eprintln!("skelgen: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let cli = Cli::parse();
    if cli.options.langs().len() > 1 && cli.options.effective_emit() == Emit::Skeleton {
        return write_all_langs(&cli);
    }
    let text = skelgen::generate_file(&cli.object, &cli.options)?;
    // Output is produced completely before anything is written, so a failure writes nothing.
    match &cli.output {
        Some(path) => {
            skelgen::write_if_changed(path, &text)?;
        }
        None => std::io::stdout()
            .write_all(&text)
            .context("writing standard output")?,
    }
    Ok(())
}

/// Several languages: every skeleton is produced before the first is written, so a failure
/// in one backend writes nothing.
fn write_all_langs(cli: &Cli) -> Result<()> {
    let Some(dir) = &cli.output else {
        anyhow::bail!("several languages make several files: name a directory with -o DIR");
    };
    let data =
        std::fs::read(&cli.object).with_context(|| format!("reading {}", cli.object.display()))?;
    let outputs =
        skelgen::generate_outputs(&data, &cli.object.display().to_string(), &cli.options)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for out in outputs {
        skelgen::write_if_changed(&dir.join(&out.file_name), &out.contents)?;
    }
    Ok(())
}

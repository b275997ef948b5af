//! The `skelgen` command: read a BPF object, write what `--emit` asks for.

use anyhow::{Context, Result};
use clap::Parser;
use skelgen::Options;
use std::io::Write;
use std::path::PathBuf;

/// Light BPF skeletons from a compiled BPF object.
#[derive(Debug, Parser)]
#[command(name = "skelgen", version, about)]
struct Cli {
    /// Write output to this file instead of standard output
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

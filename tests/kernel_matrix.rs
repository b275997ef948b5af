//! `docs/kernels.md`'s matrix of what the VM runs showed is generated from the results
//! they recorded (`tests/vm/results`, written by `SKELGEN_VM_RECORD=1 tests/vm/run.sh`).
//! The test fails when the committed doc is stale relative to the committed results;
//! `SKELGEN_BLESS=1 cargo test --test kernel_matrix` rewrites the matrix.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context, Result};

const BEGIN: &str = "<!-- matrix: generated from tests/vm/results, do not edit -->\n";
const END: &str = "<!-- end of matrix -->\n";

/// What one VM run showed of one feature, in one language, on one kernel.
#[derive(Debug, PartialEq)]
enum Outcome {
    Proven,
    Refused(String),
}

/// A kernel id as `major.minor`, ordered as versions (6.12 after 6.1, before 7.2).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct KernelId(u32, u32);

impl KernelId {
    fn parse(text: &str) -> Result<Self> {
        let (major, minor) = text
            .split_once('.')
            .with_context(|| format!("kernel id '{text}' is not MAJOR.MINOR"))?;
        Ok(Self(major.parse()?, minor.parse()?))
    }
}

impl std::fmt::Display for KernelId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// (language, feature) -> kernel -> outcome: rows grouped by language.
type Results = BTreeMap<(String, String), BTreeMap<KernelId, Outcome>>;

/// Parses the results file: `KERNEL<tab>FEATURE<tab>LANGUAGE<tab>proven` or
/// `...<tab>refused<tab>MESSAGE`, one line each.
fn parse(text: &str) -> Result<(Results, BTreeSet<KernelId>)> {
    let mut results = Results::new();
    let mut kernels = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let at = || format!("tests/vm/results line {}", n + 1);
        let fields: Vec<&str> = line.split('\t').collect();
        let outcome = match fields.as_slice() {
            [_, _, _, "proven"] => Outcome::Proven,
            [_, _, _, "refused", message] if !message.is_empty() => {
                Outcome::Refused((*message).to_string())
            }
            _ => bail!("{}: expected KERNEL FEATURE LANGUAGE proven|refused [MESSAGE], tab-separated: {line:?}", at()),
        };
        let kernel = KernelId::parse(fields[0]).with_context(at)?;
        kernels.insert(kernel.clone());
        let cell = results
            .entry((fields[2].to_string(), fields[1].to_string()))
            .or_default();
        if let Some(before) = cell.insert(kernel, outcome) {
            bail!("{}: a second outcome for the same feature, language and kernel (the first: {before:?})", at());
        }
    }
    Ok((results, kernels))
}

/// The matrix as markdown, between its markers.
fn markdown(results: &Results, kernels: &BTreeSet<KernelId>) -> String {
    let mut out = String::from(BEGIN);
    out.push_str("\n| Language | Feature |");
    for k in kernels {
        out.push_str(&format!(" {k} |"));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(kernels.len()));
    out.push('\n');
    for ((lang, feature), cells) in results {
        out.push_str(&format!("| {lang} | {} |", cell_text(feature)));
        for k in kernels {
            let cell = match cells.get(k) {
                Some(Outcome::Proven) => "proven".to_string(),
                Some(Outcome::Refused(message)) => format!("refused: `{}`", cell_text(message)),
                None => "—".to_string(),
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(END);
    out
}

/// `text` made safe in a table cell: a `|` would end the cell.
fn cell_text(text: &str) -> String {
    text.replace('|', "\\|")
}

/// `doc` with the text between the markers (both included) replaced by `matrix`.
fn splice(doc: &str, matrix: &str) -> Result<String> {
    let start = doc
        .find(BEGIN)
        .context("docs/kernels.md has no matrix start marker")?;
    let end = doc[start..]
        .find(END)
        .context("docs/kernels.md has no matrix end marker")?
        + start
        + END.len();
    Ok(format!("{}{matrix}{}", &doc[..start], &doc[end..]))
}

#[test]
fn kernel_matrix_is_current() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let results = std::fs::read_to_string(root.join("tests/vm/results"))?;
    let (results, kernels) = parse(&results)?;
    let path = root.join("docs/kernels.md");
    let have = std::fs::read_to_string(&path)?;
    let want = splice(&have, &markdown(&results, &kernels))?;
    if std::env::var_os("SKELGEN_BLESS").is_some() {
        std::fs::write(&path, &want)?;
        return Ok(());
    }
    assert!(
        have == want,
        "docs/kernels.md's matrix is stale relative to tests/vm/results; regenerate it with \
         `SKELGEN_BLESS=1 cargo test --test kernel_matrix`"
    );
    Ok(())
}

#[test]
fn results_lines_are_checked() {
    assert!(parse("6.1\tf\tC\tproven\n").is_ok());
    assert!(
        parse("6.1\tf\tC\trefused\n").is_err(),
        "a refusal without its message"
    );
    assert!(parse("6.1\tf\tC\tmaybe\n").is_err());
    assert!(parse("six\tf\tC\tproven\n").is_err());
    assert!(parse("6.1\tf\tC\tproven\n6.1\tf\tC\trefused\tno\n").is_err());
    let (results, kernels) = parse("6.12\tf\tC\tproven\n6.1\tf\tC\trefused\tEINVAL\n").unwrap();
    let table = markdown(&results, &kernels);
    assert!(
        table.contains("| C | f | refused: `EINVAL` | proven |"),
        "{table}"
    );
    let (results, kernels) = parse("7.2\ta|b\tGo\trefused\tx|y\n").unwrap();
    let table = markdown(&results, &kernels);
    assert!(
        table.contains("| Go | a\\|b | refused: `x\\|y` |"),
        "{table}"
    );
}

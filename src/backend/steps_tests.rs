//! A failed load names its step identically in every language: the four skeletons of one
//! object embed the same step titles, in plan order.

use crate::loader::step_title;
use crate::Lang;
use std::path::Path;

/// The string literals of the list that follows `open`, unescaped (the titles of these
/// examples hold no character any language escapes differently).
fn table(skeleton: &str, open: &str) -> Vec<String> {
    let start = skeleton.find(open).unwrap_or_else(|| panic!("no {open:?}")) + open.len();
    let mut rest = &skeleton[start..];
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        let Some(literal) = rest.strip_prefix('"') else {
            return out;
        };
        let end = literal.find('"').expect("a closed string literal");
        out.push(literal[..end].to_string());
        rest = &literal[end + 1..];
    }
}

#[test]
fn every_language_names_the_same_steps() {
    for object in ["ksymvar", "many"] {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/bpf/{object}.bpf.o"));
        let spec = crate::parse_object(&std::fs::read(path).unwrap(), object).unwrap();
        let blob = crate::loader::compile(&spec).unwrap();
        let want: Vec<String> = blob.plan.steps.iter().map(step_title).collect();
        assert!(
            want.iter().any(|t| t.contains("(after looking up ")),
            "{object}"
        );
        let render = |lang| super::render(lang, &spec, &blob).unwrap();
        let c = render(Lang::C);
        let kernel = render(Lang::Kernel);
        let go = render(Lang::Go);
        let rust = render(Lang::Rust);
        assert_eq!(table(&c, "steps[] = {"), want, "{object}: C");
        assert_eq!(table(&kernel, "steps[] = {"), want, "{object}: kernel");
        assert_eq!(
            table(&go, "LoaderSteps = [...]string{"),
            want,
            "{object}: Go"
        );
        assert_eq!(table(&rust, "steps: &["), want, "{object}: Rust");
    }
}

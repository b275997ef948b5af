//! One test per reserved word (the escaped name must parse as a field name, and a raw
//! identifier only where Rust allows one), then the other naming rules.

use super::*;
use crate::backend::model::Scope;

/// The escaped form of `word` is an identifier syn accepts as a struct field and a method
/// name, and stays distinct from the word itself.
fn check_escaped(word: &str, expected: &str) {
    assert!(KEYWORDS.contains(&word), "{word} is not in KEYWORDS");
    let escaped = ident("field", word).unwrap();
    assert_eq!(escaped, expected, "{word}");
    syn::parse_str::<syn::ItemStruct>(&format!("struct S {{ {escaped}: u8 }}"))
        .unwrap_or_else(|e| panic!("{escaped} as a field: {e}"));
    syn::parse_str::<syn::ItemFn>(&format!("fn {escaped}() {{}}"))
        .unwrap_or_else(|e| panic!("{escaped} as a function: {e}"));
    if NOT_RAW.contains(&word) {
        let raw = format!("struct S {{ r#{word}: u8 }}");
        assert!(
            syn::parse_str::<syn::ItemStruct>(&raw).is_err(),
            "r#{word} should not be a valid raw identifier"
        );
    }
}

macro_rules! keyword_tests {
    ($($test:ident: $word:literal => $expected:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_escaped($word, $expected);
            }
        )*

        #[test]
        fn every_keyword_has_its_test() {
            let tested = [$($word),*];
            for word in KEYWORDS {
                assert!(tested.contains(word), "no test for {word}");
            }
        }
    };
}

keyword_tests! {
    keyword_as: "as" => "r#as",
    keyword_break: "break" => "r#break",
    keyword_const: "const" => "r#const",
    keyword_continue: "continue" => "r#continue",
    keyword_crate: "crate" => "crate_",
    keyword_else: "else" => "r#else",
    keyword_enum: "enum" => "r#enum",
    keyword_extern: "extern" => "r#extern",
    keyword_false: "false" => "r#false",
    keyword_fn: "fn" => "r#fn",
    keyword_for: "for" => "r#for",
    keyword_if: "if" => "r#if",
    keyword_impl: "impl" => "r#impl",
    keyword_in: "in" => "r#in",
    keyword_let: "let" => "r#let",
    keyword_loop: "loop" => "r#loop",
    keyword_match: "match" => "r#match",
    keyword_mod: "mod" => "r#mod",
    keyword_move: "move" => "r#move",
    keyword_mut: "mut" => "r#mut",
    keyword_pub: "pub" => "r#pub",
    keyword_ref: "ref" => "r#ref",
    keyword_return: "return" => "r#return",
    keyword_self_value: "self" => "self_",
    keyword_self_type: "Self" => "Self_",
    keyword_static: "static" => "r#static",
    keyword_struct: "struct" => "r#struct",
    keyword_super: "super" => "super_",
    keyword_trait: "trait" => "r#trait",
    keyword_true: "true" => "r#true",
    keyword_type: "type" => "r#type",
    keyword_unsafe: "unsafe" => "r#unsafe",
    keyword_use: "use" => "r#use",
    keyword_where: "where" => "r#where",
    keyword_while: "while" => "r#while",
    keyword_async: "async" => "r#async",
    keyword_await: "await" => "r#await",
    keyword_dyn: "dyn" => "r#dyn",
    keyword_abstract: "abstract" => "r#abstract",
    keyword_become: "become" => "r#become",
    keyword_box: "box" => "r#box",
    keyword_do: "do" => "r#do",
    keyword_final: "final" => "r#final",
    keyword_macro: "macro" => "r#macro",
    keyword_override: "override" => "r#override",
    keyword_priv: "priv" => "r#priv",
    keyword_typeof: "typeof" => "r#typeof",
    keyword_unsized: "unsized" => "r#unsized",
    keyword_virtual: "virtual" => "r#virtual",
    keyword_yield: "yield" => "r#yield",
    keyword_try: "try" => "r#try",
    keyword_gen: "gen" => "r#gen",
}

#[test]
fn underscore_alone_is_not_an_identifier() {
    assert_eq!(ident("field", "_").unwrap(), "__");
    assert_eq!(ident("field", "__").unwrap(), "__");
}

#[test]
fn weak_keywords_and_ordinary_names_pass_unchanged() {
    for name in [
        "union",
        "raw",
        "safe",
        "macro_rules",
        "counts",
        "_x",
        "CONFIG_HZ",
        "handle_getpid",
        "selfish",
        "Type",
    ] {
        assert_eq!(ident("map", name).unwrap(), name);
    }
}

#[test]
fn invalid_names_are_refused_with_their_owner() {
    for name in ["", "1abc", "dump_bpf_map.___fmt", "a-b", "é", "a b"] {
        let err = ident("variable in .rodata", name).unwrap_err().to_string();
        assert!(err.starts_with("variable in .rodata"), "{err}");
        assert!(err.contains(&format!("{name:?}")), "{err}");
    }
}

#[test]
fn object_names_give_a_module_and_a_type_prefix() {
    assert_eq!(
        object_idents("minimal").unwrap(),
        ("minimal".into(), "Minimal".into())
    );
    assert_eq!(
        object_idents("my_prog2").unwrap(),
        ("my_prog2".into(), "MyProg2".into())
    );
    for bad in ["my-prog", "type", "self", "9lives", "_"] {
        let err = object_idents(bad).unwrap_err().to_string();
        assert!(err.contains("--name"), "{err}");
    }
}

#[test]
fn sections_follow_bpftool() {
    assert_eq!(section_ident(".bss"), "bss");
    assert_eq!(section_ident(".data.custom"), "data_custom");
    assert_eq!(section_ident(".rodata.str1.1"), "rodata_str1_1");
    assert_eq!(section_ident(".1"), "_1");
    assert_eq!(section_type(".bss"), "Bss");
    assert_eq!(section_type(".data.custom"), "DataCustom");
    assert_eq!(section_type(".kconfig"), "Kconfig");
    assert_eq!(section_type(".1"), "Section1");
}

#[test]
fn collisions_name_both_owners() {
    let mut ids = Scope::default();
    ids.claim("map data_x", "data_x").unwrap();
    let err = ids
        .claim("section .data.x", "data_x")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("map data_x") && err.contains("section .data.x"),
        "{err}"
    );
    assert_eq!(ids.claim_numbered("type", "data_x"), "data_x2");
    assert_eq!(ids.claim_numbered("type", "data_x"), "data_x3");
}

#[test]
fn literals_and_docs_are_escaped() {
    assert_eq!(string_literal("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    syn::parse_str::<syn::LitStr>(&string_literal("é\u{0}\"")).unwrap();
    assert_eq!(doc("a\nb"), "a b");
    assert_eq!(
        doc_lines("one two three four", 9),
        ["one two", "three", "four"]
    );
    assert_eq!(
        doc_lines("averyveryverylongword x", 5),
        ["averyveryverylongword", "x"]
    );
}

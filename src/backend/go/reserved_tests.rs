//! One test per Go keyword and predeclared identifier: each is kept out of default
//! package names (a `_` appended), a keyword is refused as `--go-package`, and each
//! becomes an exported identifier that is not reserved.

use super::names::{check_package, default_package, exported, is_reserved, KEYWORDS, PREDECLARED};

fn check(word: &str, keyword: bool) {
    assert!(is_reserved(word), "{word}");
    assert_eq!(default_package(word), format!("{word}_"));
    match check_package(word) {
        Err(e) => assert!(keyword && e.to_string().contains("keyword"), "{word}: {e}"),
        Ok(p) => assert!(!keyword && p == word, "{word}"),
    }
    let ident = exported(word);
    assert!(
        ident.starts_with(|c: char| c.is_ascii_uppercase()) && !is_reserved(&ident),
        "{word}: {ident}"
    );
}

macro_rules! reserved {
    ($($test:ident: $word:literal, $keyword:literal;)*) => {
        $(
            #[test]
            fn $test() {
                check($word, $keyword);
            }
        )*

        #[test]
        fn every_reserved_word_has_its_test() {
            let tested = [$($word),*];
            assert_eq!(tested.len(), KEYWORDS.len() + PREDECLARED.len());
            for w in KEYWORDS.iter().chain(PREDECLARED) {
                assert!(tested.contains(w), "no test for {w}");
            }
        }
    };
}

reserved! {
    keyword_break: "break", true;
    keyword_case: "case", true;
    keyword_chan: "chan", true;
    keyword_const: "const", true;
    keyword_continue: "continue", true;
    keyword_default: "default", true;
    keyword_defer: "defer", true;
    keyword_else: "else", true;
    keyword_fallthrough: "fallthrough", true;
    keyword_for: "for", true;
    keyword_func: "func", true;
    keyword_go: "go", true;
    keyword_goto: "goto", true;
    keyword_if: "if", true;
    keyword_import: "import", true;
    keyword_interface: "interface", true;
    keyword_map: "map", true;
    keyword_package: "package", true;
    keyword_range: "range", true;
    keyword_return: "return", true;
    keyword_select: "select", true;
    keyword_struct: "struct", true;
    keyword_switch: "switch", true;
    keyword_type: "type", true;
    keyword_var: "var", true;
    predeclared_any: "any", false;
    predeclared_bool: "bool", false;
    predeclared_byte: "byte", false;
    predeclared_comparable: "comparable", false;
    predeclared_complex64: "complex64", false;
    predeclared_complex128: "complex128", false;
    predeclared_error: "error", false;
    predeclared_float32: "float32", false;
    predeclared_float64: "float64", false;
    predeclared_int: "int", false;
    predeclared_int8: "int8", false;
    predeclared_int16: "int16", false;
    predeclared_int32: "int32", false;
    predeclared_int64: "int64", false;
    predeclared_rune: "rune", false;
    predeclared_string: "string", false;
    predeclared_uint: "uint", false;
    predeclared_uint8: "uint8", false;
    predeclared_uint16: "uint16", false;
    predeclared_uint32: "uint32", false;
    predeclared_uint64: "uint64", false;
    predeclared_uintptr: "uintptr", false;
    predeclared_true: "true", false;
    predeclared_false: "false", false;
    predeclared_iota: "iota", false;
    predeclared_nil: "nil", false;
    predeclared_append: "append", false;
    predeclared_cap: "cap", false;
    predeclared_clear: "clear", false;
    predeclared_close: "close", false;
    predeclared_complex: "complex", false;
    predeclared_copy: "copy", false;
    predeclared_delete: "delete", false;
    predeclared_imag: "imag", false;
    predeclared_len: "len", false;
    predeclared_make: "make", false;
    predeclared_max: "max", false;
    predeclared_min: "min", false;
    predeclared_new: "new", false;
    predeclared_panic: "panic", false;
    predeclared_print: "print", false;
    predeclared_println: "println", false;
    predeclared_real: "real", false;
    predeclared_recover: "recover", false;
}

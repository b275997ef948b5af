use super::super::*;

const TEXT: &str = "\
# CONFIG_NOT_SET is not set
CONFIG_BPF=y
CONFIG_BPF_JIT_ALWAYS_ON=m
CONFIG_HZ=250
CONFIG_LOCALVERSION=\"-custom \\\"x\\\"\"
CONFIG_BASE=0x1F
CONFIG_MODE=0755
CONFIG_NEG=-12
";

#[test]
fn lines_are_found_by_whole_name() {
    assert_eq!(kconfig_find(TEXT, "CONFIG_BPF"), Some("y"));
    assert_eq!(kconfig_find(TEXT, "CONFIG_BPF_JIT_ALWAYS_ON"), Some("m"));
    assert_eq!(
        kconfig_find(TEXT, "CONFIG_BPF_JIT"),
        None,
        "a prefix of another"
    );
    assert_eq!(kconfig_find(TEXT, "CONFIG_NOT_SET"), None, "a comment");
    assert_eq!(kconfig_find("", "CONFIG_BPF"), None);
}

#[test]
fn integers_as_strtoll_reads_them() {
    assert_eq!(parse_int("250"), Some(250));
    assert_eq!(parse_int("0x1F"), Some(31));
    assert_eq!(parse_int("0X1f"), Some(31));
    assert_eq!(parse_int("0755"), Some(0o755));
    assert_eq!(parse_int("0"), Some(0));
    assert_eq!(parse_int("-12"), Some(-12));
    assert_eq!(parse_int("+7"), Some(7));
    for bad in [
        "", "-", "0x", "08", "1e3", "12 ", "y", "--1", "+-1", "0x-1", "0x+1", "0-7",
    ] {
        assert_eq!(parse_int(bad), None, "{bad:?}");
    }
}

fn ext(kind: KconfigKind, size: usize) -> KconfigExtern {
    KconfigExtern {
        name: "CONFIG_X",
        offset: 0,
        size,
        kind,
        weak: false,
    }
}

fn value(kind: KconfigKind, size: usize, text: &str) -> Result<Vec<u8>, i32> {
    let mut dst = vec![0xaa; size];
    kconfig_value(&mut dst, &ext(kind, size), text).map(|()| dst)
}

#[test]
fn values_are_encoded_by_kind() {
    use KconfigKind::*;
    assert_eq!(value(Bool, 1, "y"), Ok(vec![1]));
    assert_eq!(value(Bool, 1, "m"), Ok(vec![1]));
    assert_eq!(value(Tristate, 4, "m"), Ok(vec![2, 0, 0, 0]));
    assert_eq!(value(Tristate, 4, "n"), Ok(vec![0; 4]));
    assert_eq!(value(Bool, 1, "yes"), Err(libc::EINVAL));
    assert_eq!(value(Char, 1, "y"), Ok(vec![b'y']));
    assert_eq!(value(Int, 4, "-12"), Ok((-12i32).to_le_bytes().to_vec()));
    assert_eq!(value(Uint, 8, "0x1F"), Ok(31u64.to_le_bytes().to_vec()));
    assert_eq!(value(Int, 4, "many"), Err(libc::EINVAL));
}

#[test]
fn strings_are_unquoted_unescaped_and_cut() {
    use KconfigKind::CharArray;
    assert_eq!(value(CharArray, 6, "\"ab\""), Ok(b"ab\0\0\0\0".to_vec()));
    assert_eq!(
        value(CharArray, 8, r#""a\"b\\""#),
        Ok(b"a\"b\\\0\0\0\0".to_vec())
    );
    assert_eq!(
        value(CharArray, 3, "\"abcdef\""),
        Ok(b"ab\0".to_vec()),
        "NUL-terminated"
    );
    assert_eq!(value(CharArray, 4, "abc"), Err(libc::EINVAL), "not quoted");
    assert_eq!(value(CharArray, 0, "\"\""), Err(libc::EINVAL), "no room");
}

#[test]
fn fill_reports_the_first_strong_extern_it_cannot_fill() {
    static EXTERNS: [KconfigExtern; 4] = [
        KconfigExtern {
            name: "LINUX_KERNEL_VERSION",
            offset: 0,
            size: 4,
            kind: KconfigKind::KernelVersion,
            weak: false,
        },
        KconfigExtern {
            name: "LINUX_HAS_BPF_COOKIE",
            offset: 4,
            size: 1,
            kind: KconfigKind::Feature,
            weak: false,
        },
        KconfigExtern {
            name: "CONFIG_SKELGEN_NO_SUCH_OPTION",
            offset: 8,
            size: 4,
            kind: KconfigKind::Int,
            weak: true,
        },
        KconfigExtern {
            name: "CONFIG_SKELGEN_NO_SUCH_OPTION_EITHER",
            offset: 12,
            size: 4,
            kind: KconfigKind::Int,
            weak: false,
        },
    ];
    let mut image = [0u8; 16];
    let err = kconfig_fill(&mut image, &EXTERNS).expect("a strong extern is missing");
    assert!(
        err.what().contains("CONFIG_SKELGEN_NO_SUCH_OPTION_EITHER"),
        "{}",
        err.what()
    );
    assert_eq!(
        u32::from_le_bytes(image[..4].try_into().unwrap()),
        kernel_version()
    );
    assert_eq!(image[4], 1);
    assert_eq!(
        kconfig_fill(&mut image, &EXTERNS[..3]).map(|e| e.to_string()),
        None
    );
    let short = kconfig_fill(&mut [0u8; 2], &EXTERNS);
    assert!(short.is_none(), "externs past the image are left alone");
}

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

fn text_ext(
    name: &'static str,
    offset: usize,
    kind: KconfigKind,
    weak: bool,
) -> KconfigExtern {
    KconfigExtern {
        name,
        offset,
        size: 4,
        kind,
        weak,
    }
}

/// `data/dynamic.gz`'s 600 lines, `CONFIG_OPTION_<i>=<y, or m for multiples of 3>`.
const DYNAMIC: &[u8] = include_bytes!("data/dynamic.gz");

/// A scratch directory with `dynamic.gz` and a plain configuration that disagrees with it.
fn fixtures() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("skelgen-kconfig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.gz"), DYNAMIC).unwrap();
    std::fs::write(dir.join("config"), "CONFIG_OPTION_3=y\n").unwrap();
    dir
}

#[test]
fn inflation_stops_at_the_last_wanted_line() {
    let dir = fixtures();
    let gz = dir.join("config.gz");
    let gz = gz.to_str().unwrap();
    let early = [
        text_ext("LINUX_KERNEL_VERSION", 0, KconfigKind::KernelVersion, false),
        text_ext("CONFIG_OPTION_2", 4, KconfigKind::Bool, false),
        text_ext("CONFIG_OPTION_1", 8, KconfigKind::Bool, false),
    ];
    let (text, complete) = kconfig_read(None, gz, &early).unwrap();
    assert!(!complete);
    assert_eq!(
        text,
        "CONFIG_OPTION_0=m\nCONFIG_OPTION_1=y\nCONFIG_OPTION_2=y\n"
    );
    let late = [text_ext("CONFIG_OPTION_598", 0, KconfigKind::Bool, false)];
    let (text, complete) = kconfig_read(None, gz, &late).unwrap();
    assert!(
        !complete && text.ends_with("CONFIG_OPTION_598=y\n"),
        "{complete}"
    );
    let absent = [text_ext("CONFIG_ABSENT", 0, KconfigKind::Bool, true)];
    let (text, complete) = kconfig_read(None, gz, &absent).unwrap();
    assert!(complete && text.ends_with("CONFIG_OPTION_599=y\n"));
}

#[test]
fn the_plain_file_comes_first_when_it_can_be_read() {
    let dir = fixtures();
    let (plain, gz, missing) =
        (dir.join("config"), dir.join("config.gz"), dir.join("none"));
    let (plain, gz, missing) = (
        plain.to_str().unwrap(),
        gz.to_str().unwrap(),
        missing.to_str().unwrap(),
    );
    let wanted = [text_ext("CONFIG_OPTION_3", 0, KconfigKind::Tristate, false)];
    let value = |plain: Option<&str>, gz: &str| {
        kconfig_read(plain, gz, &wanted)
            .map(|(text, _)| kconfig_find(&text, "CONFIG_OPTION_3").map(str::to_owned))
    };
    assert_eq!(
        value(Some(plain), gz),
        Some(Some("y".into())),
        "the plain file"
    );
    assert_eq!(
        value(Some(missing), gz),
        Some(Some("m".into())),
        "no plain file"
    );
    let a_directory = dir.to_str().unwrap();
    assert_eq!(
        value(Some(a_directory), gz),
        Some(Some("m".into())),
        "unreadable"
    );
    assert_eq!(value(None, gz), Some(Some("m".into())));
    assert_eq!(value(Some(missing), missing), None);
}

#[test]
fn the_cache_reads_once_and_further_only_when_needed() {
    let dir = fixtures();
    let (gz, missing) = (dir.join("config.gz"), dir.join("none"));
    let (gz, missing) = (gz.to_str().unwrap(), missing.to_str().unwrap());
    let mut cache = KconfigCache::default();
    let mut image = [0u8; 8];
    let early = [text_ext("CONFIG_OPTION_3", 0, KconfigKind::Tristate, false)];
    assert!(kconfig_fill_from(&mut image, &early, &mut cache, None, gz).is_none());
    assert_eq!((image[0], cache.read, cache.complete), (2, true, false));
    image[0] = 0;
    assert!(
        kconfig_fill_from(&mut image, &early, &mut cache, None, missing).is_none(),
        "served from the cache"
    );
    assert_eq!(image[0], 2);
    let late = [text_ext("CONFIG_OPTION_500", 4, KconfigKind::Bool, false)];
    let err = kconfig_fill_from(&mut image, &late, &mut cache, None, missing);
    assert_eq!(
        err.map(|e| e.errno()),
        Some(libc::ESRCH),
        "past the prefix, nothing to read"
    );
    assert!(kconfig_fill_from(&mut image, &late, &mut cache, None, gz).is_none());
    assert_eq!(image[4], 1);

    let mut cache = KconfigCache::default();
    let fixed = [text_ext(
        "LINUX_HAS_BPF_COOKIE",
        0,
        KconfigKind::Feature,
        false,
    )];
    assert!(!kconfig_fill_fixed(&mut image, &fixed), "no text needed");
    assert_eq!(image[0], 1);
    let strong = [
        text_ext("CONFIG_WEAK", 0, KconfigKind::Bool, true),
        text_ext("CONFIG_STRONG", 4, KconfigKind::Bool, false),
    ];
    let err = kconfig_fill_from(&mut image, &strong, &mut cache, Some(missing), missing)
        .expect("a strong extern without a configuration");
    assert!(
        err.what().contains("CONFIG_STRONG needs /boot/config"),
        "{}",
        err.what()
    );
    assert!(cache.read && cache.text.is_none());
}

/// How a `.kconfig` extern is encoded (libbpf's rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KconfigKind {
    /// y/m → 1, n → 0.
    Bool,
    /// y → 1, m → 2, n → 0.
    Tristate,
    /// The first character.
    Char,
    /// A quoted string.
    CharArray,
    /// A signed integer.
    Int,
    /// An unsigned integer.
    Uint,
    /// `LINUX_KERNEL_VERSION`, from uname(2).
    KernelVersion,
    /// `LINUX_HAS_*`: 1.
    Feature,
}

/// One `.kconfig` extern: where its value goes in the section.
#[derive(Debug)]
pub(super) struct KconfigExtern {
    pub(super) name: &'static str,
    pub(super) offset: usize,
    pub(super) size: usize,
    pub(super) kind: KconfigKind,
    pub(super) weak: bool,
}

fn put_le(dst: &mut [u8], v: u64) {
    for (i, b) in dst.iter_mut().take(8).enumerate() {
        *b = (v >> (8 * i)) as u8;
    }
}

/// The running kernel's release (`uname -r`).
fn release() -> Option<String> {
    // SAFETY: utsname is plain bytes; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid utsname to write.
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let bytes: Vec<u8> = u
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c.to_ne_bytes()[0])
        .collect();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// `KERNEL_VERSION(a, b, c)` of the running kernel.
fn kernel_version() -> u32 {
    let release = release().unwrap_or_default();
    let mut nums = release
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let (a, b, c) = (
        nums.next().unwrap_or(0),
        nums.next().unwrap_or(0),
        nums.next().unwrap_or(0),
    );
    (a << 16) | (b << 8) | c.min(255)
}

impl KconfigExtern {
    /// Whether the value comes from the configuration text (versions and features do not).
    fn needs_text(&self) -> bool {
        !matches!(self.kind, KconfigKind::KernelVersion | KconfigKind::Feature)
    }
}

/// The kernel configuration as text, and whether it is all of it: the file at `plain`
/// (normally `/boot/config-$(uname -r)`) when it can be read, else the gzip file at `gz`
/// (normally `/proc/config.gz`), inflated only up to the line of the last extern that
/// needs the text.
fn kconfig_read(
    plain: Option<&str>,
    gz: &str,
    externs: &[KconfigExtern],
) -> Option<(String, bool)> {
    if let Some(text) = plain.and_then(|p| std::fs::read_to_string(p).ok()) {
        return Some((text, true));
    }
    let gz = std::fs::read(gz).ok()?;
    let mut left: Vec<&str> = externs
        .iter()
        .filter(|e| e.needs_text())
        .map(|e| e.name)
        .collect();
    let (text, complete) = gunzip_lines(&gz, &mut |line| {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        left.retain(|name| !matches!(line.strip_prefix(name.as_bytes()), Some([b'=', ..])));
        !left.is_empty()
    })?;
    Some((String::from_utf8_lossy(&text).into_owned(), complete))
}

/// What a process has read of the kernel configuration: the text (a prefix of it unless
/// `complete`), or after a read that found neither file, nothing.
#[derive(Debug, Default)]
struct KconfigCache {
    text: Option<String>,
    complete: bool,
    read: bool,
}

/// The configuration is read once per process: every skeleton's open shares this.
static KCONFIG_CACHE: std::sync::Mutex<KconfigCache> =
    std::sync::Mutex::new(KconfigCache {
        text: None,
        complete: false,
        read: false,
    });

impl KconfigCache {
    /// Makes the cache hold every line `externs` need: a prefix read for other externs is
    /// read again, further (rarely: a process's skeletons mostly want the same keys).
    fn fill(&mut self, plain: Option<&str>, gz: &str, externs: &[KconfigExtern]) {
        let has_all = |text: &str| {
            externs
                .iter()
                .filter(|e| e.needs_text())
                .all(|e| kconfig_find(text, e.name).is_some())
        };
        if self.read && (self.complete || self.text.as_deref().is_some_and(has_all)) {
            return;
        }
        match kconfig_read(plain, gz, externs) {
            Some((text, complete)) => {
                self.text = Some(text);
                self.complete = complete;
            }
            // Keep what an earlier read found.
            None if self.text.is_some() => {}
            None => self.complete = true,
        }
        self.read = true;
    }
}

/// The value of `name` (its `CONFIG_X=value` line) in `text`.
fn kconfig_find<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    text.lines().find_map(|line| {
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
    })
}

/// An integer as `strtoll(text, NULL, 0)` reads it: decimal, `0x` hexadecimal or `0` octal.
fn parse_int(text: &str) -> Option<i128> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    // from_str_radix takes a sign of its own, which strtoll does not after the base.
    let unsigned = |s: &str| !s.starts_with(['+', '-']);
    let value = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i128::from_str_radix(hex, 16)
            .ok()
            .filter(|_| unsigned(hex))?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i128::from_str_radix(&digits[1..], 8)
            .ok()
            .filter(|_| unsigned(&digits[1..]))?
    } else {
        digits.parse().ok().filter(|_| unsigned(digits))?
    };
    Some(if neg { -value } else { value })
}

/// Encodes the configuration text `v` of extern `e` into `dst`.
fn kconfig_value(dst: &mut [u8], e: &KconfigExtern, v: &str) -> Result<(), i32> {
    match e.kind {
        KconfigKind::Bool | KconfigKind::Tristate => {
            let n = match (v, e.kind) {
                ("y", _) => 1,
                ("m", KconfigKind::Bool) => 1,
                ("m", _) => 2,
                ("n", _) => 0,
                _ => return Err(libc::EINVAL),
            };
            put_le(dst, n);
        }
        KconfigKind::Char => put_le(dst, u64::from(v.bytes().next().unwrap_or(0))),
        KconfigKind::CharArray => {
            let inner = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .filter(|_| !dst.is_empty())
                .ok_or(libc::EINVAL)?;
            let mut out = Vec::new();
            let mut chars = inner.bytes();
            while let Some(c) = chars.next() {
                out.push(if c == b'\\' {
                    chars.next().unwrap_or(c)
                } else {
                    c
                });
            }
            out.truncate(dst.len() - 1);
            dst.fill(0);
            dst[..out.len()].copy_from_slice(&out);
        }
        _ => put_le(dst, parse_int(v).ok_or(libc::EINVAL)? as u64),
    }
    Ok(())
}

/// Writes the values that need no configuration text; true when another extern needs it.
fn kconfig_fill_fixed(image: &mut [u8], externs: &[KconfigExtern]) -> bool {
    let mut need_text = false;
    for e in externs {
        let Some(dst) = image.get_mut(e.offset..e.offset + e.size) else {
            continue;
        };
        match e.kind {
            KconfigKind::KernelVersion => put_le(dst, u64::from(kernel_version())),
            KconfigKind::Feature => put_le(dst, 1),
            _ => need_text = true,
        }
    }
    need_text
}

/// Fills the `.kconfig` image from the running kernel's configuration, read once per
/// process (`/boot/config-$(uname -r)`, else `/proc/config.gz`) and only when an extern
/// needs it; a strong extern without a usable value is the error the load will fail with
/// (the view can still be changed before then).
pub(super) fn kconfig_fill(image: &mut [u8], externs: &[KconfigExtern]) -> Option<Error> {
    if !kconfig_fill_fixed(image, externs) {
        return None;
    }
    let plain = release().map(|r| format!("/boot/config-{r}"));
    // A panic elsewhere cannot leave the cache half-written: take it as it is.
    let mut cache = KCONFIG_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    kconfig_fill_from(
        image,
        externs,
        &mut cache,
        plain.as_deref(),
        "/proc/config.gz",
    )
}

/// Fills the values that need the text from `cache`, reading `plain`, else `gz`, into it
/// first when it does not hold them.
fn kconfig_fill_from(
    image: &mut [u8],
    externs: &[KconfigExtern],
    cache: &mut KconfigCache,
    plain: Option<&str>,
    gz: &str,
) -> Option<Error> {
    cache.fill(plain, gz, externs);
    let text = cache.text.as_deref();
    let mut first_error = None;
    for e in externs.iter().filter(|e| e.needs_text()) {
        let Some(dst) = image.get_mut(e.offset..e.offset + e.size) else {
            continue;
        };
        let found = match text.and_then(|t| kconfig_find(t, e.name)) {
            Some(v) => kconfig_value(dst, e, v),
            None => Err(libc::ESRCH),
        };
        if let (Err(errno), false, None) = (found, e.weak, &first_error) {
            let why = if text.is_some() {
                "has no usable value in the kernel configuration"
            } else {
                "needs /boot/config-$(uname -r) or /proc/config.gz, and neither can be read"
            };
            first_error = Some(Error::new(format!("kconfig: {} {why}", e.name), errno));
        }
    }
    first_error
}

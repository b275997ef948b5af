/// What a uprobe by function name attaches to ([`Prog::attach_uprobe`]).
#[derive(Debug, Clone, Copy)]
pub struct UprobeOpts<'a> {
    /// The binary: a path, or a bare name found as [`find_binary`] says.
    pub binary: &'a std::path::Path,
    /// A function's symbol name (`name@version` allowed); empty: `offset` is a file offset.
    pub func: &'a str,
    /// Bytes into the function (or the file, without one).
    pub offset: u64,
    /// The process to trace; `None`: every process.
    pub pid: Option<i32>,
    /// The function's return rather than its entry.
    pub retprobe: bool,
}

impl Prog {
    /// Attaches this uprobe program as `opts` says: the binary found, the function's file
    /// offset read from its symbol tables. Any uprobe program can be attached so, also as a
    /// uretprobe, to any function of any binary.
    pub fn attach_uprobe(&self, opts: &UprobeOpts<'_>) -> Result<Link, Error> {
        let fd = self.loaded("attach")?;
        attach_uprobe_name(self, fd, opts).map(|fd| Link { fd })
    }
}

/// The multiarch library directory of the architecture this is built for (Debian's names).
const MULTIARCH: &str = if cfg!(target_arch = "x86_64") {
    "x86_64-linux-gnu"
} else if cfg!(target_arch = "x86") {
    "i386-linux-gnu"
} else if cfg!(target_arch = "aarch64") {
    "aarch64-linux-gnu"
} else if cfg!(target_arch = "arm") {
    "arm-linux-gnueabihf"
} else if cfg!(target_arch = "riscv64") {
    "riscv64-linux-gnu"
} else if cfg!(all(target_arch = "powerpc64", target_endian = "little")) {
    "powerpc64le-linux-gnu"
} else if cfg!(target_arch = "s390x") {
    "s390x-linux-gnu"
} else if cfg!(target_arch = "loongarch64") {
    "loongarch64-linux-gnu"
} else {
    ""
};

/// Whether `name` is a shared library's name: it ends in `.so` or holds `.so.`.
fn is_library(name: &str) -> bool {
    name.ends_with(".so") || name.contains(".so.")
}

/// The first readable `dir/name` for the directories of the `:`-separated `dirs`.
fn search_dirs(dirs: &str, name: &str) -> Option<std::path::PathBuf> {
    dirs.split(':')
        .filter(|d| !d.is_empty())
        .map(|d| std::path::Path::new(d).join(name))
        .find(|p| File::open(p).is_ok())
}

/// The file a uprobe's `binary` names. A name with a `/` is a path, used as it is. A bare
/// library name (`libc.so.6`) is looked for in `$LD_LIBRARY_PATH`, then `/lib64`,
/// `/usr/lib64`, `/lib`, `/usr/lib`, `/lib/<multiarch>`, `/usr/lib/<multiarch>`; any other
/// bare name in `$PATH`, then `/usr/bin`, `/usr/sbin`.
pub fn find_binary(binary: &std::path::Path) -> Option<std::path::PathBuf> {
    let name = binary.to_str().filter(|n| !n.contains('/'));
    let Some(name) = name else {
        return Some(binary.to_path_buf());
    };
    let env = |var| std::env::var(var).unwrap_or_default();
    if !is_library(name) {
        return search_dirs(&env("PATH"), name)
            .or_else(|| search_dirs("/usr/bin:/usr/sbin", name));
    }
    let arch = if MULTIARCH.is_empty() {
        String::new()
    } else {
        format!("/lib/{MULTIARCH}:/usr/lib/{MULTIARCH}")
    };
    search_dirs(&env("LD_LIBRARY_PATH"), name)
        .or_else(|| search_dirs("/lib64:/usr/lib64:/lib:/usr/lib", name))
        .or_else(|| search_dirs(&arch, name))
}

/// The file offset of `opts.func` + `opts.offset` in the file at `path`.
fn uprobe_offset(path: &std::path::Path, opts: &UprobeOpts<'_>) -> Result<u64, Error> {
    let what =
        |why: &dyn fmt::Display| format!("uprobe {}: {}: {why}", opts.func, path.display());
    let data = std::fs::read(path).map_err(|e| {
        Error::new(
            what(&format_args!("read: {e}")),
            e.raw_os_error().unwrap_or(libc::EIO),
        )
    })?;
    let offset = Elf::parse(&data)
        .and_then(|elf| elf.func_offset(opts.func))
        .map_err(|e| Error::new(what(&e.why), e.errno))?;
    offset
        .checked_add(opts.offset)
        .ok_or_else(|| Error::new(what(&"the offset is too large"), libc::EINVAL))
}

/// Attaches `prog` as `opts` says; the error names the program, the function and the file.
fn attach_uprobe_name(
    prog: &Prog,
    fd: BorrowedFd<'_>,
    opts: &UprobeOpts<'_>,
) -> Result<OwnedFd, Error> {
    let name = prog.name();
    let path = find_binary(opts.binary).ok_or_else(|| {
        Error::new(
            format!(
                "attach {name}: uprobe: no binary {} in the library or program paths",
                opts.binary.display()
            ),
            libc::ENOENT,
        )
    })?;
    let offset = if opts.func.is_empty() {
        opts.offset
    } else {
        uprobe_offset(&path, opts)
            .map_err(|e| Error::new(format!("attach {name}: {}", e.what()), e.errno()))?
    };
    use std::os::unix::ffi::OsStrExt;
    let target = path.as_os_str().as_bytes();
    probe("uprobe", fd, opts.retprobe, opts.pid, target, offset).map_err(|e| {
        Error::new(
            format!(
                "attach {name}: uprobe {} at {offset:#x} of {}",
                opts.func,
                path.display()
            ),
            e,
        )
    })
}

//! What the example tests share: the root check, a count of open fds, a lock so that tests
//! counting fds do not overlap, and running one test again in a private mount namespace.

use std::process::Command;
use std::sync::{Mutex, MutexGuard};

/// Whether the tests can load BPF (they need root); says why not when they cannot.
pub fn root() -> bool {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        eprintln!("skipping: loading BPF programs needs root (euid {euid})");
    }
    euid == 0
}

/// The number of fds this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd is readable")
        .count()
}

/// Held by every test of a binary, so fd counts see only their own test's fds.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Set in a test run by [`run_isolated`].
const ISOLATED: &str = "SKELGEN_EXAMPLE_ISOLATED";

/// Whether this run is the one [`run_isolated`] started.
pub fn isolated() -> bool {
    std::env::var_os(ISOLATED).is_some()
}

/// Runs the ignored test `name` of this test binary in a new mount namespace, after the
/// shell commands `setup` ran there; returns what it printed, and whether it passed. `None`
/// (said on stderr) when `unshare` is missing.
pub fn run_isolated(name: &str, setup: &str) -> Option<(bool, String)> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let script =
        format!("{setup}\nexec \"$0\" --ignored --exact {name} --nocapture --test-threads 1");
    let out = match Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .arg(&exe)
        .env(ISOLATED, "1")
        .output()
    {
        Ok(out) => out,
        Err(err) => {
            eprintln!("skipping: unshare(1) cannot run: {err}");
            return None;
        }
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success() && text.contains("1 passed"), text))
}

/// The file offset of `addr` in the file mapped there, and that file's path.
pub fn file_offset(addr: usize) -> Option<(u64, std::path::PathBuf)> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let (range, _perms, offset) = (fields.next()?, fields.next()?, fields.next()?);
        let path = fields.nth(2)?;
        let (start, end) = range.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        let offset = u64::from_str_radix(offset, 16).ok()?;
        (addr >= start && addr < end && path.starts_with('/'))
            .then(|| ((addr - start) as u64 + offset, path.into()))
    })
}

/// A global-data section's memory: anonymous memory holding the initial image until load,
/// then the array map's own memory mapped at the same address.
pub(super) struct View<T> {
    addr: NonNull<u8>,
    len: usize,
    size: usize,
    _type: PhantomData<T>,
}

// SAFETY: the view owns its mapping; sharing it is sharing a `T`.
unsafe impl<T: Send> Send for View<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for View<T> {}

impl<T: Plain> View<T> {
    /// `size` bytes holding `image` (zeros after it), in memory of its own.
    pub(super) fn open(
        image: &[u8],
        size: usize,
        section: &'static str,
    ) -> Result<Self, Error> {
        let len = size.max(1).next_multiple_of(page_size());
        if std::mem::size_of::<T>() > len || image.len() > size {
            return Err(Error::new(format!("the view of {section}"), libc::EINVAL));
        }
        // SAFETY: a new private anonymous mapping; no existing memory is touched.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        let addr = match NonNull::new(p.cast::<u8>()) {
            Some(addr) if p != libc::MAP_FAILED => addr,
            _ => return Err(Error::new(format!("memory for {section}"), errno())),
        };
        // SAFETY: the mapping is `len >= image.len()` writable bytes that nothing else uses.
        unsafe {
            std::ptr::copy_nonoverlapping(image.as_ptr(), addr.as_ptr(), image.len())
        };
        Ok(View {
            addr,
            len,
            size,
            _type: PhantomData,
        })
    }

    pub(super) fn addr(&self) -> u64 {
        self.addr.as_ptr() as usize as u64
    }

    pub(super) fn get(&self) -> &T {
        // SAFETY: the mapping is page-aligned, at least `size_of::<T>()` bytes, and every
        // bit pattern is a valid `T`.
        unsafe { &*self.addr.as_ptr().cast::<T>() }
    }

    pub(super) fn get_mut(&mut self) -> &mut T {
        // SAFETY: as in `get`; `&mut self` makes the reference unique on this side.
        unsafe { &mut *self.addr.as_ptr().cast::<T>() }
    }

    /// The section's own bytes (its size, not the type's).
    pub(super) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `size <= len` bytes of our writable mapping, uniquely borrowed.
        unsafe { std::slice::from_raw_parts_mut(self.addr.as_ptr(), self.size) }
    }

    /// After load: the array map's memory replaces the image at the same address, so
    /// references taken later see the map itself.
    pub(super) fn map(
        &mut self,
        map: &OwnedFd,
        read_only: bool,
        section: &'static str,
    ) -> Result<(), Error> {
        let prot = if read_only {
            libc::PROT_READ
        } else {
            libc::PROT_READ | libc::PROT_WRITE
        };
        // SAFETY: MAP_FIXED replaces exactly our own mapping, and no reference into it is
        // alive (`self` is borrowed mutably).
        let p = unsafe {
            libc::mmap(
                self.addr.as_ptr().cast(),
                self.len,
                prot,
                libc::MAP_SHARED | libc::MAP_FIXED,
                map.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::new(format!("mmap of the {section} map"), errno()));
        }
        Ok(())
    }
}

impl<T> Drop for View<T> {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours and no reference into it outlives `self`.
        unsafe { libc::munmap(self.addr.as_ptr().cast(), self.len) };
    }
}

impl<T> fmt::Debug for View<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("View")
            .field("addr", &self.addr)
            .field("size", &self.size)
            .finish()
    }
}

/// What the skeleton knows of a map before it exists.
#[derive(Debug)]
pub(super) struct MapInfo {
    pub(super) name: &'static str,
    pub(super) map_type: u32,
    pub(super) key_size: u32,
    pub(super) value_size: u32,
    pub(super) max_entries: u32,
}

/// A map's knobs, applied at load. They start at the compiled values; a perf event array
/// compiled with `max_entries` 0 starts at the number of possible CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapKnobs {
    /// The map's `max_entries`.
    pub max_entries: u32,
    /// The map's `value_size`; for global data only its compiled size loads.
    pub value_size: u32,
}

impl MapKnobs {
    pub(super) fn new(info: &MapInfo) -> Self {
        let max_entries =
            if info.map_type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && info.max_entries == 0 {
                possible_cpus()
            } else {
                info.max_entries
            };
        MapKnobs {
            max_entries,
            value_size: info.value_size,
        }
    }
}

/// A program's knob, applied at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgKnobs {
    /// Load the program (`false` for a `SEC("?...")` program unless turned on).
    pub autoload: bool,
}

/// A loaded map. Closed when dropped.
#[derive(Debug)]
pub struct Map {
    fd: OwnedFd,
    info: &'static MapInfo,
    max_entries: u32,
    value_size: u32,
}

impl Map {
    /// `update` flags: create or replace.
    pub const ANY: u64 = 0;
    /// `update` flags: only create.
    pub const NOEXIST: u64 = 1;
    /// `update` flags: only replace.
    pub const EXIST: u64 = 2;

    pub(super) fn new(fd: OwnedFd, info: &'static MapInfo, knobs: &MapKnobs) -> Self {
        Map {
            fd,
            info,
            max_entries: knobs.max_entries,
            value_size: knobs.value_size,
        }
    }

    /// The map's fd.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Its name in the object.
    pub fn name(&self) -> &'static str {
        self.info.name
    }

    /// Its `BPF_MAP_TYPE_*` number.
    pub fn map_type(&self) -> u32 {
        self.info.map_type
    }

    /// Key size in bytes.
    pub fn key_size(&self) -> u32 {
        self.info.key_size
    }

    /// Value size in bytes, as loaded.
    pub fn value_size(&self) -> u32 {
        self.value_size
    }

    /// `max_entries`, as loaded.
    pub fn max_entries(&self) -> u32 {
        self.max_entries
    }

    /// Whether lookups return one value per possible CPU.
    pub fn is_per_cpu(&self) -> bool {
        matches!(self.info.map_type, 5 | 6 | 10 | 21)
    }

    /// Bytes a lookup fills: the value size, or for a per-CPU map the value size rounded up
    /// to 8, times the number of possible CPUs.
    pub fn value_len(&self) -> usize {
        let size = self.value_size as usize;
        if self.is_per_cpu() {
            size.next_multiple_of(8) * possible_cpus() as usize
        } else {
            size
        }
    }

    fn check(&self, what: &str, key: usize, value: Option<usize>) -> Result<(), Error> {
        let value_ok = match value {
            Some(v) => v >= self.value_len(),
            None => true,
        };
        if key == self.info.key_size as usize && value_ok {
            return Ok(());
        }
        let msg = format!(
            "{what} {}: the map takes {}-byte keys and {}-byte values",
            self.info.name,
            self.info.key_size,
            self.value_len()
        );
        Err(Error::new(msg, libc::EINVAL))
    }

    /// Checks the types of a typed call against the map's key and value sizes.
    fn check_types<K, V>(&self, what: &str, per_cpu: bool) -> Result<(), Error> {
        let (k, v) = (std::mem::size_of::<K>(), std::mem::size_of::<V>());
        if k == self.info.key_size as usize
            && v == self.value_size as usize
            && per_cpu == self.is_per_cpu()
        {
            return Ok(());
        }
        let kind = if self.is_per_cpu() {
            "a per-CPU map"
        } else {
            "a map"
        };
        let msg = format!(
            "{what} {}: {kind} of {}-byte keys and {}-byte values, given {k} and {v} bytes",
            self.info.name, self.info.key_size, self.value_size
        );
        Err(Error::new(msg, libc::EINVAL))
    }

    fn elem(&self, cmd: u32, key: *const u8, value: u64, flags: u64) -> Result<bool, i32> {
        let mut attr = ElemAttr {
            map_fd: self.fd.as_raw_fd() as u32,
            key: ptr(key),
            value,
            flags,
            ..Default::default()
        };
        match sys_bpf(cmd, &mut attr) {
            Ok(_) => Ok(true),
            Err(libc::ENOENT) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Copies the value at `key` into `value` (at least [`Map::value_len`] bytes); `false`
    /// when there is none.
    pub fn lookup_bytes(&self, key: &[u8], value: &mut [u8]) -> Result<bool, Error> {
        self.check("lookup in", key.len(), Some(value.len()))?;
        self.elem(
            BPF_MAP_LOOKUP_ELEM,
            key.as_ptr(),
            ptr(value.as_mut_ptr()),
            0,
        )
        .map_err(|e| Error::new(format!("lookup in {}", self.info.name), e))
    }

    /// Writes `value` (at least [`Map::value_len`] bytes) at `key`; `flags` is
    /// [`Map::ANY`], [`Map::NOEXIST`] or [`Map::EXIST`].
    pub fn update_bytes(&self, key: &[u8], value: &[u8], flags: u64) -> Result<(), Error> {
        self.check("update of", key.len(), Some(value.len()))?;
        let what = || format!("update of {}", self.info.name);
        match self.elem(
            BPF_MAP_UPDATE_ELEM,
            key.as_ptr(),
            ptr(value.as_ptr()),
            flags,
        ) {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::new(what(), libc::ENOENT)),
            Err(e) => Err(Error::new(what(), e)),
        }
    }

    /// Deletes the value at `key`; `false` when there was none.
    pub fn delete_bytes(&self, key: &[u8]) -> Result<bool, Error> {
        self.check("delete in", key.len(), None)?;
        self.elem(BPF_MAP_DELETE_ELEM, key.as_ptr(), 0, 0)
            .map_err(|e| Error::new(format!("delete in {}", self.info.name), e))
    }

    /// The key after `key` (`None`: the first key) into `next`; `false` after the last.
    pub fn next_key_bytes(
        &self,
        key: Option<&[u8]>,
        next: &mut [u8],
    ) -> Result<bool, Error> {
        self.check("next key in", next.len(), None)?;
        if let Some(key) = key {
            self.check("next key in", key.len(), None)?;
        }
        let key = key.map_or(std::ptr::null(), <[u8]>::as_ptr);
        self.elem(BPF_MAP_GET_NEXT_KEY, key, ptr(next.as_mut_ptr()), 0)
            .map_err(|e| Error::new(format!("next key in {}", self.info.name), e))
    }

    /// The value at `key`, or `None`. Not for per-CPU maps (see [`Map::lookup_percpu`]).
    pub fn lookup<K: Plain, V: Plain>(&self, key: &K) -> Result<Option<V>, Error> {
        self.check_types::<K, V>("lookup in", false)?;
        let mut value = zeroed::<V>();
        Ok(self
            .lookup_bytes(bytes_of(key), bytes_of_mut(&mut value))?
            .then_some(value))
    }

    /// The values at `key` of a per-CPU map, one per possible CPU, or `None`.
    pub fn lookup_percpu<K: Plain, V: Plain>(
        &self,
        key: &K,
    ) -> Result<Option<Vec<V>>, Error> {
        self.check_types::<K, V>("per-CPU lookup in", true)?;
        let stride = (self.value_size as usize).next_multiple_of(8);
        let mut buf = vec![0u8; self.value_len()];
        if !self.lookup_bytes(bytes_of(key), &mut buf)? {
            return Ok(None);
        }
        let values = buf
            .chunks_exact(stride)
            .map(|chunk| {
                let mut v = zeroed::<V>();
                let out = bytes_of_mut(&mut v);
                let n = out.len();
                out.copy_from_slice(&chunk[..n]);
                v
            })
            .collect();
        Ok(Some(values))
    }

    /// Writes `value` at `key`; `flags` is [`Map::ANY`], [`Map::NOEXIST`] or [`Map::EXIST`].
    pub fn update<K: Plain, V: Plain>(
        &self,
        key: &K,
        value: &V,
        flags: u64,
    ) -> Result<(), Error> {
        self.check_types::<K, V>("update of", false)?;
        self.update_bytes(bytes_of(key), bytes_of(value), flags)
    }

    /// Deletes the value at `key`; `false` when there was none.
    pub fn delete<K: Plain>(&self, key: &K) -> Result<bool, Error> {
        self.delete_bytes(bytes_of(key))
    }

    /// The key after `key` (`None`: the first key), or `None` after the last.
    pub fn next_key<K: Plain>(&self, key: Option<&K>) -> Result<Option<K>, Error> {
        let mut next = zeroed::<K>();
        let found = self.next_key_bytes(key.map(bytes_of), bytes_of_mut(&mut next))?;
        Ok(found.then_some(next))
    }

    /// Every key, in the kernel's order.
    pub fn keys<K: Plain>(&self) -> Keys<'_, K> {
        Keys {
            map: self,
            prev: None,
            done: false,
        }
    }
}

/// The keys of a map ([`Map::keys`]).
#[derive(Debug)]
pub struct Keys<'a, K> {
    map: &'a Map,
    prev: Option<K>,
    done: bool,
}

impl<K: Plain> Iterator for Keys<'_, K> {
    type Item = Result<K, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.map.next_key(self.prev.as_ref()) {
            Ok(Some(key)) => {
                self.prev = Some(key);
                Some(Ok(key))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

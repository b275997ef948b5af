const BPF_MAP_TYPE_RINGBUF: u32 = 27;
const BPF_RINGBUF_BUSY_BIT: u32 = 1 << 31;
const BPF_RINGBUF_DISCARD_BIT: u32 = 1 << 30;
const BPF_RINGBUF_HDR_SZ: usize = 8;
const PERF_TYPE_SOFTWARE: u32 = 1;
const PERF_COUNT_SW_BPF_OUTPUT: u64 = 10;
const PERF_SAMPLE_RAW: u64 = 1 << 10;
const PERF_RECORD_LOST: u32 = 2;
const PERF_RECORD_SAMPLE: u32 = 9;

/// What the header word of a ring buffer record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RingRecord {
    /// Reserved and not committed yet: the records after it wait too.
    Busy,
    /// Committed: `len` bytes follow the header, to be skipped when `discarded`; the next
    /// record starts `next` bytes after this one's header.
    Ready {
        len: usize,
        discarded: bool,
        next: usize,
    },
}

/// Reads the header word of a ring buffer record in a ring of `size` bytes; `None` when the
/// record would not fit in the ring, which only a corrupt ring says.
fn ring_record(header: u32, size: usize) -> Option<RingRecord> {
    if header & BPF_RINGBUF_BUSY_BIT != 0 {
        return Some(RingRecord::Busy);
    }
    let len = (header & !(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) as usize;
    let next = (len + BPF_RINGBUF_HDR_SZ).next_multiple_of(8);
    if next > size {
        return None;
    }
    Some(RingRecord::Ready {
        len,
        discarded: header & BPF_RINGBUF_DISCARD_BIT != 0,
        next,
    })
}

/// One record of a perf event ring, as [`perf_record`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PerfRecord<'a> {
    /// A sample's raw data.
    Sample(&'a [u8]),
    /// How many records the kernel could not store.
    Lost(u64),
    /// Another kind, or a record too short for its kind: skipped.
    Other,
}

/// Copies the record at `tail` of the perf ring `data` (a power of 2 bytes, the record
/// possibly wrapping around its end) into `rec`; returns its length, or `None` when its
/// header (`struct perf_event_header`: u32 type, u16 misc, u16 size) gives a size shorter
/// than itself or longer than the ring, which only a corrupt ring says.
fn perf_next(data: &[u8], tail: u64, rec: &mut Vec<u8>) -> Option<u64> {
    let size = data.len();
    if !size.is_power_of_two() {
        return None;
    }
    let at = |k: u64| data[(tail.wrapping_add(k) as usize) & (size - 1)];
    let len = u16::from_le_bytes([at(6), at(7)]);
    if len < 8 || usize::from(len) > size {
        return None;
    }
    rec.clear();
    rec.extend((0..u64::from(len)).map(at));
    Some(u64::from(len))
}

/// What the whole record `rec` holds: a sample's raw data (a u32 size, then the data, which
/// the kernel pads to 8 bytes), or a lost-records count (id, then the count).
fn perf_record(rec: &[u8]) -> PerfRecord<'_> {
    let word = |at: usize| {
        rec.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    match word(0) {
        Some(PERF_RECORD_SAMPLE) => {
            let Some(raw) = word(8) else {
                return PerfRecord::Other;
            };
            let data = &rec[12..];
            PerfRecord::Sample(&data[..(raw as usize).min(data.len())])
        }
        Some(PERF_RECORD_LOST) => match rec.get(16..24) {
            Some(lost) => {
                let mut count = [0u8; 8];
                count.copy_from_slice(lost);
                PerfRecord::Lost(u64::from_le_bytes(count))
            }
            None => PerfRecord::Other,
        },
        _ => PerfRecord::Other,
    }
}

/// Waits up to `timeout` (`None`: forever) for one of `fds` to be readable.
fn wait(
    fds: &mut [libc::pollfd],
    timeout: Option<std::time::Duration>,
    what: &str,
) -> Result<(), Error> {
    let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as libc::c_int);
    // SAFETY: `fds` is a live slice of pollfd structs of the length passed.
    let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if r < 0 && errno() != libc::EINTR {
        return Err(Error::new(format!("poll of {what}"), errno()));
    }
    Ok(())
}

/// A shared mapping of `len` bytes of `fd` at `offset`.
fn map_shared(
    fd: BorrowedFd<'_>,
    len: usize,
    offset: usize,
    writable: bool,
) -> Result<NonNull<u8>, i32> {
    let prot = if writable {
        libc::PROT_READ | libc::PROT_WRITE
    } else {
        libc::PROT_READ
    };
    // SAFETY: a new shared mapping of the object behind `fd`; no existing memory is touched.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            offset as libc::off_t,
        )
    };
    match NonNull::new(p.cast::<u8>()) {
        Some(addr) if p != libc::MAP_FAILED => Ok(addr),
        _ => Err(errno()),
    }
}

fn unmap(addr: NonNull<u8>, len: usize) {
    // SAFETY: `addr` is a mapping of `len` bytes that this runtime made and nothing uses.
    unsafe { libc::munmap(addr.as_ptr().cast(), len) };
}

impl Map {
    /// A reader of this ring buffer map.
    pub fn ringbuf(&self) -> Result<RingBuf<'_>, Error> {
        let what = || format!("ring buffer of {}", self.info.name);
        let size = self.max_entries as usize;
        if self.info.map_type != BPF_MAP_TYPE_RINGBUF || !size.is_power_of_two() {
            return Err(Error::new(what(), libc::EINVAL));
        }
        let page = page_size();
        let consumer =
            map_shared(self.fd(), page, 0, true).map_err(|e| Error::new(what(), e))?;
        let producer =
            map_shared(self.fd(), page + 2 * size, page, false).map_err(|e| {
                unmap(consumer, page);
                Error::new(what(), e)
            })?;
        Ok(RingBuf {
            map: self,
            size,
            page,
            consumer,
            producer,
        })
    }

    /// A reader of this perf event array: one BPF-output event per possible CPU, each with
    /// a ring of `pages` pages (a power of 2), stored in the map at the CPU's index (CPUs
    /// that are offline are skipped).
    pub fn perfbuf(&self, pages: usize) -> Result<PerfBuf<'_>, Error> {
        let what = || format!("perf buffer of {}", self.info.name);
        if self.info.map_type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || !pages.is_power_of_two() {
            return Err(Error::new(what(), libc::EINVAL));
        }
        let mut buf = PerfBuf {
            map: self,
            pages,
            page: page_size(),
            rings: Vec::new(),
            pollfds: Vec::new(),
            scratch: Vec::new(),
            lost: 0,
        };
        for cpu in 0..possible_cpus() {
            match buf.open_cpu(cpu) {
                Ok(()) | Err(libc::ENODEV) => {}
                Err(e) => return Err(Error::new(what(), e)),
            }
        }
        Ok(buf)
    }
}

/// A reader of a `BPF_MAP_TYPE_RINGBUF` map ([`Map::ringbuf`]), in the kernel's layout: a
/// consumer page the reader writes, then a producer page and the data, mapped twice in a
/// row so a record is contiguous even where it wraps.
#[derive(Debug)]
pub struct RingBuf<'a> {
    map: &'a Map,
    size: usize,
    page: usize,
    consumer: NonNull<u8>,
    producer: NonNull<u8>,
}

impl RingBuf<'_> {
    /// Calls `f` with every committed record; returns how many.
    pub fn consume(&mut self, mut f: impl FnMut(&[u8])) -> usize {
        use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
        // SAFETY: both positions are naturally aligned words at the start of pages mapped
        // for the life of `self`, which the kernel updates atomically.
        let (cons_pos, prod_pos) = unsafe {
            (
                &*self.consumer.as_ptr().cast::<AtomicUsize>(),
                &*self.producer.as_ptr().cast::<AtomicUsize>(),
            )
        };
        // SAFETY: the data starts one page after the producer page, inside its mapping.
        let data = unsafe { self.producer.as_ptr().add(self.page) };
        let mut cons = cons_pos.load(Ordering::Acquire);
        let mut prod = prod_pos.load(Ordering::Acquire);
        let mut n = 0;
        while cons < prod {
            // SAFETY: `cons & (size - 1)` is inside the data, and record headers are
            // 8-byte aligned words the kernel writes atomically.
            let rec = unsafe { data.add(cons & (self.size - 1)) };
            let header = unsafe { &*rec.cast::<AtomicU32>() }.load(Ordering::Acquire);
            let Some(RingRecord::Ready {
                len,
                discarded,
                next,
            }) = ring_record(header, self.size)
            else {
                break;
            };
            cons += next;
            if !discarded {
                // SAFETY: a committed record of `len` bytes that fits in the ring; the data
                // is mapped twice, so it is contiguous, and the kernel leaves it alone until
                // the consumer position moves past it (below).
                f(unsafe { std::slice::from_raw_parts(rec.add(BPF_RINGBUF_HDR_SZ), len) });
                n += 1;
            }
            cons_pos.store(cons, Ordering::Release);
            if cons >= prod {
                prod = prod_pos.load(Ordering::Acquire);
            }
        }
        n
    }

    /// Waits up to `timeout` (`None`: forever) for records, then consumes them.
    pub fn poll(
        &mut self,
        timeout: Option<std::time::Duration>,
        f: impl FnMut(&[u8]),
    ) -> Result<usize, Error> {
        let mut fds = [libc::pollfd {
            fd: self.map.fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        wait(&mut fds, timeout, self.map.name())?;
        Ok(self.consume(f))
    }
}

impl Drop for RingBuf<'_> {
    fn drop(&mut self) {
        unmap(self.consumer, self.page);
        unmap(self.producer, self.page + 2 * self.size);
    }
}

/// One CPU's event and ring of a [`PerfBuf`].
#[derive(Debug)]
struct PerfRing {
    cpu: u32,
    event: OwnedFd,
    base: NonNull<u8>,
    len: usize,
}

impl Drop for PerfRing {
    fn drop(&mut self) {
        unmap(self.base, self.len);
    }
}

/// A reader of a `BPF_MAP_TYPE_PERF_EVENT_ARRAY` map ([`Map::perfbuf`]). Dropping it takes
/// its events out of the map, so the programs stop writing where nobody reads.
#[derive(Debug)]
pub struct PerfBuf<'a> {
    map: &'a Map,
    pages: usize,
    page: usize,
    rings: Vec<PerfRing>,
    pollfds: Vec<libc::pollfd>,
    scratch: Vec<u8>,
    lost: u64,
}

impl Drop for PerfBuf<'_> {
    fn drop(&mut self) {
        for ring in &self.rings {
            // A failure leaves the entry to be freed with the map; nothing else to do.
            let _ = self.map.delete_bytes(&ring.cpu.to_ne_bytes());
        }
    }
}

impl PerfBuf<'_> {
    /// Opens CPU `cpu`'s event and ring and puts the event into the map.
    fn open_cpu(&mut self, cpu: u32) -> Result<(), i32> {
        let mut attr = PerfAttr {
            kind: PERF_TYPE_SOFTWARE,
            config: PERF_COUNT_SW_BPF_OUTPUT,
            sample_type: PERF_SAMPLE_RAW,
            sample_period: 1,
            wakeup_events: 1,
            ..Default::default()
        };
        let event = perf_event_open(&mut attr, -1, cpu as i32)?;
        let len = (self.pages + 1) * self.page;
        let base = map_shared(event.as_fd(), len, 0, true)?;
        let ring = PerfRing {
            cpu,
            event,
            base,
            len,
        };
        // SAFETY: PERF_EVENT_IOC_ENABLE takes no argument.
        if unsafe { libc::ioctl(ring.event.as_raw_fd(), PERF_EVENT_IOC_ENABLE as _, 0) } < 0
        {
            return Err(errno());
        }
        let fd = ring.event.as_raw_fd() as u32;
        self.map
            .update_bytes(&cpu.to_ne_bytes(), &fd.to_ne_bytes(), Map::ANY)
            .map_err(|e| e.errno())?;
        self.pollfds.push(libc::pollfd {
            fd: ring.event.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
        self.rings.push(ring);
        Ok(())
    }

    /// Records the kernel could not store because the rings were full, so far.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Calls `f` with every sample's CPU and raw data (padded by the kernel to 8 bytes
    /// after its 4-byte size); returns how many.
    pub fn consume(&mut self, mut f: impl FnMut(u32, &[u8])) -> usize {
        let mut n = 0;
        for i in 0..self.rings.len() {
            n += self.consume_ring(i, &mut f);
        }
        n
    }

    fn consume_ring(&mut self, i: usize, f: &mut impl FnMut(u32, &[u8])) -> usize {
        use std::sync::atomic::{AtomicU64, Ordering};
        let ring = &self.rings[i];
        let size = self.pages * self.page;
        // SAFETY: `data_head` and `data_tail` (offsets 1024 and 1032 of the first page)
        // are aligned u64s the kernel and this reader update atomically; the data pages
        // follow the first page inside the mapping.
        let (head_pos, tail_pos, data) = unsafe {
            (
                &*ring.base.as_ptr().add(1024).cast::<AtomicU64>(),
                &*ring.base.as_ptr().add(1032).cast::<AtomicU64>(),
                std::slice::from_raw_parts(ring.base.as_ptr().add(self.page), size),
            )
        };
        let head = head_pos.load(Ordering::Acquire);
        let mut tail = tail_pos.load(Ordering::Relaxed);
        // Counted down from at most one ring's worth, never compared as positions: a
        // corrupt head or tail near 2^64 cannot make tail wrap and the walk go on.
        let mut left = head.saturating_sub(tail).min(size as u64);
        let mut n = 0;
        while left >= 8 {
            let Some(len) =
                perf_next(data, tail, &mut self.scratch).filter(|&len| len <= left)
            else {
                break;
            };
            match perf_record(&self.scratch) {
                PerfRecord::Sample(raw) => {
                    f(ring.cpu, raw);
                    n += 1;
                }
                PerfRecord::Lost(count) => self.lost = self.lost.saturating_add(count),
                PerfRecord::Other => {}
            }
            tail = tail.wrapping_add(len);
            left -= len;
            tail_pos.store(tail, Ordering::Release);
        }
        n
    }

    /// Waits up to `timeout` (`None`: forever) for samples on any CPU, then consumes them.
    pub fn poll(
        &mut self,
        timeout: Option<std::time::Duration>,
        f: impl FnMut(u32, &[u8]),
    ) -> Result<usize, Error> {
        let name = self.map.name();
        wait(&mut self.pollfds, timeout, name)?;
        Ok(self.consume(f))
    }
}

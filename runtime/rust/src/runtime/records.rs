/// Reads the start of `data`, a record of the ring or perf buffer `map`, as a `T`: its first
/// `size_of::<T>()` bytes (a longer record is read too: the kernel pads perf samples to 8
/// bytes). A shorter record is an error (`EBADMSG`) naming the map and both sizes.
pub fn record_as<T: Plain>(map: &str, data: &[u8]) -> Result<T, Error> {
    let mut value = zeroed::<T>();
    let out = bytes_of_mut(&mut value);
    let Some(bytes) = data.get(..out.len()) else {
        let what = format!(
            "record of {map}: {} bytes, shorter than the {} of {}",
            data.len(),
            out.len(),
            std::any::type_name::<T>()
        );
        return Err(Error::new(what, libc::EBADMSG));
    };
    out.copy_from_slice(bytes);
    Ok(value)
}

impl RingBuf<'_> {
    /// Calls `f` with every committed record read as a `T` ([`record_as`]); returns how
    /// many `f` got. A record shorter than `T` is consumed without a call, and the first
    /// such record is the error returned once the others were read.
    pub fn consume_as<T: Plain>(&mut self, mut f: impl FnMut(&T)) -> Result<usize, Error> {
        let map = self.map;
        let mut short = None;
        let mut n = 0;
        self.consume(|data| match record_as::<T>(map.name(), data) {
            Ok(value) => {
                f(&value);
                n += 1;
            }
            Err(e) => {
                short.get_or_insert(e);
            }
        });
        short.map_or(Ok(n), Err)
    }

    /// Waits up to `timeout` (`None`: forever) for records, then consumes them as `T`s
    /// ([`RingBuf::consume_as`]).
    pub fn poll_as<T: Plain>(
        &mut self,
        timeout: Option<std::time::Duration>,
        f: impl FnMut(&T),
    ) -> Result<usize, Error> {
        let mut fds = [libc::pollfd {
            fd: self.map.fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        wait(&mut fds, timeout, self.map.name())?;
        self.consume_as(f)
    }
}

impl PerfBuf<'_> {
    /// Calls `f` with every sample's CPU and raw data read as a `T` ([`record_as`]);
    /// returns how many `f` got. A sample shorter than `T` is consumed without a call, and
    /// the first such sample is the error returned once the others were read.
    pub fn consume_as<T: Plain>(
        &mut self,
        mut f: impl FnMut(u32, &T),
    ) -> Result<usize, Error> {
        let map = self.map;
        let mut short = None;
        let mut n = 0;
        self.consume(|cpu, data| match record_as::<T>(map.name(), data) {
            Ok(value) => {
                f(cpu, &value);
                n += 1;
            }
            Err(e) => {
                short.get_or_insert(e);
            }
        });
        short.map_or(Ok(n), Err)
    }

    /// Waits up to `timeout` (`None`: forever) for samples on any CPU, then consumes them
    /// as `T`s ([`PerfBuf::consume_as`]).
    pub fn poll_as<T: Plain>(
        &mut self,
        timeout: Option<std::time::Duration>,
        f: impl FnMut(u32, &T),
    ) -> Result<usize, Error> {
        let name = self.map.name();
        wait(&mut self.pollfds, timeout, name)?;
        self.consume_as(f)
    }
}

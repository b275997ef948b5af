// A small gzip reader (RFC 1952 around RFC 1951 deflate) for /proc/config.gz, so no zlib
// is needed. It decodes bit by bit: slow, but the kernel configuration is small, and a
// reader that wants only some lines stops after the last of them. The member's trailer
// (CRC-32 and length of the contents) is checked when the stream is read to its end, so a
// damaged file is refused rather than read as a wrong configuration.

/// The largest output accepted, against a corrupt or hostile stream.
const INFLATE_MAX: usize = 64 << 20;

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
    115, 131, 163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
    1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12,
    12, 13, 13,
];
const CODE_LENGTH_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The CRC-32 of gzip (ISO 3309, reflected polynomial 0xedb88320) for each byte value.
const CRC32_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// The CRC-32 of `data`, as gzip's trailer holds it.
fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |c, &b| {
        CRC32_TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8)
    })
}

/// Reads a deflate stream bit by bit, least significant bit first.
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u32,
    count: u32,
}

impl BitReader<'_> {
    fn bits(&mut self, need: u32) -> Option<u32> {
        while self.count < need {
            let byte = *self.data.get(self.pos)?;
            self.pos += 1;
            self.buf |= u32::from(byte) << self.count;
            self.count += 8;
        }
        let v = self.buf & ((1u32 << need) - 1);
        self.buf = self.buf.checked_shr(need).unwrap_or(0);
        self.count -= need;
        Some(v)
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Self {
        let mut count = [0u16; 16];
        for &l in lengths {
            count[usize::from(l & 15)] += 1;
        }
        count[0] = 0;
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = vec![0u16; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                let slot = &mut offs[usize::from(l & 15)];
                symbol[usize::from(*slot)] = sym as u16;
                *slot += 1;
            }
        }
        Huffman { count, symbol }
    }

    fn decode(&self, r: &mut BitReader<'_>) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= r.bits(1)? as i32;
            let count = i32::from(self.count[len]);
            if code - count < first {
                return self.symbol.get((index + code - first) as usize).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

/// Shows each output line, as soon as it is complete, to a reader that may want no more.
struct Lines<'f> {
    /// Output bytes already shown.
    scanned: usize,
    /// Start of the line being decoded.
    start: usize,
    /// Sees a line (newline included); false stops the inflation after it.
    more: &'f mut dyn FnMut(&[u8]) -> bool,
}

impl Lines<'_> {
    /// Shows the lines completed since the last call; true (with `out` cut after the line
    /// that did it) when the reader wants no more.
    fn stop(&mut self, out: &mut Vec<u8>) -> bool {
        while let Some(nl) = out[self.scanned..].iter().position(|&b| b == b'\n') {
            let end = self.scanned + nl + 1;
            self.scanned = end;
            if !(self.more)(&out[self.start..end]) {
                out.truncate(end);
                return true;
            }
            self.start = end;
        }
        self.scanned = out.len();
        false
    }
}

/// Decodes one block's literals and matches into `out`: `Some(true)` when `lines` stopped
/// it.
fn inflate_codes(
    r: &mut BitReader<'_>,
    out: &mut Vec<u8>,
    lines: &mut Lines<'_>,
    (lens, dists): (&Huffman, &Huffman),
) -> Option<bool> {
    loop {
        let sym = usize::from(lens.decode(r)?);
        if sym < 256 {
            out.push(sym as u8);
        } else if sym == 256 {
            return Some(false);
        } else {
            let sym = sym - 257;
            let len = usize::from(*LEN_BASE.get(sym)?)
                + r.bits(u32::from(LEN_EXTRA[sym]))? as usize;
            let dsym = usize::from(dists.decode(r)?);
            let dist = usize::from(*DIST_BASE.get(dsym)?)
                + r.bits(u32::from(DIST_EXTRA[dsym]))? as usize;
            if dist > out.len() || out.len() + len > INFLATE_MAX {
                return None;
            }
            let start = out.len() - dist;
            for k in 0..len {
                out.push(out[start + k]);
            }
        }
        if lines.stop(out) {
            return Some(true);
        }
    }
}

fn inflate_stored(r: &mut BitReader<'_>, out: &mut Vec<u8>) -> Option<()> {
    r.buf = 0;
    r.count = 0;
    let header = r.data.get(r.pos..r.pos + 4)?;
    let len = usize::from(u16::from_le_bytes([header[0], header[1]]));
    if u16::from_le_bytes([header[2], header[3]]) != !(len as u16)
        || out.len() + len > INFLATE_MAX
    {
        return None;
    }
    out.extend_from_slice(r.data.get(r.pos + 4..r.pos + 4 + len)?);
    r.pos += 4 + len;
    Some(())
}

fn inflate_fixed() -> (Huffman, Huffman) {
    let mut lengths = [0u8; 288];
    for (sym, l) in lengths.iter_mut().enumerate() {
        *l = match sym {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
    }
    (Huffman::new(&lengths), Huffman::new(&[5u8; 30]))
}

fn inflate_dynamic(r: &mut BitReader<'_>) -> Option<(Huffman, Huffman)> {
    let nlen = r.bits(5)? as usize + 257;
    let ndist = r.bits(5)? as usize + 1;
    let ncode = r.bits(4)? as usize + 4;
    let mut code_lengths = [0u8; 19];
    for &i in &CODE_LENGTH_ORDER[..ncode] {
        code_lengths[i] = r.bits(3)? as u8;
    }
    let codes = Huffman::new(&code_lengths);
    let mut lengths = Vec::with_capacity(nlen + ndist);
    while lengths.len() < nlen + ndist {
        let (value, repeat) = match codes.decode(r)? {
            sym @ 0..=15 => (sym as u8, 1),
            16 => (*lengths.last()?, 3 + r.bits(2)?),
            17 => (0, 3 + r.bits(3)?),
            _ => (0, 11 + r.bits(7)?),
        };
        lengths.resize(lengths.len() + repeat as usize, value);
    }
    if lengths.len() != nlen + ndist {
        return None;
    }
    Some((
        Huffman::new(&lengths[..nlen]),
        Huffman::new(&lengths[nlen..]),
    ))
}

/// The deflate stream of a gzip file's first member, after its header (RFC 1952 2.3), or
/// `None` when it is not a gzip file.
fn gzip_body(gz: &[u8]) -> Option<&[u8]> {
    let (&[0x1f, 0x8b, 8, flags], rest) = (gz.get(..4)?, gz.get(10..)?) else {
        return None;
    };
    let mut pos = 0;
    if flags & 4 != 0 {
        let xlen = usize::from(u16::from_le_bytes([*rest.first()?, *rest.get(1)?]));
        pos += 2 + xlen;
    }
    for bit in [8, 16] {
        if flags & bit != 0 {
            pos += rest.get(pos..)?.iter().position(|&b| b == 0)? + 1;
        }
    }
    if flags & 2 != 0 {
        pos += 2;
    }
    rest.get(pos..)
}

/// The contents of a gzip file (its first member), or `None` when it is not one or its
/// trailer does not match what was inflated.
fn gunzip(gz: &[u8]) -> Option<Vec<u8>> {
    gunzip_lines(gz, &mut |_| true).map(|(out, _)| out)
}

/// The contents of a gzip file (its first member) up to the line after which `more` says
/// false, and whether that is all of it; `None` when it is not gzip, is damaged before that
/// line, or (read to its end) its trailer does not match. Only a complete read is checked
/// against the trailer: a prefix is as far as the deflate stream decoded without error.
fn gunzip_lines(gz: &[u8], more: &mut dyn FnMut(&[u8]) -> bool) -> Option<(Vec<u8>, bool)> {
    let mut r = BitReader {
        data: gzip_body(gz)?,
        pos: 0,
        buf: 0,
        count: 0,
    };
    let mut lines = Lines {
        scanned: 0,
        start: 0,
        more,
    };
    let mut out = Vec::new();
    loop {
        let last = r.bits(1)?;
        let stopped = match r.bits(2)? {
            0 => {
                inflate_stored(&mut r, &mut out)?;
                lines.stop(&mut out)
            }
            1 => {
                let (lens, dists) = inflate_fixed();
                inflate_codes(&mut r, &mut out, &mut lines, (&lens, &dists))?
            }
            2 => {
                let (lens, dists) = inflate_dynamic(&mut r)?;
                inflate_codes(&mut r, &mut out, &mut lines, (&lens, &dists))?
            }
            _ => return None,
        };
        if stopped {
            return Some((out, false));
        }
        if last == 1 {
            break;
        }
    }
    // The trailer starts at the byte after the last block: the bits left are its padding.
    let trailer = r.data.get(r.pos..r.pos.checked_add(8)?)?;
    let word = |at: usize| {
        u32::from_le_bytes([
            trailer[at],
            trailer[at + 1],
            trailer[at + 2],
            trailer[at + 3],
        ])
    };
    (word(0) == crc32(&out) && word(4) == out.len() as u32).then_some((out, true))
}

//! Entry points for the fuzz targets (`fuzz/`): each hands its bytes to the run-time parsers
//! the way the runtime does and checks what it can of the result; a panic is the failure.
//! The unit tests share its struct_ops fixture.

use super::*;

/// A struct_ops structure of two members, a function pointer and an int, as compiled: what
/// [`btf`] lays out in whatever the input describes.
#[cfg(feature = "struct_ops")]
static MEMBERS: [StructOpsMember; 2] = [
    StructOpsMember {
        name: "init",
        offset: 0,
        size: 8,
        slot: Some(0),
        zero: false,
    },
    StructOpsMember {
        name: "flags",
        offset: 8,
        size: 4,
        slot: None,
        zero: false,
    },
];
/// The object's one struct_ops map, of `struct fuzz_ops`, and its one program.
#[cfg(feature = "struct_ops")]
pub(super) static TABLE: StructOpsTable = StructOpsTable {
    maps: &[StructOpsDef {
        map: 0,
        name: "ops",
        type_name: "fuzz_ops",
        link: false,
        image: &[0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0],
        members: &MEMBERS,
    }],
    progs: &[StructOpsProg {
        name: "init",
        prog: 0,
    }],
};
/// A loader of one map and one program, for the struct_ops descriptors of [`TABLE`].
#[cfg(feature = "struct_ops")]
pub(super) static LOADER: Loader = Loader {
    insns: &[],
    data: &[],
    steps: &[],
    abi_version: ABI_VERSION,
    nr_maps: 1,
    nr_progs: 1,
    ctx_size: (CTX_HEADER + MAP_DESC + PROG_DESC + 2 * STRUCT_OPS_DESC) as u32,
};

#[cfg(feature = "struct_ops")]
/// Reads `data` as kernel BTF: every type's size, chain and members, then the layout of a
/// struct_ops structure `fuzz_ops` as a load would make it.
pub fn btf(data: &[u8]) {
    let Some(btf) = Btf::parse(data.to_vec()) else {
        return;
    };
    let count = btf.offs.len() as u32;
    for id in 0..=count.saturating_add(1) {
        let _ = btf.size(id);
        let _ = btf.is_func_ptr(id);
        if let Some(skipped) = btf.skip(id) {
            assert!(btf.ty(skipped).is_some() || skipped == 0 || skipped > count);
        }
        for (_, m) in btf.members(id) {
            let _ = btf.size(m.ty);
        }
    }
    let mut ctx = Context::new(&LOADER);
    if let Ok(layout) = layout(&btf, &mut ctx, &TABLE, &TABLE.maps[0]) {
        for at in layout.offsets.into_iter().flatten() {
            assert!(at < layout.value.len());
        }
    }
}

#[cfg(feature = "kconfig")]
/// Reads `data` as a gzip file; what it inflates to must match the trailer it passed.
pub fn inflate(data: &[u8]) {
    if let Some(out) = gunzip(data) {
        assert!(out.len() <= INFLATE_MAX);
    }
}

#[cfg(feature = "buffers")]
/// Reads `data` as the records of a ring buffer and of a perf event ring: its first 8 bytes
/// are the consumer position, the rest (cut to a power of 2) the ring.
pub fn buffers(data: &[u8]) {
    let Some((start, ring)) = data.split_first_chunk::<8>() else {
        return;
    };
    let size = if ring.is_empty() {
        return;
    } else {
        1 << ring.len().ilog2()
    };
    let ring = &ring[..size];
    let mut pos = u64::from_le_bytes(*start);
    let mut rec = Vec::new();
    for _ in 0..size {
        let Some(len) = perf_next(ring, pos, &mut rec) else {
            break;
        };
        assert_eq!(rec.len() as u64, len);
        if let PerfRecord::Sample(raw) = perf_record(&rec) {
            assert!(raw.len() + 12 <= rec.len());
        }
        pos = pos.wrapping_add(len);
    }
    let mut cons = u64::from_le_bytes(*start) as usize;
    for _ in 0..size {
        let at = cons & (size - 1) & !7;
        let Some(word) = ring.get(at..at + 4) else {
            break;
        };
        let header = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        match ring_record(header, size) {
            Some(RingRecord::Ready { len, next, .. }) => {
                assert!(len + BPF_RINGBUF_HDR_SZ <= next && next <= size);
                cons = cons.wrapping_add(next);
            }
            Some(RingRecord::Busy) | None => break,
        }
    }
}

#[cfg(feature = "uprobe")]
/// Reads `data` as an ELF file: functions the seeds hold, under plain and versioned names,
/// and each one's file offset, which must lie inside the file.
pub fn elf(data: &[u8]) {
    let Ok(elf) = Elf::parse(data) else {
        return;
    };
    for name in ["main", "malloc", "dup", "twice", "dyn_only", "getpid", ""] {
        if let Ok(off) = elf.func_offset(name) {
            assert!(off < data.len() as u64, "{name} at {off:#x}");
        }
    }
}

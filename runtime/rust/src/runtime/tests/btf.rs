use super::super::fuzzing::{LOADER, TABLE};
use super::super::*;

/// Builds a BTF blob type by type, in the host's byte order as the kernel writes it.
struct Builder {
    types: Vec<u8>,
    strs: Vec<u8>,
    count: u32,
}

impl Builder {
    fn new() -> Self {
        Builder {
            types: Vec::new(),
            strs: vec![0],
            count: 0,
        }
    }

    fn name(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return 0;
        }
        let off = self.strs.len() as u32;
        self.strs.extend_from_slice(name.as_bytes());
        self.strs.push(0);
        off
    }

    /// A type record: its header words, then `extra`; returns its id.
    fn ty(&mut self, name: &str, info: u32, size_or_type: u32, extra: &[u32]) -> u32 {
        let name = self.name(name);
        for w in [name, info, size_or_type].iter().chain(extra) {
            self.types.extend_from_slice(&w.to_ne_bytes());
        }
        self.count += 1;
        self.count
    }

    fn int(&mut self, name: &str, size: u32) -> u32 {
        self.ty(name, BTF_KIND_INT << 24, size, &[size * 8])
    }

    fn ptr(&mut self, to: u32) -> u32 {
        self.ty("", BTF_KIND_PTR << 24, to, &[])
    }

    /// A struct of `(name, type, bit offset)` members.
    fn strct(&mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        let mut extra = Vec::new();
        for &(n, ty, off) in members {
            extra.extend([self.name(n), ty, off]);
        }
        let info = (BTF_KIND_STRUCT << 24) | members.len() as u32;
        self.ty(name, info, size, &extra)
    }

    fn build(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&BTF_MAGIC.to_ne_bytes());
        out.extend_from_slice(&[1, 0]);
        let (types, strs) = (self.types.len() as u32, self.strs.len() as u32);
        for w in [24, 0, types, types, strs] {
            out.extend_from_slice(&u32::to_ne_bytes(w));
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strs);
        out
    }
}

/// `struct fuzz_ops { void (*init)(void); int flags; }` and the kernel's value struct
/// around it, `struct bpf_struct_ops_fuzz_ops { int refcnt; struct fuzz_ops data; }`.
fn ops() -> (Builder, u32, u32) {
    let mut b = Builder::new();
    let int = b.int("int", 4);
    let proto = b.ty("", BTF_KIND_FUNC_PROTO << 24, 0, &[]);
    let fp = b.ptr(proto);
    let ops = b.strct("fuzz_ops", 16, &[("init", fp, 0), ("flags", int, 64)]);
    let value = b.strct(
        "bpf_struct_ops_fuzz_ops",
        24,
        &[("refcnt", int, 0), ("data", ops, 64)],
    );
    (b, ops, value)
}

#[test]
fn a_handmade_blob_is_read() {
    let (b, ops, value) = ops();
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.find("fuzz_ops", BTF_KIND_STRUCT), Some(ops));
    assert_eq!(btf.find("fuzz_ops", BTF_KIND_UNION), None);
    assert_eq!(btf.size(value), Some(24));
    assert_eq!(btf.size(3), Some(8), "a pointer");
    let init = btf.member(ops, "init").unwrap();
    assert!(btf.is_func_ptr(init.ty));
    let flags = btf.member(ops, "flags").unwrap();
    assert_eq!((flags.index, flags.bit_offset, flags.bitfield), (1, 64, 0));
    assert!(!btf.is_func_ptr(flags.ty));
    assert!(btf.member(ops, "missing").is_none());
}

#[test]
fn a_structure_is_laid_out_in_the_kernels_layout() {
    let (b, ops, value) = ops();
    let btf = Btf::parse(b.build()).unwrap();
    let mut ctx = Context::new(&LOADER);
    let layout = layout(&btf, &mut ctx, &TABLE, &TABLE.maps[0]).unwrap();
    assert_eq!(layout.value.len(), 24);
    assert_eq!(layout.offsets, [Some(8), Some(16)]);
    assert_eq!(layout.value[16], 7, "data is copied to the kernel's offset");
    assert_eq!(ctx.get_u32(CTX_HEADER + 8), 24, "the value size");
    assert_eq!(ctx.get_u32(CTX_HEADER + 12), value);
    let prog = CTX_HEADER + MAP_DESC + PROG_DESC + STRUCT_OPS_DESC;
    assert_eq!((ctx.get_u32(prog), ctx.get_u32(prog + 4)), (ops, 0));
}

#[test]
fn a_kernel_without_the_structure_is_named() {
    let mut b = Builder::new();
    b.int("int", 4);
    let btf = Btf::parse(b.build()).unwrap();
    let mut ctx = Context::new(&LOADER);
    let err = layout(&btf, &mut ctx, &TABLE, &TABLE.maps[0]).unwrap_err();
    assert_eq!(err.errno(), libc::ENOENT);
    assert!(err.what().contains("no struct fuzz_ops"), "{}", err.what());
}

#[test]
fn a_value_larger_than_any_struct_ops_value_is_refused() {
    let mut b = Builder::new();
    let int = b.int("int", 4);
    let ops = b.strct("fuzz_ops", 16, &[("flags", int, 64)]);
    b.strct("bpf_struct_ops_fuzz_ops", u32::MAX, &[("data", ops, 64)]);
    let btf = Btf::parse(b.build()).unwrap();
    let err = kernel_types(&btf, &TABLE.maps[0]).err().unwrap();
    assert_eq!(err.errno(), libc::EINVAL);
    assert!(err.what().contains("4294967295 bytes"), "{}", err.what());
}

#[test]
fn every_truncation_is_refused() {
    let (b, _, _) = ops();
    let full = b.build();
    for len in 0..full.len() {
        assert!(Btf::parse(full[..len].to_vec()).is_none(), "{len} bytes");
    }
}

/// The blob with header word `i` (0: magic and version) replaced.
fn with_header(i: usize, v: u32) -> Vec<u8> {
    let mut blob = ops().0.build();
    blob[4 * i..4 * i + 4].copy_from_slice(&v.to_ne_bytes());
    blob
}

#[test]
fn corrupt_headers_are_refused() {
    assert!(
        Btf::parse(with_header(0, 0x0001_9feb)).is_none(),
        "the other byte order"
    );
    assert!(
        Btf::parse(with_header(1, 20)).is_none(),
        "a header too short"
    );
    for field in 2..=5 {
        for v in [u32::MAX, u32::MAX - 3, 1 << 31] {
            assert!(
                Btf::parse(with_header(field, v)).is_none(),
                "field {field} = {v:#x}"
            );
        }
    }
    let mut unterminated = ops().0.build();
    *unterminated.last_mut().unwrap() = b'x';
    assert!(
        Btf::parse(unterminated).is_none(),
        "strings without their last NUL"
    );
}

#[test]
fn hostile_records_are_refused() {
    let mut b = Builder::new();
    b.ty("x", 20 << 24, 0, &[]);
    assert!(Btf::parse(b.build()).is_none(), "an unknown kind");
    let mut b = Builder::new();
    b.ty("s", (BTF_KIND_STRUCT << 24) | 0xffff, 4, &[0, 1, 0]);
    assert!(
        Btf::parse(b.build()).is_none(),
        "more members than the section holds"
    );
}

#[test]
fn broken_chains_and_sizes_are_none() {
    let mut b = Builder::new();
    let looped = b.ty("loop", BTF_KIND_TYPEDEF << 24, 1, &[]);
    let dangling = b.ty("dangling", BTF_KIND_CONST << 24, 1000, &[]);
    let int = b.int("int", 4);
    let huge = b.ty("", BTF_KIND_ARRAY << 24, 0, &[int, int, u32::MAX]);
    let nested = b.ty("", BTF_KIND_ARRAY << 24, 0, &[huge, int, 2]);
    let named = b.ty("", BTF_KIND_PTR << 24, 0, &[]);
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.skip(looped), None);
    assert_eq!(btf.size(dangling), None);
    assert_eq!(btf.size(huge), Some(4 * u64::from(u32::MAX)), "no overflow");
    assert_eq!(btf.size(nested), None, "more than u32::MAX elements");
    assert_eq!(btf.size(named), Some(8));
    assert_eq!(btf.ty(0).map(|t| t.kind()), None, "void");
    assert_eq!(btf.str(u32::MAX), b"", "a name past the strings");
    assert!(btf.members(int).next().is_none(), "an int has no members");
}

#[test]
fn the_running_kernels_btf_when_present() {
    let Ok(data) = std::fs::read(BTF_VMLINUX) else {
        eprintln!("skipping: no {BTF_VMLINUX}");
        return;
    };
    let btf = Btf::parse(data).expect("the kernel's BTF");
    let task = btf
        .find("task_struct", BTF_KIND_STRUCT)
        .expect("struct task_struct");
    assert!(btf.size(task).unwrap() > 1000);
    assert!(btf.member(task, "pid").is_some());
    if let Some(ops) = btf.find("tcp_congestion_ops", BTF_KIND_STRUCT) {
        let ssthresh = btf.member(ops, "ssthresh").unwrap();
        assert!(btf.is_func_ptr(ssthresh.ty));
        let def = StructOpsDef {
            type_name: "tcp_congestion_ops",
            ..TABLE.maps[0]
        };
        let k = kernel_types(&btf, &def).unwrap();
        assert_eq!(k.type_id, ops);
        assert!(k.value_size > k.data_offset);
    }
}

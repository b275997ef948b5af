//! `union bpf_attr` layouts for the commands the loader issues, as byte images.
//!
//! Pointer fields are left zero: they hold kernel addresses of blob data that only exist at
//! run time, so the loader stores them before each command. Every attr is trimmed to the
//! last field this object uses, so kernels that predate unused fields still accept it.

/// `BPF_MAP_CREATE`.
pub const BPF_MAP_CREATE: i32 = 0;
/// `BPF_MAP_UPDATE_ELEM`.
pub const BPF_MAP_UPDATE_ELEM: i32 = 2;
/// `BPF_PROG_LOAD`.
pub const BPF_PROG_LOAD: i32 = 5;
/// `BPF_BTF_LOAD`.
pub const BPF_BTF_LOAD: i32 = 18;
/// `BPF_MAP_FREEZE`.
pub const BPF_MAP_FREEZE: i32 = 22;

/// `BPF_MAP_CREATE` field offsets.
pub mod map_create {
    /// `u32 max_entries`.
    pub const MAX_ENTRIES: u32 = 12;
    /// `u32 value_size`.
    pub const VALUE_SIZE: u32 = 8;
    /// `u32 inner_map_fd`.
    pub const INNER_MAP_FD: u32 = 20;
    /// `u32 btf_fd`.
    pub const BTF_FD: u32 = 48;
    /// `u32 btf_vmlinux_value_type_id`.
    pub const BTF_VMLINUX_VALUE_TYPE_ID: u32 = 60;
}

/// `BPF_MAP_*_ELEM` and `BPF_MAP_FREEZE` field offsets.
pub mod map_elem {
    /// `u32 map_fd`.
    pub const MAP_FD: u32 = 0;
    /// `u64 key`.
    pub const KEY: u32 = 8;
    /// `u64 value`.
    pub const VALUE: u32 = 16;
    /// Size up to `flags`.
    pub const UPDATE_SIZE: u32 = 32;
    /// Size up to `map_fd` (freeze).
    pub const FREEZE_SIZE: u32 = 4;
}

/// `BPF_BTF_LOAD` field offsets.
pub mod btf_load {
    /// `u64 btf`.
    pub const BTF: u32 = 0;
    /// `u64 btf_log_buf`.
    pub const LOG_BUF: u32 = 8;
    /// `u32 btf_size`.
    pub const SIZE: u32 = 16;
    /// `u32 btf_log_size`.
    pub const LOG_SIZE: u32 = 20;
    /// `u32 btf_log_level`.
    pub const LOG_LEVEL: u32 = 24;
    /// Size up to `btf_log_level`.
    pub const ATTR_SIZE: u32 = 28;
}

/// `BPF_PROG_LOAD` field offsets.
pub mod prog_load {
    /// `u32 prog_type`.
    pub const PROG_TYPE: u32 = 0;
    /// `u32 insn_cnt`.
    pub const INSN_CNT: u32 = 4;
    /// `u64 insns`.
    pub const INSNS: u32 = 8;
    /// `u64 license`.
    pub const LICENSE: u32 = 16;
    /// `u32 log_level`.
    pub const LOG_LEVEL: u32 = 24;
    /// `u32 log_size`.
    pub const LOG_SIZE: u32 = 28;
    /// `u64 log_buf`.
    pub const LOG_BUF: u32 = 32;
    /// `u32 kern_version`.
    pub const KERN_VERSION: u32 = 40;
    /// `u32 prog_flags`.
    pub const PROG_FLAGS: u32 = 44;
    /// `char prog_name[16]`.
    pub const PROG_NAME: u32 = 48;
    /// `u32 expected_attach_type`.
    pub const EXPECTED_ATTACH_TYPE: u32 = 68;
    /// `u32 prog_btf_fd`.
    pub const PROG_BTF_FD: u32 = 72;
    /// `u32 func_info_rec_size`.
    pub const FUNC_INFO_REC_SIZE: u32 = 76;
    /// `u64 func_info`.
    pub const FUNC_INFO: u32 = 80;
    /// `u32 func_info_cnt`.
    pub const FUNC_INFO_CNT: u32 = 88;
    /// `u32 line_info_rec_size`.
    pub const LINE_INFO_REC_SIZE: u32 = 92;
    /// `u64 line_info`.
    pub const LINE_INFO: u32 = 96;
    /// `u32 line_info_cnt`.
    pub const LINE_INFO_CNT: u32 = 104;
    /// `u32 attach_btf_id`.
    pub const ATTACH_BTF_ID: u32 = 108;
    /// `u32 attach_btf_obj_fd`.
    pub const ATTACH_BTF_OBJ_FD: u32 = 112;
    /// `u32 core_relo_cnt`.
    pub const CORE_RELO_CNT: u32 = 116;
    /// `u64 fd_array`.
    pub const FD_ARRAY: u32 = 120;
    /// `u64 core_relos`.
    pub const CORE_RELOS: u32 = 128;
    /// `u32 core_relo_rec_size`.
    pub const CORE_RELO_REC_SIZE: u32 = 136;
}

/// A little-endian attr image under construction; `len` grows to the last field written.
#[derive(Debug, Default, Clone)]
pub struct Attr {
    bytes: Vec<u8>,
}

impl Attr {
    /// An attr that is at least `min` bytes long (fields the loader fills at run time).
    pub fn with_min(min: u32) -> Self {
        Attr {
            bytes: vec![0; min as usize],
        }
    }

    fn reserve(&mut self, end: usize) {
        if self.bytes.len() < end {
            self.bytes.resize(end, 0);
        }
    }

    /// Writes a `u32` field; zero values do not extend the attr.
    pub fn u32(&mut self, off: u32, v: u32) -> &mut Self {
        self.bytes_at(off, &v.to_le_bytes())
    }

    /// Writes a `u64` field; zero values do not extend the attr.
    pub fn u64(&mut self, off: u32, v: u64) -> &mut Self {
        self.bytes_at(off, &v.to_le_bytes())
    }

    /// Writes raw bytes (a name); all-zero bytes do not extend the attr.
    pub fn bytes_at(&mut self, off: u32, v: &[u8]) -> &mut Self {
        if v.iter().all(|b| *b == 0) {
            return self;
        }
        let start = off as usize;
        self.reserve(start + v.len());
        self.bytes[start..start + v.len()].copy_from_slice(v);
        self
    }

    /// Makes sure the attr covers a field of `size` bytes at `off` that is filled at run
    /// time.
    pub fn runtime_field(&mut self, off: u32, size: u32) -> &mut Self {
        self.reserve((off + size) as usize);
        self
    }

    /// The image, padded to a multiple of 4 bytes (`bpf_attr` fields are 4-byte units).
    pub fn finish(mut self) -> Vec<u8> {
        let len = self.bytes.len().div_ceil(4) * 4;
        self.bytes.resize(len, 0);
        self.bytes
    }
}

/// A kernel object name: at most 15 bytes and a NUL, in a 16-byte field.
pub fn object_name(name: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let n = name.len().min(15);
    out[..n].copy_from_slice(&name.as_bytes()[..n]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_to_last_nonzero_field() {
        let mut a = Attr::default();
        a.u32(0, 2).u32(4, 4).u32(48, 0);
        assert_eq!(a.clone().finish().len(), 8);
        a.runtime_field(48, 4);
        assert_eq!(a.finish().len(), 52);
        assert_eq!(&object_name("a_very_long_program_name")[15..], &[0]);
    }
}

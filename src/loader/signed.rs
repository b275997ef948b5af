//! The signed loader: what it adds to the unsigned one so that a signature over its
//! instructions covers its blob too, on kernels that verify the instructions only (Linux
//! 6.18 to 7.2), and what it refuses from the context.
//!
//! Step 0 compares the hash the kernel keeps of the loader map (the first member of its
//! `struct bpf_map`, `u8 sha[32]`, filled by `BPF_OBJ_GET_INFO_BY_FD` with `info.hash` once
//! the map is frozen) with the blob's hash compiled into the instructions; a mismatch fails
//! the run with `-EKEYREJECTED` before any other step (and before the error exit, which would
//! close the fds a changed blob's slots name), the errno a 7.3 kernel gives a
//! tampered blob at `BPF_PROG_LOAD`. The check reads the map through an `ld_imm64` of
//! `BPF_PSEUDO_MAP_IDX` 0, which the verifier types as the map's kernel structure and checks
//! against the kernel's BTF, so a kernel whose `struct bpf_map` lacks `sha` refuses the
//! loader instead of running it unchecked. The same instructions serve kernels that
//! verify instructions and blob (7.3 and later): there the check passes as well, since the
//! runtime hashes the map on every kernel.

use super::compile::{compile_with, Blob, Compiler};
use super::ctx;
use super::error::CompileError;
use super::insn::{self, AluOp, JmpOp, Reg, Size};
use crate::ir::{GlobalKind, ObjectSpec};
use crate::uapi::MapType;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// `EKEYREJECTED`: the blob is not the one the instructions were compiled with.
pub const EKEYREJECTED: i32 = 129;

/// Compiles `spec` into a loader meant to be signed: the unsigned loader's steps, plus the
/// blob hash check in step 0, and every knob refused that would change signed data.
///
/// # Errors
/// As [`super::compile`].
pub fn compile_signed(spec: &ObjectSpec) -> Result<Blob, CompileError> {
    compile_with(spec, true)
}

/// What a kernel scheme signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// The loader instructions alone (Linux 6.18 to 7.2).
    InsnsOnly,
    /// The loader instructions, then the metadata map's frozen value (Linux 7.3 and later).
    WithMetadata,
}

impl Scheme {
    /// Both schemes, in the order a runtime tries them.
    pub const ALL: [Scheme; 2] = [Scheme::WithMetadata, Scheme::InsnsOnly];

    /// The bytes this scheme signs for a loader of `insns` whose metadata map holds `data`.
    pub fn content(self, insns: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            Scheme::InsnsOnly => insns.to_vec(),
            Scheme::WithMetadata => [insns, data].concat(),
        }
    }

    /// The scheme's name in file names, summaries and plans: `insns_only`, `with_metadata`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::InsnsOnly => "insns_only",
            Scheme::WithMetadata => "with_metadata",
        }
    }

    /// The kernels that verify this scheme, for people.
    pub fn kernels(self) -> &'static str {
        match self {
            Scheme::InsnsOnly => "Linux 6.18 to 7.2",
            Scheme::WithMetadata => "Linux 7.3 and later",
        }
    }
}

/// The certificate that signed a loader, as summaries, plans and skeletons name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerId {
    /// The certificate's subject, RFC 4514 style (`CN=...`).
    pub subject: String,
    /// The subject key identifier, which names the signer inside each signature.
    pub key_id: Vec<u8>,
    /// The certificate's serial number, big-endian.
    pub serial: Vec<u8>,
    /// The key's algorithm: `RSA` or `ECDSA P-256`.
    pub algorithm: String,
}

/// What a signed skeleton carries besides its loader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoaderSignatures {
    /// Who signed.
    pub signer: SignerId,
    /// SHA-256 of the loader instructions: the metadata map's `excl_prog_hash`, which makes
    /// it usable by this loader only.
    pub excl_prog_hash: [u8; 32],
    /// SHA-256 of the metadata map's value as the kernel hashes it (`bpf_map_info.hash`).
    pub metadata_hash: [u8; 32],
    /// The signature for [`Scheme::InsnsOnly`] (detached CMS, DER).
    pub insns_only: Vec<u8>,
    /// The signature for [`Scheme::WithMetadata`] (detached CMS, DER).
    pub with_metadata: Vec<u8>,
}

impl LoaderSignatures {
    /// The signature for `scheme`.
    pub fn for_scheme(&self, scheme: Scheme) -> &[u8] {
        match scheme {
            Scheme::InsnsOnly => &self.insns_only,
            Scheme::WithMetadata => &self.with_metadata,
        }
    }

    /// The lines `--emit summary` and `--emit plan` print about the signature, each to go
    /// after `prefix` (`# ` in a plan).
    pub fn describe(&self, prefix: &str) -> Vec<String> {
        let s = &self.signer;
        let mut lines = vec![
            format!(
                "{prefix}signed by {} ({}), key id {}, serial {}",
                s.subject,
                s.algorithm,
                hex(&s.key_id),
                hex(&s.serial)
            ),
            format!(
                "{prefix}  excl_prog_hash (SHA-256 of the loader instructions) {}",
                hex(&self.excl_prog_hash)
            ),
            format!(
                "{prefix}  metadata hash (SHA-256 of the frozen loader map) {}",
                hex(&self.metadata_hash)
            ),
        ];
        for scheme in Scheme::ALL {
            let sig = self.for_scheme(scheme);
            lines.push(format!(
                "{prefix}  signature {} ({}): {} bytes, SHA-256 {}",
                scheme.as_str(),
                scheme.kernels(),
                sig.len(),
                hex(&sha256(sig))
            ));
        }
        lines
    }
}

/// `bytes` as lower-case hex, for summaries and messages.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The hash the kernel computes of an array map holding `data` as its one value: over the
/// value area, whose element size is the value size rounded up to 8 bytes (zeros past it).
pub fn metadata_hash(data: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(data);
    hasher.update(&[0u8; 8][..data.len().next_multiple_of(8) - data.len()]);
    hasher.finalize().into()
}

impl Compiler<'_> {
    /// Step 0 of a signed loader: `map[0]->sha` against the blob's hash, 8 bytes at a time.
    pub(super) fn metadata_check(&mut self) -> Result<(), CompileError> {
        // Nothing is added to the blob once the layout is made; `compile_with` checks that
        // the finished blob still has this hash.
        let hash = metadata_hash(&self.l.data.snapshot());
        self.metadata_hash = Some(hash);
        self.e.note(
            "step 0: the loader map's kernel hash (struct bpf_map.sha) against the blob's".into(),
        );
        let (bad, good) = (self.e.label(), self.e.label());
        for (i, word) in hash.chunks_exact(8).enumerate() {
            let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
            self.e.push(&insn::ld_map_idx(Reg::R1, 0));
            self.e
                .push(&[insn::ldx_mem(Size::DW, Reg::R2, Reg::R1, 8 * i as i16)]);
            self.e.push(&insn::ld_imm64(Reg::R3, word));
            self.e
                .push(&[insn::alu64_reg(AluOp::Sub, Reg::R2, Reg::R3)]);
            self.e.jmp_imm(JmpOp::Jne, Reg::R2, 0, bad);
        }
        self.e.ja(good);
        self.e.bind(bad);
        // Not through the error exit: it closes the fds in the blob's slots, and this blob
        // is not the signed one, so its slots could name any fd of the process.
        self.e.push(&[
            insn::mov64_imm(Reg::R0, -EKEYREJECTED),
            insn::st_mem(Size::W, Reg::R6, ctx::FAILED_STEP, 0),
            insn::stx_mem(Size::W, Reg::R6, Reg::R0, ctx::ERROR),
            insn::exit(),
        ]);
        self.e.bind(good);
        Ok(())
    }

    /// Whether the context may set map `i`'s `max_entries`: always unsigned; signed, only
    /// for a perf event array compiled with 0 entries (one per CPU of the target, which the
    /// object cannot know).
    pub(super) fn max_entries_is_knob(&self, i: usize) -> bool {
        let m = &self.spec.maps[i];
        !self.signed || (m.map_type == MapType::PerfEventArray && m.max_entries == 0)
    }

    /// Whether the context may replace map `i`'s initial image: always unsigned; signed,
    /// only for `.kconfig`, whose values come from the target's kernel.
    pub(super) fn initial_value_is_knob(&self, i: usize) -> bool {
        let kind = self.spec.maps[i].data.as_ref().map(|d| d.kind);
        !self.signed || kind == Some(GlobalKind::Kconfig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Insn;

    fn example(name: &str) -> ObjectSpec {
        let path = format!("{}/examples/bpf/{name}.bpf.o", env!("CARGO_MANIFEST_DIR"));
        crate::parse_object(&std::fs::read(&path).unwrap(), &path).unwrap()
    }

    /// The `ld_imm64` constants loaded into `r3`, in order.
    fn r3_constants(insns: &[u8]) -> Vec<u64> {
        let insns: Vec<Insn> = insns
            .chunks_exact(8)
            .map(|c| Insn(c.try_into().unwrap()))
            .collect();
        insns
            .windows(2)
            .filter(|w| w[0].0[0] == 0x18 && w[0].0[1] == 3)
            .map(|w| {
                let lo = u32::from_le_bytes(w[0].0[4..].try_into().unwrap());
                let hi = u32::from_le_bytes(w[1].0[4..].try_into().unwrap());
                u64::from(lo) | u64::from(hi) << 32
            })
            .collect()
    }

    #[test]
    fn the_blob_hash_is_compiled_into_step_0() {
        for name in ["minimal", "many", "tcpca"] {
            let spec = example(name);
            let blob = compile_signed(&spec).unwrap();
            let hash = metadata_hash(&blob.data);
            let words: Vec<u64> = hash
                .chunks_exact(8)
                .map(|w| u64::from_le_bytes(w.try_into().unwrap()))
                .collect();
            let found = r3_constants(&blob.insns);
            assert!(
                found.windows(4).any(|w| w == words),
                "{name}: hash not compiled in"
            );
            // The unsigned loader has the same blob and no hash check.
            let unsigned = super::super::compile(&spec).unwrap();
            assert_eq!(unsigned.data, blob.data, "{name}");
            assert!(!r3_constants(&unsigned.insns).windows(4).any(|w| w == words));
        }
    }

    #[test]
    fn the_signed_loader_is_deterministic() {
        let spec = example("minimal");
        assert_eq!(
            compile_signed(&spec).unwrap(),
            compile_signed(&spec).unwrap()
        );
    }
}

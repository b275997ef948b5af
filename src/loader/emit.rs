//! The loader program under construction: instructions with forward labels, blob accesses
//! through base registers, relays for jumps longer than 16 bits, and notes that tie
//! stretches of instructions to plan steps for the listing.
//!
//! Blob addressing: `r9` holds `&blob[0]` for the whole run, so a field in the first 32 KiB
//! of the blob is one load or store. Farther fields go through `r8`, which is moved (one
//! `ld_imm64`) only when the previous base is out of reach. Only the emitter moves `r8`
//! while steps run; the error exit reuses it once every step is over.

use super::error::CompileError;
use super::insn::{self, JmpOp, Reg, Size};
use crate::ir::Insn;

/// Comments for the listing: instruction index and text.
pub type Notes = Vec<(usize, String)>;

/// The register that holds `&blob[0]` for the whole run.
pub const BLOB: Reg = Reg::R9;
/// The movable base for blob fields beyond `BLOB`'s 16-bit reach.
pub const AUX: Reg = Reg::R8;

/// Instructions between relay islands. A conditional jump reaches 32767 instructions ahead;
/// the margin covers the longest stretch between two [`Emitter::safe_point`]s and the
/// island itself.
const ISLAND_SPACING: usize = 30_000;

/// The kernel's limit on the instructions of one program (`BPF_COMPLEXITY_LIMIT_INSNS`,
/// which is also the privileged `insn_cnt` limit).
pub const MAX_LOADER_INSNS: usize = 1_000_000;

/// A jump target, resolved when the program is finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label(usize);

/// The blob: the loader map's single value. Everything in it is 8-byte aligned.
#[derive(Debug, Default)]
pub struct Data {
    bytes: Vec<u8>,
}

impl Data {
    /// Appends `bytes` at the next 8-byte boundary and returns their offset.
    pub fn add(&mut self, bytes: &[u8]) -> Result<u32, CompileError> {
        let off = self.bytes.len().div_ceil(8) * 8;
        let end = off
            .checked_add(bytes.len())
            .filter(|e| *e <= i32::MAX as usize);
        let end = end.ok_or(CompileError::TooLarge {
            what: "loader data blob",
            size: (off as u64).saturating_add(bytes.len() as u64),
            limit: i32::MAX as u64,
        })?;
        self.bytes.resize(off, 0);
        self.bytes.extend_from_slice(bytes);
        debug_assert_eq!(self.bytes.len(), end);
        Ok(off as u32)
    }

    /// Appends `n` zero bytes.
    pub fn zeros(&mut self, n: usize) -> Result<u32, CompileError> {
        self.add(&vec![0; n])
    }

    /// Bytes so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The blob as [`Data::finish`] would return it now.
    pub fn snapshot(&self) -> Vec<u8> {
        Data {
            bytes: self.bytes.clone(),
        }
        .finish()
    }

    /// The finished blob, padded to 8 bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let len = self.bytes.len().div_ceil(8) * 8;
        self.bytes.resize(len.max(8), 0);
        self.bytes
    }
}

/// Instructions with labels, base registers and step notes.
#[derive(Debug, Default)]
pub struct Emitter {
    insns: Vec<Insn>,
    labels: Vec<Option<usize>>,
    fixups: Vec<(usize, Label)>,
    notes: Notes,
    /// Blob offset `AUX` points at, while known on every path to here.
    aux_base: Option<u32>,
    last_island: usize,
    /// The note of the stretch being emitted, repeated after a relay island.
    current: String,
}

impl Emitter {
    /// Appends instructions.
    pub fn push(&mut self, insns: &[Insn]) {
        self.insns.extend_from_slice(insns);
    }

    /// Number of instructions so far.
    pub fn len(&self) -> usize {
        self.insns.len()
    }

    /// A new, unplaced label.
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Places `l` at the next instruction. Paths meet here, so `AUX` is no longer known.
    pub fn bind(&mut self, l: Label) {
        self.labels[l.0] = Some(self.insns.len());
        self.aux_base = None;
    }

    /// A comment printed in the listing before the next instruction; it also names the
    /// stretch after a relay island.
    pub fn note(&mut self, text: String) {
        self.current.clone_from(&text);
        self.notes.push((self.insns.len(), text));
    }

    /// `if dst op imm goto l`.
    pub fn jmp_imm(&mut self, op: JmpOp, dst: Reg, imm: i32, l: Label) {
        self.fixups.push((self.insns.len(), l));
        self.insns.push(insn::jmp_imm(op, dst, imm, 0));
    }

    /// `goto l`.
    pub fn ja(&mut self, l: Label) {
        self.fixups.push((self.insns.len(), l));
        self.insns.push(insn::ja(0));
    }

    /// `dst = &blob[off]`.
    pub fn blob_addr(&mut self, dst: Reg, off: u32) {
        if dst == AUX {
            self.aux_base = None;
        }
        self.push(&insn::ld_map_value(dst, 0, off));
    }

    /// Base register and 16-bit offset that reach blob offset `off`.
    fn base(&mut self, off: u32) -> (Reg, i16) {
        if let Ok(o) = i16::try_from(off) {
            return (BLOB, o);
        }
        if let Some(b) = self.aux_base {
            if let Ok(o) = i16::try_from(i64::from(off) - i64::from(b)) {
                return (AUX, o);
            }
        }
        self.push(&insn::ld_map_value(AUX, 0, off));
        self.aux_base = Some(off);
        (AUX, 0)
    }

    /// `*(size *)&blob[off] = src`.
    pub fn store(&mut self, size: Size, off: u32, src: Reg) {
        let (base, o) = self.base(off);
        self.push(&[insn::stx_mem(size, base, src, o)]);
    }

    /// `*(size *)&blob[off] = imm`.
    pub fn store_imm(&mut self, size: Size, off: u32, imm: i32) {
        let (base, o) = self.base(off);
        self.push(&[insn::st_mem(size, base, o, imm)]);
    }

    /// `dst = *(size *)&blob[off]`.
    pub fn load(&mut self, size: Size, dst: Reg, off: u32) {
        let (base, o) = self.base(off);
        if dst == AUX {
            self.aux_base = None;
        }
        self.push(&[insn::ldx_mem(size, dst, base, o)]);
    }

    /// A point between complete sequences where a relay island may go: once the program
    /// has grown [`ISLAND_SPACING`] instructions since the last island, every pending
    /// forward jump is routed through a relay here, so no jump spans more than 16 bits.
    pub fn safe_point(&mut self) {
        if self.insns.len() - self.last_island < ISLAND_SPACING {
            return;
        }
        self.last_island = self.insns.len();
        let mut pending: Vec<Label> = Vec::new();
        for (_, l) in &self.fixups {
            if self.labels[l.0].is_none() && !pending.contains(l) {
                pending.push(*l);
            }
        }
        let Ok(skip) = i16::try_from(pending.len()) else {
            // Left to `finish`, which names the jump that does not fit.
            return;
        };
        if skip == 0 {
            return;
        }
        let resume = std::mem::take(&mut self.current);
        self.note("relays: far jumps continue from here".into());
        self.insns.push(insn::ja(skip));
        for l in pending {
            let at = self.insns.len();
            let relay = self.label();
            self.labels[relay.0] = Some(at);
            for f in self.fixups.iter_mut().filter(|f| f.1 == l) {
                f.1 = relay;
            }
            self.fixups.push((at, l));
            self.insns.push(insn::ja(0));
        }
        self.note(format!("{resume} (continued)"));
    }

    /// Resolves labels; returns the instructions and the notes.
    pub fn finish(mut self) -> Result<(Vec<Insn>, Notes), CompileError> {
        if self.insns.len() > MAX_LOADER_INSNS {
            return Err(CompileError::TooLarge {
                what: "loader program (instructions)",
                size: self.insns.len() as u64,
                limit: MAX_LOADER_INSNS as u64,
            });
        }
        for (at, l) in std::mem::take(&mut self.fixups) {
            let to = self.labels[l.0].ok_or(CompileError::JumpTooFar {
                from: at,
                to: usize::MAX,
            })?;
            let delta = to as i64 - (at as i64 + 1);
            let off =
                i16::try_from(delta).map_err(|_| CompileError::JumpTooFar { from: at, to })?;
            self.insns[at].set_off(off);
        }
        Ok((self.insns, self.notes))
    }
}

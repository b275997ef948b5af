//! The loader program under construction: instructions with forward labels, the data blob,
//! and notes that tie stretches of instructions to plan steps for the listing.

use super::error::CompileError;
use super::insn::{self, JmpOp, Reg, Size};
use crate::ir::Insn;

/// Comments for the listing: instruction index and text.
pub type Notes = Vec<(usize, String)>;

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

    /// The finished blob, padded to 8 bytes.
    pub fn finish(mut self) -> Vec<u8> {
        let len = self.bytes.len().div_ceil(8) * 8;
        self.bytes.resize(len.max(8), 0);
        self.bytes
    }
}

/// Instructions with labels and step notes.
#[derive(Debug, Default)]
pub struct Emitter {
    insns: Vec<Insn>,
    labels: Vec<Option<usize>>,
    fixups: Vec<(usize, Label)>,
    notes: Notes,
}

impl Emitter {
    /// Appends instructions.
    pub fn push(&mut self, insns: &[Insn]) {
        self.insns.extend_from_slice(insns);
    }

    /// A new, unplaced label.
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Places `l` at the next instruction.
    pub fn bind(&mut self, l: Label) {
        self.labels[l.0] = Some(self.insns.len());
    }

    /// A comment printed in the listing before the next instruction.
    pub fn note(&mut self, text: String) {
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
        self.push(&insn::ld_map_value(dst, 0, off));
    }

    /// `*(size *)&blob[off] = src`, addressing through `tmp`.
    pub fn store_blob(&mut self, size: Size, off: u32, src: Reg, tmp: Reg) {
        self.blob_addr(tmp, off);
        self.push(&[insn::stx_mem(size, tmp, src, 0)]);
    }

    /// `dst = *(size *)&blob[off]`.
    pub fn load_blob(&mut self, size: Size, dst: Reg, off: u32) {
        self.blob_addr(dst, off);
        self.push(&[insn::ldx_mem(size, dst, dst, 0)]);
    }

    /// `*(u64 *)&blob[at] = &blob[target]`: a blob address stored into an attr.
    pub fn store_blob_ptr(&mut self, at: u32, target: u32) {
        self.blob_addr(Reg::R2, target);
        self.store_blob(Size::DW, at, Reg::R2, Reg::R1);
    }

    /// Resolves labels; returns the instructions and the notes.
    pub fn finish(mut self) -> Result<(Vec<Insn>, Notes), CompileError> {
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

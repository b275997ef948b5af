//! Encoders for the BPF instructions the loader program is made of.
//!
//! Every constructor returns [`Insn`]s in **little-endian** layout: `dst_reg` in the low
//! nibble of byte 1, `src_reg` in the high nibble, `off` and `imm` little-endian. The loader
//! is only built for little-endian targets in this version; a big-endian target would need
//! the nibbles swapped and every multi-byte field byte-swapped.
//!
//! The opcode constants follow the Linux UAPI (`include/uapi/linux/bpf_common.h` and
//! `include/uapi/linux/bpf.h`); the disassembler in [`super::asm`] decodes with the same
//! constants.

use crate::ir::Insn;

pub use super::helpers::{
    BPF_FUNC_BTF_FIND_BY_NAME_KIND, BPF_FUNC_COPY_FROM_USER, BPF_FUNC_KALLSYMS_LOOKUP_NAME,
    BPF_FUNC_PROBE_READ_KERNEL, BPF_FUNC_SYS_BPF, BPF_FUNC_SYS_CLOSE,
};

/// Instruction class `BPF_LD` (only `ld_imm64` and the legacy packet loads).
pub const BPF_LD: u8 = 0x00;
/// Instruction class `BPF_LDX`: load from memory into a register.
pub const BPF_LDX: u8 = 0x01;
/// Instruction class `BPF_ST`: store an immediate to memory.
pub const BPF_ST: u8 = 0x02;
/// Instruction class `BPF_STX`: store a register to memory (and atomics).
pub const BPF_STX: u8 = 0x03;
/// Instruction class `BPF_ALU`: 32-bit arithmetic.
pub const BPF_ALU: u8 = 0x04;
/// Instruction class `BPF_JMP`: 64-bit compares, calls, exit.
pub const BPF_JMP: u8 = 0x05;
/// Instruction class `BPF_JMP32`: 32-bit compares and `gotol`.
pub const BPF_JMP32: u8 = 0x06;
/// Instruction class `BPF_ALU64`: 64-bit arithmetic.
pub const BPF_ALU64: u8 = 0x07;

/// Source operand `BPF_K`: the immediate.
pub const BPF_K: u8 = 0x00;
/// Source operand `BPF_X`: the source register.
pub const BPF_X: u8 = 0x08;

/// Mode `BPF_IMM` (with `BPF_LD | BPF_DW`: the two-slot `ld_imm64`).
pub const BPF_IMM: u8 = 0x00;
/// Mode `BPF_ABS`: legacy packet load at a constant offset.
pub const BPF_ABS: u8 = 0x20;
/// Mode `BPF_IND`: legacy packet load at a register offset.
pub const BPF_IND: u8 = 0x40;
/// Mode `BPF_MEM`: regular memory access.
pub const BPF_MEM: u8 = 0x60;
/// Mode `BPF_MEMSX`: sign-extending load (cpu v4).
pub const BPF_MEMSX: u8 = 0x80;
/// Mode `BPF_ATOMIC`: atomic read-modify-write (`imm` selects the operation).
pub const BPF_ATOMIC: u8 = 0xc0;

/// `BPF_ALU | BPF_END` / `BPF_ALU64 | BPF_END`: byte swaps.
pub const BPF_END: u8 = 0xd0;
/// Byte-swap direction bit of `BPF_ALU | BPF_END`: convert to big endian.
pub const BPF_TO_BE: u8 = 0x08;

/// Jump op `BPF_JA`: unconditional jump.
pub const BPF_JA: u8 = 0x00;
/// Jump op `BPF_CALL`: helper, bpf-to-bpf or kfunc call.
pub const BPF_CALL: u8 = 0x80;
/// Jump op `BPF_EXIT`: return `r0`.
pub const BPF_EXIT: u8 = 0x90;
/// Jump op `BPF_JCOND` (`may_goto`).
pub const BPF_JCOND: u8 = 0xe0;

/// Atomic op flag `BPF_FETCH`: also return the old value.
pub const BPF_FETCH: i32 = 0x01;
/// Atomic op `BPF_XCHG` (`0xe0 | BPF_FETCH`).
pub const BPF_XCHG: i32 = 0xe1;
/// Atomic op `BPF_CMPXCHG` (`0xf0 | BPF_FETCH`).
pub const BPF_CMPXCHG: i32 = 0xf1;
/// Atomic op `BPF_LOAD_ACQ`.
pub const BPF_LOAD_ACQ: i32 = 0x100;
/// Atomic op `BPF_STORE_REL`.
pub const BPF_STORE_REL: i32 = 0x110;

// The pseudo `src_reg` values are UAPI numbers; they live in `crate::uapi` and are
// re-exported here for code that builds instructions.
pub use crate::uapi::{
    BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD,
    BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE,
};

/// A BPF register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Reg {
    /// Return value of calls and of the program.
    R0 = 0,
    /// First argument.
    R1,
    /// Second argument.
    R2,
    /// Third argument.
    R3,
    /// Fourth argument.
    R4,
    /// Fifth argument.
    R5,
    /// Callee-saved.
    R6,
    /// Callee-saved.
    R7,
    /// Callee-saved.
    R8,
    /// Callee-saved.
    R9,
    /// Read-only frame pointer.
    R10,
}

/// Width of a memory access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Size {
    /// 8 bits (`BPF_B`).
    B = 0x10,
    /// 16 bits (`BPF_H`).
    H = 0x08,
    /// 32 bits (`BPF_W`).
    W = 0x00,
    /// 64 bits (`BPF_DW`).
    DW = 0x18,
}

/// Arithmetic operation (`BPF_OP` of the ALU classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AluOp {
    /// `dst += src`
    Add = 0x00,
    /// `dst -= src`
    Sub = 0x10,
    /// `dst *= src`
    Mul = 0x20,
    /// `dst /= src` (unsigned)
    Div = 0x30,
    /// `dst |= src`
    Or = 0x40,
    /// `dst &= src`
    And = 0x50,
    /// `dst <<= src`
    Lsh = 0x60,
    /// `dst >>= src` (logical)
    Rsh = 0x70,
    /// `dst = -dst`
    Neg = 0x80,
    /// `dst %= src` (unsigned)
    Mod = 0x90,
    /// `dst ^= src`
    Xor = 0xa0,
    /// `dst = src`
    Mov = 0xb0,
    /// `dst s>>= src` (arithmetic)
    Arsh = 0xc0,
}

/// Conditional jump operation (`BPF_OP` of the jump classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum JmpOp {
    /// `==`
    Jeq = 0x10,
    /// `>` unsigned
    Jgt = 0x20,
    /// `>=` unsigned
    Jge = 0x30,
    /// `&` (jump if any bit in common)
    Jset = 0x40,
    /// `!=`
    Jne = 0x50,
    /// `>` signed
    Jsgt = 0x60,
    /// `>=` signed
    Jsge = 0x70,
    /// `<` unsigned
    Jlt = 0xa0,
    /// `<=` unsigned
    Jle = 0xb0,
    /// `<` signed
    Jslt = 0xc0,
    /// `<=` signed
    Jsle = 0xd0,
}

/// Packs the five fields of an instruction (little-endian layout). Registers above 15 are
/// truncated to their low nibble.
pub fn encode(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    let [o0, o1] = off.to_le_bytes();
    let [i0, i1, i2, i3] = imm.to_le_bytes();
    Insn([code, (dst & 0x0f) | (src << 4), o0, o1, i0, i1, i2, i3])
}

/// `dst = imm` (64-bit, `imm` sign-extended).
pub fn mov64_imm(dst: Reg, imm: i32) -> Insn {
    alu64_imm(AluOp::Mov, dst, imm)
}

/// `wdst = imm`: a 32-bit move, which zero-extends into the upper half.
pub fn mov32_imm(dst: Reg, imm: i32) -> Insn {
    encode(BPF_ALU | AluOp::Mov as u8 | BPF_K, dst as u8, 0, 0, imm)
}

/// `dst = src` (64-bit).
pub fn mov64_reg(dst: Reg, src: Reg) -> Insn {
    alu64_reg(AluOp::Mov, dst, src)
}

/// `dst op= imm` (64-bit, `imm` sign-extended). For [`AluOp::Neg`] the immediate is ignored
/// by the kernel; pass 0.
pub fn alu64_imm(op: AluOp, dst: Reg, imm: i32) -> Insn {
    encode(BPF_ALU64 | op as u8 | BPF_K, dst as u8, 0, 0, imm)
}

/// `dst op= src` (64-bit).
pub fn alu64_reg(op: AluOp, dst: Reg, src: Reg) -> Insn {
    encode(BPF_ALU64 | op as u8 | BPF_X, dst as u8, src as u8, 0, 0)
}

/// `dst = imm ll`: the two-slot 64-bit immediate load (low half in the first slot).
pub fn ld_imm64(dst: Reg, imm: u64) -> [Insn; 2] {
    ld_imm64_raw(dst, 0, imm as u32 as i32, (imm >> 32) as u32 as i32)
}

/// `dst = &fd_array[map_idx]'s value + offset`: an `ld_imm64` with
/// `src_reg = BPF_PSEUDO_MAP_IDX_VALUE`, the `fd_array` index in the first slot's `imm` and
/// the byte offset into the map value in the second slot's `imm`. The verifier replaces it
/// with the kernel address of the value.
pub fn ld_map_value(dst: Reg, map_idx: u32, offset: u32) -> [Insn; 2] {
    ld_imm64_raw(dst, BPF_PSEUDO_MAP_IDX_VALUE, map_idx as i32, offset as i32)
}

/// `dst = map at fd_array[idx]`: an `ld_imm64` with `src_reg = BPF_PSEUDO_MAP_IDX`.
pub fn ld_map_idx(dst: Reg, idx: u32) -> [Insn; 2] {
    ld_imm64_raw(dst, BPF_PSEUDO_MAP_IDX, idx as i32, 0)
}

/// An `ld_imm64` pair with an explicit `src_reg` (pseudo kind) and both immediates.
pub fn ld_imm64_raw(dst: Reg, src: u8, imm_lo: i32, imm_hi: i32) -> [Insn; 2] {
    [
        encode(BPF_LD | Size::DW as u8 | BPF_IMM, dst as u8, src, 0, imm_lo),
        encode(0, 0, 0, 0, imm_hi),
    ]
}

/// `dst = *(size *)(src + off)` (zero-extending).
pub fn ldx_mem(size: Size, dst: Reg, src: Reg, off: i16) -> Insn {
    encode(BPF_LDX | size as u8 | BPF_MEM, dst as u8, src as u8, off, 0)
}

/// `*(size *)(dst + off) = src`.
pub fn stx_mem(size: Size, dst: Reg, src: Reg, off: i16) -> Insn {
    encode(BPF_STX | size as u8 | BPF_MEM, dst as u8, src as u8, off, 0)
}

/// `*(size *)(dst + off) = imm` (`imm` sign-extended for [`Size::DW`]).
pub fn st_mem(size: Size, dst: Reg, off: i16, imm: i32) -> Insn {
    encode(BPF_ST | size as u8 | BPF_MEM, dst as u8, 0, off, imm)
}

/// `if dst op imm goto pc+off` (64-bit compare, `imm` sign-extended).
pub fn jmp_imm(op: JmpOp, dst: Reg, imm: i32, off: i16) -> Insn {
    encode(BPF_JMP | op as u8 | BPF_K, dst as u8, 0, off, imm)
}

/// `if dst op src goto pc+off` (64-bit compare).
pub fn jmp_reg(op: JmpOp, dst: Reg, src: Reg, off: i16) -> Insn {
    encode(BPF_JMP | op as u8 | BPF_X, dst as u8, src as u8, off, 0)
}

/// `goto pc+off`: `off` counts instruction slots from the next instruction.
pub fn ja(off: i16) -> Insn {
    encode(BPF_JMP | BPF_JA, 0, 0, off, 0)
}

/// `call id`: calls helper `id` (`enum bpf_func_id`), arguments in `r1..r5`, result in `r0`.
pub fn call_helper(id: u32) -> Insn {
    encode(BPF_JMP | BPF_CALL, 0, 0, 0, id as i32)
}

/// `exit`: returns `r0`.
pub fn exit() -> Insn {
    encode(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Reg::*;

    /// Parses the space-separated hex bytes `llvm-objdump -d` prints.
    fn bytes(text: &str) -> Vec<u8> {
        text.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    fn check(insns: &[Insn], expected: &str) {
        let got: Vec<u8> = insns.iter().flat_map(|i| i.0).collect();
        assert_eq!(got, bytes(expected), "{expected}");
    }

    // Expected bytes are those clang-19 (-target bpf -mcpu=v3) emits for the inline assembly
    // quoted in each comment.
    #[test]
    fn alu() {
        check(&[mov64_imm(R3, 0)], "b7 03 00 00 00 00 00 00"); // r3 = 0
        check(&[mov64_imm(R9, -7)], "b7 09 00 00 f9 ff ff ff"); // r9 = -7
        check(&[mov64_reg(R6, R1)], "bf 16 00 00 00 00 00 00"); // r6 = r1
        check(&[mov32_imm(R1, -1)], "b4 01 00 00 ff ff ff ff"); // w1 = -1
        check(&[mov64_reg(R1, R10)], "bf a1 00 00 00 00 00 00"); // r1 = r10
        check(
            &[alu64_imm(AluOp::Add, R1, -136)],
            "07 01 00 00 78 ff ff ff",
        ); // r1 += -136
        check(
            &[alu64_imm(AluOp::And, R7, 0xffff)],
            "57 07 00 00 ff ff 00 00",
        ); // r7 &= 0xffff
        check(&[alu64_imm(AluOp::Arsh, R2, 32)], "c7 02 00 00 20 00 00 00"); // r2 s>>= 32
        check(&[alu64_imm(AluOp::Neg, R4, 0)], "87 04 00 00 00 00 00 00"); // r4 = -r4
        check(&[alu64_reg(AluOp::Sub, R1, R2)], "1f 21 00 00 00 00 00 00"); // r1 -= r2
        check(&[alu64_imm(AluOp::Mod, R1, 7)], "97 01 00 00 07 00 00 00"); // r1 %= 7
    }

    #[test]
    fn wide_loads() {
        // r3 = 0x123456789abcdef0 ll
        check(
            &ld_imm64(R3, 0x1234_5678_9abc_def0),
            "18 03 00 00 f0 de bc 9a 00 00 00 00 78 56 34 12",
        );
        // r1 = -1 ll
        check(
            &ld_imm64(R1, u64::MAX),
            "18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff",
        );
        // The pseudo forms only differ in src_reg (UAPI: MAP_IDX = 5, MAP_IDX_VALUE = 6).
        check(
            &ld_map_value(R1, 0, 0x510),
            "18 61 00 00 00 00 00 00 00 00 00 00 10 05 00 00",
        );
        check(
            &ld_map_idx(R2, 3),
            "18 52 00 00 03 00 00 00 00 00 00 00 00 00 00 00",
        );
    }

    #[test]
    fn memory() {
        check(&[ldx_mem(Size::DW, R1, R10, -8)], "79 a1 f8 ff 00 00 00 00");
        check(&[ldx_mem(Size::W, R2, R6, 4)], "61 62 04 00 00 00 00 00");
        check(
            &[ldx_mem(Size::B, R5, R9, 0x7fff)],
            "71 95 ff 7f 00 00 00 00",
        );
        check(
            &[ldx_mem(Size::H, R0, R8, -0x8000)],
            "69 80 00 80 00 00 00 00",
        );
        check(
            &[stx_mem(Size::DW, R10, R7, -136)],
            "7b 7a 78 ff 00 00 00 00",
        );
        check(&[stx_mem(Size::W, R6, R0, 0)], "63 06 00 00 00 00 00 00");
        check(&[stx_mem(Size::B, R1, R2, 3)], "73 21 03 00 00 00 00 00");
        check(&[st_mem(Size::DW, R10, -16, -1)], "7a 0a f0 ff ff ff ff ff");
        check(&[st_mem(Size::W, R2, 12, 5)], "62 02 0c 00 05 00 00 00");
        check(&[st_mem(Size::H, R2, 2, 0x1234)], "6a 02 02 00 34 12 00 00");
    }

    #[test]
    fn jumps_and_calls() {
        check(
            &[jmp_imm(JmpOp::Jslt, R7, 0, 1234)],
            "c5 07 d2 04 00 00 00 00",
        );
        check(
            &[jmp_imm(JmpOp::Jne, R1, 0x7fff_ffff, -3)],
            "55 01 fd ff ff ff ff 7f",
        );
        check(&[jmp_imm(JmpOp::Jset, R0, 4, 0)], "45 00 00 00 04 00 00 00");
        check(&[jmp_reg(JmpOp::Jgt, R1, R2, 9)], "2d 21 09 00 00 00 00 00");
        check(
            &[jmp_reg(JmpOp::Jsle, R3, R4, i16::MIN)],
            "dd 43 00 80 00 00 00 00",
        );
        check(&[ja(i16::MAX)], "05 00 ff 7f 00 00 00 00");
        check(&[ja(-1)], "05 00 ff ff 00 00 00 00");
        check(&[call_helper(BPF_FUNC_SYS_BPF)], "85 00 00 00 a6 00 00 00"); // call 166
        check(
            &[call_helper(BPF_FUNC_SYS_CLOSE)],
            "85 00 00 00 a8 00 00 00",
        ); // call 168
        check(&[exit()], "95 00 00 00 00 00 00 00");
    }

    #[test]
    fn fields_round_trip() {
        let i = encode(0xbf, 10, 15, -2, i32::MIN);
        assert_eq!(
            (i.code(), i.dst(), i.src(), i.off(), i.imm()),
            (0xbf, 10, 15, -2, i32::MIN)
        );
    }
}

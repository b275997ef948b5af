//! A BPF disassembler printing the syntax of `llvm-objdump -d --mcpu=v4` (LLVM 19).
//!
//! Conventions (little-endian instructions only, like the rest of [`super`]):
//!
//! * One string per instruction **slot**: the second half of an `ld_imm64` yields an empty
//!   string, so index `i` of the output always describes `insns[i]` and jump targets can be
//!   read off the slot numbers.
//! * Plain instructions print exactly as `llvm-objdump-19 -d --mcpu=v4 --no-show-raw-insn`
//!   prints them, minus its `<symbol+offset>` suffix after jump targets. With `--mcpu=v3`
//!   or `v4` llvm-objdump names 32-bit loads, stores and atomics with `w` registers
//!   (`w1 = *(u32 *)(r6 + 0x4)`); without `--mcpu` it prints `r1` and fails to decode the
//!   32-bit fetch atomics, so the `--mcpu` form is the one followed here.
//! * Immediates and offsets are signed hexadecimal (`r1 += -0x88`, `goto -0x2`); the 64-bit
//!   immediate of `ld_imm64` is printed as a signed 64-bit value (`r1 = -0x1 ll`).
//! * Forms LLVM 19 prints differently or not at all, spelt here as follows:
//!   - pseudo `ld_imm64` (LLVM: `ld_pseudo r1, 0x6, 0x3`): `r1 = map[fd:3] ll`,
//!     `r1 = map[fd:3]+0x10 ll`, `r1 = map[idx:3] ll`, `r1 = map[idx:3]+0x10 ll`,
//!     `r1 = btf_id 42 ll` (`r1 = btf_id 42 fd 5 ll` with a module BTF fd),
//!     `r1 = func +0x5 ll` (relative like a call); ids, fds and indices are decimal;
//!   - bpf-to-bpf calls (`src_reg = 1`, LLVM: `call 0x5`): `call pc+0x5`;
//!   - kfunc calls (`src_reg = 2`): `call kfunc#77`, or `call kfunc#77 off:64` when `off`
//!     selects a module BTF in `fd_array`;
//!   - `BPF_LOAD_ACQ` / `BPF_STORE_REL` (LLVM 20 syntax, LLVM 19 mis-decodes them):
//!     `r0 = load_acquire((u64 *)(r1 + 0x0))`, `store_release((u16 *)(r1 + 0x0), w2)`;
//!   - legacy `BPF_IND` packet loads show a non-zero immediate: `r0 = *(u8 *)skb[r1 + 0x5]`.
//! * Anything that does not decode prints as `.insn 0x` followed by the eight bytes in memory
//!   order (the same hex string the IR serialises), for instance `.insn 0xff00000000000000`.
//!   That covers unknown opcodes, registers above `r10`, byte-swap widths other than
//!   16/32/64, unknown atomic operations, unknown pseudo `src_reg` values and an `ld_imm64`
//!   missing its second slot. Validation stops at the opcode level: fields an instruction
//!   does not use are not checked (as in llvm-objdump), so `.insn` is not a verifier verdict.
//!
//! [`disassemble_annotated`] additionally names helpers (`call bpf_sys_bpf#166`) and appends
//! the absolute target slot to jumps, calls and `func` loads (`goto +0x3 <34>`).
//! Neither function panics, whatever the input.

use super::helpers::helper_name;
use super::insn::*;
use crate::ir::Insn;
use std::fmt::Write as _;

/// Disassembles `insns`, one string per instruction slot (see the module documentation).
pub fn disassemble(insns: &[Insn]) -> Vec<String> {
    render(insns, false)
}

/// Like [`disassemble`], with helper names on calls and `<slot>` targets on jumps.
pub fn disassemble_annotated(insns: &[Insn]) -> Vec<String> {
    render(insns, true)
}

/// Per-instruction context: its slot index and whether to annotate.
#[derive(Clone, Copy)]
struct Ctx {
    slot: usize,
    annotate: bool,
}

impl Ctx {
    /// ` <N>` for a target `delta` slots after the next instruction, when annotating.
    fn target(self, delta: i64) -> String {
        if self.annotate {
            format!(" <{}>", self.slot as i64 + 1 + delta)
        } else {
            String::new()
        }
    }
}

fn render(insns: &[Insn], annotate: bool) -> Vec<String> {
    let mut out = Vec::with_capacity(insns.len());
    let mut slot = 0;
    while slot < insns.len() {
        let insn = insns[slot];
        let ctx = Ctx { slot, annotate };
        if insn.code() == BPF_LD | Size::DW as u8 | BPF_IMM {
            if let Some(next) = insns.get(slot + 1) {
                out.push(wide_load(insn, *next, ctx).unwrap_or_else(|| raw(insn)));
                out.push(String::new());
                slot += 2;
                continue;
            }
        }
        out.push(one(insn, ctx).unwrap_or_else(|| raw(insn)));
        slot += 1;
    }
    out
}

/// The fallback spelling: `.insn 0x` and the eight bytes in memory order.
fn raw(insn: Insn) -> String {
    let mut s = String::from(".insn 0x");
    for b in insn.0 {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn one(insn: Insn, ctx: Ctx) -> Option<String> {
    match insn.code() & 0x07 {
        BPF_LD => ld_packet(insn),
        BPF_LDX => ldx(insn),
        BPF_ST => st(insn),
        BPF_STX => stx(insn),
        BPF_ALU => alu(insn, false),
        BPF_ALU64 => alu(insn, true),
        BPF_JMP => jmp(insn, true, ctx),
        _ => jmp(insn, false, ctx), // BPF_JMP32
    }
}

/// `r3` / `w3`; `None` for numbers above 10.
fn reg(n: u8, wide: bool) -> Option<String> {
    (n <= 10).then(|| format!("{}{n}", if wide { 'r' } else { 'w' }))
}

/// Signed hexadecimal: `0x10`, `-0x8`.
fn hex(v: i64) -> String {
    if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("{v:#x}")
    }
}

/// A relative offset with explicit sign: `+0x3`, `-0x2`, `+0x0`.
fn rel(v: i64) -> String {
    if v < 0 {
        hex(v)
    } else {
        format!("+{}", hex(v))
    }
}

/// `r10 - 0x8`, `r1 + 0x0`.
fn addr(base: u8, off: i16) -> Option<String> {
    let sign = if off < 0 { '-' } else { '+' };
    Some(format!(
        "{} {sign} {:#x}",
        reg(base, true)?,
        off.unsigned_abs()
    ))
}

/// The width name of a load/store and whether it is 64-bit.
fn width(code: u8) -> (&'static str, bool) {
    match code & 0x18 {
        0x00 => ("32", false),
        0x08 => ("16", false),
        0x10 => ("8", false),
        _ => ("64", true),
    }
}

fn ld_packet(insn: Insn) -> Option<String> {
    let (bits, wide) = width(insn.code());
    if wide {
        return None;
    }
    let index = match insn.code() & 0xe0 {
        BPF_ABS => hex(insn.imm().into()),
        BPF_IND if insn.imm() == 0 => reg(insn.src(), true)?,
        BPF_IND => format!("{} + {}", reg(insn.src(), true)?, hex(insn.imm().into())),
        _ => return None,
    };
    Some(format!("r0 = *(u{bits} *)skb[{index}]"))
}

fn ldx(insn: Insn) -> Option<String> {
    let (bits, wide) = width(insn.code());
    let src = addr(insn.src(), insn.off())?;
    match insn.code() & 0xe0 {
        BPF_MEM => Some(format!("{} = *(u{bits} *)({src})", reg(insn.dst(), wide)?)),
        BPF_MEMSX if !wide => Some(format!("{} = *(s{bits} *)({src})", reg(insn.dst(), true)?)),
        _ => None,
    }
}

fn st(insn: Insn) -> Option<String> {
    let (bits, _) = width(insn.code());
    if insn.code() & 0xe0 != BPF_MEM {
        return None;
    }
    let dst = addr(insn.dst(), insn.off())?;
    Some(format!("*(u{bits} *)({dst}) = {}", hex(insn.imm().into())))
}

fn stx(insn: Insn) -> Option<String> {
    let (bits, wide) = width(insn.code());
    let dst = addr(insn.dst(), insn.off())?;
    match insn.code() & 0xe0 {
        BPF_MEM => Some(format!("*(u{bits} *)({dst}) = {}", reg(insn.src(), wide)?)),
        BPF_ATOMIC => atomic(insn, bits, wide, &dst),
        _ => None,
    }
}

fn atomic(insn: Insn, bits: &str, wide: bool, dst: &str) -> Option<String> {
    let src = reg(insn.src(), wide)?;
    let imm = insn.imm();
    match imm {
        BPF_LOAD_ACQ => {
            let from = addr(insn.src(), insn.off())?;
            let to = reg(insn.dst(), wide)?;
            return Some(format!("{to} = load_acquire((u{bits} *)({from}))"));
        }
        BPF_STORE_REL => return Some(format!("store_release((u{bits} *)({dst}), {src})")),
        _ if bits != "32" && !wide => return None,
        BPF_XCHG if wide => return Some(format!("{src} = xchg_64({dst}, {src})")),
        BPF_XCHG => return Some(format!("{src} = xchg32_32({dst}, {src})")),
        BPF_CMPXCHG if wide => return Some(format!("r0 = cmpxchg_64({dst}, r0, {src})")),
        BPF_CMPXCHG => return Some(format!("w0 = cmpxchg32_32({dst}, w0, {src})")),
        _ => {}
    }
    let (name, op) = match imm & !BPF_FETCH {
        0x00 => ("add", "+="),
        0x40 => ("or", "|="),
        0x50 => ("and", "&="),
        0xa0 => ("xor", "^="),
        _ => return None,
    };
    Some(if imm & BPF_FETCH != 0 {
        format!("{src} = atomic_fetch_{name}((u{bits} *)({dst}), {src})")
    } else {
        format!("lock *(u{bits} *)({dst}) {op} {src}")
    })
}

fn alu(insn: Insn, wide: bool) -> Option<String> {
    let code = insn.code();
    let op = code & 0xf0;
    let by_reg = code & BPF_X != 0;
    if op == BPF_END {
        return byte_swap(insn, wide);
    }
    let dst = reg(insn.dst(), wide)?;
    let src = if by_reg {
        reg(insn.src(), wide)?
    } else {
        hex(insn.imm().into())
    };
    let signed = match (op, insn.off()) {
        (0x30 | 0x90, 0) => false,
        (0x30 | 0x90, 1) => true,
        (0x30 | 0x90, _) => return None,
        _ => false,
    };
    let sym = match op {
        0x00 => "+=",
        0x10 => "-=",
        0x20 => "*=",
        0x30 if signed => "s/=",
        0x30 => "/=",
        0x40 => "|=",
        0x50 => "&=",
        0x60 => "<<=",
        0x70 => ">>=",
        0x80 if by_reg => return None,
        0x80 => return Some(format!("{dst} = -{dst}")),
        0x90 if signed => "s%=",
        0x90 => "%=",
        0xa0 => "^=",
        0xb0 => return mov(insn, wide, by_reg, &dst, &src),
        0xc0 => "s>>=",
        _ => return None,
    };
    Some(format!("{dst} {sym} {src}"))
}

fn mov(insn: Insn, wide: bool, by_reg: bool, dst: &str, src: &str) -> Option<String> {
    match (by_reg, insn.off()) {
        (_, 0) => Some(format!("{dst} = {src}")),
        (true, 8 | 16) => Some(format!("{dst} = (s{}){src}", insn.off())),
        (true, 32) if wide => Some(format!("{dst} = (s32){src}")),
        (true, 1) if wide => {
            let imm = insn.imm() as u32;
            let (to, from) = (hex((imm >> 16).into()), hex((imm & 0xffff).into()));
            Some(format!("{dst} = addr_space_cast({src}, {to}, {from})"))
        }
        _ => None,
    }
}

fn byte_swap(insn: Insn, wide: bool) -> Option<String> {
    let kind = match (wide, insn.code() & BPF_TO_BE != 0) {
        (false, false) => "le",
        (false, true) => "be",
        (true, false) => "bswap",
        (true, true) => return None,
    };
    let bits = insn.imm();
    if !matches!(bits, 16 | 32 | 64) {
        return None;
    }
    let dst = reg(insn.dst(), true)?;
    Some(format!("{dst} = {kind}{bits} {dst}"))
}

fn jmp(insn: Insn, wide: bool, ctx: Ctx) -> Option<String> {
    let code = insn.code();
    let by_reg = code & BPF_X != 0;
    let off = i64::from(insn.off());
    let sym = match (code & 0xf0, by_reg, wide) {
        (BPF_JA, false, true) => return Some(format!("goto {}{}", rel(off), ctx.target(off))),
        (BPF_JA, false, false) => {
            let imm = i64::from(insn.imm());
            return Some(format!("gotol {}{}", rel(imm), ctx.target(imm)));
        }
        (BPF_CALL, false, true) => return call(insn, ctx),
        (BPF_CALL, true, true) => return Some(format!("callx {}", reg(insn.dst(), true)?)),
        (BPF_EXIT, false, true) => return Some("exit".into()),
        (BPF_JCOND, false, true) if insn.src() == 0 => {
            return Some(format!("may_goto {}{}", rel(off), ctx.target(off)))
        }
        (0x10, ..) => "==",
        (0x20, ..) => ">",
        (0x30, ..) => ">=",
        (0x40, ..) => "&",
        (0x50, ..) => "!=",
        (0x60, ..) => "s>",
        (0x70, ..) => "s>=",
        (0xa0, ..) => "<",
        (0xb0, ..) => "<=",
        (0xc0, ..) => "s<",
        (0xd0, ..) => "s<=",
        _ => return None,
    };
    let dst = reg(insn.dst(), wide)?;
    let src = if by_reg {
        reg(insn.src(), wide)?
    } else {
        hex(insn.imm().into())
    };
    Some(format!(
        "if {dst} {sym} {src} goto {}{}",
        rel(off),
        ctx.target(off)
    ))
}

fn call(insn: Insn, ctx: Ctx) -> Option<String> {
    let imm = insn.imm();
    match insn.src() {
        0 => match helper_name(imm as u32).filter(|_| ctx.annotate && imm > 0) {
            Some(name) => Some(format!("call bpf_{name}#{imm}")),
            None => Some(format!("call {}", hex(imm.into()))),
        },
        BPF_PSEUDO_CALL => {
            let delta = i64::from(imm);
            Some(format!("call pc{}{}", rel(delta), ctx.target(delta)))
        }
        BPF_PSEUDO_KFUNC_CALL if insn.off() == 0 => Some(format!("call kfunc#{imm}")),
        BPF_PSEUDO_KFUNC_CALL => Some(format!("call kfunc#{imm} off:{}", insn.off())),
        _ => None,
    }
}

fn wide_load(first: Insn, second: Insn, ctx: Ctx) -> Option<String> {
    let dst = reg(first.dst(), true)?;
    let (lo, hi) = (first.imm(), second.imm());
    let value = match first.src() {
        0 => hex(((hi as u32 as u64) << 32 | lo as u32 as u64) as i64),
        BPF_PSEUDO_MAP_FD => format!("map[fd:{lo}]"),
        BPF_PSEUDO_MAP_VALUE => format!("map[fd:{lo}]{}", rel(hi.into())),
        BPF_PSEUDO_MAP_IDX => format!("map[idx:{lo}]"),
        BPF_PSEUDO_MAP_IDX_VALUE => format!("map[idx:{lo}]{}", rel(hi.into())),
        BPF_PSEUDO_BTF_ID if hi == 0 => format!("btf_id {lo}"),
        BPF_PSEUDO_BTF_ID => format!("btf_id {lo} fd {hi}"),
        BPF_PSEUDO_FUNC => {
            let delta = i64::from(lo);
            format!("func {} ll{}", rel(delta), ctx.target(delta))
        }
        _ => return None,
    };
    if first.src() == BPF_PSEUDO_FUNC {
        return Some(format!("{dst} = {value}"));
    }
    Some(format!("{dst} = {value} ll"))
}

#[cfg(test)]
mod tests;

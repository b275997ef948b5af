//! Tests of the disassembler, including a line-by-line comparison with llvm-objdump-19.

use super::*;
use crate::loader::insn::Reg::*;

fn dis(insns: &[Insn]) -> Vec<String> {
    disassemble(insns)
}

#[test]
fn pseudo_loads() {
    let pair = |src, lo, hi| ld_imm64_raw(R1, src, lo, hi);
    assert_eq!(
        dis(&ld_map_value(R1, 3, 16)),
        ["r1 = map[idx:3]+0x10 ll", ""]
    );
    assert_eq!(dis(&ld_map_idx(R2, 0)), ["r2 = map[idx:0] ll", ""]);
    assert_eq!(dis(&pair(BPF_PSEUDO_MAP_FD, 7, 0))[0], "r1 = map[fd:7] ll");
    assert_eq!(
        dis(&pair(BPF_PSEUDO_MAP_VALUE, 7, 8))[0],
        "r1 = map[fd:7]+0x8 ll"
    );
    assert_eq!(dis(&pair(BPF_PSEUDO_BTF_ID, 42, 0))[0], "r1 = btf_id 42 ll");
    assert_eq!(
        dis(&pair(BPF_PSEUDO_BTF_ID, 42, 5))[0],
        "r1 = btf_id 42 fd 5 ll"
    );
    assert_eq!(dis(&pair(BPF_PSEUDO_FUNC, 5, 0))[0], "r1 = func +0x5 ll");
    assert_eq!(
        disassemble_annotated(&pair(BPF_PSEUDO_FUNC, 5, 0))[0],
        "r1 = func +0x5 ll <6>"
    );
    assert_eq!(dis(&pair(7, 1, 0))[0], ".insn 0x1871000001000000");
    assert_eq!(
        dis(&ld_imm64(R3, 1 << 63))[0],
        "r3 = -0x8000000000000000 ll"
    );
}

#[test]
fn calls() {
    let call = |src, off, imm| [encode(BPF_JMP | BPF_CALL, 0, src, off, imm)];
    assert_eq!(dis(&call(BPF_PSEUDO_CALL, 0, 9)), ["call pc+0x9"]);
    assert_eq!(dis(&call(BPF_PSEUDO_CALL, 0, -4)), ["call pc-0x4"]);
    assert_eq!(dis(&call(BPF_PSEUDO_KFUNC_CALL, 0, 77)), ["call kfunc#77"]);
    assert_eq!(
        dis(&call(BPF_PSEUDO_KFUNC_CALL, 64, 77)),
        ["call kfunc#77 off:64"]
    );
    assert_eq!(dis(&call(3, 0, 1))[0], ".insn 0x8530000001000000");
    assert_eq!(dis(&[call_helper(BPF_FUNC_SYS_BPF)]), ["call 0xa6"]);
    let annotated = disassemble_annotated(&[
        call_helper(BPF_FUNC_SYS_BPF),
        call_helper(999),
        call(BPF_PSEUDO_CALL, 0, -2)[0],
        jmp_imm(JmpOp::Jslt, R7, 0, 2),
        ja(-4),
    ]);
    let expected = [
        "call bpf_sys_bpf#166",
        "call 0x3e7",
        "call pc-0x2 <1>",
        "if r7 s< 0x0 goto +0x2 <6>",
        "goto -0x4 <1>",
    ];
    assert_eq!(annotated, expected);
}

#[test]
fn load_acquire_store_release() {
    let atomic =
        |size: Size, dst, src, imm| [encode(BPF_STX | size as u8 | BPF_ATOMIC, dst, src, 0, imm)];
    let load = atomic(Size::DW, 0, 1, BPF_LOAD_ACQ);
    assert_eq!(dis(&load), ["r0 = load_acquire((u64 *)(r1 + 0x0))"]);
    let load8 = atomic(Size::B, 0, 1, BPF_LOAD_ACQ);
    assert_eq!(dis(&load8), ["w0 = load_acquire((u8 *)(r1 + 0x0))"]);
    let store = atomic(Size::H, 1, 2, BPF_STORE_REL);
    assert_eq!(dis(&store), ["store_release((u16 *)(r1 + 0x0), w2)"]);
    assert_eq!(
        dis(&atomic(Size::B, 1, 2, 0))[0],
        ".insn 0xd321000000000000"
    );
}

#[test]
fn invalid_forms() {
    let bad = [
        Insn([0xff, 0, 0, 0, 0, 0, 0, 0]),
        encode(0x07, 11, 0, 0, 1),   // r11 += 1
        encode(0xd4, 1, 0, 0, 17),   // le17
        encode(0xdf, 1, 0, 0, 16),   // bswap with the BE bit
        encode(0xbf, 1, 2, 7, 0),    // movsx of 7 bits
        encode(0x3f, 1, 2, 2, 0),    // div with off 2
        encode(0xdb, 1, 2, 0, 0x02), // unknown atomic op
        encode(0x18, 1, 0, 0, 0),    // ld_imm64 without its second slot
    ];
    for insn in bad {
        assert!(dis(&[insn])[0].starts_with(".insn 0x"), "{insn:?}");
    }
    assert_eq!(dis(&[]), Vec::<String>::new());
}

#[test]
fn never_panics() {
    // Every opcode with a spread of register, offset and immediate values.
    let fields = [
        (0, 0, 0),
        (1, 0x22, 1),
        (-1, 0xab, -1),
        (8, 0x1a, 16),
        (32, 0xf0, 0x100),
    ];
    for code in 0..=255u8 {
        for &(off, regs, imm) in &fields {
            let insn = encode(code, regs & 0xf, regs >> 4, off, imm);
            let out = disassemble_annotated(&[insn, insn, insn]);
            assert_eq!(out.len(), 3);
            let _ = disassemble(&[insn]);
        }
    }
}

/// Compiles `COMPARE_C` with clang-19 and checks every line against llvm-objdump-19.
#[test]
fn matches_llvm_objdump() {
    let dir = std::env::temp_dir().join(format!("skelgen-asm-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let src = dir.join("kinds.c");
    std::fs::write(&src, COMPARE_C).unwrap();
    for cpu in ["v3", "v4"] {
        let obj = dir.join(format!("kinds-{cpu}.o"));
        let Some(listing) = compile_and_dump(&src, &obj, cpu) else {
            let _ = std::fs::remove_dir_all(&dir);
            return;
        };
        let data = std::fs::read(&obj).unwrap();
        let ours = dis(&text_insns(&data));
        let mut compared = 0;
        for (slot, theirs) in listing {
            assert_eq!(ours.get(slot), Some(&theirs), "-mcpu={cpu}, slot {slot}");
            compared += 1;
        }
        assert!(compared > 100, "only {compared} instructions compared");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the tools; `None` (after saying why) when they are missing.
fn compile_and_dump(
    src: &std::path::Path,
    obj: &std::path::Path,
    cpu: &str,
) -> Option<Vec<(usize, String)>> {
    use std::process::Command;
    let clang = Command::new("clang-19")
        .args(["-O2", "-target", "bpf", &format!("-mcpu={cpu}"), "-c"])
        .arg(src)
        .arg("-o")
        .arg(obj)
        .status();
    match clang {
        Ok(status) => assert!(status.success(), "clang-19 failed"),
        Err(e) => {
            eprintln!("skipping the llvm-objdump comparison: clang-19: {e}");
            return None;
        }
    }
    let dump = Command::new("llvm-objdump-19")
        .args(["-d", "--no-show-raw-insn", "--mcpu=v4", "--section=.text"])
        .arg(obj)
        .output();
    let dump = match dump {
        Ok(out) if out.status.success() => out.stdout,
        Ok(out) => panic!(
            "llvm-objdump-19 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            eprintln!("skipping the llvm-objdump comparison: llvm-objdump-19: {e}");
            return None;
        }
    };
    Some(parse_listing(&String::from_utf8_lossy(&dump)))
}

/// `      12:\tr1 = r2 <f+0x10>` → `(12, "r1 = r2")`, dropping symbolic jump targets.
fn parse_listing(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((slot, insn)) = line.split_once(":\t") else {
            continue;
        };
        let Ok(slot) = slot.trim().parse() else {
            continue;
        };
        let insn = match insn.rfind(" <") {
            Some(at) if insn.ends_with('>') => &insn[..at],
            _ => insn,
        };
        out.push((slot, insn.trim_end().to_string()));
    }
    out
}

/// The `.text` section of an ELF object as instructions.
fn text_insns(elf: &[u8]) -> Vec<Insn> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(elf).unwrap();
    let text = file.section_by_name(".text").unwrap().data().unwrap();
    text.chunks_exact(8)
        .map(|c| Insn(c.try_into().unwrap()))
        .collect()
}

/// Plain C for natural code generation plus inline assembly for the rarer forms.
const COMPARE_C: &str = r#"
typedef unsigned long long u64;
typedef unsigned int u32;
u64 g64; u32 g32; unsigned short g16; unsigned char g8; long long s64;
static long (*const bpf_ktime)(void) = (void *)5;

int plain(unsigned char *p, long n, u32 w) {
  u64 acc = bpf_ktime();
  for (long i = 0; i < n && i < 64; i++) acc = acc * 31 + p[i];
  if ((long)acc < -5) acc ^= 0xdeadbeefcafeULL;
  if (w > 17) w >>= 3; else w = (w << 5) | 1;
  g64 = acc; g32 = w; g16 = (unsigned short)acc; g8 = (unsigned char)n;
  s64 = acc / (n | 1) + acc % 7 + w / 3;
#if __BPF_CPU_VERSION__ >= 4
  s64 += (long long)acc / (n | 1) + (long long)acc % 7 + (int)w / 3 + (signed char)w;
#endif
  __sync_fetch_and_add(&g64, 3);
  return (int)(acc >> 7) - (int)(w & 0x7f);
}

void kinds(void) {
  asm volatile(
    "r0 = 0\n r1 = -1\n r2 = r1\n r3 = 0x123456789abcdef ll\n r1 = -1 ll\n"
    "r1 = 0x80000000 ll\n w1 = w2\n w1 = -1\n w1 = 0x7fffffff\n r1 = -2147483648\n"
    "w1 += w2\n w1 -= 3\n w1 *= w2\n w1 /= 7\n w1 |= w2\n w1 &= 0xff\n w1 <<= w2\n"
    "w1 >>= 4\n w1 %= w2\n w1 ^= 9\n w3 s>>= w4\n w1 = -w1\n"
    "r1 += 5\n r1 -= r2\n r1 *= 3\n r1 /= r3\n r1 |= 1\n r1 &= r2\n r1 <<= 2\n"
    "r1 >>= r2\n r1 s>>= 3\n r1 = -r1\n r1 %= 7\n r1 ^= r2\n r1 += -1\n"
    "r1 = be16 r1\n r1 = be32 r1\n r1 = be64 r1\n r1 = le16 r1\n r1 = le32 r1\n"
    "r1 = le64 r1\n"
    "r1 = *(u64 *)(r10 - 8)\n r1 = *(u8 *)(r2 + 3)\n w1 = *(u16 *)(r2 + 4)\n"
    "w1 = *(u32 *)(r2 + 32767)\n *(u32 *)(r10 - 4) = w1\n *(u64 *)(r10 - 16) = 7\n"
    "*(u8 *)(r1 + 0) = w2\n *(u16 *)(r1 - 32768) = w3\n *(u64 *)(r1 + 8) = r9\n"
    "*(u64 *)(r10 - 16) = -1\n *(u8 *)(r1 + 1) = 2\n *(u16 *)(r1 + 2) = 3\n"
    "*(u32 *)(r1 + 4) = -4\n"
    "if r1 != 0 goto +3\n if r1 == r2 goto -2\n if w1 s> 5 goto +1\n if w1 < w2 goto +1\n"
    "if r1 & 8 goto +1\n if r1 s>= r2 goto +1\n if r1 s< r2 goto +1\n"
    "if r1 s<= r2 goto +1\n if r1 >= r2 goto +1\n if r1 <= r2 goto +1\n"
    "if r1 > r2 goto +1\n if w1 s>= w2 goto +1\n if w1 & w2 goto +1\n"
    "if w1 != 3 goto +1\n if r1 s> -1 goto +1\n if w1 > -1 goto +1\n if w1 == 0 goto +0\n"
    "if w1 s< -7 goto +1\n if w1 s<= w3 goto +1\n if w1 >= 3 goto +1\n if w1 <= w3 goto +1\n"
    "goto +5\n goto -1\n goto +0\n call 14\n call 166\n callx r1\n"
    "lock *(u64 *)(r1 + 0) += r2\n lock *(u32 *)(r1 + 8) += w2\n"
    "lock *(u64 *)(r1 + 0) &= r2\n lock *(u64 *)(r1 + 0) ^= r2\n lock *(u64 *)(r1 + 0) |= r2\n"
    "lock *(u32 *)(r1 + 0) &= w2\n lock *(u32 *)(r1 + 0) |= w2\n lock *(u32 *)(r1 + 0) ^= w2\n"
    "r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)\n r2 = atomic_fetch_or((u64 *)(r1 + 0), r2)\n"
    "r2 = atomic_fetch_xor((u64 *)(r1 + 0), r2)\n r2 = atomic_fetch_and((u64 *)(r1 + 0), r2)\n"
    "w2 = atomic_fetch_add((u32 *)(r1 + 0), w2)\n w2 = atomic_fetch_and((u32 *)(r1 - 8), w2)\n"
    "w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)\n w2 = atomic_fetch_xor((u32 *)(r1 + 0), w2)\n"
    "r2 = xchg_64(r1 + 0, r2)\n w2 = xchg32_32(r1 + 0, w2)\n"
    "r0 = cmpxchg_64(r1 + 0, r0, r2)\n w0 = cmpxchg32_32(r1 + 0, w0, w2)\n"
    "r0 = *(u8 *)skb[5]\n r0 = *(u16 *)skb[r1]\n r0 = *(u32 *)skb[5]\n"
#if __BPF_CPU_VERSION__ >= 4
    "r1 s/= r2\n r1 s%= 3\n w1 s/= w2\n w1 s%= 5\n r1 s/= -3\n w1 s%= w4\n"
    "r1 = (s8)r2\n r1 = (s16)r2\n r1 = (s32)r2\n w1 = (s8)w2\n w1 = (s16)w2\n"
    "r1 = *(s8 *)(r2 + 1)\n r1 = *(s16 *)(r2 + 2)\n r1 = *(s32 *)(r2 - 4)\n"
    "r1 = bswap16 r1\n r1 = bswap32 r1\n r1 = bswap64 r1\n"
    "gotol +7\n gotol -3\n may_goto +2\n r0 = addr_space_cast(r1, 0, 1)\n"
    "r0 = addr_space_cast(r1, 1, 0)\n"
#endif
    "exit\n");
}
"#;

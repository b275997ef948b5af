package skelgenrt

import (
	"encoding/binary"
	"errors"
	"os"
	"syscall"
	"testing"
)

// btfBuilder writes small BTF blobs by hand: records, then the header in front.
type btfBuilder struct {
	types []byte
	strs  []byte
	n     uint32
}

func newBTF() *btfBuilder {
	return &btfBuilder{strs: []byte{0}}
}

func (b *btfBuilder) str(s string) uint32 {
	if s == "" {
		return 0
	}
	off := uint32(len(b.strs))
	b.strs = append(append(b.strs, s...), 0)
	return off
}

// add appends a record: name, kind, vlen, kind flag, size or type, then the words that
// follow it; it returns the new type's id.
func (b *btfBuilder) add(name string, kind, vlen uint32, kflag bool, sizeOrType uint32, extra ...uint32) uint32 {
	info := kind<<24 | vlen
	if kflag {
		info |= 1 << 31
	}
	for _, w := range append([]uint32{b.str(name), info, sizeOrType}, extra...) {
		b.types = binary.LittleEndian.AppendUint32(b.types, w)
	}
	b.n++
	return b.n
}

// member is the three words of a struct member.
func (b *btfBuilder) member(name string, typ, bitOffset uint32) []uint32 {
	return []uint32{b.str(name), typ, bitOffset}
}

func (b *btfBuilder) bytes() []byte {
	le := binary.LittleEndian
	h := make([]byte, 24)
	le.PutUint16(h, skelgenRtBTFMagic)
	h[2] = 1
	le.PutUint32(h[4:], 24)
	le.PutUint32(h[8:], 0)
	le.PutUint32(h[12:], uint32(len(b.types)))
	le.PutUint32(h[16:], uint32(len(b.types)))
	le.PutUint32(h[20:], uint32(len(b.strs)))
	return append(append(h, b.types...), b.strs...)
}

// opsBTF is a kernel's BTF in miniature: struct ops with a function pointer and an int,
// and its struct_ops value type bpf_struct_ops_ops.
func opsBTF() []byte {
	b := newBTF()
	intID := b.add("int", skelgenRtBTFKindInt, 0, false, 4, 32)
	proto := b.add("", skelgenRtBTFKindFuncProto, 0, false, intID)
	ptr := b.add("", skelgenRtBTFKindPtr, 0, false, proto)
	var members []uint32
	members = append(members, b.member("init", ptr, 0)...)
	members = append(members, b.member("flags", intID, 64)...)
	ops := b.add("ops", skelgenRtBTFKindStruct, 2, false, 16, members...)
	value := append(b.member("refcnt", intID, 0), b.member("data", ops, 64)...)
	b.add("bpf_struct_ops_ops", skelgenRtBTFKindStruct, 2, false, 24, value...)
	u32 := b.add("u32", skelgenRtBTFKindTypedef, 0, false, intID)
	arr := b.add("", skelgenRtBTFKindArray, 0, false, 0, u32, intID, 4)
	b.add("", skelgenRtBTFKindConst, 0, false, arr)
	return b.bytes()
}

func mustParse(t *testing.T, raw []byte) *skelgenRtBTF {
	t.Helper()
	btf, err := skelgenRtParseBTF(raw)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return btf
}

func TestBTFReadsHandmadeTypes(t *testing.T) {
	btf := mustParse(t, opsBTF())
	if len(btf.offs) != 8 {
		t.Fatalf("%d types, want 8", len(btf.offs))
	}
	ops := btf.find("ops", skelgenRtBTFKindStruct)
	if ops != 4 || btf.find("ops", skelgenRtBTFKindUnion) != 0 || btf.find("nope", skelgenRtBTFKindStruct) != 0 {
		t.Fatalf("find: ops is %d", ops)
	}
	init, ok := btf.member(ops, "init")
	if !ok || init.index != 0 || !btf.isFuncPtr(init.typ) {
		t.Fatalf("member init: %+v %v", init, ok)
	}
	flags, ok := btf.member(ops, "flags")
	if !ok || flags.index != 1 || flags.bitOffset != 64 || btf.isFuncPtr(flags.typ) {
		t.Fatalf("member flags: %+v %v", flags, ok)
	}
	if _, ok := btf.member(ops, "missing"); ok {
		t.Fatal("found a member that is not there")
	}
	for id, want := range map[uint32]uint64{1: 4, 3: 8, 4: 16, 7: 16, 8: 16} {
		if got, ok := btf.size(id); !ok || got != want {
			t.Errorf("size of %d: %d %v, want %d", id, got, ok, want)
		}
	}
	if _, ok := btf.size(2); ok {
		t.Error("a function prototype has a size")
	}
	k, err := skelgenRtStructOpsKernelTypes(btf, &skelgenRtStructOpsDef{mapName: "m", typeName: "ops"})
	if err != nil || k != (skelgenRtStructOpsKernel{typeID: 4, valueID: 5, valueSize: 24, dataOffset: 8}) {
		t.Fatalf("kernel types: %+v %v", k, err)
	}
}

func TestBTFRefusesEveryTruncation(t *testing.T) {
	raw := opsBTF()
	for n := 0; n < len(raw); n++ {
		if _, err := skelgenRtParseBTF(raw[:n]); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("%d of %d bytes: %v", n, len(raw), err)
		}
	}
}

// patched is opsBTF with the 32-bit word at off set to v.
func patched(off int, v uint32) []byte {
	raw := opsBTF()
	binary.LittleEndian.PutUint32(raw[off:], v)
	return raw
}

func TestBTFRefusesCorruptHeadersAndRecords(t *testing.T) {
	raw := opsBTF()
	noNul := opsBTF()
	noNul[len(noNul)-1] = 'x'
	badMagic := opsBTF()
	badMagic[0] ^= 0xff
	for name, blob := range map[string][]byte{
		"magic":                badMagic,
		"header length short":  patched(4, 23),
		"header length huge":   patched(4, 0xffffffff),
		"type offset huge":     patched(8, 0xfffffff0),
		"type length huge":     patched(12, 0xffffffff),
		"string offset huge":   patched(16, 0xffffffff),
		"string length huge":   patched(20, 0xffffffff),
		"no strings":           patched(20, 0),
		"strings without NUL":  noNul,
		"record cut":           patched(12, 13),
		"unknown kind":         patched(24+4, 31<<24),
		"vlen past the end":    patched(24+4, skelgenRtBTFKindStruct<<24|0xffff),
		"enum64 past the end":  patched(24+4, skelgenRtBTFKindEnum64<<24|0x1000),
		"types overlap header": patched(8, uint32(len(raw))),
	} {
		if _, err := skelgenRtParseBTF(blob); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBTFSurvivesHostileReferences(t *testing.T) {
	b := newBTF()
	loop := b.add("loop", skelgenRtBTFKindTypedef, 0, false, 1)
	big := b.add("", skelgenRtBTFKindArray, 0, false, 0, loop, loop, 0xffffffff)
	bigger := b.add("", skelgenRtBTFKindArray, 0, false, 0, big, loop, 0xffffffff)
	dangling := b.add("dangling", skelgenRtBTFKindPtr, 0, false, 0xfffffff0)
	badName := b.add("", skelgenRtBTFKindStruct, 1, true, 1<<30, 0xfffffff0, 0xffffffff, 0xffffffff)
	huge := b.add("bpf_struct_ops_huge", skelgenRtBTFKindStruct, 0, false, 1<<30)
	b.add("huge", skelgenRtBTFKindStruct, 0, false, 8)
	btf := mustParse(t, b.bytes())
	if btf.skip(loop) != 0 {
		t.Error("a typedef loop ends")
	}
	for _, id := range []uint32{loop, big, bigger, dangling, 0, 0xffffffff} {
		if size, ok := btf.size(id); ok && id != dangling {
			t.Errorf("size of %d: %d", id, size)
		}
		if btf.isFuncPtr(id) {
			t.Errorf("%d is a function pointer", id)
		}
	}
	if s := btf.str(0xfffffff0); s != nil {
		t.Errorf("string past the end: %q", s)
	}
	m := skelgenRtBTFMemberAt(btf.typ(badName), 0)
	if m.bitfield != 0xff || m.bitOffset != 0xffffff {
		t.Errorf("bitfield member: %+v", m)
	}
	if _, ok := btf.member(badName, ""); ok {
		t.Error("a member without a name matched")
	}
	_, err := skelgenRtStructOpsKernelTypes(btf, &skelgenRtStructOpsDef{mapName: "m", typeName: "huge"})
	if !errors.Is(err, syscall.EINVAL) {
		t.Errorf("a value of %d bytes: %v", huge, err)
	}
	_, err = skelgenRtStructOpsKernelTypes(btf, &skelgenRtStructOpsDef{mapName: "m", typeName: "absent"})
	if !errors.Is(err, syscall.ENOENT) {
		t.Errorf("an absent struct: %v", err)
	}
}

// TestBTFReadsTheRunningKernel parses /sys/kernel/btf/vmlinux, when the kernel has one,
// and finds the layout of tcp_congestion_ops as struct_ops needs it.
func TestBTFReadsTheRunningKernel(t *testing.T) {
	raw, err := os.ReadFile(skelgenRtBTFVmlinux)
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	btf := mustParse(t, raw)
	if len(btf.offs) < 1000 {
		t.Fatalf("only %d types", len(btf.offs))
	}
	def := &skelgenRtStructOpsDef{mapName: "m", typeName: "tcp_congestion_ops"}
	k, err := skelgenRtStructOpsKernelTypes(btf, def)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := btf.member(k.typeID, "ssthresh")
	if !ok || !btf.isFuncPtr(m.typ) {
		t.Fatalf("ssthresh: %+v %v", m, ok)
	}
	if size, ok := btf.size(k.typeID); !ok || size == 0 || size > uint64(k.valueSize) {
		t.Fatalf("size %d %v of a value of %d", size, ok, k.valueSize)
	}
	for _, n := range []int{0, 23, 24, len(raw) / 2, len(raw) - 1} {
		if _, err := skelgenRtParseBTF(raw[:n]); err == nil {
			t.Errorf("%d of %d bytes parse", n, len(raw))
		}
	}
}

// FuzzBTF parses any blob and walks every type it holds as struct_ops would: an error is
// fine, a panic or a hang is not.
func FuzzBTF(f *testing.F) {
	f.Add(opsBTF())
	f.Add(patched(24+4, skelgenRtBTFKindStruct<<24|2))
	f.Fuzz(func(t *testing.T, raw []byte) {
		btf, err := skelgenRtParseBTF(raw)
		if err != nil {
			return
		}
		for id := uint32(1); int(id) <= len(btf.offs); id++ {
			walkType(btf, id)
		}
	})
}

func walkType(btf *skelgenRtBTF, id uint32) {
	t := btf.typ(id)
	btf.skip(id)
	btf.size(id)
	btf.isFuncPtr(id)
	name := string(btf.str(skelgenRtBTFWord(t, 0)))
	kind := skelgenRtBTFKind(t)
	btf.find(name, kind)
	if kind != skelgenRtBTFKindStruct {
		return
	}
	for i := uint32(0); i < skelgenRtBTFVlen(t); i++ {
		m := skelgenRtBTFMemberAt(t, i)
		btf.member(id, string(btf.str(skelgenRtBTFWord(t, 12+12*int(i)))))
		btf.size(m.typ)
	}
	skelgenRtStructOpsKernelTypes(btf, &skelgenRtStructOpsDef{mapName: "m", typeName: name})
}

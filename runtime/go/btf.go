package skelgenrt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"syscall"
)

// The running kernel's BTF (/sys/kernel/btf/vmlinux), read far enough to lay out
// struct_ops values: a struct by name, its members by name, the size of a type. Every
// offset read from the file is checked against its bounds first, so a corrupt or truncated
// file is an error, never a fault.

// The BTF kinds the reader knows (include/uapi/linux/btf.h).
const (
	skelgenRtBTFKindInt = iota + 1
	skelgenRtBTFKindPtr
	skelgenRtBTFKindArray
	skelgenRtBTFKindStruct
	skelgenRtBTFKindUnion
	skelgenRtBTFKindEnum
	skelgenRtBTFKindFwd
	skelgenRtBTFKindTypedef
	skelgenRtBTFKindVolatile
	skelgenRtBTFKindConst
	skelgenRtBTFKindRestrict
	skelgenRtBTFKindFunc
	skelgenRtBTFKindFuncProto
	skelgenRtBTFKindVar
	skelgenRtBTFKindDatasec
	skelgenRtBTFKindFloat
	skelgenRtBTFKindDeclTag
	skelgenRtBTFKindTypeTag
	skelgenRtBTFKindEnum64
)

const (
	skelgenRtBTFMagic = 0xeb9f
	// Typedef and modifier chains longer than this are refused (libbpf's limit).
	skelgenRtBTFMaxDepth = 32
	// Pointers in the kernel's structures: the loader supports 64-bit kernels only.
	skelgenRtBTFPtrSize = 8
)

// skelgenRtBTF is a parsed BTF file: type id i starts at types[offs[i-1]].
type skelgenRtBTF struct {
	types []byte
	strs  []byte
	offs  []uint32
}

// skelgenRtBTFMember is one member of a struct, as BTF describes it.
type skelgenRtBTFMember struct {
	index     uint32 // position in the struct
	typ       uint32
	bitOffset uint32
	bitfield  uint32 // bitfield size in bits, 0 for a whole member
}

// skelgenRtBTFExtra is how many bytes follow the 12-byte record of a type of kind with vlen
// entries, or -1 for a kind the reader does not know.
func skelgenRtBTFExtra(kind, vlen uint32) int {
	switch kind {
	case skelgenRtBTFKindInt, skelgenRtBTFKindVar, skelgenRtBTFKindDeclTag:
		return 4
	case skelgenRtBTFKindArray:
		return 12
	case skelgenRtBTFKindStruct, skelgenRtBTFKindUnion, skelgenRtBTFKindDatasec, skelgenRtBTFKindEnum64:
		return 12 * int(vlen)
	case skelgenRtBTFKindEnum, skelgenRtBTFKindFuncProto:
		return 8 * int(vlen)
	case skelgenRtBTFKindPtr, skelgenRtBTFKindFwd, skelgenRtBTFKindTypedef, skelgenRtBTFKindVolatile, skelgenRtBTFKindConst,
		skelgenRtBTFKindRestrict, skelgenRtBTFKindFunc, skelgenRtBTFKindFloat, skelgenRtBTFKindTypeTag:
		return 0
	}
	return -1
}

// skelgenRtParseBTF checks the header and the string section of raw and indexes its types.
func skelgenRtParseBTF(raw []byte) (*skelgenRtBTF, error) {
	le := binary.LittleEndian
	if len(raw) < 24 || le.Uint16(raw) != skelgenRtBTFMagic {
		return nil, fmt.Errorf("not BTF (no header): %w", syscall.EINVAL)
	}
	size := uint64(len(raw))
	hdrLen := uint64(le.Uint32(raw[4:]))
	typeOff, typeLen := uint64(le.Uint32(raw[8:])), uint64(le.Uint32(raw[12:]))
	strOff, strLen := uint64(le.Uint32(raw[16:])), uint64(le.Uint32(raw[20:]))
	if hdrLen < 24 || hdrLen > size || typeOff+typeLen > size-hdrLen || strOff+strLen > size-hdrLen ||
		strLen == 0 || raw[hdrLen+strOff+strLen-1] != 0 {
		return nil, fmt.Errorf("BTF header out of bounds of its %d bytes: %w", size, syscall.EINVAL)
	}
	btf := &skelgenRtBTF{
		types: raw[hdrLen+typeOff : hdrLen+typeOff+typeLen],
		strs:  raw[hdrLen+strOff : hdrLen+strOff+strLen],
	}
	for pos := 0; pos < len(btf.types); {
		left := len(btf.types) - pos
		if left < 12 {
			return nil, fmt.Errorf("BTF type %d cut short: %w", len(btf.offs)+1, syscall.EINVAL)
		}
		info := le.Uint32(btf.types[pos+4:])
		extra := skelgenRtBTFExtra(info>>24&0x1f, info&0xffff)
		if extra < 0 || extra > left-12 {
			return nil, fmt.Errorf("BTF type %d: unknown kind %d, or cut short: %w", len(btf.offs)+1, info>>24&0x1f, syscall.EINVAL)
		}
		btf.offs = append(btf.offs, uint32(pos))
		pos += 12 + extra
	}
	return btf, nil
}

// typ is the record of type id with what follows it, or nil (void, or out of range).
func (b *skelgenRtBTF) typ(id uint32) []byte {
	if id == 0 || int64(id) > int64(len(b.offs)) {
		return nil
	}
	end := uint32(len(b.types))
	if int64(id) < int64(len(b.offs)) {
		end = b.offs[id]
	}
	return b.types[b.offs[id-1]:end]
}

// skelgenRtBTFKind is the kind of the type record t.
func skelgenRtBTFKind(t []byte) uint32 {
	return binary.LittleEndian.Uint32(t[4:]) >> 24 & 0x1f
}

// skelgenRtBTFVlen is the number of entries following the type record t.
func skelgenRtBTFVlen(t []byte) uint32 {
	return binary.LittleEndian.Uint32(t[4:]) & 0xffff
}

// skelgenRtBTFWord is the 32-bit value at off of the type record t.
func skelgenRtBTFWord(t []byte, off int) uint32 {
	return binary.LittleEndian.Uint32(t[off:])
}

// str is the string at off: the section ends with a NUL, so every string in it ends.
func (b *skelgenRtBTF) str(off uint32) []byte {
	if int64(off) >= int64(len(b.strs)) {
		return nil
	}
	s := b.strs[off:]
	return s[:bytes.IndexByte(s, 0)]
}

// named is whether the string at off is want; a name past the strings is no name, not "".
func (b *skelgenRtBTF) named(off uint32, want []byte) bool {
	s := b.str(off)
	return s != nil && bytes.Equal(s, want)
}

// find is the first type of kind named name, or 0.
func (b *skelgenRtBTF) find(name string, kind uint32) uint32 {
	want := []byte(name)
	for id := uint32(1); int64(id) <= int64(len(b.offs)); id++ {
		t := b.typ(id)
		if skelgenRtBTFKind(t) == kind && b.named(skelgenRtBTFWord(t, 0), want) {
			return id
		}
	}
	return 0
}

// skip is id with typedefs, modifiers and type tags skipped; 0 when the chain is broken.
func (b *skelgenRtBTF) skip(id uint32) uint32 {
	for depth := 0; depth < skelgenRtBTFMaxDepth; depth++ {
		t := b.typ(id)
		if t == nil {
			return 0
		}
		switch skelgenRtBTFKind(t) {
		case skelgenRtBTFKindTypedef, skelgenRtBTFKindVolatile, skelgenRtBTFKindConst, skelgenRtBTFKindRestrict, skelgenRtBTFKindTypeTag:
			id = skelgenRtBTFWord(t, 8)
		default:
			return id
		}
	}
	return 0
}

// size is the size of type id in bytes, through typedefs, modifiers and arrays; false
// when it has none.
func (b *skelgenRtBTF) size(id uint32) (uint64, bool) {
	mult := uint64(1)
	for depth := 0; depth < skelgenRtBTFMaxDepth; depth++ {
		t := b.typ(b.skip(id))
		if t == nil {
			return 0, false
		}
		switch skelgenRtBTFKind(t) {
		case skelgenRtBTFKindInt, skelgenRtBTFKindStruct, skelgenRtBTFKindUnion, skelgenRtBTFKindEnum, skelgenRtBTFKindEnum64, skelgenRtBTFKindFloat:
			return mult * uint64(skelgenRtBTFWord(t, 8)), true
		case skelgenRtBTFKindPtr:
			return mult * skelgenRtBTFPtrSize, true
		case skelgenRtBTFKindArray:
			mult *= uint64(skelgenRtBTFWord(t, 20))
			if mult > 0xffffffff {
				return 0, false
			}
			id = skelgenRtBTFWord(t, 12)
		default:
			return 0, false
		}
	}
	return 0, false
}

// isFuncPtr is whether type id is a pointer to a function prototype.
func (b *skelgenRtBTF) isFuncPtr(id uint32) bool {
	t := b.typ(b.skip(id))
	if t == nil || skelgenRtBTFKind(t) != skelgenRtBTFKindPtr {
		return false
	}
	t = b.typ(b.skip(skelgenRtBTFWord(t, 8)))
	return t != nil && skelgenRtBTFKind(t) == skelgenRtBTFKindFuncProto
}

// skelgenRtBTFMemberAt is member index of the struct or union record t, which has that many.
func skelgenRtBTFMemberAt(t []byte, index uint32) skelgenRtBTFMember {
	rec := t[12+12*int(index):]
	m := skelgenRtBTFMember{index: index, typ: skelgenRtBTFWord(rec, 4), bitOffset: skelgenRtBTFWord(rec, 8)}
	if skelgenRtBTFWord(t, 4)>>31 != 0 {
		m.bitfield = m.bitOffset >> 24
		m.bitOffset &= 0xffffff
	}
	return m
}

// member is the member called name of struct id.
func (b *skelgenRtBTF) member(id uint32, name string) (skelgenRtBTFMember, bool) {
	t := b.typ(id)
	if t == nil || skelgenRtBTFKind(t) != skelgenRtBTFKindStruct {
		return skelgenRtBTFMember{}, false
	}
	want := []byte(name)
	for i := uint32(0); i < skelgenRtBTFVlen(t); i++ {
		if b.named(skelgenRtBTFWord(t, 12+12*int(i)), want) {
			return skelgenRtBTFMemberAt(t, i), true
		}
	}
	return skelgenRtBTFMember{}, false
}

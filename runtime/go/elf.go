package skelgenrt

import (
	"encoding/binary"
	"fmt"
	"strings"
	"syscall"
)

// skelgenRtELF reads ELF symbol tables, for uprobes by function name and usdt: a function's
// symbol in .symtab, else .dynsym, and a virtual address turned into a file offset through
// the PT_LOAD program headers (executables, PIE or not, and shared objects alike). ELF64 of
// either byte order; every read is bounds-checked, and a malformed file is a
// *skelgenRtELFError saying what is wrong and where.
type skelgenRtELF struct {
	data         []byte
	order        binary.ByteOrder
	shoff, shnum uint64
	phoff, phnum uint64
}

// skelgenRtELFError says what is wrong with a file, or what it lacks; Errno is ENOEXEC
// (malformed), ENOENT (not there) or ENOTUNIQ (ambiguous).
type skelgenRtELFError struct {
	Errno syscall.Errno
	Why   string
}

func (e *skelgenRtELFError) Error() string { return e.Why }

func (e *skelgenRtELFError) Unwrap() error { return e.Errno }

// skelgenRtELFSection is one section header, as read.
type skelgenRtELFSection struct {
	name, kind, link          uint32
	addr, offset, size, entsz uint64
}

const (
	skelgenRtELFShdrSize = 64
	skelgenRtELFPhdrSize = 56
	skelgenRtELFSymSize  = 24
)

func skelgenRtELFBad(what string, at uint64) error {
	return &skelgenRtELFError{syscall.ENOEXEC, fmt.Sprintf("%s (at offset %#x)", what, at)}
}

// skelgenRtELFTableInside says whether n entries of entsize bytes at off lie inside size bytes.
func skelgenRtELFTableInside(size int, off, n, entsize uint64) bool {
	return off <= uint64(size) && n <= (uint64(size)-off)/entsize
}

// skelgenRtParseELF reads the ELF header and checks that the section and program header
// tables fit.
func skelgenRtParseELF(data []byte) (*skelgenRtELF, error) {
	if len(data) < 64 || string(data[:4]) != "\x7fELF" {
		return nil, skelgenRtELFBad("not an ELF file", 0)
	}
	if data[4] != 2 {
		return nil, skelgenRtELFBad("not a 64-bit ELF file", 4)
	}
	e := &skelgenRtELF{data: data, order: binary.LittleEndian}
	switch data[5] {
	case 1:
	case 2:
		e.order = binary.BigEndian
	default:
		return nil, skelgenRtELFBad("unknown byte order", 5)
	}
	e.phoff = e.order.Uint64(data[32:])
	e.shoff = e.order.Uint64(data[40:])
	phentsize := e.order.Uint16(data[54:])
	e.phnum = uint64(e.order.Uint16(data[56:]))
	if e.shoff != 0 {
		if e.order.Uint16(data[58:]) != skelgenRtELFShdrSize {
			return nil, skelgenRtELFBad("section headers are not 64 bytes", 58)
		}
		if !skelgenRtELFTableInside(len(data), e.shoff, 1, skelgenRtELFShdrSize) {
			return nil, skelgenRtELFBad("section header table past the end of the file", 40)
		}
		// Extended numbering: counts too large for the header live in section 0.
		e.shnum = uint64(e.order.Uint16(data[60:]))
		if e.shnum == 0 {
			e.shnum = min(e.uint(e.shoff+32, 8), 1<<32-1)
		}
		if e.phnum == 0xffff {
			e.phnum = e.uint(e.shoff+44, 4)
		}
		if !skelgenRtELFTableInside(len(data), e.shoff, e.shnum, skelgenRtELFShdrSize) {
			return nil, skelgenRtELFBad("section header table past the end of the file", e.shoff)
		}
	}
	if e.phnum != 0 && phentsize != skelgenRtELFPhdrSize {
		return nil, skelgenRtELFBad("program headers are not 56 bytes", 54)
	}
	if e.phnum != 0 && !skelgenRtELFTableInside(len(data), e.phoff, e.phnum, skelgenRtELFPhdrSize) {
		return nil, skelgenRtELFBad("program header table past the end of the file", e.phoff)
	}
	return e, nil
}

// uint is the n-byte integer at off, which the caller checked lies inside the file.
func (e *skelgenRtELF) uint(off uint64, n int) uint64 {
	switch n {
	case 1:
		return uint64(e.data[off])
	case 2:
		return uint64(e.order.Uint16(e.data[off:]))
	case 4:
		return uint64(e.order.Uint32(e.data[off:]))
	}
	return e.order.Uint64(e.data[off:])
}

// section is section header i (< e.shnum).
func (e *skelgenRtELF) section(i uint64) skelgenRtELFSection {
	at := e.shoff + i*skelgenRtELFShdrSize
	return skelgenRtELFSection{
		name: uint32(e.uint(at, 4)), kind: uint32(e.uint(at+4, 4)), addr: e.uint(at+16, 8),
		offset: e.uint(at+24, 8), size: e.uint(at+32, 8), link: uint32(e.uint(at+40, 4)),
		entsz: e.uint(at+56, 8),
	}
}

// sectionData is the bytes of section i, or an error when they lie outside the file.
func (e *skelgenRtELF) sectionData(i uint64, what string) ([]byte, error) {
	s := e.section(i)
	size := uint64(len(e.data))
	if s.kind == 8 || s.offset > size || s.size > size-s.offset { // 8: SHT_NOBITS
		return nil, skelgenRtELFBad(what+" past the end of the file", e.shoff+i*skelgenRtELFShdrSize+24)
	}
	return e.data[s.offset : s.offset+s.size], nil
}

// search finds the function name in the symbol table of section idx: a global symbol
// before a weak one before a local one; found is false when it is not there.
func (e *skelgenRtELF) search(idx uint64, name string) (value uint64, found bool, err error) {
	tab := e.section(idx)
	header := e.shoff + idx*skelgenRtELFShdrSize
	if tab.entsz != skelgenRtELFSymSize {
		return 0, false, skelgenRtELFBad("symbol table entries are not 24 bytes", header+56)
	}
	syms, err := e.sectionData(idx, "symbol table")
	if err != nil {
		return 0, false, err
	}
	if tab.link == 0 || uint64(tab.link) >= e.shnum {
		return 0, false, skelgenRtELFBad("symbol table links to no string table", header+40)
	}
	strs, err := e.sectionData(uint64(tab.link), "string table")
	if err != nil {
		return 0, false, err
	}
	best := -1
	for i := uint64(0); i < uint64(len(syms))/skelgenRtELFSymSize; i++ {
		at := tab.offset + i*skelgenRtELFSymSize
		info := e.data[at+4]
		kind, rank := info&0xf, 0
		switch info >> 4 {
		case 1: // global
			rank = 2
		case 2: // weak
			rank = 1
		}
		// STT_FUNC, STT_GNU_IFUNC; section 0 is SHN_UNDEF: defined in another file.
		if (kind != 2 && kind != 10) || e.uint(at+6, 2) == 0 || !skelgenRtELFNameIs(strs, e.uint(at, 4), name) {
			continue
		}
		v := e.uint(at+8, 8)
		if rank == best && v != value {
			return 0, false, &skelgenRtELFError{syscall.ENOTUNIQ,
				fmt.Sprintf("two function symbols %s, at %#x and %#x", name, value, v)}
		}
		if rank > best {
			best, value = rank, v
		}
	}
	return value, best >= 0, nil
}

// skelgenRtELFNameIs says whether the NUL-terminated string at strs[off] is name, or
// name@version.
func skelgenRtELFNameIs(strs []byte, off uint64, name string) bool {
	if off >= uint64(len(strs)) {
		return false
	}
	rest := strs[off:]
	return len(rest) > len(name) && strings.HasPrefix(string(rest[:len(name)]), name) &&
		(rest[len(name)] == 0 || rest[len(name)] == '@')
}

// fn is the address of the function name (or name@version): from .symtab when the file
// has one that holds it, else from .dynsym.
func (e *skelgenRtELF) fn(name string) (uint64, error) {
	for _, kind := range []uint32{2, 11} { // SHT_SYMTAB, SHT_DYNSYM
		for i := uint64(0); i < e.shnum && name != ""; i++ {
			if e.section(i).kind != kind {
				continue
			}
			if v, found, err := e.search(i, name); err != nil || found {
				return v, err
			}
		}
	}
	return 0, &skelgenRtELFError{syscall.ENOENT, "no function symbol " + name + " in .symtab or .dynsym"}
}

// offset is the file offset of the virtual address vaddr, through the PT_LOAD segment
// whose file image holds it; the offset is inside the file.
func (e *skelgenRtELF) offset(vaddr uint64) (uint64, error) {
	for i := uint64(0); i < e.phnum; i++ {
		at := e.phoff + i*skelgenRtELFPhdrSize
		if e.uint(at, 4) != 1 { // PT_LOAD
			continue
		}
		off, addr, filesz := e.uint(at+8, 8), e.uint(at+16, 8), e.uint(at+32, 8)
		if vaddr < addr || vaddr-addr >= filesz {
			continue
		}
		if size := uint64(len(e.data)); off > size || vaddr-addr >= size-off {
			return 0, skelgenRtELFBad("loadable segment past the end of the file", at+8)
		}
		return off + (vaddr - addr), nil
	}
	return 0, &skelgenRtELFError{syscall.ENOENT, fmt.Sprintf("address %#x is in no loadable segment", vaddr)}
}

// funcOffset is the file offset of the function name.
func (e *skelgenRtELF) funcOffset(name string) (uint64, error) {
	v, err := e.fn(name)
	if err != nil {
		return 0, err
	}
	return e.offset(v)
}

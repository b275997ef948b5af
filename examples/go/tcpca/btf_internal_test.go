package tcpca

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"
)

// vmlinux is the running kernel's BTF, or a skip.
func vmlinux(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(tcpcaBTFVmlinux)
	if err != nil {
		t.Skipf("the kernel's BTF cannot be read: %v", err)
	}
	return raw
}

// layOut parses raw, looks for a struct and a member of tcp_congestion_ops it lacks (as
// on a kernel without them: every type, every member is read), and lays out both
// structures of tcpca from it, as Load does: every accessor of the reader runs. A panic is
// returned as an error.
func layOut(raw []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	btf, err := tcpcaParseBTF(raw)
	if err != nil {
		return err
	}
	if btf.find("skelgen_no_such_struct", tcpcaBTFKindStruct) != 0 {
		return fmt.Errorf("a struct that is not there is found")
	}
	if _, ok := btf.member(btf.find("tcp_congestion_ops", tcpcaBTFKindStruct), "skelgen_no_such_member"); ok {
		return fmt.Errorf("a member that is not there is found")
	}
	s, err := OpenTcpca()
	if err != nil {
		return err
	}
	defer s.Close()
	progs := s.structOpsProgs()
	descs := make([][2]uint32, len(progs))
	for _, o := range s.structOps() {
		if err := o.layout(btf, progs, descs); err != nil {
			return err
		}
	}
	// The programs' fds go where the layout says (a number that is no fd of this process,
	// taken back before Close).
	for _, p := range progs {
		p.fd = 1 << 30
		defer func(p *TcpcaProgram) { p.fd = 0 }(p)
	}
	for _, o := range s.structOps() {
		if err := o.fill("fill", progs); err != nil {
			return err
		}
	}
	return nil
}

// The reader finds tcp_congestion_ops in the kernel's BTF, with its callbacks.
func TestBTFReadsTheKernels(t *testing.T) {
	raw := vmlinux(t)
	if err := layOut(raw); err != nil {
		t.Fatal(err)
	}
	btf, _ := tcpcaParseBTF(raw)
	id := btf.find("tcp_congestion_ops", tcpcaBTFKindStruct)
	name, okName := btf.member(id, "name")
	init, okInit := btf.member(id, "init")
	size, okSize := btf.size(name.typ)
	if id == 0 || !okName || !okInit || !okSize || size != 16 || !btf.isFuncPtr(init.typ) || btf.isFuncPtr(name.typ) {
		t.Errorf("tcp_congestion_ops %d: name %+v (%d bytes), init %+v", id, name, size, init)
	}
}

// A truncated or corrupted BTF file is an error or a layout, never a panic: the header's
// fields at extremes, the file cut anywhere, and random words of the types overwritten
// (most of them in the records the layout reads).
func TestBTFCorruptionIsAnError(t *testing.T) {
	raw := vmlinux(t)
	btf, err := tcpcaParseBTF(raw)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	try := func(what string, data []byte) {
		if err := layOut(data); err != nil && strings.HasPrefix(err.Error(), "panic:") {
			t.Errorf("%s: %v", what, err)
		}
	}
	for off := 4; off < 24; off += 4 {
		for _, v := range []uint32{0, 1, 23, 24, uint32(len(raw)), uint32(len(raw)) - 1, 1 << 31, ^uint32(0)} {
			data := append([]byte(nil), raw...)
			le.PutUint32(data[off:], v)
			try(fmt.Sprintf("header word %d = %d", off, v), data)
		}
	}
	for _, n := range []int{0, 1, 2, 12, 23, 24, 25, 36, len(raw) / 2, len(raw) - 1} {
		try(fmt.Sprintf("cut to %d bytes", n), raw[:n])
	}
	// The records the layout reads: the two structs, their members' types and what these
	// point to; and the last types, whose sizes the file's end bounds.
	last := uint32(len(btf.offs))
	hot := []uint32{last, last - 1, last - 2}
	for _, name := range []string{"tcp_congestion_ops", "bpf_struct_ops_tcp_congestion_ops"} {
		id := btf.find(name, tcpcaBTFKindStruct)
		hot = append(hot, id)
		for i := uint32(0); i < tcpcaBTFVlen(btf.typ(id)); i++ {
			m := tcpcaBTFMemberAt(btf.typ(id), i)
			hot = append(hot, m.typ, btf.skip(m.typ))
		}
	}
	// A type section that ends inside the members of tcp_congestion_ops.
	ops := btf.find("tcp_congestion_ops", tcpcaBTFKindStruct)
	for k := uint32(0); k < 4; k++ {
		data := append([]byte(nil), raw...)
		le.PutUint32(data[12:], btf.offs[ops-1]+12+12*k+4)
		try(fmt.Sprintf("types ending in member %d of tcp_congestion_ops", k), data)
	}
	types := int(le.Uint32(raw[4:]) + le.Uint32(raw[8:]))
	// Members of tcp_congestion_ops placed past the end of the value, and a value too small
	// for them.
	value := btf.find("bpf_struct_ops_tcp_congestion_ops", tcpcaBTFKindStruct)
	for i := 0; i <= int(tcpcaBTFVlen(btf.typ(ops))); i++ {
		at := types + int(btf.offs[ops-1]) + 12 + 12*i + 8
		if i == int(tcpcaBTFVlen(btf.typ(ops))) {
			at = types + int(btf.offs[value-1]) + 8
		}
		for _, v := range []uint32{1 << 23, 1 << 31, ^uint32(0), 8 * 1024, 8} {
			data := append([]byte(nil), raw...)
			le.PutUint32(data[at:], v)
			try(fmt.Sprintf("word at %d = %#x", at, v), data)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 400; i++ {
		data := append([]byte(nil), raw...)
		var at int
		if id := hot[rng.Intn(len(hot))]; i%4 != 0 && id != 0 {
			rec := btf.typ(id)
			at = types + int(btf.offs[id-1]) + 4*rng.Intn(len(rec)/4)
		} else {
			at = types + 4*rng.Intn(int(le.Uint32(raw[12:]))/4)
		}
		v := []uint32{0, ^uint32(0), rng.Uint32(), 1 << 31, uint32(rng.Intn(64)) << 24, uint32(rng.Intn(1 << 17)),
			tcpcaBTFKindStruct<<24 | uint32(rng.Intn(1<<16))}[rng.Intn(7)]
		le.PutUint32(data[at:], v)
		try(fmt.Sprintf("word at %d = %#x", at, v), data)
	}
}

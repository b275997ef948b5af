package skelgenrt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// struct_ops (docs/loader-abi.md in skelgen, section 3.4): Load reads the kernel's layout
// of each structure from /sys/kernel/btf/vmlinux and matches the object's members to it by
// name; the loader gets the value type and each program's member through the context, and
// the skeleton keeps the value, in the kernel's layout, for Attach<Map>. Attaching writes
// it to the map (which registers a .struct_ops map) and, for a .struct_ops.link map, makes
// the link.

const (
	skelgenRtBTFVmlinux      = "/sys/kernel/btf/vmlinux"
	skelgenRtAttachStructOps = 44
	skelgenRtStructOpsPrefix = "bpf_struct_ops_"
	// Values of kernel structures are a few hundred bytes: a larger size comes from a
	// corrupt file, and is refused rather than allocated.
	skelgenRtStructOpsMaxValue = 1 << 20
)

// SkelgenRtStructOpsMap is the state of one struct_ops map: its Autocreate knob, and from
// Load on its value in the kernel's layout.
type SkelgenRtStructOpsMap struct {
	// Autocreate, when false, leaves the map out of Load, with the programs that only it
	// names: kernels before 6.4 cannot create a .struct_ops.link map.
	Autocreate bool

	value      []byte // bpf_struct_ops_<T>, laid out by Load
	fdOffsets  []int  // per member: where its program's fd goes in value, or -1
	valueType  uint32 // the kernel's BTF id of bpf_struct_ops_<T>
	written    bool   // the map holds the value
	registered bool   // a .struct_ops map: registered by its update
}

// skelgenRtStructOpsMember is one member of a structure as the object declares it.
type skelgenRtStructOpsMember struct {
	name   string
	offset uint32 // in the compiled image
	size   uint32
	slot   int  // its program's struct_ops slot, or -1 for data
	zero   bool // data: every byte is 0
}

// skelgenRtStructOpsDef is a structure as the object declares it.
type skelgenRtStructOpsDef struct {
	mapName    string
	typeName   string // the kernel's struct
	mapIndex   int    // of the map in the loader context
	link       bool   // .struct_ops.link
	autocreate bool
	image      string
	members    []skelgenRtStructOpsMember
}

// skelgenRtStructOps is a struct_ops map of a skeleton: its definition and where its state
// lives.
type skelgenRtStructOps struct {
	def   *skelgenRtStructOpsDef
	state *SkelgenRtStructOpsMap
	m     *SkelgenRtMap
	link  *int // .struct_ops.link maps only
}

// skelgenRtStructOpsKernel is the kernel's struct T and bpf_struct_ops_<T>, and where T sits in
// the latter.
type skelgenRtStructOpsKernel struct {
	typeID     uint32
	valueID    uint32
	valueSize  uint32
	dataOffset uint32
}

// skelgenRtStructOpsFail is the error of a struct_ops step that found a mismatch.
func skelgenRtStructOpsFail(op string, errno syscall.Errno, format string, args ...any) error {
	return skelgenRtFail(op, fmt.Sprintf(format, args...), errno)
}

// skelgenRtStructOpsKernelTypes finds the kernel's types of def.
func skelgenRtStructOpsKernelTypes(btf *skelgenRtBTF, def *skelgenRtStructOpsDef) (skelgenRtStructOpsKernel, error) {
	var k skelgenRtStructOpsKernel
	value := skelgenRtStructOpsPrefix + def.typeName
	k.typeID = btf.find(def.typeName, skelgenRtBTFKindStruct)
	k.valueID = btf.find(value, skelgenRtBTFKindStruct)
	if k.typeID == 0 || k.valueID == 0 {
		missing := def.typeName
		if k.typeID != 0 {
			missing = value
		}
		return k, skelgenRtStructOpsFail("load", syscall.ENOENT, "struct_ops map %s: this kernel has no struct_ops type "+
			"struct %s (no struct %s in %s; struct_ops types of modules are not supported)",
			def.mapName, def.typeName, missing, skelgenRtBTFVmlinux)
	}
	vt := btf.typ(k.valueID)
	k.valueSize = skelgenRtBTFWord(vt, 8)
	if k.valueSize > skelgenRtStructOpsMaxValue {
		return k, skelgenRtStructOpsFail("load", syscall.EINVAL, "struct_ops map %s: struct %s of %d bytes in %s, "+
			"a size no kernel structure has", def.mapName, value, k.valueSize, skelgenRtBTFVmlinux)
	}
	for i := uint32(0); i < skelgenRtBTFVlen(vt); i++ {
		m := skelgenRtBTFMemberAt(vt, i)
		if m.typ == k.typeID && m.bitfield == 0 && m.bitOffset%8 == 0 {
			k.dataOffset = m.bitOffset / 8
			return k, nil
		}
	}
	return k, skelgenRtStructOpsFail("load", syscall.EINVAL, "struct_ops map %s: struct %s holds no struct %s",
		def.mapName, value, def.typeName)
}

// place puts member j of the object's structure in the kernel's: data is copied into the
// value, a program's slot gets the kernel's struct and member index in descs.
func (o skelgenRtStructOps) place(btf *skelgenRtBTF, k skelgenRtStructOpsKernel, j int, progs []*SkelgenRtProgram, descs [][2]uint32) error {
	def, lm, v := o.def, &o.def.members[j], o.state
	v.fdOffsets[j] = -1
	km, ok := btf.member(k.typeID, lm.name)
	if !ok {
		if lm.slot < 0 && lm.zero {
			return nil // as libbpf: a zero member the kernel lacks is left out
		}
		return skelgenRtStructOpsFail("load", syscall.EOPNOTSUPP, "struct_ops map %s: struct %s of this kernel has no member %s, "+
			"which the object sets", def.mapName, def.typeName, lm.name)
	}
	at := uint64(k.dataOffset) + uint64(km.bitOffset/8)
	if km.bitfield != 0 || km.bitOffset%8 != 0 {
		return skelgenRtStructOpsFail("load", syscall.EOPNOTSUPP, "struct_ops map %s: member %s of struct %s is a bitfield "+
			"in this kernel", def.mapName, lm.name, def.typeName)
	}
	if lm.slot >= 0 {
		if !btf.isFuncPtr(km.typ) || at+8 > uint64(k.valueSize) {
			return skelgenRtStructOpsFail("load", syscall.EOPNOTSUPP, "struct_ops map %s: member %s of struct %s is not "+
				"a function pointer in this kernel", def.mapName, lm.name, def.typeName)
		}
		d := &descs[lm.slot]
		if d[0] != 0 && (d[0] != k.typeID || d[1] != km.index) {
			return skelgenRtStructOpsFail("load", syscall.EINVAL, "struct_ops program %s serves member %s of map %s and "+
				"another member: a program serves one member of one struct", progs[lm.slot].info.name, lm.name, def.mapName)
		}
		*d = [2]uint32{k.typeID, km.index}
		v.fdOffsets[j] = int(at)
		return nil
	}
	size, ok := btf.size(km.typ)
	if !ok || size != uint64(lm.size) || at+size > uint64(k.valueSize) {
		return skelgenRtStructOpsFail("load", syscall.EOPNOTSUPP, "struct_ops map %s: member %s of struct %s has another "+
			"size in this kernel", def.mapName, lm.name, def.typeName)
	}
	copy(v.value[at:], def.image[lm.offset:lm.offset+lm.size])
	return nil
}

// layout lays out the value of a map to be created, and fills descs for its programs.
func (o skelgenRtStructOps) layout(btf *skelgenRtBTF, progs []*SkelgenRtProgram, descs [][2]uint32) error {
	k, err := skelgenRtStructOpsKernelTypes(btf, o.def)
	if err != nil {
		return err
	}
	o.state.value = make([]byte, k.valueSize)
	o.state.fdOffsets = make([]int, len(o.def.members))
	for j := range o.def.members {
		if err := o.place(btf, k, j, progs, descs); err != nil {
			return err
		}
	}
	o.m.ValueSize = k.valueSize
	o.state.valueType = k.valueID
	return nil
}

// skelgenRtStructOpsUse is whether a map that will be created names program slot (0), a map
// that will not (1), or none (2).
func skelgenRtStructOpsUse(ops []skelgenRtStructOps, slot int) int {
	use := 2
	for _, o := range ops {
		for _, m := range o.def.members {
			if m.slot != slot {
				continue
			}
			if o.state.Autocreate {
				use = 0
			} else if use != 0 {
				use = 1
			}
		}
	}
	return use
}

// skelgenRtStructOpsPrepare runs before the loader: it lays out every map to be created from
// the kernel's BTF, and settles each struct_ops program as libbpf does. It returns what it
// adds to the loader's context.
func skelgenRtStructOpsPrepare(ops []skelgenRtStructOps, progs []*SkelgenRtProgram) (func(ctx []byte), error) {
	descs := make([][2]uint32, len(progs))
	for _, o := range ops {
		o.reset()
	}
	err := skelgenRtStructOpsLayout(ops, progs, descs)
	if err == nil {
		err = skelgenRtStructOpsSettle(ops, progs)
	}
	if err != nil {
		for _, o := range ops {
			o.reset()
		}
		return nil, err
	}
	return func(ctx []byte) {
		le := binary.LittleEndian
		at := 48 + 24*len(skelgenRtMapInfos) + 8*len(skelgenRtProgInfos)
		for k, o := range ops {
			le.PutUint32(ctx[48+24*o.def.mapIndex+12:], o.state.valueType)
			if o.state.Autocreate {
				le.PutUint32(ctx[at+8*k:], 1)
			}
		}
		at += 8 * len(ops)
		for slot, d := range descs {
			le.PutUint32(ctx[at+8*slot:], d[0])
			le.PutUint32(ctx[at+8*slot+4:], d[1])
		}
	}, nil
}

// reset forgets the value of an earlier Load, keeping the Autocreate knob.
func (o skelgenRtStructOps) reset() {
	*o.state = SkelgenRtStructOpsMap{Autocreate: o.state.Autocreate}
	o.m.ValueSize = 0
}

// skelgenRtStructOpsSettle leaves out a struct_ops program that only maps left out name, and
// refuses one that no map names while its Autoload is set: the kernel cannot load it.
func skelgenRtStructOpsSettle(ops []skelgenRtStructOps, progs []*SkelgenRtProgram) error {
	for slot, p := range progs {
		switch use := skelgenRtStructOpsUse(ops, slot); {
		case use == 1:
			p.Autoload = false
		case use == 2 && p.Autoload:
			return skelgenRtStructOpsFail("load", syscall.EINVAL, "struct_ops program %s is the member of no struct_ops "+
				"map, so the kernel cannot load it (libbpf's load fails too): set its Autoload to false", p.info.name)
		}
	}
	return nil
}

// skelgenRtStructOpsLayout reads the kernel's BTF, when a map is to be created, and lays out
// every such map.
func skelgenRtStructOpsLayout(ops []skelgenRtStructOps, progs []*SkelgenRtProgram, descs [][2]uint32) error {
	need := false
	for _, o := range ops {
		need = need || o.state.Autocreate
	}
	if !need {
		return nil
	}
	const step = "struct_ops needs the kernel's BTF (CONFIG_DEBUG_INFO_BTF)"
	raw, err := os.ReadFile(skelgenRtBTFVmlinux)
	if err != nil {
		return skelgenRtFail("load", step, err)
	}
	btf, err := skelgenRtParseBTF(raw)
	if err != nil {
		return skelgenRtFail("load", step, fmt.Errorf("%s: %w", skelgenRtBTFVmlinux, err))
	}
	for _, o := range ops {
		if !o.state.Autocreate {
			continue
		}
		if err := o.layout(btf, progs, descs); err != nil {
			return err
		}
	}
	return nil
}

// fill writes the programs' fds into the value; it fails naming a program not loaded.
func (o skelgenRtStructOps) fill(op string, progs []*SkelgenRtProgram) error {
	for j, m := range o.def.members {
		at := o.state.fdOffsets[j]
		if m.slot < 0 || at < 0 {
			continue
		}
		p := progs[m.slot]
		if p.fd <= 0 {
			return skelgenRtStructOpsFail(op, syscall.ENOENT, "struct_ops map %s: program %s of member %s was not "+
				"loaded (its Autoload is false)", o.def.mapName, p.info.name, m.name)
		}
		binary.LittleEndian.PutUint64(o.state.value[at:], uint64(p.fd))
	}
	return nil
}

// attach registers the structure: BPF_MAP_UPDATE_ELEM of its value, which registers a
// .struct_ops map; a .struct_ops.link map is registered by BPF_LINK_CREATE, whose fd goes
// to *o.link.
func (o skelgenRtStructOps) attach(progs []*SkelgenRtProgram) error {
	op, v := "attach "+o.def.mapName, o.state
	switch {
	case o.m.fd <= 0 || v.value == nil:
		return skelgenRtStructOpsFail(op, syscall.ENOENT, "struct_ops map %s was not created (not loaded, or its "+
			"Autocreate is false)", o.def.mapName)
	case o.link != nil && *o.link > 0, o.link == nil && v.registered:
		return skelgenRtStructOpsFail(op, syscall.EBUSY, "struct_ops map %s is attached already", o.def.mapName)
	case o.link == nil && v.written:
		return skelgenRtStructOpsFail(op, syscall.EBUSY, "struct_ops map %s was registered once: a .struct_ops map "+
			"cannot be registered again after a detach (a .struct_ops.link map can)", o.def.mapName)
	}
	if !v.written {
		if err := o.fill(op, progs); err != nil {
			return err
		}
		var key uint32
		if err := o.m.Update(&key, v.value, 0); err != nil {
			return skelgenRtStructOpsFail(op, skelgenRtErrno(err), "struct_ops map %s: the kernel refuses its struct %s "+
				"(BPF_MAP_UPDATE_ELEM)", o.def.mapName, o.def.typeName)
		}
		v.written, v.registered = true, o.link == nil
	}
	if o.link == nil {
		return nil
	}
	fd, err := skelgenRtLinkCreate(o.m.fd, 0, skelgenRtAttachStructOps, 0)
	if err != nil {
		return skelgenRtStructOpsFail(op, skelgenRtErrno(err), "struct_ops map %s: BPF_LINK_CREATE (a .struct_ops.link "+
			"map needs Linux 6.4)", o.def.mapName)
	}
	*o.link = fd
	return nil
}

// skelgenRtErrno is the system's error number err wraps (EINVAL when none).
func skelgenRtErrno(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return syscall.EINVAL
}

// settled is whether the structure is registered, or has no map to register.
func (o skelgenRtStructOps) settled() bool {
	if o.m.fd <= 0 {
		return true
	}
	if o.link != nil {
		return *o.link > 0
	}
	return o.state.registered
}

// detach unregisters the structure: closes its link, or deletes a .struct_ops map's value
// (should the kernel refuse, the map stays registered, and the next detach tries again).
func (o skelgenRtStructOps) detach() {
	if o.link != nil {
		skelgenRtClose(o.link)
	} else if o.state.registered {
		var key uint32
		o.state.registered = o.m.Delete(&key) != nil
	}
}

// skelgenRtStructOpsAttachAll registers every structure not settled before the call; on
// failure it unregisters those it registered.
func skelgenRtStructOpsAttachAll(ops []skelgenRtStructOps, progs []*SkelgenRtProgram) error {
	settled := make([]bool, len(ops))
	for i, o := range ops {
		settled[i] = o.settled()
	}
	for i, o := range ops {
		if settled[i] {
			continue
		}
		if err := o.attach(progs); err != nil {
			for j, done := range ops[:i] {
				if !settled[j] {
					done.detach()
				}
			}
			return err
		}
	}
	return nil
}

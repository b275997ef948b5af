package skelgenrt

import (
	"fmt"
	"reflect"
	"runtime"
	"syscall"
	"unsafe"
)

// SkelgenRtMap is one map of the skeleton. Before Load, MaxEntries and ValueSize change its
// definition; after Load, Lookup, Update, Delete and NextKey reach its elements.
type SkelgenRtMap struct {
	// MaxEntries, when not 0, replaces the compiled max_entries at Load.
	MaxEntries uint32
	// ValueSize, when not 0, replaces the compiled value size at Load (a global-data map
	// accepts only its compiled size).
	ValueSize uint32

	info       *skelgenRtMapInfo
	fd         int
	maxEntries uint32
	valueSize  uint32
	data       []byte
}

// skelgenRtMapInfo is a map as compiled; view marks a global-data map with a typed view,
// frozen one that is read-only after Load.
type skelgenRtMapInfo struct {
	name       string
	mapType    uint32
	keySize    uint32
	valueSize  uint32
	maxEntries uint32
	view       bool
	frozen     bool
}

// FD is the map's file descriptor after Load, 0 before.
func (m *SkelgenRtMap) FD() int {
	return m.fd
}

// Name is the map's name in the object.
func (m *SkelgenRtMap) Name() string {
	return m.info.name
}

// Lookup copies the value at key into value. Keys and values are pointers to, or slices
// of, fixed-size data without Go pointers, of the map's key and value sizes; a per-CPU map's
// value holds one value per possible CPU, each rounded up to 8 bytes.
func (m *SkelgenRtMap) Lookup(key, value any) error {
	return m.elem(skelgenRtCmdMapLookupElem, "lookup in", key, value, 0)
}

// Update stores value at key; flags is BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2).
func (m *SkelgenRtMap) Update(key, value any, flags uint64) error {
	return m.elem(skelgenRtCmdMapUpdateElem, "update of", key, value, flags)
}

// Delete removes the element at key.
func (m *SkelgenRtMap) Delete(key any) error {
	return m.elem(skelgenRtCmdMapDeleteElem, "delete from", key, nil, 0)
}

// NextKey copies the key after key into next (the first key when key is nil); past the
// last key the error wraps syscall.ENOENT.
func (m *SkelgenRtMap) NextKey(key, next any) error {
	return m.elem(skelgenRtCmdMapGetNextKey, "next key of", key, next, 0)
}

// elem makes one BPF_MAP_*_ELEM call; value is the value, or the next key.
func (m *SkelgenRtMap) elem(cmd uintptr, what string, key, value any, flags uint64) error {
	op := what + " " + m.info.name
	if m.fd <= 0 {
		return skelgenRtFail(op, "the map is not loaded", syscall.EBADF)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	attr := skelgenRtElemAttr{mapFD: uint32(m.fd), flags: flags}
	var err error
	if attr.key, err = skelgenRtBuffer(&pin, key, uintptr(m.info.keySize), cmd == skelgenRtCmdMapGetNextKey); err != nil {
		return skelgenRtFail(op, "check the key", err)
	}
	if cmd == skelgenRtCmdMapGetNextKey {
		attr.value, err = skelgenRtBuffer(&pin, value, uintptr(m.info.keySize), false)
	} else if cmd != skelgenRtCmdMapDeleteElem {
		attr.value, err = skelgenRtBuffer(&pin, value, m.valueBytes(), false)
	}
	if err != nil {
		return skelgenRtFail(op, "check the value", err)
	}
	if _, err := skelgenRtBPF(cmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		return skelgenRtFail(op, "BPF_MAP_*_ELEM", err)
	}
	return nil
}

// valueBytes is the size of a value as user space sees it.
func (m *SkelgenRtMap) valueBytes() uintptr {
	switch m.info.mapType {
	case skelgenRtMapTypePercpuHash, skelgenRtMapTypePercpuArray, skelgenRtMapTypeLRUPercpuHash, skelgenRtMapTypePercpuCgroupStorage:
		cpus, err := skelgenRtPossibleCPUs()
		if err != nil {
			cpus = runtime.NumCPU()
		}
		return uintptr((m.valueSize+7)/8*8) * uintptr(cpus)
	}
	return uintptr(m.valueSize)
}

// skelgenRtBuffer is the address of the data v points to, pinned in pin, after checking that
// it is size bytes without Go pointers. A nil v is address 0 when nilOK.
func skelgenRtBuffer(pin *runtime.Pinner, v any, size uintptr, nilOK bool) (uint64, error) {
	if v == nil && nilOK {
		return 0, nil
	}
	rv := reflect.ValueOf(v)
	var n uintptr
	switch {
	case rv.Kind() == reflect.Pointer && !rv.IsNil() && skelgenRtPlain(rv.Type().Elem()):
		n = rv.Type().Elem().Size()
	case rv.Kind() == reflect.Slice && rv.Len() > 0 && skelgenRtPlain(rv.Type().Elem()):
		n = uintptr(rv.Len()) * rv.Type().Elem().Size()
	default:
		return 0, fmt.Errorf("%T is not a pointer to, or a slice of, fixed-size data without Go pointers: %w", v, syscall.EINVAL)
	}
	if n != size {
		return 0, fmt.Errorf("%T holds %d bytes, the map's hold %d: %w", v, n, size, syscall.EINVAL)
	}
	p := rv.UnsafePointer()
	pin.Pin(p)
	return skelgenRtAddr(p), nil
}

// skelgenRtPlain is whether values of t are bytes only: the kernel may write them.
func skelgenRtPlain(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	case reflect.Array:
		return skelgenRtPlain(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if !skelgenRtPlain(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// openEntries sets MaxEntries of a perf event array compiled without one to the number of
// possible CPUs, libbpf's convention: the loader cannot count them itself.
func (m *SkelgenRtMap) openEntries() error {
	if m.info.mapType != skelgenRtMapTypePerfEventArray || m.info.maxEntries != 0 {
		return nil
	}
	cpus, err := skelgenRtPossibleCPUs()
	if err != nil {
		return skelgenRtFail("open", "count the possible CPUs for "+m.info.name, err)
	}
	m.MaxEntries = uint32(cpus)
	return nil
}

// openData backs the typed view of a global-data map with anonymous memory holding image
// (zeros where image ends), until Load maps the map itself there.
func (m *SkelgenRtMap) openData(image string) error {
	size := skelgenRtPageAligned(int(m.info.valueSize))
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return skelgenRtFail("open", "map memory for the view of "+m.info.name, err)
	}
	copy(mem, image)
	m.data = mem
	return nil
}

// mapData maps the map's own memory over the view's, at the same address, so the typed
// view now shows and changes what the programs see. A frozen map never changes: its view
// stays this process's memory, read back from the map, so that a write to it after Load
// changes only that copy instead of faulting on a read-only mapping.
func (m *SkelgenRtMap) mapData() error {
	m.maxEntries, m.valueSize = m.info.maxEntries, m.info.valueSize
	if m.MaxEntries != 0 {
		m.maxEntries = m.MaxEntries
	}
	if m.ValueSize != 0 {
		m.valueSize = m.ValueSize
	}
	if m.data == nil {
		return nil
	}
	if m.info.frozen {
		var key uint32
		return m.Lookup(&key, m.data[:m.valueSize])
	}
	addr := uintptr(unsafe.Pointer(&m.data[0]))
	r, _, errno := syscall.Syscall6(skelgenRtSysMmap(), addr, uintptr(len(m.data)), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_SHARED|syscall.MAP_FIXED, uintptr(m.fd), 0)
	if errno == 0 && r != addr {
		errno = syscall.EFAULT
	}
	if errno != 0 {
		return skelgenRtFail("load", "mmap of the "+m.info.name+" map", errno)
	}
	return nil
}

// unmapData puts anonymous memory holding the view's bytes in place of the map's, when a
// later step of Load failed: the map then goes with its fd, and the view is writable again
// for the next Load. Should that mmap fail, the map stays under the view until Close.
func (m *SkelgenRtMap) unmapData() {
	if m.data == nil {
		return
	}
	saved := append([]byte(nil), m.data...)
	addr := uintptr(unsafe.Pointer(&m.data[0]))
	r, _, errno := syscall.Syscall6(skelgenRtSysMmap(), addr, uintptr(len(m.data)), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_FIXED, ^uintptr(0), 0)
	if errno == 0 && r == addr {
		copy(m.data, saved)
	}
}

// closeData unmaps the view.
func (m *SkelgenRtMap) closeData() error {
	if m.data == nil {
		return nil
	}
	err := syscall.Munmap(m.data)
	m.data = nil
	if err != nil {
		return skelgenRtFail("close", "munmap of the view of "+m.info.name, err)
	}
	return nil
}

// SkelgenRtProgram is one program of the skeleton: Autoload before Load, the program's
// fd after.
type SkelgenRtProgram struct {
	// Autoload, when false, leaves the program out of Load. Open sets it as the object
	// says (false for a SEC("?...") program).
	Autoload bool

	info *skelgenRtProgInfo
	fd   int
}

// skelgenRtProgInfo is a program as compiled.
type skelgenRtProgInfo struct {
	name     string
	autoload bool
}

// FD is the program's file descriptor after Load (0 when not loaded).
func (p *SkelgenRtProgram) FD() int {
	return p.fd
}

// Name is the program's name in the object.
func (p *SkelgenRtProgram) Name() string {
	return p.info.name
}

// Run runs the program once with BPF_PROG_TEST_RUN on the context ctx (none when empty)
// and returns the program's return value. A syscall program's context is copied back
// into ctx.
func (p *SkelgenRtProgram) Run(ctx []byte) (int32, error) {
	op := "run " + p.info.name
	if p.fd <= 0 {
		return 0, skelgenRtFail(op, "the program is not loaded", syscall.ENOENT)
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	attr := skelgenRtTestRunAttr{progFD: uint32(p.fd), ctxSizeIn: uint32(len(ctx))}
	if len(ctx) > 0 {
		pin.Pin(&ctx[0])
		attr.ctxIn = skelgenRtAddr(unsafe.Pointer(&ctx[0]))
	}
	if _, err := skelgenRtBPF(skelgenRtCmdProgTestRun, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		return 0, skelgenRtFail(op, "BPF_PROG_TEST_RUN", err)
	}
	return int32(attr.retval), nil
}

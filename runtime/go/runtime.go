package skelgenrt

import (
	"encoding/binary"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// SkelgenRtError is the error of a failed step of the skeleton: errors.Is(err, syscall.EPERM)
// and the like reach the system's error number.
type SkelgenRtError struct {
	// Op is what was asked for: "open", "load", "attach handle_x", "lookup in counts", ...
	Op string
	// Step is what failed: a step of the loader's plan ("MAP_CREATE .rodata", "PROG_LOAD
	// handle_x"), or one of the runtime's own ("load the loader program").
	Step string
	// StepIndex is the step's index in the loader's plan (skelgen --emit plan), or -1
	// when the step is the runtime's own.
	StepIndex int
	// Log is the verifier or BTF log of the failing load, when LogLevel asked for it.
	Log string
	// Err is the cause, a syscall.Errno when the kernel refused.
	Err error
}

// Error says what failed and why.
func (e *SkelgenRtError) Error() string {
	msg := skelgenRtObject + ": " + e.Op + ": " + e.Step
	if e.StepIndex >= 0 {
		msg += " (loader step " + strconv.Itoa(e.StepIndex) + ")"
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *SkelgenRtError) Unwrap() error {
	return e.Err
}

// skelgenRtFail is the error of the runtime's own step.
func skelgenRtFail(op, step string, err error) error {
	return &SkelgenRtError{Op: op, Step: step, StepIndex: -1, Err: err}
}

// The bpf(2) commands, map types and flags the runtime uses (include/uapi/linux/bpf.h).
const (
	skelgenRtCmdMapCreate         = 0
	skelgenRtCmdMapLookupElem     = 1
	skelgenRtCmdMapUpdateElem     = 2
	skelgenRtCmdMapDeleteElem     = 3
	skelgenRtCmdMapGetNextKey     = 4
	skelgenRtCmdProgLoad          = 5
	skelgenRtCmdProgTestRun       = 10
	skelgenRtCmdRawTracepointOpen = 17
	skelgenRtCmdMapFreeze         = 22
	skelgenRtCmdLinkCreate        = 28
	skelgenRtCmdIterCreate        = 33

	skelgenRtMapTypeArray               = 2
	skelgenRtMapTypePercpuHash          = 5
	skelgenRtMapTypePercpuArray         = 6
	skelgenRtMapTypePerfEventArray      = 4
	skelgenRtMapTypeLRUPercpuHash       = 10
	skelgenRtMapTypePercpuCgroupStorage = 21
	skelgenRtMapTypeRingbuf             = 27
	skelgenRtProgTypeSyscall            = 31
	skelgenRtFSleepable                 = 16
	skelgenRtAttachPerfEvent            = 41
)

// skelgenRtSysBPF is the number of bpf(2): the syscall package lacks it on most targets.
func skelgenRtSysBPF() uintptr {
	switch runtime.GOARCH {
	case "386":
		return 357
	case "amd64":
		return 321
	case "arm":
		return 386
	case "mipsle":
		return 4355
	case "mips64le":
		return 5315
	case "ppc64le":
		return 361
	}
	return 280 // arm64, loong64, riscv64
}

// skelgenRtBPF makes one bpf(2) call; attr is a struct of the kernel's layout. Go memory that
// attr points to is pinned (runtime.Pinner) until the call returns: the kernel never keeps
// such a pointer past the call. A call that a signal interrupted (EINTR), or that the kernel
// asks to make again (EAGAIN: a program load whose verification a signal cut short), is
// made again, up to five times in all: the Go runtime signals its own threads.
func skelgenRtBPF(cmd uintptr, attr unsafe.Pointer, size uintptr) (int, error) {
	for tries := 1; ; tries++ {
		r, _, errno := syscall.Syscall(skelgenRtSysBPF(), cmd, uintptr(attr), size)
		if errno == 0 {
			return int(r), nil
		}
		if (errno != syscall.EINTR && errno != syscall.EAGAIN) || tries == 5 {
			return -1, errno
		}
	}
}

// skelgenRtPrivileged is step, and what loading needs when err is EPERM: that is how the
// runtime's first calls fail without privilege.
func skelgenRtPrivileged(step string, err error) string {
	if err != syscall.EPERM {
		return step
	}
	return step + " (loading BPF needs root, or CAP_BPF and CAP_PERFMON, plus CAP_NET_ADMIN for network programs)"
}

// skelgenRtAddr is the address of p for an attr field; whatever p points to must be
// pinned (a Go object) or not Go memory at all until the kernel is done with it.
func skelgenRtAddr(p unsafe.Pointer) uint64 {
	return uint64(uintptr(p))
}

// skelgenRtClose closes *fd if it holds one, and marks it empty.
func skelgenRtClose(fd *int) {
	if *fd > 0 {
		syscall.Close(*fd)
	}
	*fd = 0
}

// The parts of union bpf_attr the runtime uses, with the kernel's layout.
type skelgenRtMapCreateAttr struct {
	mapType    uint32
	keySize    uint32
	valueSize  uint32
	maxEntries uint32
	mapFlags   uint32
	innerMapFD uint32
	numaNode   uint32
	mapName    [16]byte
}

type skelgenRtElemAttr struct {
	mapFD uint32
	_     uint32
	key   uint64
	value uint64
	flags uint64
}

type skelgenRtProgLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [16]byte
	progIfindex        uint32
	expectedAttachType uint32
	progBTFFD          uint32
	funcInfoRecSize    uint32
	funcInfo           uint64
	funcInfoCnt        uint32
	lineInfoRecSize    uint32
	lineInfo           uint64
	lineInfoCnt        uint32
	attachBTFID        uint32
	attachProgFD       uint32
	coreReloCnt        uint32
	fdArray            uint64
}

type skelgenRtTestRunAttr struct {
	progFD      uint32
	retval      uint32
	dataSizeIn  uint32
	dataSizeOut uint32
	dataIn      uint64
	dataOut     uint64
	repeat      uint32
	duration    uint32
	ctxSizeIn   uint32
	ctxSizeOut  uint32
	ctxIn       uint64
	ctxOut      uint64
	flags       uint32
	cpu         uint32
	batchSize   uint32
	_           uint32
}

// The kernel's layouts, checked where Go could differ (8-byte fields on 32-bit targets).
var (
	_ = [1]struct{}{}[unsafe.Sizeof(skelgenRtMapCreateAttr{})-44]
	_ = [1]struct{}{}[unsafe.Sizeof(skelgenRtElemAttr{})-32]
	_ = [1]struct{}{}[unsafe.Offsetof(skelgenRtProgLoadAttr{}.fdArray)-120]
	_ = [1]struct{}{}[unsafe.Offsetof(skelgenRtTestRunAttr{}.ctxIn)-48]
	_ = [1]struct{}{}[unsafe.Sizeof(skelgenRtTestRunAttr{})-80]
)

// skelgenRtLoad runs the embedded loader (docs/loader-abi.md, section 2) with the knobs of
// maps and progs and what fill, when not nil, adds to the context (the struct_ops layout),
// then hands their fds to them and maps the global-data views.
func skelgenRtLoad(maps []*SkelgenRtMap, progs []*SkelgenRtProgram, fill func(ctx []byte), logLevel uint32, logBuf []byte) error {
	ctx := skelgenRtContext(maps, progs, logLevel, logBuf)
	if fill != nil {
		fill(ctx)
	}
	if err := skelgenRtRunLoader(ctx, logBuf); err != nil {
		return err
	}
	le := binary.LittleEndian
	for i, m := range maps {
		m.fd = int(int32(le.Uint32(ctx[48+24*i:])))
	}
	for i, p := range progs {
		p.fd = int(int32(le.Uint32(ctx[48+24*len(maps)+8*i:])))
	}
	for i, m := range maps {
		if err := m.mapData(); err != nil {
			for _, m := range maps[:i] {
				m.unmapData()
			}
			for _, p := range progs {
				skelgenRtClose(&p.fd)
			}
			for _, m := range maps {
				skelgenRtClose(&m.fd)
			}
			return err
		}
	}
	return nil
}

// skelgenRtContext is the loader's context (docs/loader-abi.md, section 3) with the knobs.
func skelgenRtContext(maps []*SkelgenRtMap, progs []*SkelgenRtProgram, logLevel uint32, logBuf []byte) []byte {
	ctx := make([]byte, skelgenRtCtxSize)
	le := binary.LittleEndian
	le.PutUint32(ctx[0:], skelgenRtCtxSize)
	le.PutUint32(ctx[4:], skelgenRtABIVersion)
	le.PutUint32(ctx[12:], uint32(len(maps)))
	le.PutUint32(ctx[16:], uint32(len(progs)))
	if logLevel != 0 && len(logBuf) > 0 {
		logBuf[0] = 0
		le.PutUint32(ctx[20:], logLevel)
		le.PutUint32(ctx[24:], uint32(len(logBuf)))
		le.PutUint64(ctx[32:], skelgenRtAddr(unsafe.Pointer(&logBuf[0])))
	}
	for i, m := range maps {
		d := ctx[48+24*i:]
		le.PutUint32(d[4:], m.MaxEntries)
		le.PutUint32(d[8:], m.ValueSize)
		if m.data != nil {
			le.PutUint64(d[16:], skelgenRtAddr(unsafe.Pointer(&m.data[0])))
		}
	}
	for i, p := range progs {
		if p.Autoload {
			le.PutUint32(ctx[48+24*len(maps)+8*i+4:], 1)
		}
	}
	return ctx
}

// skelgenRtRunLoader makes the five calls: create, fill and freeze the loader map, load the
// loader program, run it on ctx. The loader's fds are closed whatever happens.
func skelgenRtRunLoader(ctx, logBuf []byte) error {
	skelgenRtReserveStdin()
	mapFD, err := skelgenRtLoaderMap()
	if err != nil {
		return err
	}
	defer syscall.Close(mapFD)
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&ctx[0])
	if len(logBuf) > 0 {
		pin.Pin(&logBuf[0])
	}
	fdArray := new(int32)
	*fdArray = int32(mapFD)
	pin.Pin(fdArray)
	license := []byte("Dual BSD/GPL\x00")
	pin.Pin(&license[0])
	le := binary.LittleEndian
	load := skelgenRtProgLoadAttr{
		progType:  skelgenRtProgTypeSyscall,
		insnCnt:   uint32(len(skelgenRtLoaderInsns) / 8),
		insns:     skelgenRtAddr(unsafe.Pointer(unsafe.StringData(skelgenRtLoaderInsns))),
		license:   skelgenRtAddr(unsafe.Pointer(&license[0])),
		progFlags: skelgenRtFSleepable,
		fdArray:   skelgenRtAddr(unsafe.Pointer(fdArray)),
	}
	copy(load.progName[:], "__loader.prog")
	progFD, err := skelgenRtLoadLoaderProg(&load, ctx)
	if err != nil {
		return skelgenRtLoaderFail(skelgenRtPrivileged("load the loader program", err), -1, logBuf, err)
	}
	defer syscall.Close(progFD)
	le.PutUint32(ctx[40:], ^uint32(0))
	retval, err := skelgenRtRunLoaderProg(progFD, ctx, logBuf)
	if err != nil {
		return skelgenRtLoaderFail("run the loader program", -1, logBuf, err)
	}
	if retval != 0 {
		step := int(le.Uint32(ctx[40:]))
		what := "an unknown loader step"
		if step >= 0 && step < len(skelgenRtLoaderSteps) {
			what = skelgenRtLoaderSteps[step]
		}
		errno := syscall.EINVAL
		if r := int32(retval); r < 0 {
			errno = syscall.Errno(-r)
		}
		return skelgenRtLoaderFail(what, step, logBuf, errno)
	}
	return nil
}

// skelgenRtRunLoaderProg runs the loader program on ctx and returns its return value. A
// load step whose verification a signal cut short fails with EAGAIN (the Go runtime
// signals its own threads; libbpf repeats such program loads); the loader has then closed
// what it made and left the context's inputs as they were, so the run is made again, up
// to five times in all, with the log cleared.
func skelgenRtRunLoaderProg(progFD int, ctx, logBuf []byte) (uint32, error) {
	for tries := 1; ; tries++ {
		run := skelgenRtTestRunAttr{
			progFD:    uint32(progFD),
			ctxSizeIn: uint32(len(ctx)),
			ctxIn:     skelgenRtAddr(unsafe.Pointer(&ctx[0])),
		}
		if _, err := skelgenRtBPF(skelgenRtCmdProgTestRun, unsafe.Pointer(&run), unsafe.Sizeof(run)); err != nil {
			return 0, err
		}
		if int32(run.retval) != -int32(syscall.EAGAIN) || tries == 5 {
			return run.retval, nil
		}
		if len(logBuf) > 0 {
			logBuf[0] = 0
		}
	}
}

// skelgenRtLoadLoaderProg loads the loader program (call 4) without a log first: a
// successful load's log would stand for the log of a later failing step that writes none,
// and the verifier's log of a long loader overflows a buffer sized for the object's
// programs. Only a refused loader is loaded again with the context's log, to say why.
func skelgenRtLoadLoaderProg(load *skelgenRtProgLoadAttr, ctx []byte) (int, error) {
	fd, err := skelgenRtBPF(skelgenRtCmdProgLoad, unsafe.Pointer(load), unsafe.Sizeof(*load))
	le := binary.LittleEndian
	if err == nil || le.Uint32(ctx[20:]) == 0 {
		return fd, err
	}
	load.logLevel = le.Uint32(ctx[20:])
	load.logSize = le.Uint32(ctx[24:])
	load.logBuf = le.Uint64(ctx[32:])
	return skelgenRtBPF(skelgenRtCmdProgLoad, unsafe.Pointer(load), unsafe.Sizeof(*load))
}

// skelgenRtLoaderFail is the error of a failed load, with the log when one was asked for.
func skelgenRtLoaderFail(step string, index int, logBuf []byte, err error) error {
	e := &SkelgenRtError{Op: "load", Step: step, StepIndex: index, Err: err}
	for i, c := range logBuf {
		if c == 0 {
			e.Log = string(logBuf[:i])
			break
		}
	}
	return e
}

// skelgenRtLoaderMap creates the loader map, writes the loader's data into it and freezes
// it (docs/loader-abi.md, section 2, calls 1 to 3).
func skelgenRtLoaderMap() (int, error) {
	create := skelgenRtMapCreateAttr{
		mapType:    skelgenRtMapTypeArray,
		keySize:    4,
		valueSize:  uint32(len(skelgenRtLoaderData)),
		maxEntries: 1,
	}
	copy(create.mapName[:], "__loader.map")
	fd, err := skelgenRtBPF(skelgenRtCmdMapCreate, unsafe.Pointer(&create), unsafe.Sizeof(create))
	if err != nil {
		return -1, skelgenRtFail("load", skelgenRtPrivileged("create the loader map", err), err)
	}
	key := new(uint32)
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(key)
	update := skelgenRtElemAttr{
		mapFD: uint32(fd),
		key:   skelgenRtAddr(unsafe.Pointer(key)),
		value: skelgenRtAddr(unsafe.Pointer(unsafe.StringData(skelgenRtLoaderData))),
	}
	if _, err := skelgenRtBPF(skelgenRtCmdMapUpdateElem, unsafe.Pointer(&update), unsafe.Sizeof(update)); err != nil {
		syscall.Close(fd)
		return -1, skelgenRtFail("load", "write the loader map", err)
	}
	freeze := skelgenRtElemAttr{mapFD: uint32(fd)}
	if _, err := skelgenRtBPF(skelgenRtCmdMapFreeze, unsafe.Pointer(&freeze), 4); err != nil {
		syscall.Close(fd)
		return -1, skelgenRtFail("load", "freeze the loader map", err)
	}
	return fd, nil
}

// skelgenRtReserveStdin fills a closed fd 0 with /dev/null: 0 means "no fd" to the loader
// and the skeleton, so the kernel must not hand it out.
func skelgenRtReserveStdin() {
	_, _, errno := syscall.Syscall(syscall.SYS_FCNTL, 0, syscall.F_GETFD, 0)
	if errno != syscall.EBADF {
		return
	}
	if fd, err := syscall.Open("/dev/null", syscall.O_RDONLY, 0); err == nil && fd > 0 {
		syscall.Close(fd)
	}
}

// skelgenRtSysMmap is the number of the mmap call taking a byte offset (mmap2 on 32-bit
// targets, where the offset is counted in pages; the runtime maps at offset 0 only).
func skelgenRtSysMmap() uintptr {
	switch runtime.GOARCH {
	case "386", "arm":
		return 192
	case "mipsle":
		return 4210
	}
	return syscall.SYS_MMAP
}

// skelgenRtPageAligned is size rounded up to whole pages.
func skelgenRtPageAligned(size int) int {
	page := os.Getpagesize()
	if size == 0 {
		size = 1
	}
	return (size + page - 1) / page * page
}

// skelgenRtPossibleCPUs counts the CPUs in /sys/devices/system/cpu/possible ("0-3,5").
func skelgenRtPossibleCPUs() (int, error) {
	text, err := os.ReadFile("/sys/devices/system/cpu/possible")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(text)), ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0, err
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return 0, err
			}
		}
		n += b - a + 1
	}
	return n, nil
}

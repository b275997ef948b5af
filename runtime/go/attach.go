package skelgenrt

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// skelgenRtAttach links the loaded program p with attach, keeping the link's fd in *link.
func skelgenRtAttach(p *SkelgenRtProgram, link *int, attach func(prog int) (int, error)) error {
	op := "attach " + p.info.name
	if *link > 0 {
		return skelgenRtFail(op, "the program is already attached", syscall.EBUSY)
	}
	if p.fd <= 0 {
		return skelgenRtFail(op, "the program is not loaded", syscall.ENOENT)
	}
	fd, err := attach(p.fd)
	if err != nil {
		var e *SkelgenRtError
		if errors.As(err, &e) {
			e.Op = op
			return e
		}
		return skelgenRtFail(op, "attach", err)
	}
	*link = fd
	return nil
}

// The attr of BPF_LINK_CREATE, BPF_RAW_TRACEPOINT_OPEN and BPF_ITER_CREATE, and struct
// perf_event_attr up to config2 (include/uapi/linux/perf_event.h).
type skelgenRtLinkCreateAttr struct {
	progFD     uint32
	target     uint32
	attachType uint32
	flags      uint32
	args       [2]uint64
}

type skelgenRtRawTracepointAttr struct {
	name   uint64
	progFD uint32
	_      uint32
}

type skelgenRtIterCreateAttr struct {
	linkFD uint32
	flags  uint32
}

type skelgenRtPerfAttr struct {
	typ          uint32
	size         uint32
	config       uint64
	samplePeriod uint64
	sampleType   uint64
	readFormat   uint64
	bits         uint64
	wakeupEvents uint32
	bpType       uint32
	config1      uint64
	config2      uint64
}

var (
	_ = [1]struct{}{}[unsafe.Sizeof(skelgenRtLinkCreateAttr{})-32]
	_ = [1]struct{}{}[unsafe.Sizeof(skelgenRtRawTracepointAttr{})-16]
	_ = [1]struct{}{}[unsafe.Sizeof(skelgenRtPerfAttr{})-72]
)

// skelgenRtLinkCreate makes a BPF link of prog to target (an fd or an interface index).
func skelgenRtLinkCreate(prog, target int, attachType, flags uint32) (int, error) {
	attr := skelgenRtLinkCreateAttr{progFD: uint32(prog), target: uint32(target), attachType: attachType, flags: flags}
	fd, err := skelgenRtBPF(skelgenRtCmdLinkCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		return -1, skelgenRtFail("", "BPF_LINK_CREATE", err)
	}
	return fd, nil
}

// skelgenRtAttachRawTracepoint opens the raw tracepoint name, or with "" the BTF target of a
// tp_btf, fentry, fexit, fmod_ret or lsm program.
func skelgenRtAttachRawTracepoint(prog int, name string) (int, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	attr := skelgenRtRawTracepointAttr{progFD: uint32(prog)}
	if name != "" {
		attr.name = skelgenRtCString(&pin, name)
	}
	fd, err := skelgenRtBPF(skelgenRtCmdRawTracepointOpen, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		return -1, skelgenRtFail("", "BPF_RAW_TRACEPOINT_OPEN", err)
	}
	return fd, nil
}

// skelgenRtCString is the address of s as a NUL-terminated string, pinned in pin.
func skelgenRtCString(pin *runtime.Pinner, s string) uint64 {
	b := append([]byte(s), 0)
	pin.Pin(&b[0])
	return skelgenRtAddr(unsafe.Pointer(&b[0]))
}

// skelgenRtIterCreate starts a read of the iterator linked at link.
func skelgenRtIterCreate(link int, name string) (*os.File, error) {
	op := "read the iterator " + name
	if link <= 0 {
		return nil, skelgenRtFail(op, "the iterator is not attached", syscall.EBADF)
	}
	attr := skelgenRtIterCreateAttr{linkFD: uint32(link)}
	fd, err := skelgenRtBPF(skelgenRtCmdIterCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		return nil, skelgenRtFail(op, "BPF_ITER_CREATE", err)
	}
	return os.NewFile(uintptr(fd), "bpf iterator "+name), nil
}

// skelgenRtPerfEventOpen is perf_event_open(2) with PERF_FLAG_FD_CLOEXEC.
func skelgenRtPerfEventOpen(attr *skelgenRtPerfAttr, pid, cpu int) (int, error) {
	attr.size = uint32(unsafe.Sizeof(*attr))
	r, _, errno := syscall.Syscall6(syscall.SYS_PERF_EVENT_OPEN, uintptr(unsafe.Pointer(attr)),
		uintptr(pid), uintptr(cpu), ^uintptr(0), 8, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// skelgenRtAttachPerf attaches prog to the perf event pfd: a BPF link (Linux 5.15), or else
// the event itself with the program set (the event's fd is then the link).
func skelgenRtAttachPerf(prog, pfd int) (int, error) {
	if link, err := skelgenRtLinkCreate(prog, pfd, skelgenRtAttachPerfEvent, 0); err == nil {
		syscall.Close(pfd)
		return link, nil
	}
	// _IOW('$', 8, u32) and _IO('$', 0), whose direction bits differ on mips and powerpc.
	setBPF := uintptr(0x40042408)
	switch runtime.GOARCH {
	case "mipsle", "mips64le", "ppc64le":
		setBPF = 0x80042408
	}
	for _, req := range []uintptr{setBPF, 0x2400} {
		arg := uintptr(prog)
		if req == 0x2400 {
			arg = 0
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(pfd), req, arg); errno != 0 {
			syscall.Close(pfd)
			return -1, skelgenRtFail("", "attach to the perf event", errno)
		}
	}
	return pfd, nil
}

// skelgenRtReadNumber reads "<prefix><number>" from a sysfs or tracefs file.
func skelgenRtReadNumber(path, prefix string) (uint64, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	digits, ok := strings.CutPrefix(strings.TrimSpace(string(text)), prefix)
	if !ok {
		return 0, fmt.Errorf("%s: no %q: %w", path, prefix, syscall.EINVAL)
	}
	return strconv.ParseUint(digits, 10, 64)
}

// skelgenRtAttachTracepoint attaches prog to events/<category>/<name> of tracefs.
func skelgenRtAttachTracepoint(prog int, category, name string) (int, error) {
	var id uint64
	var err error
	for _, root := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if id, err = skelgenRtReadNumber(root+"/events/"+category+"/"+name+"/id", ""); err == nil {
			break
		}
	}
	if err != nil {
		return -1, skelgenRtFail("", "read the id of the tracepoint "+category+"/"+name, err)
	}
	attr := skelgenRtPerfAttr{typ: 2, config: id, samplePeriod: 1, wakeupEvents: 1}
	pfd, err := skelgenRtPerfEventOpen(&attr, -1, 0)
	if err != nil {
		return -1, skelgenRtFail("", "perf_event_open of the tracepoint "+category+"/"+name, err)
	}
	return skelgenRtAttachPerf(prog, pfd)
}

// skelgenRtProbeOpen opens a kprobe or uprobe event through its PMU (Linux 4.17), not
// attached: target is the function name or the file path, offset the offset in the function
// or the file.
func skelgenRtProbeOpen(pmu string, retprobe bool, pid int, target string, offset uint64) (int, error) {
	dir := "/sys/bus/event_source/devices/" + pmu
	typ, err := skelgenRtReadNumber(dir+"/type", "")
	if err != nil {
		return -1, skelgenRtFail("", "read the type of the "+pmu+" PMU", err)
	}
	attr := skelgenRtPerfAttr{typ: uint32(typ), config2: offset}
	if retprobe {
		bit, err := skelgenRtReadNumber(dir+"/format/retprobe", "config:")
		if err == nil && bit > 63 {
			err = syscall.EINVAL
		}
		if err != nil {
			return -1, skelgenRtFail("", "read the retprobe bit of the "+pmu+" PMU", err)
		}
		attr.config = 1 << bit
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	attr.config1 = skelgenRtCString(&pin, target)
	cpu := 0
	if pid >= 0 {
		cpu = -1
	} else {
		pid = -1
	}
	pfd, err := skelgenRtPerfEventOpen(&attr, pid, cpu)
	if err != nil {
		return -1, skelgenRtFail("", "perf_event_open of the "+pmu+" "+target, err)
	}
	return pfd, nil
}

// skelgenRtAttachProbe attaches prog to a kprobe or uprobe event (see skelgenRtProbeOpen).
func skelgenRtAttachProbe(pmu string, prog int, retprobe bool, pid int, target string, offset uint64) (int, error) {
	pfd, err := skelgenRtProbeOpen(pmu, retprobe, pid, target, offset)
	if err != nil {
		return -1, err
	}
	return skelgenRtAttachPerf(prog, pfd)
}

// skelgenRtSyscallPrefix is the prefix of the architecture's syscall wrappers
// (__<prefix>_sys_<name>), as the kernel names them; "" where skelgen knows none.
func skelgenRtSyscallPrefix() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x64"
	case "386":
		return "ia32"
	case "s390x":
		return "s390x"
	case "arm64":
		return "arm64"
	case "arm":
		return "arm"
	case "mips", "mipsle", "mips64", "mips64le":
		return "mips"
	case "riscv64":
		return "riscv"
	case "ppc64", "ppc64le":
		return "powerpc64"
	case "loong64":
		return "loongarch"
	}
	return ""
}

// skelgenRtSyscallFunction is the kernel function of syscall name: __<arch>_sys_<name> when
// the running kernel has syscall wrappers (a kprobe on __<arch>_sys_bpf can be made, as
// libbpf checks), else sys_<name>.
func skelgenRtSyscallFunction(name string) string {
	if prefix := skelgenRtSyscallPrefix(); prefix != "" {
		if pfd, err := skelgenRtProbeOpen("kprobe", false, -1, "__"+prefix+"_sys_bpf", 0); err == nil {
			syscall.Close(pfd)
			return "__" + prefix + "_sys_" + name
		}
	}
	return "sys_" + name
}

// skelgenRtAttachKsyscall attaches prog to the entry (or return) of the syscall name
// (openat), named as the running kernel names it.
func skelgenRtAttachKsyscall(prog int, retprobe bool, name string) (int, error) {
	return skelgenRtAttachProbe("kprobe", prog, retprobe, -1, skelgenRtSyscallFunction(name), 0)
}

// skelgenRtAttachKprobe attaches prog to the kernel function fn, offset bytes in (or to its
// return).
func skelgenRtAttachKprobe(prog int, retprobe bool, fn string, offset uint64) (int, error) {
	return skelgenRtAttachProbe("kprobe", prog, retprobe, -1, fn, offset)
}

// skelgenRtAttachUprobe attaches prog to the instruction at offset in the file path, in
// process pid (-1: every process), or to the return of the function there.
func skelgenRtAttachUprobe(prog int, retprobe bool, pid int, path string, offset uint64) (int, error) {
	return skelgenRtAttachProbe("uprobe", prog, retprobe, pid, path, offset)
}

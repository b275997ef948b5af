package skelgenrt

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// SkelgenRtUprobeOpts says what a uprobe by function name attaches to.
type SkelgenRtUprobeOpts struct {
	// Binary is a path, or a bare name found as skelgenRtFindBinary says.
	Binary string
	// Func is a function's symbol name (name@version allowed); "": Offset is a file offset.
	Func string
	// Offset is bytes into the function (or the file, without one).
	Offset uint64
	// PID is the process to trace; -1: every process.
	PID int
	// Retprobe attaches to the function's return rather than its entry.
	Retprobe bool
}

// AttachUprobe attaches this uprobe program as opts says: the binary found, the function's
// file offset read from its symbol tables. Any uprobe program can be attached so, also as
// a uretprobe, to any function of any binary. The link's fd is the caller's to close.
func (p *SkelgenRtProgram) AttachUprobe(opts SkelgenRtUprobeOpts) (int, error) {
	op := "attach " + p.info.name
	if p.fd <= 0 {
		return -1, skelgenRtFail(op, "the program is not loaded", syscall.ENOENT)
	}
	fd, err := skelgenRtAttachUprobeName(p.fd, opts)
	if err != nil {
		if e, ok := err.(*SkelgenRtError); ok {
			e.Op = op
			return -1, e
		}
		return -1, skelgenRtFail(op, "uprobe", err)
	}
	return fd, nil
}

// skelgenRtMultiarch is the multiarch library directory of the architecture (Debian's names).
var skelgenRtMultiarch = map[string]string{
	"amd64": "x86_64-linux-gnu", "386": "i386-linux-gnu", "arm64": "aarch64-linux-gnu",
	"arm": "arm-linux-gnueabihf", "riscv64": "riscv64-linux-gnu",
	"ppc64le": "powerpc64le-linux-gnu", "s390x": "s390x-linux-gnu",
	"loong64": "loongarch64-linux-gnu",
}

// skelgenRtIsLibrary says whether name is a shared library's name: it ends in ".so" or
// holds ".so.".
func skelgenRtIsLibrary(name string) bool {
	return strings.HasSuffix(name, ".so") || strings.Contains(name, ".so.")
}

// skelgenRtSearchDirs is the first readable dir/name for the directories of the
// ':'-separated dirs, or "".
func skelgenRtSearchDirs(dirs, name string) string {
	for _, dir := range strings.Split(dirs, ":") {
		if dir == "" {
			continue
		}
		path := filepath.Join(dir, name)
		if f, err := os.Open(path); err == nil {
			f.Close()
			return path
		}
	}
	return ""
}

// skelgenRtFindBinary is the file a uprobe's binary names, or "". A name with a '/' is a
// path, used as it is. A bare library name (libc.so.6) is looked for in $LD_LIBRARY_PATH,
// then /lib64, /usr/lib64, /lib, /usr/lib, /lib/<multiarch>, /usr/lib/<multiarch>; any
// other bare name in $PATH, then /usr/bin, /usr/sbin.
func skelgenRtFindBinary(binary string) string {
	if strings.Contains(binary, "/") {
		return binary
	}
	if !skelgenRtIsLibrary(binary) {
		if p := skelgenRtSearchDirs(os.Getenv("PATH"), binary); p != "" {
			return p
		}
		return skelgenRtSearchDirs("/usr/bin:/usr/sbin", binary)
	}
	dirs := os.Getenv("LD_LIBRARY_PATH") + ":/lib64:/usr/lib64:/lib:/usr/lib"
	if arch := skelgenRtMultiarch[runtime.GOARCH]; arch != "" {
		dirs += ":/lib/" + arch + ":/usr/lib/" + arch
	}
	return skelgenRtSearchDirs(dirs, binary)
}

// skelgenRtUprobeOffset is the file offset of opts.Func + opts.Offset in the file at path.
func skelgenRtUprobeOffset(path string, opts SkelgenRtUprobeOpts) (uint64, error) {
	what := "uprobe " + opts.Func + ": " + path
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, skelgenRtFail("", what, err)
	}
	elf, err := skelgenRtParseELF(data)
	var off uint64
	if err == nil {
		off, err = elf.funcOffset(opts.Func)
	}
	if err != nil {
		return 0, skelgenRtFail("", what, err)
	}
	if off+opts.Offset < off {
		return 0, skelgenRtFail("", what, fmt.Errorf("offset %#x is too large: %w", opts.Offset, syscall.EINVAL))
	}
	return off + opts.Offset, nil
}

// skelgenRtAttachUprobeFunc attaches prog to the function fn (offset bytes in) of binary,
// or with fn "" to the file offset offset; for the skeletons' attach methods.
func skelgenRtAttachUprobeFunc(prog int, retprobe bool, pid int, binary, fn string, offset uint64) (int, error) {
	return skelgenRtAttachUprobeName(prog, SkelgenRtUprobeOpts{Binary: binary, Func: fn, Offset: offset, PID: pid, Retprobe: retprobe})
}

// skelgenRtAttachUprobeName attaches prog as opts says; the error names the function and
// the file.
func skelgenRtAttachUprobeName(prog int, opts SkelgenRtUprobeOpts) (int, error) {
	path := skelgenRtFindBinary(opts.Binary)
	if path == "" {
		return -1, skelgenRtFail("", "uprobe: no binary "+opts.Binary+" in the library or program paths", syscall.ENOENT)
	}
	offset := opts.Offset
	if opts.Func != "" {
		var err error
		if offset, err = skelgenRtUprobeOffset(path, opts); err != nil {
			return -1, err
		}
	}
	return skelgenRtAttachProbe("uprobe", prog, opts.Retprobe, opts.PID, path, offset)
}

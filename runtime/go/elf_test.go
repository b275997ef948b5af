package skelgenrt

import (
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// The handmade file of the C runtime's tests, in both byte orders.
func elfFixtures(tb testing.TB) [][]byte {
	var out [][]byte
	for _, name := range []string{"fixture-le", "fixture-be"} {
		data, err := os.ReadFile("testdata/elf/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

const elfTextOff = 0x100

func elfLookup(data []byte, name string) (uint64, error) {
	e, err := skelgenRtParseELF(data)
	if err != nil {
		return 0, err
	}
	return e.funcOffset(name)
}

func elfErrno(err error) syscall.Errno {
	var e *skelgenRtELFError
	if errors.As(err, &e) {
		return e.Errno
	}
	return 0
}

func TestELFFixture(t *testing.T) {
	for _, data := range elfFixtures(t) {
		for name, want := range map[string]uint64{
			"main": 0x10, "helper": 0x20, "malloc": 0x30, "malloc@@GLIBC_2.2.5": 0x30,
			"dup": 0x50, "ifunc": 0x80, "dyn_only": 0x90,
		} {
			if got, err := elfLookup(data, name); err != nil || got != elfTextOff+want {
				t.Errorf("%s: %#x, %v; want %#x", name, got, err, elfTextOff+want)
			}
		}
		for name, want := range map[string]syscall.Errno{
			"mall": syscall.ENOENT, "twice": syscall.ENOTUNIQ, "data_obj": syscall.ENOENT,
			"undef": syscall.ENOENT, "outside": syscall.ENOENT, "": syscall.ENOENT,
		} {
			if _, err := elfLookup(data, name); elfErrno(err) != want {
				t.Errorf("%s: %v, want %v", name, err, want)
			}
		}
		if _, err := elfLookup(data, "twice"); !strings.Contains(err.Error(), "0x401160") {
			t.Errorf("twice: %v", err)
		}
	}
}

func TestELFDamage(t *testing.T) {
	for _, data := range elfFixtures(t) {
		for n := range data {
			off, err := elfLookup(data[:n], "main")
			if (err == nil && off != elfTextOff+0x10) || (err != nil && err.Error() == "") {
				t.Errorf("prefix %d: %#x, %v", n, off, err)
			}
		}
		for i := range data {
			bad := append([]byte(nil), data...)
			bad[i] ^= 0xff
			if _, err := elfLookup(bad, "main"); err != nil && err.Error() == "" {
				t.Errorf("byte %d: an error without a reason", i)
			}
		}
		if _, err := elfLookup(data[:63], "main"); err == nil || err.Error() != "not an ELF file (at offset 0x0)" {
			t.Errorf("short: %v", err)
		}
	}
}

// oracleOffset is the file offset of a function by the standard library's ELF reader.
func oracleOffset(t *testing.T, path, name string) uint64 {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, _ := f.Symbols()
	dyn, _ := f.DynamicSymbols()
	for _, s := range append(syms, dyn...) {
		if s.Name != name || elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Section == elf.SHN_UNDEF {
			continue
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && s.Value >= p.Vaddr && s.Value < p.Vaddr+p.Filesz {
				return s.Value - p.Vaddr + p.Off
			}
		}
	}
	t.Fatalf("%s: no %s", path, name)
	return 0
}

// The offsets of a non-PIE executable's function (the go command's main.main) and of a
// shared object's (libc's getpid) against the standard library's ELF reader.
func TestELFRealFiles(t *testing.T) {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	want := oracleOffset(t, goCmd, "main.main")
	if got, err := skelgenRtUprobeOffset(goCmd, SkelgenRtUprobeOpts{Func: "main.main"}); err != nil || got != want {
		t.Errorf("%s main.main: %#x, %v; want %#x", goCmd, got, err, want)
	}
	libc := skelgenRtFindBinary("libc.so.6")
	if libc == "" {
		t.Fatal("no libc.so.6")
	}
	want = oracleOffset(t, libc, "getpid")
	if got, err := skelgenRtUprobeOffset(libc, SkelgenRtUprobeOpts{Func: "getpid", Offset: 4}); err != nil || got != want+4 {
		t.Errorf("%s getpid+4: %#x, %v; want %#x", libc, got, err, want+4)
	}
	_, err := skelgenRtUprobeOffset(libc, SkelgenRtUprobeOpts{Func: "no_such_function_here"})
	if !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), "no_such_function_here") ||
		!strings.Contains(err.Error(), libc) {
		t.Errorf("a missing function: %v", err)
	}
	if _, err := skelgenRtUprobeOffset("/nonexistent/binary", SkelgenRtUprobeOpts{Func: "main"}); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestFindBinary(t *testing.T) {
	if !skelgenRtIsLibrary("libc.so.6") || !skelgenRtIsLibrary("libfoo.so") || skelgenRtIsLibrary("sh") {
		t.Error("skelgenRtIsLibrary")
	}
	if got := skelgenRtFindBinary("/proc/self/exe"); got != "/proc/self/exe" {
		t.Error(got)
	}
	if got := skelgenRtFindBinary("sh"); !strings.HasSuffix(got, "/sh") {
		t.Error(got)
	}
	for _, missing := range []string{"libskelgen_nothing.so.9", "skelgen-no-such-program"} {
		if got := skelgenRtFindBinary(missing); got != "" {
			t.Error(got)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/libc.so.6", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LD_LIBRARY_PATH", "/nonexistent::"+dir)
	if got := skelgenRtFindBinary("libc.so.6"); got != dir+"/libc.so.6" {
		t.Errorf("LD_LIBRARY_PATH first: %s", got)
	}
}

func FuzzELF(f *testing.F) {
	for _, data := range elfFixtures(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := skelgenRtParseELF(data)
		if err != nil {
			return
		}
		for _, name := range []string{"main", "malloc", "dup", "twice", "dyn_only", "getpid", ""} {
			if off, err := e.funcOffset(name); err == nil && off >= uint64(len(data)) {
				t.Fatalf("%s at %#x, past the end", name, off)
			}
		}
	})
}

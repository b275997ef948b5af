package ksyms_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"skelgen/examples/go/internal/check"
	"skelgen/examples/go/ksyms"
)

// .kconfig values are read at open (and can be overridden before Load); kfuncs and ksyms
// are resolved by the loader in the kernel. SKELGEN_KSYMS_NOKFUNCS=1 leaves the kfunc
// program out, for kernels before 6.4 (no number iterator).
func TestKconfigAndKsyms(t *testing.T) {
	check.Root(t)
	hz, ok := configHz()
	if !ok {
		t.Skip("the kernel configuration is not readable here (/boot/config-$(uname -r), /proc/config.gz)")
	}
	kfuncs := os.Getenv("SKELGEN_KSYMS_NOKFUNCS") == ""
	before := check.Baseline(t)
	s, err := ksyms.OpenKsyms()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want(t, "open CONFIG_HZ", s.Kconfig.ConfigHz, hz)
	want(t, "open LINUX_KERNEL_VERSION", s.Kconfig.LinuxKernelVersion, kernelVersion(t))
	want(t, "open CONFIG_BPF_SYSCALL", s.Kconfig.ConfigBPFSyscall, true)
	want(t, "open CONFIG_SKELGEN_ABSENT_OPTION", s.Kconfig.ConfigSkelgenAbsentOption, false)
	s.Kconfig.ConfigHz = 1234
	s.Progs.UseKfuncs.Autoload = kfuncs

	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	syscall.Syscall(syscall.SYS_GETGID, 0, 0, 0)
	syscall.Syscall(syscall.SYS_GETEGID, 0, 0, 0)
	want(t, "hz", s.Bss.Hz, 1234)
	want(t, "kernel version", s.Bss.KernelVersion, kernelVersion(t))
	want(t, "has bpf syscall", s.Bss.HasBPFSyscall, 1)
	want(t, "has absent option", s.Bss.HasAbsentOption, 0)
	want(t, "vfs_read found", s.Bss.VfsReadAddr != 0, true)
	want(t, "absent ksym", s.Bss.AbsentKsymAddr, 0)
	if kfuncs {
		want(t, "iter sum", s.Bss.IterSum, 10)
		want(t, "kfunc ran", s.Bss.KfuncRuns > 0, true)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	check.NoLeak(t, before, "after Close")
}

// Without a readable kernel configuration, a strong kconfig extern fails Load with ESRCH
// and names itself; weak ones stay 0. The test runs itself again in a private mount
// namespace where /proc/config.gz reads as empty.
func TestMissingKconfigFailsTheLoadByName(t *testing.T) {
	check.Root(t)
	if os.Getenv("SKELGEN_KSYMS_NO_CONFIG") != "" {
		missingKconfig(t)
		return
	}
	if _, err := os.Stat("/boot/config-" + release(t)); err == nil {
		t.Skip("/boot holds the configuration: hiding /proc/config.gz is not enough")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare(1) is not installed")
	}
	script := "mount --bind /dev/null /proc/config.gz && exec \"$0\" -test.run='^TestMissingKconfigFailsTheLoadByName$' -test.v"
	cmd := exec.Command("unshare", "-m", "sh", "-c", script, os.Args[0])
	cmd.Env = append(os.Environ(), "SKELGEN_KSYMS_NO_CONFIG=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS")) {
		t.Errorf("in a namespace without /proc/config.gz: %v\n%s", err, out)
	}
}

func missingKconfig(t *testing.T) {
	s, err := ksyms.OpenKsyms()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want(t, "open CONFIG_HZ", s.Kconfig.ConfigHz, 0)
	want(t, "open CONFIG_BPF_SYSCALL", s.Kconfig.ConfigBPFSyscall, false)
	err = s.Load()
	var e *ksyms.KsymsError
	if !errors.As(err, &e) || !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("Load: %v, want a *KsymsError wrapping ESRCH", err)
	}
	const step = "kconfig: CONFIG_HZ needs /boot/config-$(uname -r) or /proc/config.gz, and neither can be read"
	want(t, "failed step", e.Step, step)
}

// configHz is CONFIG_HZ of the running kernel's configuration.
func configHz() (uint32, bool) {
	text, err := os.ReadFile("/boot/config-" + release(nil))
	if err != nil {
		gz, err := os.ReadFile("/proc/config.gz")
		if err != nil {
			return 0, false
		}
		r, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			return 0, false
		}
		if text, err = io.ReadAll(r); err != nil {
			return 0, false
		}
	}
	lines := bufio.NewScanner(bytes.NewReader(text))
	for lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "CONFIG_HZ="); ok {
			n, err := strconv.ParseUint(v, 10, 32)
			return uint32(n), err == nil
		}
	}
	return 0, false
}

func release(t *testing.T) string {
	text, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil && t != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(text))
}

// kernelVersion is KERNEL_VERSION(a, b, c) of the running kernel.
func kernelVersion(t *testing.T) uint32 {
	var v [3]uint32
	fields := strings.FieldsFunc(release(t), func(r rune) bool { return r < '0' || r > '9' })
	for i := 0; i < 3 && i < len(fields); i++ {
		n, _ := strconv.ParseUint(fields[i], 10, 32)
		v[i] = uint32(n)
	}
	return v[0]<<16 | v[1]<<8 | min(v[2], 255)
}

func want[T comparable](t *testing.T, what string, got, expected T) {
	t.Helper()
	if got != expected {
		t.Errorf("%s: %v, want %v", what, got, expected)
	}
}

package hooks_test

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"skelgen/examples/go/hooks"
	"skelgen/examples/go/internal/check"
)

func haveKprobes() bool {
	_, err := os.Stat("/sys/bus/event_source/devices/kprobe/type")
	return err == nil
}

// Where the kernel has kprobes (the VM), Attach attaches the ksyscall and kretsyscall
// programs on openat and AttachKsysNamed the third on getppid; opening a file and calling
// getppid(2) trigger them. On the host, which has no kprobes, Attach fails naming the first
// ksyscall program and keeps no link. SKELGEN_HOOKS_KERNEL=1 (the VM test) requires kprobes.
func TestKsyscall(t *testing.T) {
	check.Root(t)
	if os.Getenv("SKELGEN_HOOKS_KERNEL") != "" && !haveKprobes() {
		t.Fatal("SKELGEN_HOOKS_KERNEL is set, but the kernel has no kprobe PMU")
	}
	before := check.Baseline(t)
	s, err := hooks.OpenHooks()
	if err != nil {
		t.Fatal(err)
	}
	s.Rodata.FilterTGID = uint32(os.Getpid())
	if err := s.Load(); err != nil {
		s.Close()
		t.Fatal(err)
	}
	if haveKprobes() {
		ksyscallsFire(t, s)
	} else {
		err := s.Attach()
		var e *hooks.HooksError
		if !errors.As(err, &e) || !strings.Contains(e.Op, "ksys_openat") {
			t.Errorf("Attach without kprobes: %v, want an error naming ksys_openat", err)
		}
		if s.Links != (hooks.HooksLinks{}) {
			t.Errorf("Attach kept links: %+v", s.Links)
		}
		if err := s.AttachKsysNamed("getppid"); err == nil {
			t.Error("AttachKsysNamed without kprobes succeeded")
		}
	}
	s.Close()
	check.NoLeak(t, before, "Close")
}

func ksyscallsFire(t *testing.T, s *hooks.Hooks) {
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	if err := s.AttachKsysNamed("getppid"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile("/proc/self/comm"); err != nil {
		t.Fatal(err)
	}
	if syscall.Getppid() <= 0 {
		t.Error("getppid")
	}
	bss := s.Bss
	t.Logf("ksyscall %d kretsyscall %d (last %d) named %d", bss.KsyscallHits, bss.KretsyscallHits,
		bss.KretsyscallLastRet, bss.NamedSyscallHits)
	if bss.KsyscallHits < 1 || bss.KretsyscallHits < 1 || bss.KretsyscallLastRet < 0 || bss.NamedSyscallHits < 1 {
		t.Errorf("hits: %+v", *bss)
	}
}

package core_test

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"skelgen/examples/go/core"
	"skelgen/examples/go/internal/check"
)

// CO-RE relocations done by the kernel against its own BTF: getpgid(2) makes the program
// read this task's pid, tgid and comm through them.
func TestCORE(t *testing.T) {
	check.Root(t)
	before := check.Baseline(t)
	s, err := core.LoadCore()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	syscall.Syscall(syscall.SYS_GETPGID, 0, 0, 0)
	res := s.Bss.Res
	comm := strings.TrimRight(string(res.Comm[:]), "\x00")
	if s.Bss.Runs < 1 || int(res.TGID) != os.Getpid() || !strings.HasPrefix("core.test", comm) {
		t.Errorf("runs %d, tgid %d (want %d), comm %q", s.Bss.Runs, res.TGID, os.Getpid(), comm)
	}
	if res.HasTaskStruct != 1 || res.HasAbsentType != 0 || res.TaskSize == 0 {
		t.Errorf("task_struct exists %d, absent type exists %d, size %d", res.HasTaskStruct, res.HasAbsentType, res.TaskSize)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	check.NoLeak(t, before, "after Close")
}

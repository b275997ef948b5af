package subprogs_test

import (
	"syscall"
	"testing"

	"skelgen/examples/go/internal/check"
	"skelgen/examples/go/subprogs"
)

// Sub-programs linked into a tracepoint and a raw tracepoint program, reached through
// getppid(2) and getuid(2); .data holds the loop bound, .bss what the programs computed.
func TestSubprograms(t *testing.T) {
	check.Root(t)
	before := check.Baseline(t)
	s, err := subprogs.LoadSubprogs()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	s.Data.LoopIterations = 4
	syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0)
	syscall.Syscall(syscall.SYS_GETUID, 0, 0, 0)
	if s.Bss.GetppidCalls < 1 || s.Bss.GetuidCalls < 1 {
		t.Errorf("getppid seen %d times, getuid %d", s.Bss.GetppidCalls, s.Bss.GetuidCalls)
	}
	if s.Bss.LoopSum == 0 || s.Bss.GetppidResult == 0 {
		t.Errorf("loop sum %d, getppid result %d: the sub-programs did not run", s.Bss.LoopSum, s.Bss.GetppidResult)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	check.NoLeak(t, before, "after Close")
}

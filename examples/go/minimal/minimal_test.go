package minimal_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"skelgen/examples/go/internal/check"
	"skelgen/examples/go/minimal"
)

// calls is how many getpid(2) calls trigger makes.
const calls = 5

// The program counts every getpid(2) of the process, and the Go runtime makes its own to
// signal its threads when it preempts them asynchronously: the tests run with that
// preemption off, the test binary running itself again with GODEBUG=asyncpreemptoff=1.
func TestMain(m *testing.M) {
	const off = "asyncpreemptoff=1"
	godebug := os.Getenv("GODEBUG")
	if strings.Contains(godebug, off) {
		os.Exit(m.Run())
	}
	if godebug != "" {
		godebug += ","
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), "GODEBUG="+godebug+off)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func trigger() {
	for i := 0; i < calls; i++ {
		syscall.Syscall(syscall.SYS_GETPID, 0, 0, 0)
	}
}

// A value_size knob the loader refuses fails Load at that map's step and leaves no fd.
func TestFailingLoad(t *testing.T) {
	check.Root(t)
	before := check.Baseline(t)
	s, err := minimal.OpenMinimal()
	if err != nil {
		t.Fatal(err)
	}
	s.Maps.Rodata.ValueSize = 7 // global data accepts only its compiled size
	s.LogLevel = 1              // a map create writes no log: Log must not be the BTF load's
	err = s.Load()
	var e *minimal.MinimalError
	if !errors.As(err, &e) || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Load: %v, want a *MinimalError wrapping EINVAL", err)
	}
	if e.Op != "load" || e.Step != "MAP_CREATE .rodata" || e.StepIndex <= 0 {
		t.Errorf("error %+v: want op load, step MAP_CREATE .rodata, a plan index", e)
	}
	if e.Log != "" {
		t.Errorf("a failed map create came with a log (%d bytes): %.200q", len(e.Log), e.Log)
	}
	if s.Maps.Counts.FD() != 0 || s.Progs.HandleGetpid.FD() != 0 {
		t.Errorf("fds after a failed load: map %d, program %d", s.Maps.Counts.FD(), s.Progs.HandleGetpid.FD())
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	check.NoLeak(t, before, "after a failed load")
}

// Open, set .rodata and a max_entries knob, load, attach, trigger, read the hash map and
// .bss back, write .data through the live view, detach, close.
func TestRealRun(t *testing.T) {
	check.Root(t)
	before := check.Baseline(t)
	s, err := minimal.OpenMinimal()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pid := uint32(os.Getpid())
	want(t, "initial int", s.Data.InitialisedInt, 42)
	want(t, "initial tag", string(s.Rodata.Cfg.Tag[:4]), "skel")
	want(t, "initial level", s.Data.InitSample.Level(), 9)
	s.Rodata.TargetPID = pid
	s.Rodata.CountStep = 3
	s.Rodata.Cfg.Verbose = 1
	s.Maps.Counts.MaxEntries = 64

	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	if s.Links.HandleGetpid <= 0 {
		t.Fatalf("no link after Attach: %d", s.Links.HandleGetpid)
	}
	trigger()

	var count uint64
	if err := s.Maps.Counts.Lookup(&pid, &count); err != nil {
		t.Fatal(err)
	}
	want(t, "count", count, 3*calls)
	want(t, "counter", s.Bss.Counter, calls)
	want(t, "last pid", s.Bss.LastPID, pid)
	sample := &s.Bss.LastSample
	want(t, "sample kind", sample.Kind, 2)
	want(t, "sample flags", sample.Flags(), 5)
	want(t, "sample level", sample.Level(), 9)
	want(t, "sample lo", uint32(sample.AsU64), pid)
	want(t, "sample tail", sample.Tail, 68)
	want(t, "data int", s.Data.InitialisedInt, 47)
	want(t, "custom val", s.DataCustom.CustomVal, 12)

	// .data is live both ways: written here, the program sees it.
	s.Data.InitialisedInt = 1000
	s.DataCustom.CustomVal = 0
	trigger()
	want(t, "sample tail after write", sample.Tail, 1019)
	want(t, "counter after", s.Bss.Counter, 2*calls)

	s.Detach()
	want(t, "link after detach", s.Links.HandleGetpid, 0)
	trigger()
	want(t, "counter detached", s.Bss.Counter, 2*calls)

	var missing uint32 = 1
	err = s.Maps.Counts.Lookup(&missing, &count)
	if !errors.Is(err, syscall.ENOENT) {
		t.Errorf("lookup of a missing key: %v, want ENOENT", err)
	}
	if err := s.Maps.Counts.Lookup(&count, &count); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("lookup with an 8-byte key: %v, want EINVAL", err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if s.Bss != nil {
		t.Error("the .bss view outlives Close")
	}
	check.NoLeak(t, before, "after Close")
}

// After Load, .rodata is a frozen map: writing its view must not fault (it once was a
// read-only mapping), and changes nothing in the map, which keeps what Load wrote.
func TestRodataAfterLoad(t *testing.T) {
	check.Root(t)
	s, err := minimal.OpenMinimal()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Rodata.CountStep = 3
	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	want(t, "view after Load", s.Rodata.CountStep, uint64(3))
	s.Rodata.CountStep = 7
	var key uint32
	var in minimal.MinimalRodata
	if err := s.Maps.Rodata.Lookup(&key, &in); err != nil {
		t.Fatal(err)
	}
	want(t, "map after a write to the view", in.CountStep, uint64(3))
}

// Loading twice is refused; Close after Close is harmless.
func TestLoadTwice(t *testing.T) {
	check.Root(t)
	s, err := minimal.LoadMinimal()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Load(); !errors.Is(err, syscall.EBUSY) {
		t.Errorf("second Load: %v, want EBUSY", err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

// With stdin closed, fd 0 must not end up holding a map: 0 means "no fd".
func TestStdinClosed(t *testing.T) {
	check.Root(t)
	if err := syscall.Close(0); err != nil {
		t.Skipf("stdin: %v", err)
	}
	s, err := minimal.LoadMinimal()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Maps.Counts.FD() <= 0 || s.Progs.HandleGetpid.FD() <= 0 {
		t.Errorf("fds with stdin closed: map %d, program %d", s.Maps.Counts.FD(), s.Progs.HandleGetpid.FD())
	}
}

func want[T comparable](t *testing.T, what string, got, expected T) {
	t.Helper()
	if got != expected {
		t.Errorf("%s: %v, want %v", what, got, expected)
	}
}

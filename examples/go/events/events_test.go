package events_test

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"skelgen/examples/go/events"
	"skelgen/examples/go/internal/check"
)

// calls is how many getppid(2) calls trigger makes.
const calls = 4

// loaded opens, loads and attaches the skeleton, reporting this process's getppid calls.
func loaded(t *testing.T) *events.Events {
	check.Root(t)
	s, err := events.OpenEvents()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Rodata.TargetTGID = uint32(os.Getpid())
	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	return s
}

// thread is the id and name of the thread that called getppid.
type thread struct {
	tid  uint32
	comm string
}

// trigger calls getppid n times from one OS thread and says which.
func trigger(t *testing.T, n int) thread {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	comm, err := os.ReadFile("/proc/thread-self/comm")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		syscall.Getppid()
	}
	return thread{uint32(syscall.Gettid()), string(comm[:len(comm)-1])}
}

// checkEvent compares one event with what the program was asked to report.
func checkEvent(t *testing.T, e *events.EventsEvent, th thread, seq uint64, kind events.EventsEventKind) {
	t.Helper()
	end := 0
	for end < len(e.Comm) && e.Comm[end] != 0 {
		end++
	}
	if e.PID != th.tid || e.TGID != uint32(os.Getpid()) || e.Seq != seq || e.Kind != kind ||
		string(e.Comm[:end]) != th.comm || e.Flags != 0x5a || e.Delta != -int32(seq) {
		t.Errorf("event %d: %+v, want thread %+v, kind %d", seq, *e, th, kind)
	}
}

// Each getppid call reaches the ring buffer as a struct event, read as EventsEvent.
func TestRingBufferEvents(t *testing.T) {
	s := loaded(t)
	rb, err := s.Maps.Rb.RingBuf()
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()
	th := trigger(t, calls)
	var got []events.EventsEvent
	read := events.EventsRecords(func(e *events.EventsEvent) error {
		got = append(got, *e)
		return nil
	})
	for i := 0; i < 20 && len(got) < calls; i++ {
		if _, err := rb.Poll(100*time.Millisecond, read); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != calls {
		t.Fatalf("%d events of %d", len(got), calls)
	}
	for i := range got {
		checkEvent(t, &got[i], th, uint64(i+1), events.EventsEventRingbuf)
	}
}

// Each getppid call reaches the perf event array as a struct event, padded by the kernel.
func TestPerfBufferEvents(t *testing.T) {
	s := loaded(t)
	pb, err := s.Maps.Samples.PerfBuf(8)
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	th := trigger(t, calls)
	var got []events.EventsEvent
	read := events.EventsCPURecords(func(cpu int, e *events.EventsEvent) error {
		got = append(got, *e)
		return nil
	})
	for i := 0; i < 20 && len(got) < calls; i++ {
		if _, err := pb.Poll(100*time.Millisecond, read); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != calls {
		t.Fatalf("%d samples of %d", len(got), calls)
	}
	for i := range got {
		checkEvent(t, &got[i], th, uint64(i+1), events.EventsEventPerf)
	}
}

// A record shorter than the type asked for is an error, not a panic or garbage.
func TestShortRecordIsAnError(t *testing.T) {
	s := loaded(t)
	rb, err := s.Maps.Rb.RingBuf()
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()
	trigger(t, 1)
	calledBack := false
	type tooBig [2]events.EventsEvent
	read := events.EventsRecords(func(*tooBig) error {
		calledBack = true
		return nil
	})
	var n int
	for i := 0; i < 20 && err == nil && n == 0; i++ {
		n, err = rb.Poll(100*time.Millisecond, read)
	}
	if !errors.Is(err, syscall.EBADMSG) || calledBack {
		t.Fatalf("a 48-byte record read as 96 bytes: %d, %v (called back: %v)", n, err, calledBack)
	}
}

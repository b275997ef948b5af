package many_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"skelgen/examples/go/internal/check"
	"skelgen/examples/go/many"
)

// 52 programs and 80 maps: every attach kind with a target (XDP, tcx, cgroup, netns,
// sockmap, perf event, raw tracepoint by name), a syscall program run, ring buffer and perf
// buffer reads, and the verifier log of a refused load.
//
// The test's thread moves to a new network namespace (its loopback takes the XDP and tcx
// programs) and the cgroup programs go to a new, empty cgroup, so the host is not
// affected. The thread stays locked: it ends with the test.
func TestMany(t *testing.T) {
	check.Root(t)
	runtime.LockOSThread()
	if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
		t.Fatalf("unshare(CLONE_NEWNET): %v", err)
	}
	cgroupFD := openFD(t, newCgroup(t))
	netnsFD := openFD(t, "/proc/thread-self/ns/net")
	before := check.Baseline(t)
	verifierLog(t)
	check.NoLeak(t, before, "after a refused load")

	s, err := many.LoadMany()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	auto := links(s)
	if auto != 14 {
		t.Errorf("Attach made %d links, want 14", auto)
	}
	ringBuffer(t, s)
	perfBuffer(t, s)
	attachTargets(t, s, cgroupFD, netnsFD)
	if n := links(s) - auto; n != 17 {
		t.Errorf("%d links with a target, want 17", n)
	}
	if err := s.AttachXDPToDev(1, 0); !errors.Is(err, syscall.EBUSY) {
		t.Errorf("attaching twice: %v, want EBUSY", err)
	}
	if ret, err := s.Progs.RunSyscall.Run(nil); err != nil || ret != 0 {
		t.Errorf("running the syscall program: %d, %v", ret, err)
	}
	iterator(t, s)
	s.Detach()
	if n := links(s); n != 0 {
		t.Errorf("%d links after Detach", n)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	check.NoLeak(t, before, "after Close")
}

// A load the verifier refuses (the queue's values made larger than what the program
// pushes), with a log: the failing step and the verifier's words come back, no fd stays.
func verifierLog(t *testing.T) {
	s, err := many.OpenMany()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Maps.Fifo.ValueSize = 64
	s.LogLevel = 1
	s.LogBuf = make([]byte, 1<<22)
	err = s.Load()
	var e *many.ManyError
	if !errors.As(err, &e) || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Load: %v, want a *ManyError wrapping EINVAL", err)
	}
	if e.Step != "PROG_LOAD tp_write" || !strings.Contains(e.Log, "invalid read from stack") {
		t.Errorf("failed step %q, log without the verifier's reason:\n%s", e.Step, e.Log)
	}
	if s.Maps.Fifo.FD() != 0 || s.Progs.TpRead.FD() != 0 {
		t.Error("fds after a refused load")
	}
}

func attachTargets(t *testing.T, s *many.Many, cgroupFD, netnsFD int) {
	for _, a := range []struct {
		what string
		err  error
	}{
		{"raw_tp by name", s.AttachTailRaw("sys_enter")},
		{"xdp", s.AttachXDPToDev(1, 0)},
		{"tcx ingress", s.AttachTCXIn(1)},
		{"tcx egress", s.AttachTCXOut(1)},
		{"cgroup_skb", s.AttachCgSKBIn(cgroupFD)},
		{"cgroup_sock", s.AttachCgSockCreate(cgroupFD)},
		{"cgroup_sock_addr", s.AttachCgConnect4(cgroupFD)},
		{"cgroup_sockopt", s.AttachCgGetsockopt(cgroupFD)},
		{"cgroup_sysctl", s.AttachCgSysctl(cgroupFD)},
		{"cgroup_dev", s.AttachCgDev(cgroupFD)},
		{"sock_ops", s.AttachSockOps(cgroupFD)},
		{"sk_skb parser", s.AttachSKBParser(s.Maps.Socks.FD())},
		{"sk_skb verdict", s.AttachSKBVerdict(s.Maps.Socks.FD())},
		{"sk_msg", s.AttachMsgVerdict(s.Maps.SocksHash.FD())},
		{"sk_lookup", s.AttachLookup(netnsFD)},
		{"flow_dissector", s.AttachDissect(netnsFD)},
		{"perf_event", attachPerfEvent(t, s)},
	} {
		if a.err != nil {
			t.Errorf("%s: %v", a.what, a.err)
		}
	}
}

// attachPerfEvent attaches on_perf_event to a CPU clock event of this process; the link
// keeps the event once its fd is closed.
func attachPerfEvent(t *testing.T, s *many.Many) error {
	// struct perf_event_attr up to config2: PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK.
	var attr struct {
		typ, size                                          uint32
		config, samplePeriod, sampleType, readFormat, bits uint64
		wakeupEvents, bpType                               uint32
		config1, config2                                   uint64
	}
	attr.typ, attr.size, attr.samplePeriod = 1, uint32(unsafe.Sizeof(attr)), 1000000
	fd, _, errno := syscall.Syscall6(syscall.SYS_PERF_EVENT_OPEN, uintptr(unsafe.Pointer(&attr)), 0, ^uintptr(0), ^uintptr(0), 8, 0)
	if errno != 0 {
		t.Fatalf("perf_event_open: %v", errno)
	}
	defer syscall.Close(int(fd))
	return s.AttachOnPerfEvent(int(fd))
}

// tp_read writes the pid_tgid of every read(2) into the ring buffer rb and the perf event
// array events: reads of /dev/null from this thread must come back.
func ownReads(t *testing.T, poll func(timeout time.Duration, mine *int) error) {
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	for i := 0; i < 3; i++ {
		f.Read(b[:])
	}
	f.Close()
	mine := 0
	for i := 0; i < 10 && mine < 3; i++ {
		if err := poll(100*time.Millisecond, &mine); err != nil {
			t.Fatal(err)
		}
	}
	if mine < 3 {
		t.Errorf("%d of this thread's 3 reads came back", mine)
	}
}

func me() uint64 {
	return uint64(os.Getpid())<<32 | uint64(syscall.Gettid())
}

func ringBuffer(t *testing.T, s *many.Many) {
	rb, err := s.Maps.Rb.RingBuf()
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()
	ownReads(t, func(timeout time.Duration, mine *int) error {
		_, err := rb.Poll(timeout, func(data []byte) error {
			if len(data) == 8 && binary.LittleEndian.Uint64(data) == me() {
				*mine++
			}
			return nil
		})
		return err
	})
}

// A perf sample carries the raw data padded to 8 bytes after its u32 size: 12 here.
func perfBuffer(t *testing.T, s *many.Many) {
	pb, err := s.Maps.Events.PerfBuf(8)
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	ownReads(t, func(timeout time.Duration, mine *int) error {
		_, err := pb.Poll(timeout, func(cpu int, data []byte) error {
			if len(data) >= 8 && binary.LittleEndian.Uint64(data) == me() {
				*mine++
			}
			return nil
		})
		return err
	})
}

func iterator(t *testing.T, s *many.Many) {
	f, err := s.IterTasksIter()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	text, err := io.ReadAll(f)
	if err != nil || len(text) == 0 {
		t.Errorf("the task iterator wrote %d bytes: %v", len(text), err)
	}
}

// links counts the programs with a link.
func links(s *many.Many) int {
	v := reflect.ValueOf(s.Links)
	n := 0
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Int() > 0 {
			n++
		}
	}
	return n
}

// newCgroup makes an empty cgroup v2, removed when the test ends.
func newCgroup(t *testing.T) string {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) < 3 || fields[2] != "cgroup2" {
			continue
		}
		dir := filepath.Join(fields[1], "skelgen-go-many-"+strconv.Itoa(os.Getpid()))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(dir) })
		return dir
	}
	t.Skip("no cgroup2 mount")
	return ""
}

func openFD(t *testing.T, path string) int {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return fd
}

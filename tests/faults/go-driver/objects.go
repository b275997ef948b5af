package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
)

// triggers is how many getpid(2) calls the minimal run makes once attached.
const triggers = 3

// object is one skeleton the driver can run, reached through what every Go skeleton has.
type object struct {
	// open is Open<Name>, with the knobs the run sets.
	open func() (skeleton, error)
	// attach attaches the programs the run needs: Attach, all that need no target, when nil.
	attach func(skeleton) error
	// run makes the attached programs run and checks what they did.
	run func(skeleton) error
}

// skeleton is what the driver calls on every skeleton.
type skeleton interface {
	Load() error
	Attach() error
	Close() error
}

// objects are the skeletons generated into this package: minimal, whose single program
// runs on getpid(2); hostile, whose attach-all links two tracepoints and then fails on a
// raw tracepoint that does not exist, so the first two links must be undone; and buffers,
// the many object's program on read(2), which writes to a ring buffer and a perf buffer.
var objects = map[string]object{
	"minimal": {
		open: func() (skeleton, error) {
			s, err := OpenMinimal()
			if err != nil {
				return nil, err
			}
			s.Rodata.TargetPID = uint32(os.Getpid())
			return s, nil
		},
		run: runMinimal,
	},
	"buffers": {
		open: func() (skeleton, error) {
			return OpenMany()
		},
		attach: func(s skeleton) error {
			return s.(*Many).AttachTpRead()
		},
		run: runBuffers,
	},
	"hostile": {
		open: func() (skeleton, error) {
			return OpenHostile()
		},
		run: func(skeleton) error { return nil },
	},
}

// runMinimal calls getpid(2) and checks that the program counted each call, in the hash
// map and in .bss; the Go runtime's own getpid calls (async preemption) are off.
func runMinimal(sk skeleton) error {
	s := sk.(*Minimal)
	pid := s.Rodata.TargetPID
	for i := 0; i < triggers; i++ {
		syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	}
	var count uint64
	if err := s.Maps.Counts.Lookup(&pid, &count); err != nil {
		return err
	}
	if count != triggers || s.Bss.Counter != triggers {
		return fmt.Errorf("the program counted %d calls in the map and %d in .bss, want %d: %w",
			count, s.Bss.Counter, triggers, syscall.EIO)
	}
	return nil
}

// runBuffers opens a reader of the ring buffer and of the perf buffer, reads /dev/null on
// this thread, and waits for each reader to bring back the reads' records (the program
// writes the pid and thread id of every read(2) on the machine to both).
func runBuffers(sk skeleton) error {
	s := sk.(*Many)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rb, err := s.Maps.Rb.RingBuf()
	if err != nil {
		return err
	}
	defer rb.Close()
	pb, err := s.Maps.Events.PerfBuf(8)
	if err != nil {
		return err
	}
	defer pb.Close()
	if err := readNull(); err != nil {
		return err
	}
	me := uint64(os.Getpid())<<32 | uint64(syscall.Gettid())
	mine := func(data []byte) int {
		if len(data) >= 8 && binary.LittleEndian.Uint64(data) == me {
			return 1
		}
		return 0
	}
	rings, perfs := 0, 0
	for i := 0; i < 20 && (rings < triggers || perfs < triggers); i++ {
		if _, err := rb.Poll(50*time.Millisecond, func(data []byte) error {
			rings += mine(data)
			return nil
		}); err != nil {
			return err
		}
		if _, err := pb.Poll(50*time.Millisecond, func(_ int, data []byte) error {
			perfs += mine(data)
			return nil
		}); err != nil {
			return err
		}
	}
	if rings < triggers || perfs < triggers {
		return fmt.Errorf("%d of %d reads came back through the ring buffer, %d through the perf buffer: %w",
			rings, triggers, perfs, syscall.EIO)
	}
	return nil
}

// readNull makes triggers read(2) calls on /dev/null.
func readNull() error {
	fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var b [1]byte
	for i := 0; i < triggers; i++ {
		syscall.Read(fd, b[:])
	}
	return nil
}

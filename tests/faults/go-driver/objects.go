package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// triggers is how many getpid(2) calls the minimal run makes once attached.
const triggers = 3

// object is one skeleton the driver can run, reached through what every Go skeleton has.
type object struct {
	// open is Open<Name>, with the knobs the run sets.
	open func() (skeleton, error)
	// run makes the attached programs run and checks what they did.
	run func(skeleton) error
	// step is the Step of the skeleton's error type, "" when err is not one.
	step func(err error) string
}

// skeleton is what the driver calls on every skeleton.
type skeleton interface {
	Load() error
	Attach() error
	Close() error
}

// objects are the skeletons generated into this package: minimal, whose single program
// runs on getpid(2), and hostile, whose attach-all links two tracepoints and then fails on
// a raw tracepoint that does not exist, so the first two links must be undone.
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
		step: func(err error) string {
			var e *MinimalError
			if errors.As(err, &e) {
				return e.Step
			}
			return ""
		},
	},
	"hostile": {
		open: func() (skeleton, error) {
			return OpenHostile()
		},
		run: func(skeleton) error { return nil },
		step: func(err error) string {
			var e *HostileError
			if errors.As(err, &e) {
				return e.Step
			}
			return ""
		},
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

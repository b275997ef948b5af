// Command go-driver runs one Go light skeleton through Open, Load, Attach (all programs),
// a run of its programs and Close, and reports where it stopped and what it left behind.
// tests/go_faults.rs runs it under the fault injector tests/faults/ptrace.c, failing each
// bpf(2), perf_event_open(2) and mmap(2) call in turn. The skeletons are generated into
// this package by the test (skelgen --lang go --go-package main OBJECT).
//
//	go-driver minimal|hostile|buffers
//
// prints, on stdout:
//
//	stage <open|load|attach|run|done> err <errno> step <the error's Step, or ->
//	error <the error's text>                  (when a stage failed)
//	handles_left <n>  map and program fds the skeleton holds after a failed Load (0)
//	maps_held <n>     BPF maps still mapped under the views after a failed Load (0)
//	views_writable    every view could be written after a failed Load
//	links_left <n>    links the skeleton holds after a failed Attach (0)
//	close ok|<error>  Close of the half-built or finished skeleton, then again
//	views_left <n>    typed views the skeleton still holds after Close (0)
//	fds_leaked <n>    fds open after Close that were not before, each then listed
//	maps_leaked <n>   named mappings (files, BPF maps) after Close that were not before
//
// Run it with GODEBUG=asyncpreemptoff=1: the Go runtime then makes no getpid(2) call of its
// own, so the minimal program's count is exact.
package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
)

func main() {
	if len(os.Args) != 2 {
		fail("usage: go-driver minimal|hostile|buffers")
	}
	obj, ok := objects[os.Args[1]]
	if !ok {
		fail("unknown object " + os.Args[1] + ": minimal, hostile or buffers")
	}
	if !strings.Contains(os.Getenv("GODEBUG"), "asyncpreemptoff=1") {
		fail("run with GODEBUG=asyncpreemptoff=1: async preemption calls getpid(2)")
	}
	before, err := baseline()
	if err != nil {
		fail(err.Error())
	}
	s, err := obj.open()
	if err != nil {
		report("open", err)
		if err := printLeaks(before); err != nil {
			fail(err.Error())
		}
		return
	}
	drive(obj, s, before)
	closeTwice(s)
	fmt.Printf("views_left %d\n", len(viewPointers(s)))
	if err := printLeaks(before); err != nil {
		fail(err.Error())
	}
}

// drive loads, attaches and runs s, and reports the first stage that fails.
func drive(obj object, s skeleton, before resources) {
	if err := s.Load(); err != nil {
		report("load", err)
		afterFailedLoad(s, before)
		return
	}
	attach := obj.attach
	if attach == nil {
		attach = skeleton.Attach
	}
	if err := attach(s); err != nil {
		report("attach", err)
		fmt.Printf("links_left %d\n", fieldFDs(s, "Links"))
		return
	}
	if err := obj.run(s); err != nil {
		report("run", err)
		return
	}
	report("done", nil)
}

// afterFailedLoad reports what a failed Load left before Close: no fd in the skeleton's
// handles, no map mapped under a view; and it writes to every view, as a caller setting
// values before the next Load would (a view left read-only faults here).
func afterFailedLoad(s skeleton, before resources) {
	fmt.Printf("handles_left %d\n", fieldFDs(s, "Maps")+fieldFDs(s, "Progs"))
	now, err := snapshot()
	if err != nil {
		fail(err.Error())
	}
	fmt.Printf("maps_held %d\n", now.maps-before.maps)
	for _, view := range viewPointers(s) {
		atomic.AddUint32((*uint32)(view), 0)
	}
	fmt.Println("views_writable")
}

// stepOf is the Step of the first skeleton error (a struct with a Step) in err's chain,
// or "-".
func stepOf(err error) string {
	for ; err != nil; err = errors.Unwrap(err) {
		v := reflect.ValueOf(err)
		if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
			if step := v.Elem().FieldByName("Step"); step.Kind() == reflect.String {
				return step.String()
			}
		}
	}
	return "-"
}

// closeTwice closes s, and again: the second Close must be harmless.
func closeTwice(s skeleton) {
	for i := 0; i < 2; i++ {
		if err := s.Close(); err != nil {
			fmt.Printf("close %v\n", err)
		} else {
			fmt.Println("close ok")
		}
	}
}

// report prints the stage line, and the error's text.
func report(stage string, err error) {
	if err == nil {
		fmt.Printf("stage %s err 0 step -\n", stage)
		return
	}
	var errno syscall.Errno
	errors.As(err, &errno)
	step := stepOf(err)
	fmt.Printf("stage %s err %d step %s\n", stage, int(errno), step)
	fmt.Printf("error %v\n", err)
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "go-driver: "+msg)
	os.Exit(2)
}

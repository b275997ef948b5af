// Command driver loads the Go skeleton of tcpca.bpf.o, or of a patched copy, and reports
// what happened. tests/go_struct_ops.rs generates the skeletons into its packages (tcpca,
// and opz, cwnx and noinit, the copies the kernel cannot take) and runs it:
//
//	driver opz|cwnx|noinit|tcpca   a load that must fail: the error, its errno, the fds left
//	driver run                      the whole life of tcpca, for the fault injector
//
// A failing load prints:
//
//	load <the error>
//	errno <its errno>
//	fds_after_load <n>   fds open after the failed Load that were not before (0)
//	fds_leaked <n>       the same after Close (0)
//
// A run opens, loads, attaches both structures, detaches them, attaches the
// .struct_ops.link map again and closes, and prints:
//
//	stage <open|load|attach|detach|reattach|done> err <errno> step <the error's Step, or ->
//	                                       (the driver's own finding is its own step)
//	error <the error's text>   (when a stage failed)
//	links_left <n>             links the skeleton holds after a failed attach (0)
//	registered_after_attach <n>  of tcpca's names, those registered after a failed attach (0)
//	registered_left <n>        of tcpca's names, those registered after Close (0)
//	fds_leaked <n>             fds open after Close that were not before (0)
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"driver/cwnx"
	"driver/noinit"
	"driver/opz"
	"driver/tcpca"
)

type skeleton interface {
	Load() error
	Close() error
}

func open(which string) (skeleton, error) {
	switch which {
	case "opz":
		return opz.OpenTcpca()
	case "cwnx":
		return cwnx.OpenTcpca()
	case "noinit":
		return noinit.OpenTcpca()
	}
	return tcpca.OpenTcpca()
}

// fds counts this process's open fds.
func fds() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		panic(err)
	}
	return len(entries)
}

// registered counts tcpca's congestion controls among those the kernel offers.
func registered() int {
	text, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
	if err != nil {
		panic(err)
	}
	n := 0
	for _, w := range strings.Fields(string(text)) {
		if w == "skg_tcpca" || w == "skg_tcpca_link" {
			n++
		}
	}
	return n
}

func main() {
	// The Go runtime's poller starts with the first pipe or file, and stays.
	r, w, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	r.Close()
	w.Close()
	before := fds()
	if os.Args[1] == "run" {
		if n := registered(); n != 0 {
			panic(fmt.Sprintf("%d of tcpca's names are registered before the run", n))
		}
		run()
		fmt.Printf("registered_left %d\nfds_leaked %d\n", registered(), fds()-before)
		return
	}
	s, err := open(os.Args[1])
	if err != nil {
		fmt.Println("open", err)
		os.Exit(1)
	}
	err = s.Load()
	var errno syscall.Errno
	errors.As(err, &errno)
	fmt.Printf("load %v\nerrno %d\nfds_after_load %d\n", err, errno, fds()-before)
	s.Close()
	fmt.Printf("fds_leaked %d\n", fds()-before)
}

// run drives tcpca through its life and reports the first stage that fails; Close ends
// it in every case.
func run() {
	s, err := tcpca.OpenTcpca()
	if err != nil {
		report("open", err)
		return
	}
	defer s.Close()
	if err := s.Load(); err != nil {
		report("load", err)
		return
	}
	if err := s.Attach(); err != nil {
		report("attach", err)
		fmt.Printf("links_left %d\nregistered_after_attach %d\n", s.Links.TcpcaLink, registered())
		return
	}
	s.Detach()
	if n := registered(); n != 0 {
		// The kernel kept a structure: Detach tries again.
		report("detach", fmt.Errorf("%d structures still registered after Detach", n))
		s.Detach()
		return
	}
	if err := s.AttachTcpcaLink(); err != nil {
		report("reattach", err)
		return
	}
	report("done", nil)
}

// report prints the stage line, and the error of a failed stage.
func report(stage string, err error) {
	if err == nil {
		fmt.Printf("stage %s err 0 step -\n", stage)
		return
	}
	var errno syscall.Errno
	errors.As(err, &errno)
	step := err.Error()
	var e *tcpca.TcpcaError
	if errors.As(err, &e) {
		step = e.Step
	}
	fmt.Printf("stage %s err %d step %s\nerror %v\n", stage, int(errno), step, err)
}

// Package check holds what the example tests share: the root check, and a count of this
// process's open file descriptors to show that a skeleton leaves none behind.
package check

import (
	"os"
	"testing"
)

// Root skips the test unless it runs as root: loading BPF programs needs it.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("loading BPF programs needs root (euid %d)", os.Geteuid())
	}
}

// OpenFDs is the number of file descriptors this process has open.
func OpenFDs(t testing.TB) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("listing /proc/self/fd: %v", err)
	}
	return len(entries)
}

// Baseline is OpenFDs once the Go runtime has opened what it keeps open (its poller).
func Baseline(t testing.TB) int {
	t.Helper()
	OpenFDs(t)
	return OpenFDs(t)
}

// NoLeak fails the test when more file descriptors are open than at baseline.
func NoLeak(t testing.TB, baseline int, after string) {
	t.Helper()
	if n := OpenFDs(t); n != baseline {
		t.Errorf("%d file descriptors open %s, %d before", n, after, baseline)
	}
}

// Package check holds what the example tests share: the root check, and a count of this
// process's open file descriptors to show that a skeleton leaves none behind.
package check

import (
	"os"
	"strconv"
	"strings"
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

// PossibleCPUs is the number of CPUs /sys/devices/system/cpu/possible lists ("0-3,5"): a
// per-CPU map's value has one element per possible CPU.
func PossibleCPUs(t testing.TB) int {
	t.Helper()
	text, err := os.ReadFile("/sys/devices/system/cpu/possible")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(text)), ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil {
			t.Fatalf("/sys/devices/system/cpu/possible: %q", text)
		}
		n += b - a + 1
	}
	return n
}

// Package check holds what the example tests share: the root check, and a count of this
// process's open file descriptors to show that a skeleton leaves none behind.
package check

import (
	"os"
	"sort"
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

// FDs is what this process's file descriptors refer to, by number.
type FDs map[string]string

// OpenFDs lists this process's open file descriptors, but for the listing's own.
func OpenFDs(t testing.TB) FDs {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(os.Getpid()) + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("listing %s: %v", dir, err)
	}
	fds := FDs{}
	for _, e := range entries {
		if target, err := os.Readlink(dir + "/" + e.Name()); err == nil && target != dir {
			fds[e.Name()] = target
		}
	}
	return fds
}

// Baseline is OpenFDs once the Go runtime has opened what it keeps open: its poller,
// which it starts with the first pipe (or timer).
func Baseline(t testing.TB) FDs {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	return OpenFDs(t)
}

// NoLeak fails the test when a file descriptor is open that was not at baseline.
func NoLeak(t testing.TB, baseline FDs, after string) {
	t.Helper()
	var extra []string
	for fd, target := range OpenFDs(t) {
		if baseline[fd] != target {
			extra = append(extra, fd+" -> "+target)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		t.Errorf("file descriptors open %s that were not before: %s", after, strings.Join(extra, ", "))
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

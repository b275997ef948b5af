package iterators_test

import (
	"io"
	"os"
	"strings"
	"testing"

	"skelgen/examples/go/internal/check"
	"skelgen/examples/go/iterators"
)

// Both iterators load and attach (BPF_LINK_CREATE); each is read once through
// BPF_ITER_CREATE, then the .bss counters tell how many maps and programs they listed.
func TestIterators(t *testing.T) {
	check.Root(t)
	before := check.Baseline(t)
	s, err := iterators.OpenIterators()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Rodata.PrintHeader {
		t.Error("print_header is not set at open")
	}
	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	maps := read(t, s.DumpBPFMapIter)
	if lines := strings.Count(maps, "\n"); lines < 3 || !strings.Contains(maps, "iterator.bss") {
		t.Errorf("the map iterator wrote %d lines, without its own .bss?\n%s", lines, maps)
	}
	progs := read(t, s.DumpBPFProgIter)
	if lines := strings.Count(progs, "\n"); lines < 3 || !strings.Contains(progs, "dump_bpf_prog") {
		t.Errorf("the program iterator wrote %d lines, without itself?\n%s", lines, progs)
	}
	if s.Bss.MapsListed < 2 || s.Bss.ProgsListed < 2 {
		t.Errorf("listed %d maps and %d programs", s.Bss.MapsListed, s.Bss.ProgsListed)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	check.NoLeak(t, before, "after Close")
}

// read reads one new run of an iterator to its end.
func read(t *testing.T, start func() (*os.File, error)) string {
	t.Helper()
	f, err := start()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	text, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

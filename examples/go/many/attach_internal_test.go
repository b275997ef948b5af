package many

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// A failure in Attach undoes what that call attached: tp_fork is given a map's fd in
// place of its own, so attaching it fails after the programs before it were attached.
func TestAttachUndoesAPartialAttach(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading BPF programs needs root")
	}
	s, err := LoadMany()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	prog := s.Progs.TpFork.fd
	s.Progs.TpFork.fd = s.Maps.Cnt00.fd
	err = s.Attach()
	s.Progs.TpFork.fd = prog
	if !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Attach with a map as tp_fork: %v, want EINVAL", err)
	}
	if s.Links != (ManyLinks{}) {
		t.Errorf("links left after a failed Attach: %+v", s.Links)
	}
	if err := s.Attach(); err != nil {
		t.Errorf("Attach after the failure: %v", err)
	}
}

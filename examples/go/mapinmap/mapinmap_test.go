package mapinmap_test

import (
	"errors"
	"syscall"
	"testing"

	"skelgen/examples/go/internal/check"
	"skelgen/examples/go/mapinmap"
)

// Map-in-map slots and a program array filled by the loader: geteuid(2) reaches the inner
// maps through both outer maps and tail-calls tail_target.
func TestMapInMap(t *testing.T) {
	check.Root(t)
	before := check.Baseline(t)
	s, err := mapinmap.LoadMapinmap()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	syscall.Syscall(syscall.SYS_GETEUID, 0, 0, 0)
	bss := s.Bss
	if bss.OuterArrHits < 1 || bss.OuterHashHits < 1 || bss.TailCalls < 1 || bss.TailCallFailed != 0 {
		t.Errorf("outer array hits %d, outer hash hits %d, tail calls %d, failed %d",
			bss.OuterArrHits, bss.OuterHashHits, bss.TailCalls, bss.TailCallFailed)
	}
	// Slot 0 of outer_arr holds inner_a: its lookup gives the inner map's id.
	var key, id uint32
	if err := s.Maps.OuterArr.Lookup(&key, &id); err != nil || id == 0 {
		t.Errorf("outer_arr[0]: id %d, %v", id, err)
	}
	key = 3
	if err := s.Maps.OuterHash.Lookup(&key, &id); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("outer_hash[3]: %v, want ENOENT", err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	check.NoLeak(t, before, "after Close")
}

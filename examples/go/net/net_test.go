package net_test

import (
	"testing"

	"skelgen/examples/go/internal/check"
	"skelgen/examples/go/net"
)

// XDP (with and without fragments), tc and tcx programs load; a per-CPU array of structs
// is read back with one value per possible CPU.
func TestNetLoads(t *testing.T) {
	check.Root(t)
	before := check.Baseline(t)
	s, err := net.LoadNet()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*net.NetProgram{&s.Progs.XDPCountProto, &s.Progs.XDPFragsLen, &s.Progs.TCCountEthertype, &s.Progs.TCXIngressCount} {
		if p.FD() <= 0 {
			t.Errorf("%s is not loaded", p.Name())
		}
	}
	stats := make([]net.NetProtoStats, check.PossibleCPUs(t))
	var key uint32 = 6
	if err := s.Maps.ProtoCounts.Lookup(&key, stats); err != nil {
		t.Errorf("proto_counts[6]: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	check.NoLeak(t, before, "after Close")
}

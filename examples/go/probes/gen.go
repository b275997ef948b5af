// Package probes is the Go light skeleton of examples/bpf/probes.bpf.o, which skelgen writes
// into probes_skel.go.
package probes

//go:generate skelgen --lang go ../../bpf/probes.bpf.o -o probes_skel.go

// Package minimal is the Go light skeleton of examples/bpf/minimal.bpf.o, which skelgen writes
// into minimal_skel.go.
package minimal

//go:generate skelgen --lang go ../../bpf/minimal.bpf.o -o minimal_skel.go

// Package iterators is the Go light skeleton of examples/bpf/iterators.bpf.o, which skelgen writes
// into iterators_skel.go.
package iterators

//go:generate skelgen --lang go ../../bpf/iterators.bpf.o -o iterators_skel.go

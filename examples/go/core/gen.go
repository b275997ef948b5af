// Package core is the Go light skeleton of examples/bpf/core.bpf.o, which skelgen writes
// into core_skel.go.
package core

//go:generate skelgen --lang go ../../bpf/core.bpf.o -o core_skel.go

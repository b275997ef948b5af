// Package many is the Go light skeleton of examples/bpf/many.bpf.o, which skelgen writes
// into many_skel.go.
package many

//go:generate skelgen --lang go ../../bpf/many.bpf.o -o many_skel.go

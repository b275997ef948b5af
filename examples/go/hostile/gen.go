// Package hostile is the Go light skeleton of examples/bpf/hostile.bpf.o, whose names are Go
// keywords and predeclared identifiers; skelgen writes it into hostile_skel.go.
package hostile

//go:generate skelgen --lang go ../../bpf/hostile.bpf.o -o hostile_skel.go

// Package hooks is the Go light skeleton of examples/bpf/hooks.bpf.o, which skelgen writes
// into hooks_skel.go.
package hooks

//go:generate skelgen --lang go ../../bpf/hooks.bpf.o -o hooks_skel.go

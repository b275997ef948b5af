// Package subprogs is the Go light skeleton of examples/bpf/subprogs.bpf.o, which skelgen writes
// into subprogs_skel.go.
package subprogs

//go:generate skelgen --lang go ../../bpf/subprogs.bpf.o -o subprogs_skel.go

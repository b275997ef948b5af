// Package mapinmap is the Go light skeleton of examples/bpf/mapinmap.bpf.o, which skelgen writes
// into mapinmap_skel.go.
package mapinmap

//go:generate skelgen --lang go ../../bpf/mapinmap.bpf.o -o mapinmap_skel.go

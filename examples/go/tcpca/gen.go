// Package tcpca is the Go light skeleton of examples/bpf/tcpca.bpf.o, which skelgen writes
// into tcpca_skel.go.
package tcpca

//go:generate skelgen --lang go ../../bpf/tcpca.bpf.o -o tcpca_skel.go

// Package net is the Go light skeleton of examples/bpf/net.bpf.o, which skelgen writes
// into net_skel.go.
package net

//go:generate skelgen --lang go ../../bpf/net.bpf.o -o net_skel.go

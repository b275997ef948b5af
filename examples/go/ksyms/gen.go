// Package ksyms is the Go light skeleton of examples/bpf/ksyms.bpf.o, which skelgen writes
// into ksyms_skel.go.
package ksyms

//go:generate skelgen --lang go ../../bpf/ksyms.bpf.o -o ksyms_skel.go

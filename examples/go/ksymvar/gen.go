// Package ksymvar is the Go light skeleton of examples/bpf/ksymvar.bpf.o, which skelgen writes
// into ksymvar_skel.go.
package ksymvar

//go:generate skelgen --lang go ../../bpf/ksymvar.bpf.o -o ksymvar_skel.go

// Package events is the Go light skeleton of examples/bpf/events.bpf.o with its struct
// event and enum event_kind, which skelgen writes into events_skel.go.
package events

//go:generate skelgen --lang go --type event --type event_kind ../../bpf/events.bpf.o -o events_skel.go

package ksymvar_test

import (
	"errors"
	"testing"

	"skelgen/examples/go/internal/check"
	"skelgen/examples/go/ksymvar"
)

// A typed ksym of a kernel variable (bpf_prog_active) resolves through kallsyms, which
// lists variables only with CONFIG_KALLSYMS_ALL: the load succeeds, or fails at the
// program's step naming it. Either way no fd stays open.
func TestKsymVariable(t *testing.T) {
	check.Root(t)
	before := check.Baseline(t)
	s, err := ksymvar.LoadKsymvar()
	var e *ksymvar.KsymvarError
	switch {
	case err == nil:
		s.Close()
	case errors.As(err, &e) && e.StepIndex > 0 && e.Step == "PROG_LOAD read_prog_active (after looking up bpf_prog_active)":
		t.Logf("refused as expected without CONFIG_KALLSYMS_ALL: %v", err)
	default:
		t.Errorf("Load: %v", err)
	}
	check.NoLeak(t, before, "after the load")
}

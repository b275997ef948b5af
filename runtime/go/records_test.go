package skelgenrt

import (
	"errors"
	"syscall"
	"testing"
)

type recordsTestEvent struct {
	Pid  uint32
	Kind uint16
	_    [2]byte
	Seq  uint64
}

func TestRecordsCopyTheStartOfEachRecord(t *testing.T) {
	data := make([]byte, 24)
	for i := range data {
		data[i] = byte(i + 1)
	}
	var got []recordsTestEvent
	fn := SkelgenRtRecords(func(e *recordsTestEvent) error {
		got = append(got, *e)
		return nil
	})
	if err := fn(data); err != nil {
		t.Fatal(err)
	}
	if err := fn(data[:16]); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != got[1] || got[0].Pid != 0x04030201 || got[0].Seq != 0x100f0e0d0c0b0a09 {
		t.Fatalf("records read as %+v", got)
	}
}

func TestShortRecordsAndPointerTypesAreErrors(t *testing.T) {
	called := false
	fn := SkelgenRtCPURecords(func(cpu int, e *recordsTestEvent) error {
		called = true
		return nil
	})
	if err := fn(3, make([]byte, 15)); !errors.Is(err, syscall.EBADMSG) || called {
		t.Fatalf("a 15-byte record gave %v (called %v)", err, called)
	}
	bad := SkelgenRtRecords(func(p **int) error { return nil })
	if err := bad(make([]byte, 8)); !errors.Is(err, syscall.EBADMSG) {
		t.Fatalf("a pointer type gave %v", err)
	}
	stop := errors.New("stop")
	fn = SkelgenRtCPURecords(func(cpu int, e *recordsTestEvent) error { return stop })
	if err := fn(0, make([]byte, 16)); err != stop {
		t.Fatalf("the callback's error became %v", err)
	}
}

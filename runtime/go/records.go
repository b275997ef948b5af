package skelgenrt

import (
	"fmt"
	"reflect"
	"syscall"
	"unsafe"
)

// SkelgenRtRecords adapts fn, which takes records as T values, to the callback of a ring
// buffer reader's Consume and Poll: each record's first bytes are copied into a T (a longer
// record is read too). A record shorter than T, or a T that is not fixed-size data without
// Go pointers, stops the reading with an error wrapping syscall.EBADMSG.
func SkelgenRtRecords[T any](fn func(record *T) error) func(data []byte) error {
	return func(data []byte) error {
		var v T
		if err := skelgenRtRecordAs(&v, data); err != nil {
			return err
		}
		return fn(&v)
	}
}

// SkelgenRtCPURecords is SkelgenRtRecords for a perf buffer reader's callback, which also
// gets the CPU that wrote the sample.
func SkelgenRtCPURecords[T any](fn func(cpu int, record *T) error) func(cpu int, data []byte) error {
	return func(cpu int, data []byte) error {
		var v T
		if err := skelgenRtRecordAs(&v, data); err != nil {
			return err
		}
		return fn(cpu, &v)
	}
}

// skelgenRtRecordAs copies the first bytes of the record data into *v.
func skelgenRtRecordAs[T any](v *T, data []byte) error {
	t := reflect.TypeOf(v).Elem()
	if !skelgenRtPlain(t) {
		return fmt.Errorf("%v is not fixed-size data without Go pointers: %w", t, syscall.EBADMSG)
	}
	size := int(t.Size())
	if len(data) < size {
		return fmt.Errorf("a record of %d bytes is shorter than the %d of %v: %w", len(data), size, t, syscall.EBADMSG)
	}
	if size > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(v)), size), data)
	}
	return nil
}

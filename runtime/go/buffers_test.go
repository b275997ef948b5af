package skelgenrt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"syscall"
	"testing"
	"unsafe"
)

// fakeRing is a ring buffer in ordinary memory laid out as the kernel maps one: the
// consumer and producer positions, and the data twice in a row.
type fakeRing struct {
	r    *SkelgenRtRingBuf
	size int
	prod uintptr
}

func newFakeRing(size int) *fakeRing {
	r := &SkelgenRtRingBuf{
		name:     "events",
		epfd:     -1,
		mask:     uintptr(size - 1),
		consumer: make([]byte, 8),
		producer: make([]byte, 8),
		data:     make([]byte, 2*size),
	}
	return &fakeRing{r: r, size: size}
}

// put writes a byte at ring position pos, in both copies of the data.
func (f *fakeRing) put(pos uintptr, b byte) {
	off := int(pos) & (f.size - 1)
	f.r.data[off] = b
	f.r.data[off+f.size] = b
}

// record appends a record with header bits flags and commits it.
func (f *fakeRing) record(payload []byte, flags uint32) {
	var header [8]byte
	binary.LittleEndian.PutUint32(header[:], uint32(len(payload))|flags)
	for i, b := range append(header[:], payload...) {
		f.put(f.prod+uintptr(i), b)
	}
	f.prod += (uintptr(len(payload)) + 8 + 7) &^ 7
	*(*uintptr)(unsafe.Pointer(&f.r.producer[0])) = f.prod
}

func (f *fakeRing) consumed() uintptr {
	return *(*uintptr)(unsafe.Pointer(&f.r.consumer[0]))
}

// collect consumes the ring, keeping copies of the records.
func (f *fakeRing) collect(stopAfter int) ([]string, error) {
	var got []string
	_, err := f.r.Consume(func(data []byte) error {
		got = append(got, string(data))
		if len(got) == stopAfter {
			return errors.New("enough")
		}
		return nil
	})
	return got, err
}

func TestRingConsumesRecordsAcrossTheWrap(t *testing.T) {
	f := newFakeRing(64)
	f.record([]byte("first"), 0)
	f.record([]byte("dropped"), skelgenRtRingDiscard)
	if got, err := f.collect(-1); err != nil || len(got) != 1 || got[0] != "first" {
		t.Fatalf("%q %v", got, err)
	}
	f.record([]byte("third"), 0)
	f.record([]byte("across the end of the ring"), 0) // bytes 48 to 88: wraps
	got, err := f.collect(-1)
	if err != nil || len(got) != 2 || got[0] != "third" || got[1] != "across the end of the ring" {
		t.Fatalf("%q %v", got, err)
	}
	if f.consumed() != f.prod || f.prod != 88 {
		t.Fatalf("consumer at %d, producer at %d", f.consumed(), f.prod)
	}
	if got, _ := f.collect(-1); len(got) != 0 {
		t.Fatalf("read again: %q", got)
	}
}

func TestRingStopsAtABusyRecordAndAtAnError(t *testing.T) {
	f := newFakeRing(64)
	f.record([]byte("a"), 0)
	f.record([]byte("b"), 0)
	if got, err := f.collect(1); len(got) != 1 || err == nil || f.consumed() != 16 {
		t.Fatalf("stopped by fn: %q %v at %d", got, err, f.consumed())
	}
	f.record([]byte("being written"), skelgenRtRingBusy)
	f.record([]byte("after"), 0)
	if got, err := f.collect(-1); len(got) != 1 || got[0] != "b" || err != nil || f.consumed() != 32 {
		t.Fatalf("busy: %q %v at %d", got, err, f.consumed())
	}
}

func TestRingRefusesACorruptLength(t *testing.T) {
	f := newFakeRing(64)
	f.record([]byte("ok"), 0)
	f.record(make([]byte, 8), 0)
	binary.LittleEndian.PutUint32(f.r.data[16:], 1000)
	got, err := f.collect(-1)
	if len(got) != 1 || !errors.Is(err, syscall.EINVAL) || f.consumed() != 16 {
		t.Fatalf("%q %v at %d", got, err, f.consumed())
	}
}

func TestRingRecordHeaders(t *testing.T) {
	data := make([]byte, 128)
	for _, c := range []struct {
		off     uintptr
		header  uint32
		size    int
		advance uintptr
		ok      bool
	}{
		{0, 0, 0, 8, true},
		{0, 1, 1, 16, true},
		{8, 8, 8, 16, true},
		{56, 56, 56, 64, true},
		{0, 57, 0, 0, false},
		{64, 0, 0, 0, false},
		{0, skelgenRtRingBusy | 5, -1, 0, true},
		{0, skelgenRtRingBusy | skelgenRtRingDiscard | 5, -1, 0, true},
		{0, skelgenRtRingDiscard | 5, -1, 16, true},
		{0, 0xffffffff &^ skelgenRtRingBusy, 0, 0, false},
	} {
		payload, advance, err := skelgenRtRingRecord(data, c.off, c.header)
		good := advance == c.advance && (c.size < 0) == (payload == nil) && (c.size < 0 || len(payload) == c.size)
		if !c.ok {
			good = advance == 0 && payload == nil && errors.Is(err, syscall.EINVAL)
		}
		if !good || (err == nil) != c.ok {
			t.Errorf("%+v: %d bytes, advance %d, %v", c, len(payload), advance, err)
		}
	}
}

// fakePerf is one CPU's perf ring in ordinary memory: a metadata page with data_head at
// 1024 and data_tail at 1032, then the data.
type fakePerf struct {
	b    *SkelgenRtPerfBuf
	ring []byte
	head uint64
}

func newFakePerf(dataSize int) *fakePerf {
	const page = 2048
	return &fakePerf{
		b:    &SkelgenRtPerfBuf{page: page, scratch: make([]byte, 1<<16)},
		ring: make([]byte, page+dataSize),
	}
}

// record appends a record of kind with body and publishes it.
func (f *fakePerf) record(kind uint32, body []byte) {
	rec := make([]byte, 8, 8+len(body))
	binary.LittleEndian.PutUint32(rec, kind)
	binary.LittleEndian.PutUint16(rec[6:], uint16(8+len(body)))
	rec = append(rec, body...)
	data := f.ring[f.b.page:]
	for i, c := range rec {
		data[(f.head+uint64(i))%uint64(len(data))] = c
	}
	f.head += uint64(len(rec))
	binary.LittleEndian.PutUint64(f.ring[1024:], f.head)
}

func sample(raw string) []byte {
	body := binary.LittleEndian.AppendUint32(nil, uint32(len(raw)))
	body = append(body, raw...)
	for len(body)%8 != 0 {
		body = append(body, 0)
	}
	return body
}

func TestPerfConsumesSamplesAndCountsLost(t *testing.T) {
	f := newFakePerf(128)
	// Start near the end of the data, so that the lost record wraps.
	f.head = 104
	binary.LittleEndian.PutUint64(f.ring[1032:], f.head)
	f.record(skelgenRtPerfRecordSample, sample("one"))
	f.record(skelgenRtPerfRecordLost, []byte{0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0}) // 120 to 144
	f.record(3, []byte{1, 2, 3, 4, 5, 6, 7, 8})                                               // PERF_RECORD_COMM: skipped
	f.record(skelgenRtPerfRecordSample, sample("wraps around"))
	var got []string
	n, err := f.b.consumeRing(f.ring, 3, func(cpu int, data []byte) error {
		if cpu != 3 {
			t.Errorf("cpu %d", cpu)
		}
		got = append(got, string(bytes.TrimRight(data, "\x00")))
		return nil
	})
	if n != 2 || err != nil || got[0] != "one" || got[1] != "wraps around" || f.b.Lost != 7 {
		t.Fatalf("%d %q %v, lost %d", n, got, err, f.b.Lost)
	}
	if tail := binary.LittleEndian.Uint64(f.ring[1032:]); tail != f.head {
		t.Fatalf("tail %d, head %d", tail, f.head)
	}
}

func TestPerfRecords(t *testing.T) {
	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec, skelgenRtPerfRecordSample)
	binary.LittleEndian.PutUint32(rec[8:], 0xffffffff) // a raw size past the record: cut
	if s, ok, lost := skelgenRtPerfRecord(rec); !ok || len(s) != 4 || lost != 0 {
		t.Errorf("oversized sample: %d %v %d", len(s), ok, lost)
	}
	for _, short := range [][]byte{nil, rec[:4], rec[:11]} {
		if s, ok, lost := skelgenRtPerfRecord(short); ok || s != nil || lost != 0 {
			t.Errorf("%d bytes: %v %v %d", len(short), s, ok, lost)
		}
	}
	binary.LittleEndian.PutUint32(rec, skelgenRtPerfRecordLost)
	if _, ok, lost := skelgenRtPerfRecord(rec); ok || lost != 0 {
		t.Errorf("short lost record: %v %d", ok, lost)
	}
	data := make([]byte, 64)
	binary.LittleEndian.PutUint16(data[6:], 4)
	if r := skelgenRtPerfCopy(make([]byte, 64), data, 0, 63); r != nil {
		t.Errorf("a record shorter than its header: %d bytes", len(r))
	}
	binary.LittleEndian.PutUint16(data[6:], 65)
	if r := skelgenRtPerfCopy(make([]byte, 1<<16), data, 0, 63); r != nil {
		t.Errorf("a record larger than the ring: %d bytes", len(r))
	}
}

// FuzzRing consumes any ring contents between any positions: an error is fine, a panic,
// a hang, or a payload outside the data is not.
func FuzzRing(f *testing.F) {
	seed := newFakeRing(64)
	seed.record([]byte("hello"), 0)
	seed.record([]byte("x"), skelgenRtRingDiscard)
	f.Add(seed.r.data[:64], uint16(0), uint16(seed.prod))
	f.Add(make([]byte, 64), uint16(60), uint16(200))
	f.Fuzz(func(t *testing.T, data []byte, cons, prod uint16) {
		r := newFakeRing(64)
		for i := 0; i < 64 && i < len(data); i++ {
			r.put(uintptr(i), data[i])
		}
		*(*uintptr)(unsafe.Pointer(&r.r.consumer[0])) = uintptr(cons &^ 7)
		*(*uintptr)(unsafe.Pointer(&r.r.producer[0])) = uintptr(prod)
		r.r.Consume(func(p []byte) error {
			if len(p) > 64 {
				t.Fatalf("a payload of %d bytes from a ring of 64", len(p))
			}
			return nil
		})
	})
}

// FuzzPerf reads any perf ring contents between any positions: samples and lost counts
// come out or the reading stops, never a panic or a hang.
func FuzzPerf(f *testing.F) {
	seed := newFakePerf(128)
	seed.record(skelgenRtPerfRecordSample, sample("hi"))
	seed.record(skelgenRtPerfRecordLost, make([]byte, 16))
	f.Add(seed.ring[seed.b.page:], uint64(0), seed.head)
	f.Add(seed.ring[seed.b.page:], ^uint64(15), ^uint64(0))
	f.Fuzz(func(t *testing.T, data []byte, tail, head uint64) {
		p := newFakePerf(128)
		copy(p.ring[p.b.page:], data)
		binary.LittleEndian.PutUint64(p.ring[1024:], head)
		binary.LittleEndian.PutUint64(p.ring[1032:], tail)
		p.b.consumeRing(p.ring, 0, func(cpu int, s []byte) error {
			if len(s) > 128 {
				t.Fatalf("a sample of %d bytes from a ring of 128", len(s))
			}
			return nil
		})
	})
}

// TestPerfPositionsNearTheTop: a corrupt tail a few bytes below 2^64, with records that
// reach past it, is read at most to head; tail never wraps and the walk ends.
func TestPerfPositionsNearTheTop(t *testing.T) {
	p := newFakePerf(128)
	data := p.ring[p.b.page:]
	for i := 0; i+8 <= len(data); i += 8 {
		data[i+6] = 32 // every slot claims a 32-byte record of an unknown type
	}
	binary.LittleEndian.PutUint64(p.ring[1024:], ^uint64(0))
	binary.LittleEndian.PutUint64(p.ring[1032:], ^uint64(15))
	n, err := p.b.consumeRing(p.ring, 0, func(int, []byte) error { return nil })
	if n != 0 || err != nil {
		t.Fatalf("read %d samples, error %v", n, err)
	}
	if tail := binary.LittleEndian.Uint64(p.ring[1032:]); tail != ^uint64(15) {
		t.Fatalf("tail moved to %#x past head", tail)
	}
}

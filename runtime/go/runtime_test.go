package skelgenrt

import (
	"errors"
	"math/rand"
	"runtime"
	"syscall"
	"testing"
	"unsafe"
)

func TestErrorsNameTheObjectStepAndCause(t *testing.T) {
	err := skelgenRtLoaderFail("PROG_LOAD handle", 3, []byte("verifier says no\x00junk"), syscall.EACCES)
	var e *SkelgenRtError
	if !errors.As(err, &e) || !errors.Is(err, syscall.EACCES) || e.Log != "verifier says no" {
		t.Fatalf("%#v", err)
	}
	want := skelgenRtObject + ": load: PROG_LOAD handle (loader step 3): " + syscall.EACCES.Error()
	if err.Error() != want {
		t.Fatalf("%q, want %q", err.Error(), want)
	}
	own := skelgenRtFail("open", "count the CPUs", syscall.ENOENT)
	if own.Error() != skelgenRtObject+": open: count the CPUs: "+syscall.ENOENT.Error() {
		t.Fatalf("%q", own.Error())
	}
	if got := skelgenRtPrivileged("load", syscall.EPERM); got == "load" {
		t.Fatal("EPERM says nothing about privilege")
	}
	if got := skelgenRtPrivileged("load", syscall.EINVAL); got != "load" {
		t.Fatalf("%q", got)
	}
}

// TestBitsRoundTrip writes and reads bitfields of every width at every offset of a few
// bytes, and checks the bits around them stay as they were.
func TestBitsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := uint(1); n <= 64; n++ {
		for off := uint(0); off < 24; off++ {
			var buf [12]byte
			rng.Read(buf[:])
			before := buf
			p := unsafe.Pointer(&buf[0])
			v := rng.Uint64() & (^uint64(0) >> (64 - n))
			skelgenRtSetBits(p, off, n, v)
			if got := skelgenRtBits(p, off, n); got != v {
				t.Fatalf("%d bits at %d: %#x, want %#x", n, off, got, v)
			}
			for bit := uint(0); bit < 96; bit++ {
				if bit >= off && bit < off+n {
					continue
				}
				if skelgenRtBits(p, bit, 1) != skelgenRtBits(unsafe.Pointer(&before[0]), bit, 1) {
					t.Fatalf("%d bits at %d changed bit %d", n, off, bit)
				}
			}
			signed := skelgenRtSignedBits(p, off, n)
			if n < 64 && v>>(n-1) == 1 && signed >= 0 {
				t.Fatalf("%d bits %#x read as %d", n, v, signed)
			}
		}
	}
	if skelgenRtBoolBits(true) != 1 || skelgenRtBoolBits(false) != 0 {
		t.Fatal("bool bits")
	}
}

func TestBuffersAcceptPlainDataOfTheRightSize(t *testing.T) {
	var pin runtime.Pinner
	defer pin.Unpin()
	type pair struct {
		A uint32
		B [2]int16
	}
	for _, c := range []struct {
		v    any
		size uintptr
		ok   bool
	}{
		{new(uint64), 8, true},
		{&pair{}, 8, true},
		{make([]uint32, 3), 12, true},
		{new(uint32), 8, false},
		{uint32(1), 4, false},
		{new(*int), 8, false},
		{new(string), 16, false},
		{[]uint8{}, 0, false},
		{(*uint64)(nil), 8, false},
	} {
		addr, err := skelgenRtBuffer(&pin, c.v, c.size, false)
		if (err == nil) != c.ok || (c.ok && addr == 0) {
			t.Errorf("%T of %d bytes: %#x %v", c.v, c.size, addr, err)
		}
		if err != nil && !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%T: %v", c.v, err)
		}
	}
	if addr, err := skelgenRtBuffer(&pin, nil, 4, true); addr != 0 || err != nil {
		t.Errorf("nil: %#x %v", addr, err)
	}
}

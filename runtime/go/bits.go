package skelgenrt

import "unsafe"

// skelgenRtBits reads n bits from bit off of the struct at p (bits counted from the least
// significant bit of each byte, as BTF counts them on little-endian targets).
func skelgenRtBits(p unsafe.Pointer, off, n uint) uint64 {
	var v uint64
	for i := uint(0); i < n; i++ {
		b := *(*byte)(unsafe.Add(p, (off+i)/8))
		v |= uint64(b>>((off+i)%8)&1) << i
	}
	return v
}

// skelgenRtSignedBits reads n bits like skelgenRtBits, as a two's complement number.
func skelgenRtSignedBits(p unsafe.Pointer, off, n uint) int64 {
	return int64(skelgenRtBits(p, off, n)<<(64-n)) >> (64 - n)
}

// skelgenRtSetBits writes the low n bits of v at bit off of the struct at p.
func skelgenRtSetBits(p unsafe.Pointer, off, n uint, v uint64) {
	for i := uint(0); i < n; i++ {
		b := (*byte)(unsafe.Add(p, (off+i)/8))
		bit := byte(1) << ((off + i) % 8)
		if v>>i&1 != 0 {
			*b |= bit
		} else {
			*b &^= bit
		}
	}
}

// skelgenRtBoolBits is b as a bit.
func skelgenRtBoolBits(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

package uprobetarget

const supported = true

// Call calls the target with x in DI and returns its AX: x*2 + 1.
func Call(x uint64) uint64

// Addr is the address of the target's first instruction.
func Addr() uintptr

// target is the probed function; it is only called from Call.
func target()

//go:build !amd64

package uprobetarget

const supported = false

// Call is x*2 + 1; no probe sees it on this target.
func Call(x uint64) uint64 {
	return x*2 + 1
}

// Addr is 0: this target has no probed function.
func Addr() uintptr {
	return 0
}

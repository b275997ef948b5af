#include "textflag.h"

// func Call(x uint64) uint64
TEXT ·Call(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	CALL ·target(SB)
	MOVQ AX, ret+8(FP)
	RET

// func target()
// The argument is in DI and the result in AX, as in the C calling convention; it uses no
// stack of its own, so a uretprobe's borrowed return address is all it touches.
TEXT ·target(SB), NOSPLIT, $0-0
	LEAQ 1(DI)(DI*1), AX
	RET

// func Addr() uintptr
TEXT ·Addr(SB), NOSPLIT, $0-8
	MOVQ $·target(SB), AX
	MOVQ AX, ret+0(FP)
	RET

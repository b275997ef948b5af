// Package uprobetarget is a function for the probes example's uprobe and uretprobe to
// attach to: it takes its argument and returns its result in the registers where the BPF
// programs read them (PT_REGS_PARM1 and PT_REGS_RC of the C calling convention).
package uprobetarget

// Supported is whether this target has such a function.
const Supported = supported

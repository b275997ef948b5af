package skelgenrt

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// How a .kconfig extern's value is written, following libbpf.
const (
	skelgenRtKconfigBool          = iota // y/m: 1, n: 0
	skelgenRtKconfigTristate             // y: 1, m: 2, n: 0
	skelgenRtKconfigChar                 // the first character
	skelgenRtKconfigCharArray            // a quoted string
	skelgenRtKconfigInt                  // a signed number
	skelgenRtKconfigUint                 // an unsigned number
	skelgenRtKconfigKernelVersion        // LINUX_KERNEL_VERSION, from uname(2)
	skelgenRtKconfigFeature              // LINUX_HAS_*: 1
)

// skelgenRtKconfigExtern is one .kconfig extern: where its value goes, and how.
type skelgenRtKconfigExtern struct {
	name   string
	offset uint32
	size   uint32
	kind   int
	weak   bool
}

// skelgenRtKconfigFill writes each extern's value into the .kconfig image from the running
// kernel's configuration (skelgenRtKconfigApply).
func skelgenRtKconfigFill(image []byte, externs []skelgenRtKconfigExtern) error {
	config, readErr := skelgenRtKconfigText()
	return skelgenRtKconfigApply(image, externs, config, readErr)
}

// skelgenRtKconfigApply writes each extern's value from the configuration text config
// (which could not be read when readErr is set) into the .kconfig image. The error, for a
// value that is missing or unusable while its extern is not __weak, fails Load: missing
// values of weak externs stay 0.
func skelgenRtKconfigApply(image []byte, externs []skelgenRtKconfigExtern, config string, readErr error) error {
	for _, e := range externs {
		dst := image[e.offset : e.offset+e.size]
		switch e.kind {
		case skelgenRtKconfigKernelVersion:
			skelgenRtPutLE(dst, uint64(skelgenRtVersionCode(skelgenRtRelease())))
			continue
		case skelgenRtKconfigFeature:
			skelgenRtPutLE(dst, 1)
			continue
		}
		value, found := skelgenRtKconfigFind(config, e.name)
		var err error = syscall.ESRCH
		if found {
			err = skelgenRtKconfigValue(dst, e.kind, value)
		}
		if err == nil || e.weak {
			continue
		}
		what := "kconfig: " + e.name + " has no usable value in the kernel configuration"
		if readErr != nil {
			what = "kconfig: " + e.name + " needs /boot/config-$(uname -r) or /proc/config.gz, and neither can be read"
		}
		return skelgenRtFail("open", what, err)
	}
	return nil
}

// skelgenRtKconfigText is the running kernel's configuration: /boot/config-$(uname -r), else
// /proc/config.gz.
func skelgenRtKconfigText() (string, error) {
	if text, err := os.ReadFile("/boot/config-" + skelgenRtRelease()); err == nil {
		return string(text), nil
	}
	gz, err := os.ReadFile("/proc/config.gz")
	if err != nil {
		return "", err
	}
	return skelgenRtGunzip(gz)
}

// skelgenRtGunzip is the content of the gzip file gz; compress/gzip checks each member's
// CRC-32 and length, so a truncated or corrupt file is an error.
func skelgenRtGunzip(gz []byte) (string, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return "", err
	}
	text, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	return string(text), nil
}

// skelgenRtRelease is the running kernel's release, as uname -r prints it.
func skelgenRtRelease() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return ""
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

// skelgenRtVersionCode is KERNEL_VERSION(a, b, c) of a kernel release ("6.1.0-18-amd64"),
// with c capped at 255 as the kernel caps it.
func skelgenRtVersionCode(release string) uint32 {
	var v [3]uint32
	parts := strings.SplitN(release, ".", 3)
	for i, p := range parts {
		end := 0
		for end < len(p) && p[end] >= '0' && p[end] <= '9' {
			end++
		}
		n, _ := strconv.ParseUint(p[:end], 10, 32)
		v[i] = uint32(n)
	}
	if v[2] > 255 {
		v[2] = 255
	}
	return v[0]<<16 | v[1]<<8 | v[2]
}

// skelgenRtKconfigFind is the value of "name=value" in the configuration text.
func skelgenRtKconfigFind(config, name string) (string, bool) {
	for _, line := range strings.Split(config, "\n") {
		if value, ok := strings.CutPrefix(line, name+"="); ok {
			return value, true
		}
	}
	return "", false
}

// skelgenRtKconfigValue writes value into dst as kind says.
func skelgenRtKconfigValue(dst []byte, kind int, value string) error {
	switch kind {
	case skelgenRtKconfigBool, skelgenRtKconfigTristate:
		switch value {
		case "y":
			skelgenRtPutLE(dst, 1)
		case "m":
			if kind == skelgenRtKconfigBool {
				skelgenRtPutLE(dst, 1)
			} else {
				skelgenRtPutLE(dst, 2)
			}
		case "n":
			skelgenRtPutLE(dst, 0)
		default:
			return syscall.EINVAL
		}
	case skelgenRtKconfigChar:
		if value == "" || len(dst) == 0 {
			return syscall.EINVAL
		}
		dst[0] = value[0]
	case skelgenRtKconfigCharArray:
		s, err := strconv.Unquote(value)
		if err != nil || len(dst) == 0 {
			return syscall.EINVAL
		}
		n := copy(dst[:len(dst)-1], s)
		dst[n] = 0
	case skelgenRtKconfigInt:
		n, err := strconv.ParseInt(value, 0, 64)
		if err != nil {
			return syscall.EINVAL
		}
		skelgenRtPutLE(dst, uint64(n))
	default:
		n, err := strconv.ParseUint(value, 0, 64)
		if err != nil {
			return syscall.EINVAL
		}
		skelgenRtPutLE(dst, n)
	}
	return nil
}

// skelgenRtPutLE writes the low len(dst) bytes of v, little-endian.
func skelgenRtPutLE(dst []byte, v uint64) {
	for i := range dst {
		if i < 8 {
			dst[i] = byte(v >> (8 * i))
		}
	}
}

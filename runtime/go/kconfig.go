package skelgenrt

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
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
// kernel's configuration (skelgenRtKconfigApply), read once per process and only when an
// extern needs it: /boot/config-$(uname -r), else /proc/config.gz.
func skelgenRtKconfigFill(image []byte, externs []skelgenRtKconfigExtern) error {
	if !skelgenRtKconfigNeedsText(externs) {
		return skelgenRtKconfigApply(image, externs, "", nil)
	}
	c := &skelgenRtKconfigProcess
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fill("/boot/config-"+skelgenRtRelease(), "/proc/config.gz", externs)
	return skelgenRtKconfigApply(image, externs, c.text, c.err)
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

// skelgenRtKconfigFromText says whether an extern's value comes from the configuration
// text (versions and features do not).
func skelgenRtKconfigFromText(e skelgenRtKconfigExtern) bool {
	return e.kind != skelgenRtKconfigKernelVersion && e.kind != skelgenRtKconfigFeature
}

// skelgenRtKconfigNeedsText says whether some extern needs the configuration text.
func skelgenRtKconfigNeedsText(externs []skelgenRtKconfigExtern) bool {
	for _, e := range externs {
		if skelgenRtKconfigFromText(e) {
			return true
		}
	}
	return false
}

// skelgenRtKconfigCache is what a process has read of the kernel configuration: the text
// (a prefix of it unless complete), or the error of a read that found neither file.
type skelgenRtKconfigCache struct {
	mu       sync.Mutex
	text     string
	complete bool
	read     bool
	err      error
}

// skelgenRtKconfigProcess is the process's cache, shared by every open.
var skelgenRtKconfigProcess skelgenRtKconfigCache

// fill makes the cache hold every line externs need: a prefix read for other externs is
// read again, further (rarely: a process's skeletons mostly want the same keys).
func (c *skelgenRtKconfigCache) fill(plain, gz string, externs []skelgenRtKconfigExtern) {
	if c.read && (c.complete || c.err == nil && skelgenRtKconfigHasAll(c.text, externs)) {
		return
	}
	text, complete, err := skelgenRtKconfigRead(plain, gz, externs)
	if err != nil && c.read && c.err == nil {
		return // keep what an earlier read found
	}
	c.text, c.complete, c.err, c.read = text, complete || err != nil, err, true
}

// skelgenRtKconfigHasAll says whether text holds the line of every extern needing one.
func skelgenRtKconfigHasAll(text string, externs []skelgenRtKconfigExtern) bool {
	for _, e := range externs {
		if _, ok := skelgenRtKconfigFind(text, e.name); skelgenRtKconfigFromText(e) && !ok {
			return false
		}
	}
	return true
}

// skelgenRtKconfigRead is the kernel configuration as text, and whether it is all of it:
// the file plain (normally /boot/config-$(uname -r)) when it can be read, else the gzip
// file gz (normally /proc/config.gz), inflated only up to the line of the last extern that
// needs the text. Only a stream read to its end has its CRC-32 and length checked.
func skelgenRtKconfigRead(plain, gz string, externs []skelgenRtKconfigExtern) (string, bool, error) {
	if text, err := os.ReadFile(plain); plain != "" && err == nil {
		return string(text), true, nil
	}
	f, err := os.Open(gz)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	return skelgenRtKconfigInflate(bufio.NewReader(f), externs)
}

// skelgenRtKconfigInflate is the text of the gzip stream gz up to the line of the last
// extern that needs one (all of it when none does), and whether it is all of it.
func skelgenRtKconfigInflate(gz io.Reader, externs []skelgenRtKconfigExtern) (string, bool, error) {
	r, err := gzip.NewReader(gz)
	if err != nil {
		return "", false, err
	}
	left := map[string]bool{}
	for _, e := range externs {
		if skelgenRtKconfigFromText(e) {
			left[e.name] = true
		}
	}
	var text strings.Builder
	lines := bufio.NewReader(r)
	for {
		line, err := lines.ReadString('\n')
		text.WriteString(line)
		if name, _, ok := strings.Cut(line, "="); ok && left[name] && strings.HasSuffix(line, "\n") {
			delete(left, name)
			if len(left) == 0 {
				return text.String(), false, nil
			}
		}
		if errors.Is(err, io.EOF) {
			return text.String(), true, nil
		}
		if err != nil {
			return "", false, err
		}
	}
}

// skelgenRtGunzip is the content of the gzip file gz; compress/gzip checks each member's
// CRC-32 and length, so a truncated or corrupt file is an error.
func skelgenRtGunzip(gz []byte) (string, error) {
	text, _, err := skelgenRtKconfigInflate(bytes.NewReader(gz), nil)
	return text, err
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

package skelgenrt

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const testConfig = "#\n# Automatically generated file; DO NOT EDIT.\n#\nCONFIG_HZ=250\n" +
	"CONFIG_BPF_SYSCALL=y\nCONFIG_BPF_SYSCALLS=n\n# CONFIG_ABSENT is not set\nCONFIG_MOD=m\n" +
	"CONFIG_NEG=-12\nCONFIG_HEX=0x10\nCONFIG_NAME=\"linux \\\"6\\\"\"\nCONFIG_BAD=12a\nCONFIG_LAST=n"

func gzipped(t testing.TB, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGunzipReadsAConfig(t *testing.T) {
	text, err := skelgenRtGunzip(gzipped(t, testConfig))
	if err != nil || text != testConfig {
		t.Fatalf("%q %v", text, err)
	}
	// Two members, as a file written in two goes, read as one text.
	two := append(gzipped(t, "CONFIG_A=y\n"), gzipped(t, "CONFIG_B=y\n")...)
	if text, err := skelgenRtGunzip(two); err != nil || text != "CONFIG_A=y\nCONFIG_B=y\n" {
		t.Fatalf("two members: %q %v", text, err)
	}
}

func TestGunzipRefusesEveryTruncation(t *testing.T) {
	gz := gzipped(t, testConfig)
	for n := 0; n < len(gz); n++ {
		if _, err := skelgenRtGunzip(gz[:n]); err == nil {
			t.Fatalf("%d of %d bytes read without an error", n, len(gz))
		}
	}
}

func TestGunzipRefusesCorruption(t *testing.T) {
	gz := gzipped(t, testConfig)
	crc := append([]byte(nil), gz...)
	crc[len(crc)-8] ^= 1
	size := append([]byte(nil), gz...)
	binary.LittleEndian.PutUint32(size[len(size)-4:], uint32(len(testConfig)+1))
	magic := append([]byte(nil), gz...)
	magic[0] = 0
	garbage := append(append([]byte(nil), gz...), 0x1f, 0x8b, 8)
	for name, blob := range map[string][]byte{"crc": crc, "size": size, "magic": magic, "trailing garbage": garbage} {
		if _, err := skelgenRtGunzip(blob); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := skelgenRtGunzip(crc); !errors.Is(err, gzip.ErrChecksum) {
		t.Errorf("crc: %v", err)
	}
	// Every single flipped bit of the compressed data is caught, by the inflater or the CRC.
	for i := 10; i < len(gz)-8; i++ {
		for bit := 0; bit < 8; bit++ {
			bad := append([]byte(nil), gz...)
			bad[i] ^= 1 << bit
			if text, err := skelgenRtGunzip(bad); err == nil && text != testConfig {
				t.Fatalf("byte %d bit %d: read %d bytes without an error", i, bit, len(text))
			}
		}
	}
}

func TestKconfigFindsWholeNames(t *testing.T) {
	for name, want := range map[string]string{
		"CONFIG_HZ":          "250",
		"CONFIG_BPF_SYSCALL": "y",
		"CONFIG_LAST":        "n",
		"CONFIG_NAME":        `"linux \"6\""`,
	} {
		if got, ok := skelgenRtKconfigFind(testConfig, name); !ok || got != want {
			t.Errorf("%s: %q %v", name, got, ok)
		}
	}
	for _, name := range []string{"CONFIG_ABSENT", "CONFIG_BPF", "HZ", "", "CONFIG_HZ=250"} {
		if got, ok := skelgenRtKconfigFind(testConfig, name); ok {
			t.Errorf("%s found: %q", name, got)
		}
	}
}

func TestKconfigValues(t *testing.T) {
	for _, c := range []struct {
		kind  int
		size  int
		value string
		want  []byte
	}{
		{skelgenRtKconfigBool, 1, "y", []byte{1}},
		{skelgenRtKconfigBool, 1, "m", []byte{1}},
		{skelgenRtKconfigBool, 1, "n", []byte{0}},
		{skelgenRtKconfigTristate, 4, "m", []byte{2, 0, 0, 0}},
		{skelgenRtKconfigTristate, 1, "y", []byte{1}},
		{skelgenRtKconfigChar, 1, "y", []byte{'y'}},
		{skelgenRtKconfigCharArray, 4, `"linux"`, []byte("lin\x00")},
		{skelgenRtKconfigCharArray, 8, `"a\"b"`, []byte("a\"b\x00\x00\x00\x00\x00")},
		{skelgenRtKconfigInt, 4, "-12", []byte{0xf4, 0xff, 0xff, 0xff}},
		{skelgenRtKconfigInt, 8, "0x10", []byte{0x10, 0, 0, 0, 0, 0, 0, 0}},
		{skelgenRtKconfigUint, 8, "18446744073709551615", bytes.Repeat([]byte{0xff}, 8)},
		{skelgenRtKconfigUint, 2, "250", []byte{250, 0}},
	} {
		dst := make([]byte, c.size)
		if err := skelgenRtKconfigValue(dst, c.kind, c.value); err != nil || !bytes.Equal(dst, c.want) {
			t.Errorf("kind %d %q: % x %v, want % x", c.kind, c.value, dst, err, c.want)
		}
	}
	for _, c := range []struct {
		kind  int
		size  int
		value string
	}{
		{skelgenRtKconfigBool, 1, "x"},
		{skelgenRtKconfigTristate, 1, ""},
		{skelgenRtKconfigChar, 1, ""},
		{skelgenRtKconfigChar, 0, "y"},
		{skelgenRtKconfigCharArray, 4, "linux"},
		{skelgenRtKconfigCharArray, 0, `"x"`},
		{skelgenRtKconfigInt, 4, "12a"},
		{skelgenRtKconfigUint, 4, "-1"},
	} {
		if err := skelgenRtKconfigValue(make([]byte, c.size), c.kind, c.value); err != syscall.EINVAL {
			t.Errorf("kind %d %q into %d bytes: %v", c.kind, c.value, c.size, err)
		}
	}
}

func TestKconfigApply(t *testing.T) {
	image := make([]byte, 16)
	externs := []skelgenRtKconfigExtern{
		{"CONFIG_HZ", 0, 4, skelgenRtKconfigUint, false},
		{"LINUX_HAS_BPF_COOKIE", 4, 1, skelgenRtKconfigFeature, false},
		{"CONFIG_ABSENT", 5, 1, skelgenRtKconfigBool, true},
		{"CONFIG_BAD", 6, 2, skelgenRtKconfigInt, true},
		{"LINUX_KERNEL_VERSION", 8, 4, skelgenRtKconfigKernelVersion, false},
	}
	image[5], image[6] = 0, 0
	if err := skelgenRtKconfigApply(image, externs, testConfig, nil); err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint32(image) != 250 || image[4] != 1 || image[5] != 0 || image[6] != 0 {
		t.Fatalf("image % x", image)
	}
	if got := binary.LittleEndian.Uint32(image[8:]); got != skelgenRtVersionCode(skelgenRtRelease()) || got == 0 {
		t.Fatalf("kernel version %#x", got)
	}
	strong := []skelgenRtKconfigExtern{{"CONFIG_ABSENT", 0, 1, skelgenRtKconfigBool, false}}
	err := skelgenRtKconfigApply(image, strong, testConfig, nil)
	if !errors.Is(err, syscall.ESRCH) || !strings.Contains(err.Error(), "CONFIG_ABSENT has no usable value") {
		t.Fatalf("a missing strong extern: %v", err)
	}
	err = skelgenRtKconfigApply(image, strong, "", syscall.ENOENT)
	if err == nil || !strings.Contains(err.Error(), "neither can be read") {
		t.Fatalf("no configuration: %v", err)
	}
	bad := []skelgenRtKconfigExtern{{"CONFIG_BAD", 0, 4, skelgenRtKconfigInt, false}}
	if err := skelgenRtKconfigApply(image, bad, testConfig, nil); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("an unusable value: %v", err)
	}
}

func TestVersionCode(t *testing.T) {
	for release, want := range map[string]uint32{
		"6.1.0-18-amd64": 6<<16 | 1<<8,
		"6.18.3":         6<<16 | 18<<8 | 3,
		"5.4.300":        5<<16 | 4<<8 | 255,
		"7.2":            7<<16 | 2<<8,
		"":               0,
		"linux":          0,
		"6.x.1":          6<<16 | 1,
	} {
		if got := skelgenRtVersionCode(release); got != want {
			t.Errorf("%q: %#x, want %#x", release, got, want)
		}
	}
}

// FuzzKconfig fills a .kconfig image from any configuration text and any extern: an error
// is fine, a panic is not, and nothing is written outside the extern's bytes.
func FuzzKconfig(f *testing.F) {
	f.Add(testConfig, "CONFIG_HZ", uint8(skelgenRtKconfigUint), uint8(4), false)
	f.Add(testConfig, "CONFIG_NAME", uint8(skelgenRtKconfigCharArray), uint8(0), true)
	f.Add("CONFIG_X=\"\\x\n", "CONFIG_X", uint8(skelgenRtKconfigCharArray), uint8(3), false)
	f.Fuzz(func(t *testing.T, config, name string, kind, size uint8, weak bool) {
		image := make([]byte, 32)
		size %= 16
		e := skelgenRtKconfigExtern{name, 8, uint32(size), int(kind % 8), weak}
		err := skelgenRtKconfigApply(image, []skelgenRtKconfigExtern{e}, config, nil)
		if err != nil && weak {
			t.Fatalf("a weak extern fails: %v", err)
		}
		for i, b := range image {
			if b != 0 && (i < 8 || i >= 8+int(size)) {
				t.Fatalf("byte %d written, outside %d..%d", i, 8, 8+int(size))
			}
		}
	})
}

// FuzzGunzip reads any bytes as /proc/config.gz: an error is fine, a panic is not.
func FuzzGunzip(f *testing.F) {
	f.Add(gzipped(f, testConfig))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, gz []byte) {
		text, err := skelgenRtGunzip(gz)
		if err != nil && text != "" {
			t.Fatalf("an error with %d bytes of text", len(text))
		}
	})
}

// A configuration whose first and last keys are far apart.
func longConfig() string {
	var b strings.Builder
	b.WriteString("CONFIG_EARLY=y\n")
	for i := 0; i < 5000; i++ {
		b.WriteString("CONFIG_FILLER_" + strconv.Itoa(i) + "=" + strconv.Itoa(i) + "\n")
	}
	b.WriteString("CONFIG_LATE=42\nCONFIG_FILLER_LAST=1\n")
	return b.String()
}

func textExtern(name string, offset uint32, kind int, weak bool) skelgenRtKconfigExtern {
	return skelgenRtKconfigExtern{name: name, offset: offset, size: 4, kind: kind, weak: weak}
}

// kconfigFiles writes config.gz (longConfig) and a plain config that disagrees with it.
func kconfigFiles(t *testing.T) (plain, gz, missing string) {
	dir := t.TempDir()
	plain, gz, missing = filepath.Join(dir, "config"), filepath.Join(dir, "config.gz"), filepath.Join(dir, "none")
	if err := os.WriteFile(gz, gzipped(t, longConfig()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plain, []byte("CONFIG_EARLY=n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return plain, gz, missing
}

func TestKconfigInflationStopsAtTheLastWantedLine(t *testing.T) {
	_, gz, missing := kconfigFiles(t)
	early := []skelgenRtKconfigExtern{
		textExtern("LINUX_KERNEL_VERSION", 0, skelgenRtKconfigKernelVersion, false),
		textExtern("CONFIG_EARLY", 4, skelgenRtKconfigBool, false),
	}
	if text, complete, err := skelgenRtKconfigRead(missing, gz, early); err != nil || complete || text != "CONFIG_EARLY=y\n" {
		t.Fatalf("%q %v %v", text, complete, err)
	}
	late := []skelgenRtKconfigExtern{textExtern("CONFIG_LATE", 0, skelgenRtKconfigInt, false), early[1]}
	text, complete, err := skelgenRtKconfigRead(missing, gz, late)
	if err != nil || complete || !strings.HasSuffix(text, "CONFIG_LATE=42\n") {
		t.Fatalf("%q %v %v", text[len(text)-40:], complete, err)
	}
	absent := []skelgenRtKconfigExtern{textExtern("CONFIG_ABSENT", 0, skelgenRtKconfigBool, true)}
	if text, complete, err := skelgenRtKconfigRead(missing, gz, absent); err != nil || !complete || text != longConfig() {
		t.Fatalf("%v %v", complete, err)
	}
}

func TestKconfigPlainFileComesFirstWhenReadable(t *testing.T) {
	plain, gz, missing := kconfigFiles(t)
	want := []skelgenRtKconfigExtern{textExtern("CONFIG_EARLY", 0, skelgenRtKconfigChar, false)}
	for _, c := range []struct {
		plain, value string
	}{{plain, "n"}, {missing, "y"}, {filepath.Dir(plain), "y"}, {"", "y"}} {
		text, _, err := skelgenRtKconfigRead(c.plain, gz, want)
		if v, _ := skelgenRtKconfigFind(text, "CONFIG_EARLY"); err != nil || v != c.value {
			t.Fatalf("plain %q: %q %v", c.plain, v, err)
		}
	}
	if _, _, err := skelgenRtKconfigRead(missing, missing, want); err == nil {
		t.Fatal("no file, no error")
	}
}

func TestKconfigCacheReadsOnceAndFurtherOnlyWhenNeeded(t *testing.T) {
	_, gz, missing := kconfigFiles(t)
	var c skelgenRtKconfigCache
	early := []skelgenRtKconfigExtern{textExtern("CONFIG_EARLY", 0, skelgenRtKconfigBool, false)}
	late := []skelgenRtKconfigExtern{textExtern("CONFIG_LATE", 0, skelgenRtKconfigInt, false)}
	c.fill(missing, gz, early)
	if !c.read || c.complete || c.text != "CONFIG_EARLY=y\n" {
		t.Fatalf("first read: %q %v", c.text, c.complete)
	}
	c.fill(missing, missing, early) // from the cache: no file needed
	if c.err != nil || c.text != "CONFIG_EARLY=y\n" {
		t.Fatalf("cached: %q %v", c.text, c.err)
	}
	c.fill(missing, missing, late) // past the prefix: the earlier text stays
	if c.err != nil || c.text != "CONFIG_EARLY=y\n" {
		t.Fatalf("kept: %q %v", c.text, c.err)
	}
	c.fill(missing, gz, late)
	if v, ok := skelgenRtKconfigFind(c.text, "CONFIG_LATE"); !ok || v != "42" || c.complete {
		t.Fatalf("further: %q %v", v, c.complete)
	}
	if skelgenRtKconfigNeedsText([]skelgenRtKconfigExtern{textExtern("LINUX_HAS_BPF_COOKIE", 0, skelgenRtKconfigFeature, false)}) {
		t.Fatal("a feature needs no text")
	}
	var none skelgenRtKconfigCache
	strong := []skelgenRtKconfigExtern{
		textExtern("CONFIG_WEAK", 0, skelgenRtKconfigBool, true),
		textExtern("CONFIG_STRONG", 4, skelgenRtKconfigBool, false),
	}
	none.fill(missing, missing, strong)
	err := skelgenRtKconfigApply(make([]byte, 8), strong, none.text, none.err)
	if !none.read || err == nil || !strings.Contains(err.Error(), "CONFIG_STRONG needs /boot/config") {
		t.Fatalf("%v %v", none.read, err)
	}
}

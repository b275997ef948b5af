package probes_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"skelgen/examples/go/internal/check"
	"skelgen/examples/go/internal/uprobetarget"
	"skelgen/examples/go/probes"
)

// On the host only the user probes load: autoload is turned off for the kprobe,
// fentry/fexit/fmod_ret and LSM programs. With SKELGEN_PROBES_KERNEL=1 (a kernel with
// kprobes and BPF trampolines, as in the VM test) they load too, the LSM one when the BPF
// LSM is active (SKELGEN_PROBES_LSM=1 requires it), and Attach attaches them; opening and
// unlinking a file triggers them.
func TestProbes(t *testing.T) {
	check.Root(t)
	kernel := os.Getenv("SKELGEN_PROBES_KERNEL") != ""
	lsm := kernel && bpfLSMActive()
	if os.Getenv("SKELGEN_PROBES_LSM") != "" && !lsm {
		t.Fatal("the BPF LSM is not active (/sys/kernel/security/lsm lacks bpf)")
	}
	before := check.Baseline(t)
	s, err := probes.OpenProbes()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Progs.KprobeUnlinkat.Autoload = kernel
	s.Progs.KretprobeUnlinkat.Autoload = kernel
	s.Progs.FentryUnlinkat.Autoload = kernel
	s.Progs.FexitUnlinkat.Autoload = kernel
	s.Progs.FmodRetFileOpen.Autoload = kernel
	s.Progs.LSMFileOpen.Autoload = lsm
	s.Rodata.FilterTGID = uint32(os.Getpid())
	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	if (s.Progs.KprobeUnlinkat.FD() > 0) != kernel || (s.Progs.LSMFileOpen.FD() > 0) != lsm {
		t.Errorf("programs loaded against autoload: kprobe fd %d, lsm fd %d", s.Progs.KprobeUnlinkat.FD(), s.Progs.LSMFileOpen.FD())
	}
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	if (s.Links.FentryUnlinkat > 0) != kernel {
		t.Errorf("fentry link %d with kernel probes %v", s.Links.FentryUnlinkat, kernel)
	}
	if kernel {
		triggerKernel(t)
		bss := s.Bss
		for what, hits := range map[string]uint64{
			"kprobe": bss.KprobeHits, "kretprobe": bss.KretprobeHits, "fentry": bss.FentryHits,
			"fexit": bss.FexitHits, "fmod_ret": bss.FmodRetHits,
		} {
			if hits < 1 {
				t.Errorf("%s hits: %d", what, hits)
			}
		}
		if bss.KretprobeLastRet != 0 || bss.FexitLastRet != 0 {
			t.Errorf("do_unlinkat returned %d (kretprobe), %d (fexit)", bss.KretprobeLastRet, bss.FexitLastRet)
		}
		if lsm && bss.LSMHits < 1 {
			t.Errorf("lsm hits: %d", bss.LSMHits)
		}
		t.Logf("kprobe %d, kretprobe %d (ret %d), fentry %d, fexit %d (ret %d), fmod_ret %d, lsm %d hits",
			bss.KprobeHits, bss.KretprobeHits, bss.KretprobeLastRet, bss.FentryHits, bss.FexitHits,
			bss.FexitLastRet, bss.FmodRetHits, bss.LSMHits)
	}
	userProbes(t, s)
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	check.NoLeak(t, before, "after Close")
}

// userProbes attaches the uprobe (every process) and the uretprobe (this one) to the
// probed function of uprobetarget, calls it and reads what the programs saw.
func userProbes(t *testing.T, s *probes.Probes) {
	if !uprobetarget.Supported {
		t.Log("no probed function on this target: the user probes are not checked")
		return
	}
	path, offset := fileOffset(t, uprobetarget.Addr())
	if err := s.AttachUprobeEntry(-1, path, offset); err != nil {
		t.Fatal(err)
	}
	if err := s.AttachUretprobeExit(os.Getpid(), path, offset); err != nil {
		t.Fatal(err)
	}
	if got := uprobetarget.Call(41); got != 83 {
		t.Errorf("target(41) = %d", got)
	}
	bss := s.Bss
	t.Logf("uprobe %d hits (arg %d), uretprobe %d hits (ret %d)", bss.UprobeHits, bss.UprobeLastArg, bss.UretprobeHits, bss.UretprobeLastRet)
	if bss.UprobeHits != 1 || bss.UprobeLastArg != 41 || bss.UretprobeHits != 1 || bss.UretprobeLastRet != 83 {
		t.Errorf("uprobe hits %d, arg %d; uretprobe hits %d, result %d: want 1, 41, 1, 83",
			bss.UprobeHits, bss.UprobeLastArg, bss.UretprobeHits, bss.UretprobeLastRet)
	}
}

// fileOffset is the file mapped at addr in this process, and addr's offset in it.
func fileOffset(t *testing.T, addr uintptr) (string, uint64) {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		// start-end perms offset dev inode path
		fields := strings.Fields(lines.Text())
		if len(fields) < 6 || !strings.HasPrefix(fields[5], "/") {
			continue
		}
		bounds := strings.SplitN(fields[0], "-", 2)
		start, err1 := strconv.ParseUint(bounds[0], 16, 64)
		end, err2 := strconv.ParseUint(bounds[1], 16, 64)
		off, err3 := strconv.ParseUint(fields[2], 16, 64)
		if err1 == nil && err2 == nil && err3 == nil && uint64(addr) >= start && uint64(addr) < end {
			return fields[5], uint64(addr) - start + off
		}
	}
	t.Fatalf("no file mapped at %#x", addr)
	return "", 0
}

func bpfLSMActive() bool {
	list, err := os.ReadFile("/sys/kernel/security/lsm")
	return err == nil && strings.Contains(string(list), "bpf")
}

// triggerKernel opens (fmod_ret, lsm) and unlinks (kprobe, kretprobe, fentry, fexit) a file.
func triggerKernel(t *testing.T) {
	path := filepath.Join(os.TempDir(), "skelgen-probes-"+strconv.Itoa(os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

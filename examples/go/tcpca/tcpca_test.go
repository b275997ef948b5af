package tcpca_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"skelgen/examples/go/internal/check"
	"skelgen/examples/go/tcpca"
)

// A loopback connection through a congestion control moves chunks chunks of chunk bytes.
const (
	chunk  = 16384
	chunks = 64
)

// plain leaves the .struct_ops.link map out (SKELGEN_TCPCA_PLAIN=1): kernels before 6.4
// cannot create it.
var plain = os.Getenv("SKELGEN_TCPCA_PLAIN") == "1"

// An Attach<Map> whose program was not loaded fails naming the program and its member,
// registers nothing and leaves no fd.
func TestAttachWithoutItsProgram(t *testing.T) {
	check.Root(t)
	before := check.Baseline(t)
	s, err := tcpca.OpenTcpca()
	if err != nil {
		t.Fatal(err)
	}
	s.Progs.TcpcaInit.Autoload = false // tcpca.init names it
	s.StructOps.TcpcaLink.Autocreate = !plain
	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	err = s.AttachTcpca()
	var e *tcpca.TcpcaError
	if !errors.As(err, &e) || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("AttachTcpca: %v, want a *TcpcaError wrapping ENOENT", err)
	}
	want := "struct_ops map tcpca: program tcpca_init of member init was not loaded (its Autoload is false)"
	if e.Op != "attach tcpca" || e.Step != want {
		t.Errorf("error %+v: want op attach tcpca, step %q", e, want)
	}
	if available(t, "skg_tcpca") {
		t.Error("skg_tcpca is registered after a failed attach")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	check.NoLeak(t, before, "after a failed attach")
}

// Both structures registered and used by a TCP connection each, the link of the
// .struct_ops.link map, detach, a second attach of each, close.
func TestRealRun(t *testing.T) {
	check.Root(t)
	before := check.Baseline(t)
	s, err := tcpca.OpenTcpca()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.StructOps.Tcpca.Autocreate || !s.StructOps.TcpcaLink.Autocreate {
		t.Error("Autocreate is not on by default")
	}
	s.StructOps.TcpcaLink.Autocreate = !plain
	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	// The value size is the kernel's bpf_struct_ops_tcp_congestion_ops, not the object's.
	info := fdInfo(t, s.Maps.Tcpca.FD())
	size := s.Maps.Tcpca.ValueSize
	if info["value_size"] != strconv.Itoa(int(size)) || size <= 48 {
		t.Errorf("value size %d, the map's %s: want the kernel's, above the object's 48", size, info["value_size"])
	}
	if created := s.Maps.TcpcaLink.FD() > 0; created == plain {
		t.Errorf("tcpca_link created: %v with Autocreate %v", created, !plain)
	}
	if err := s.Attach(); err != nil {
		t.Fatal(err)
	}
	use(t, s, "skg_tcpca")
	if !plain {
		use(t, s, "skg_tcpca_link")
		checkLink(t, s)
	}
	if s.Bss.SsthreshCalls+s.Bss.CongAvoidCalls+s.Bss.UndoCalls == 0 {
		t.Errorf("no callback but init ran: %+v", *s.Bss)
	}
	t.Logf("calls: init %d, ssthresh %d, cong_avoid %d, undo_cwnd %d",
		s.Bss.InitCalls, s.Bss.SsthreshCalls, s.Bss.CongAvoidCalls, s.Bss.UndoCalls)

	s.Detach()
	for _, name := range []string{"skg_tcpca", "skg_tcpca_link"} {
		if available(t, name) {
			t.Errorf("%s is registered after Detach", name)
		}
	}
	if s.Links.TcpcaLink != 0 {
		t.Errorf("link %d after Detach", s.Links.TcpcaLink)
	}
	if _, err := transfer("skg_tcpca"); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("a connection through skg_tcpca after Detach: %v, want ENOENT", err)
	}
	err = s.AttachTcpca()
	if !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), "a .struct_ops map cannot be registered again") {
		t.Errorf("AttachTcpca after Detach: %v, want EBUSY (a .struct_ops map registers once)", err)
	}
	if !plain {
		if err := s.AttachTcpcaLink(); err != nil {
			t.Fatalf("AttachTcpcaLink after Detach: %v", err)
		}
		if err := s.AttachTcpcaLink(); !errors.Is(err, syscall.EBUSY) {
			t.Errorf("AttachTcpcaLink twice: %v, want EBUSY", err)
		}
		use(t, s, "skg_tcpca_link")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if available(t, "skg_tcpca_link") {
		t.Error("skg_tcpca_link is registered after Close")
	}
	check.NoLeak(t, before, "after Close")
}

// use checks that name is registered, and that a connection through it moves every byte
// and calls the structure's init.
func use(t *testing.T, s *tcpca.Tcpca, name string) {
	t.Helper()
	if !available(t, name) {
		t.Errorf("%s is not among the available congestion controls", name)
	}
	inits := s.Bss.InitCalls
	got, err := transfer(name)
	if err != nil || got != chunk*chunks {
		t.Errorf("a connection through %s moved %d bytes: %v", name, got, err)
	}
	if s.Bss.InitCalls <= inits {
		t.Errorf("a connection through %s did not call its init (%d calls)", name, s.Bss.InitCalls)
	}
}

// checkLink checks that the link of the .struct_ops.link map is a struct_ops link to it.
func checkLink(t *testing.T, s *tcpca.Tcpca) {
	t.Helper()
	if s.Links.TcpcaLink <= 0 {
		t.Fatalf("no link after Attach: %d", s.Links.TcpcaLink)
	}
	link, m := fdInfo(t, s.Links.TcpcaLink), fdInfo(t, s.Maps.TcpcaLink.FD())
	if link["link_type"] != "struct_ops" || link["map_id"] != m["map_id"] {
		t.Errorf("link %v: want a struct_ops link to map %s", link, m["map_id"])
	}
}

// available is whether name is among the congestion controls the kernel offers.
func available(t *testing.T, name string) bool {
	t.Helper()
	text, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range strings.Fields(string(text)) {
		if w == name {
			return true
		}
	}
	return false
}

// fdInfo is /proc/self/fdinfo/<fd> as keys and values.
func fdInfo(t *testing.T, fd int) map[string]string {
	t.Helper()
	text, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		t.Fatal(err)
	}
	info := map[string]string{}
	for _, line := range strings.Split(string(text), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			info[k] = strings.TrimSpace(v)
		}
	}
	return info
}

// transfer moves chunks chunks over a loopback connection whose client uses the congestion
// control name: the bytes received, or why it failed.
func transfer(name string) (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptString(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CONGESTION, name)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	cli, err := dialer.Dial("tcp4", ln.Addr().String())
	if err != nil {
		return 0, err
	}
	defer cli.Close()
	srv, err := ln.Accept()
	if err != nil {
		return 0, err
	}
	defer srv.Close()
	sent := make(chan error, 1)
	go func() {
		for i := 0; i < chunks; i++ {
			if _, err := cli.Write(bytes.Repeat([]byte{byte(i)}, chunk)); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	got, in := 0, make([]byte, chunk)
	for i := 0; i < chunks; i++ {
		if _, err := io.ReadFull(srv, in); err != nil {
			return got, err
		}
		if !bytes.Equal(in, bytes.Repeat([]byte{byte(i)}, chunk)) {
			return got, errors.New("the bytes received differ from those sent")
		}
		got += chunk
	}
	return got, <-sent
}

package wire

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProxyHeaderEncode(t *testing.T) {
	for _, tt := range []struct {
		version      string
		source, dest string
		want         string // v1 as text, v2 as hex
	}{
		{"v1", "203.0.113.7:40000", "127.0.0.1:25", "PROXY TCP4 203.0.113.7 127.0.0.1 40000 25\r\n"},
		{"v1", "[2001:db8::7]:1234", "[::1]:25", "PROXY TCP6 2001:db8::7 ::1 1234 25\r\n"},
		{"v2", "203.0.113.7:40000", "127.0.0.1:25",
			"0d0a0d0a000d0a515549540a" + "21" + "11" + "000c" + "cb007107" + "7f000001" + "9c40" + "0019"},
		{"v2", "[2001:db8::7]:1234", "[::1]:25",
			"0d0a0d0a000d0a515549540a" + "21" + "21" + "0024" + "20010db8000000000000000000000007" +
				"00000000000000000000000000000001" + "04d2" + "0019"},
	} {
		h, err := ParseProxyHeader(tt.version, tt.source)
		if err != nil {
			t.Fatal(err)
		}
		got := h.Encode(netip.MustParseAddrPort(tt.dest))
		if tt.version == "v2" {
			if hex.EncodeToString(got) != tt.want {
				t.Errorf("%s %s: got %x, want %s", tt.version, tt.source, got, tt.want)
			}
			continue
		}
		if string(got) != tt.want {
			t.Errorf("%s %s: got %q, want %q", tt.version, tt.source, got, tt.want)
		}
	}
}

func TestParseProxyHeaderRejects(t *testing.T) {
	for _, tt := range [][2]string{{"v3", "1.2.3.4:5"}, {"v1", "1.2.3.4"}, {"v2", "host:25"}, {"", "1.2.3.4:5"}} {
		if _, err := ParseProxyHeader(tt[0], tt[1]); err == nil {
			t.Errorf("ParseProxyHeader(%q, %q) accepted", tt[0], tt[1])
		}
	}
}

// The header goes first on the wire, its destination the connection's own
// remote address, and the note says what was claimed.
func TestDialSendsProxyHeaderFirst(t *testing.T) {
	got := make(chan []byte, 1)
	addr := serveOnce(t, func(c net.Conn) {
		c.Write([]byte("220 hi\r\n"))
		b := make([]byte, 100)
		n, _ := io.ReadAtLeast(c, b, 10)
		got <- b[:n]
	})
	h, _ := ParseProxyHeader("v1", "198.51.100.9:1234")
	c, err := Dial(context.Background(), addr, Options{Transport: Transport{Header: h}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, port, _ := net.SplitHostPort(addr)
	want := "PROXY TCP4 198.51.100.9 127.0.0.1 1234 " + port + "\r\n"
	if b := <-got; string(b) != want {
		t.Errorf("server got %q, want %q", b, want)
	}
	if r := c.Route(); r.Header != "v1" || r.Claimed != "198.51.100.9:1234" {
		t.Errorf("route %+v", r)
	}
	if notes := noteTexts(c.Transcript()); !strings.Contains(notes, "claiming the client is 198.51.100.9:1234") {
		t.Errorf("notes %q do not say what was claimed", notes)
	}
}

func TestParseSOCKS5(t *testing.T) {
	p, err := ParseSOCKS5("socks5://alice:s3cret@127.0.0.1:1080")
	if err != nil {
		t.Fatal(err)
	}
	if p.User != "alice" || p.Password != "s3cret" || p.Addr != "127.0.0.1:1080" {
		t.Errorf("parsed %+v", p)
	}
	if s := p.String(); strings.Contains(s, "s3cret") || s != "socks5://alice@127.0.0.1:1080" {
		t.Errorf("String() = %q", s)
	}
	if p, _ := ParseSOCKS5("socks5://proxy.test"); p.Addr != "proxy.test:1080" {
		t.Errorf("default port: %+v", p)
	}
	for _, bad := range []string{"http://u:s3cret@x:1", "socks5://u:s3cret@x:0", "socks5://", "socks5://u:s3cret@x:1/path"} {
		_, err := ParseSOCKS5(bad)
		if err == nil {
			t.Errorf("ParseSOCKS5(%q) accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseSOCKS5(%q): the error shows the password: %v", bad, err)
		}
	}
}

// fakeSOCKS answers one SOCKS5 client as script says: the bytes it writes
// after reading each expected request. It reports what it read.
func fakeSOCKS(t *testing.T, steps ...[2]string) (string, <-chan string) {
	t.Helper()
	read := make(chan string, 1)
	addr := serveOnce(t, func(c net.Conn) {
		var all bytes.Buffer
		defer func() { read <- hex.EncodeToString(all.Bytes()) }()
		for _, s := range steps {
			want, _ := hex.DecodeString(s[0])
			b := make([]byte, len(want))
			if _, err := io.ReadFull(c, b); err != nil {
				return
			}
			all.Write(b)
			if s[1] == "close" {
				return
			}
			out, _ := hex.DecodeString(s[1])
			c.Write(out)
		}
		c.Write([]byte("220 through the proxy\r\n"))
		io.Copy(io.Discard, c)
	})
	return addr, read
}

func TestSOCKS5Connect(t *testing.T) {
	addr, read := fakeSOCKS(t,
		[2]string{"050100", "0500"}, // no authentication
		[2]string{"050100030a6d782e6578616d706c650019", "050000017f0000010438"}, // CONNECT mx.example:25
	)
	c, err := Dial(context.Background(), "mx.example:25", Options{Transport: Transport{Proxy: &SOCKS5{Addr: addr}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.ReadReply(context.Background())
	c.Close()
	if err != nil || !strings.HasPrefix(string(r.Raw), "220 through") {
		t.Fatalf("reply %q, %v: the SMTP bytes after the SOCKS reply must be the server's", r.Raw, err)
	}
	if got := <-read; got != "050100"+"050100030a6d782e6578616d706c650019" {
		t.Errorf("the proxy read %s", got)
	}
	if route := c.Route(); route.Proxy != "socks5://"+addr || route.Remote != "mx.example:25" {
		t.Errorf("route %+v", route)
	}
}

func TestSOCKS5Login(t *testing.T) {
	addr, read := fakeSOCKS(t,
		[2]string{"05020002", "0502"},                             // offers none and user/password; the proxy picks 2
		[2]string{"0105616c696365027077", "0100"},                 // RFC 1929: alice, pw; success
		[2]string{"050100017f0000010019", "05000001000000000000"}, // CONNECT 127.0.0.1:25
	)
	c, err := Dial(context.Background(), "127.0.0.1:25", Options{Transport: Transport{Proxy: &SOCKS5{Addr: addr, User: "alice", Password: "pw"}}})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	<-read
	if route := c.Route(); strings.Contains(route.String(), "pw") || route.Proxy != "socks5://alice@"+addr {
		t.Errorf("route %q shows the password or lacks the proxy", route.String())
	}
}

// A proxy that refuses or lies is a SOCKSError that says how, never a
// connection handed on.
func TestSOCKS5Refusals(t *testing.T) {
	for _, tt := range []struct {
		name  string
		user  string
		steps [][2]string
		want  string
	}{
		{"no method", "", [][2]string{{"050100", "05ff"}}, "accepts none of the authentication methods"},
		{"wants a password", "", [][2]string{{"050100", "0502"}}, "asks for a user name and password"},
		{"bad password", "alice", [][2]string{{"05020002", "0502"}, {"0105616c696365027077", "0101"}}, "refused the user name and password"},
		{"connection refused", "", [][2]string{{"050100", "0500"}, {"050100017f0000010019", "05050001000000000000"}}, "connection refused by the destination"},
		{"ruleset", "", [][2]string{{"050100", "0500"}, {"050100017f0000010019", "05020001000000000000"}}, "not allowed by its rules"},
		{"an SMTP server", "", [][2]string{{"050100", "3232"}}, `does not speak SOCKS5: it answered "22`},
		{"closes", "", [][2]string{{"050100", "close"}}, "closed the connection in the middle"},
		{"bad address type", "", [][2]string{{"050100", "0500"}, {"050100017f0000010019", "05000009"}}, "unknown address type 9"},
		{"unoffered method", "", [][2]string{{"050100", "0503"}}, "method 3, which was not offered"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := fakeSOCKS(t, tt.steps...)
			p := &SOCKS5{Addr: addr, User: tt.user}
			if tt.user != "" {
				p.Password = "pw"
			}
			_, err := Dial(context.Background(), "127.0.0.1:25", Options{DialTimeout: 5 * time.Second, Transport: Transport{Proxy: p}})
			var se *SOCKSError
			if !errors.As(err, &se) || !strings.Contains(se.Msg, tt.want) {
				t.Fatalf("err = %v, want a SOCKSError saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "pw@") || strings.Contains(err.Error(), ":pw") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

// A proxy that says nothing is bounded by the dial timeout.
func TestSOCKS5SilentProxyTimesOut(t *testing.T) {
	addr := serveOnce(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	start := time.Now()
	_, err := Dial(context.Background(), "127.0.0.1:25", Options{DialTimeout: 300 * time.Millisecond, Transport: Transport{Proxy: &SOCKS5{Addr: addr}}})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestUnixTargets(t *testing.T) {
	for target, want := range map[string]string{"unix:/run/x": "/run/x", "unix:rel/sock": "rel/sock"} {
		if path, ok := UnixPath(target); !ok || path != want {
			t.Errorf("UnixPath(%q) = %q, %v", target, path, ok)
		}
		if host, port, err := ParseTarget(target); err != nil || host != "localhost" || port != "" {
			t.Errorf("ParseTarget(%q) = %q, %q, %v", target, host, port, err)
		}
	}
	if _, ok := UnixPath("unix:25"); ok {
		t.Error(`"unix:25" is the host unix, port 25`)
	}
	if _, _, err := ParseTarget("unix:"); err == nil {
		t.Error(`"unix:" accepted`)
	}
}

func TestDialUnix(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "lmtp")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Skip("no unix sockets here:", err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("220 unix\r\n"))
			io.Copy(io.Discard, c)
		}
	}()
	c, err := Dial(context.Background(), "unix:"+sock, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r, err := c.ReadReply(context.Background()); err != nil || !strings.HasPrefix(string(r.Raw), "220 ") {
		t.Fatalf("reply %+v, %v", r, err)
	}
	if r := c.Route(); r.Kind != "unix" || r.Remote != sock {
		t.Errorf("route %+v", r)
	}

	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	_, err = Dial(context.Background(), "unix:"+file, Options{})
	var ns *NotSocketError
	if !errors.As(err, &ns) || !strings.Contains(err.Error(), "is a regular file, not a unix socket") {
		t.Errorf("a regular file: %v", err)
	}
	_, err = Dial(context.Background(), "unix:"+dir, Options{})
	if !errors.As(err, &ns) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v", err)
	}
	_, err = Dial(context.Background(), "unix:"+filepath.Join(dir, "none"), Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("nothing there: %v", err)
	}
	_, err = Dial(context.Background(), "unix:"+sock, Options{Transport: Transport{Family: "4"}})
	if err == nil {
		t.Error("-4 with a unix socket accepted")
	}
}

// serveOnce serves one connection on a loopback listener.
func serveOnce(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	return ln.Addr().String()
}

// noteTexts joins the transcript's notes.
func noteTexts(t *Transcript) string {
	var b strings.Builder
	for _, e := range t.Entries() {
		if e.Dir == Note {
			b.Write(e.Data)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

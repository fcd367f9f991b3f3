//go:build unix

package wire

import (
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/testenv"
)

// dialRaw connects a Conn to s and returns it with its socket, which
// waitReadable watches.
func dialRaw(t *testing.T, s *server, opts Options) (*Conn, net.Conn) {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = testTimeout
	}
	nc, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(nc, opts)
	t.Cleanup(func() { c.Close() })
	return c, nc
}

// waitReadable blocks until the socket holds unread bytes, without reading
// them: the synchronisation of a test on bytes the server sent.
func waitReadable(t *testing.T, nc net.Conn) {
	t.Helper()
	rc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(testTimeout))
	var b [1]byte
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		_, _, rerr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
		return !errors.Is(rerr, syscall.EAGAIN)
	})
	if err != nil || rerr != nil {
		t.Fatalf("waiting for the server's bytes: %v %v", err, rerr)
	}
}

func wantDesync(t *testing.T, err error, bytes string) {
	t.Helper()
	var de *DesyncError
	if !errors.As(err, &de) || string(de.Bytes) != bytes {
		t.Fatalf("err = %v, want a DesyncError holding %q", err, bytes)
	}
}

// TestExchangeDesync: a reply that came before the command was written
// (here with the greeting, in one segment) is not read as the command's:
// Exchange writes nothing and says what was waiting. The transcript keeps
// the bytes and notes the desync.
func TestExchangeDesync(t *testing.T) {
	s := startServer(t, func(p *peer) {
		p.send("220 mx.test ESMTP\r\n250 fake EHLO reply\r\n")
		p.drain()
	})
	c, _ := dialRaw(t, s, Options{})
	if r, err := c.ReadReply(ctx); err != nil || r.Lines[0] != "220 mx.test ESMTP" {
		t.Fatalf("greeting %q %v", r.Lines, err)
	}
	_, err := c.Exchange(ctx, "EHLO client.test")
	wantDesync(t, err, "250 fake EHLO reply\r\n")
	_, err = c.ExchangeSecret(ctx, "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AUTH PLAIN <redacted>")
	wantDesync(t, err, "250 fake EHLO reply\r\n")
	c.Close()
	if got := s.wait(); got != "" {
		t.Errorf("the client wrote %q after a desync", got)
	}
	tr := c.Transcript()
	if got := string(tr.Bytes(Server)); got != "220 mx.test ESMTP\r\n250 fake EHLO reply\r\n" {
		t.Errorf("transcript holds %q", got)
	}
	if n := notes(tr.Entries()); len(n) == 0 || !strings.Contains(n[len(n)-1], "while no reply was due") {
		t.Errorf("notes %q: want the desync noted", n)
	}
}

// TestCheckIdleLaterSegment: bytes that come in a segment of their own,
// after the reply was read, are seen without waiting for them.
func TestCheckIdleLaterSegment(t *testing.T) {
	more := make(chan struct{})
	s := startServer(t, func(p *peer) {
		p.send("220 mx.test ESMTP\r\n")
		<-more
		p.send("421 4.3.2 shutting down\r\n")
		p.drain()
	})
	c, nc := dialRaw(t, s, Options{})
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckIdle(ctx); err != nil {
		t.Fatalf("CheckIdle with nothing sent: %v", err)
	}
	close(more)
	waitReadable(t, nc)
	wantDesync(t, c.CheckIdle(ctx), "421 4.3.2 shutting down\r\n")
}

// TestCheckIdleClosed: a server that closed is not out of step; the next
// read says it closed.
func TestCheckIdleClosed(t *testing.T) {
	s := startServer(t, func(p *peer) { p.send("220 mx.test ESMTP\r\n") })
	c, nc := dialRaw(t, s, Options{})
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	s.wait()
	waitReadable(t, nc) // the FIN
	if err := c.CheckIdle(ctx); err != nil {
		t.Fatalf("CheckIdle after a close: %v", err)
	}
	var ce *ClosedError
	if _, err := c.Exchange(ctx, "NOOP"); !errors.As(err, &ce) && !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("NOOP after the close: %v, want the close", err)
	}
}

// TestCheckIdleTLS: inside TLS, application data that nobody asked for is
// seen through the TLS layer, without waiting.
func TestCheckIdleTLS(t *testing.T) {
	pki := testPKI()
	more := make(chan struct{})
	s := startServer(t, func(p *peer) {
		p.send("220 mx.test ESMTP\r\n")
		p.line()
		p.send("220 go ahead\r\n")
		if p.startTLS(pki.good) != nil {
			return
		}
		<-more
		p.send("250 from nowhere\r\n")
		p.drain()
	})
	c, nc := dialRaw(t, s, Options{ServerName: "localhost", RootCAs: pki.roots})
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exchange(ctx, "STARTTLS"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartTLS(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckIdle(ctx); err != nil {
		t.Fatalf("CheckIdle after the handshake: %v", err)
	}
	close(more)
	waitReadable(t, nc)
	wantDesync(t, c.CheckIdle(ctx), "250 from nowhere\r\n")
	if got := string(c.Transcript().Bytes(Server)); !strings.HasSuffix(got, "250 from nowhere\r\n") {
		t.Errorf("transcript holds %q", got)
	}
}

// TestCheckIdleAfterLongIdle: a check made after the last operation's
// deadline has passed (a user idle for long) still looks at the socket.
func TestCheckIdleAfterLongIdle(t *testing.T) {
	more := make(chan struct{})
	s := startServer(t, func(p *peer) {
		p.send("220 mx.test ESMTP\r\n")
		<-more
		p.send("250 late\r\n")
		p.drain()
	})
	c, nc := dialRaw(t, s, Options{})
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	close(more)
	waitReadable(t, nc)
	_ = nc.SetDeadline(time.Now().Add(-time.Second)) // as an old operation's would be
	wantDesync(t, c.CheckIdle(ctx), "250 late\r\n")
}

// TestCheckIdleAfterTicketsPostfix: OpenSSL servers (Postfix) send TLS 1.3
// session tickets after the handshake, which are bytes on the socket but
// no reply: CheckIdle must not take them for a desync.
func TestCheckIdleAfterTicketsPostfix(t *testing.T) {
	addr, caFile := os.Getenv("EHLO_POSTFIX_SUBMISSION"), os.Getenv("EHLO_POSTFIX_CA")
	if addr == "" || caFile == "" {
		testenv.Need(t, "the Postfix lab", "sudo bash scripts/postfix-lab.sh up; set -a; . /var/lib/ehlo-postfix-lab/env; set +a")
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	host := os.Getenv("EHLO_POSTFIX_HOSTNAME")
	c := NewConn(nc, Options{ServerName: host, RootCAs: roots, Timeout: testTimeout})
	defer c.Close()
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"EHLO client.test", "STARTTLS"} {
		if _, err := c.Exchange(ctx, line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	info, err := c.StartTLS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != "TLS 1.3" {
		t.Skipf("Postfix speaks %s: no tickets after the handshake to look at", info.Version)
	}
	waitReadable(t, nc) // the tickets
	if err := c.CheckIdle(ctx); err != nil {
		t.Fatalf("CheckIdle with the session tickets waiting: %v", err)
	}
	if r, err := c.Exchange(ctx, "EHLO client.test"); err != nil || !strings.HasPrefix(r.Lines[0], "250") {
		t.Fatalf("EHLO after the tickets: %q %v", r.Lines, err)
	}
}

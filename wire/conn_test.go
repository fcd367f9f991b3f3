package wire

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestNewConnServerName(t *testing.T) {
	cli, srv := net.Pipe()
	defer srv.Close()
	defer cli.Close()
	if got := NewConn(cli, Options{}).ServerName(); got != "" {
		t.Errorf("net.Pipe ServerName = %q, want \"\"", got)
	}
	if got := NewConn(cli, Options{ServerName: "mx.example.com"}).ServerName(); got != "mx.example.com" {
		t.Errorf("ServerName = %q", got)
	}
	s := startServer(t, func(p *peer) { p.drain() })
	c := dialTest(t, s, Options{})
	if c.ServerName() != "127.0.0.1" || c.Addr() != s.addr {
		t.Errorf("ServerName %q, Addr %q; want 127.0.0.1, %s", c.ServerName(), c.Addr(), s.addr)
	}
	if _, ok := c.TLS(); ok {
		t.Error("TLS() = true on a plaintext connection")
	}
}

func TestCloseWakesRead(t *testing.T) {
	s := startServer(t, func(p *peer) { p.drain() })
	c := dialTest(t, s, Options{})
	stop := time.AfterFunc(20*time.Millisecond, func() { c.Close() })
	defer stop.Stop()
	_, err := c.ReadReply(ctx)
	if !errors.Is(err, net.ErrClosed) || !strings.HasPrefix(err.Error(), "wire: read reply: ") {
		t.Errorf("err = %v, want net.ErrClosed wrapped", err)
	}
}

func TestDialErrors(t *testing.T) {
	if _, err := Dial(ctx, "mx.example.com:0", Options{}); err == nil || !strings.Contains(err.Error(), "bad port") {
		t.Errorf("bad target: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Dial(ctx, addr, Options{}); err == nil || !strings.HasPrefix(err.Error(), "wire: dial ") {
		t.Errorf("closed port: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Dial(cctx, addr, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled dial: %v", err)
	}
}

// TestWaitRead: WaitRead times out on silence and then leaves the
// connection usable; once bytes come it returns and consumes none of them,
// so the reply is read whole, even when its first part came alone.
func TestWaitRead(t *testing.T) {
	release := make(chan struct{})
	s := startServer(t, func(p *peer) {
		<-release
		p.send("220-mx")
		time.Sleep(20 * time.Millisecond) // a reply in two segments
		p.send(" hi\r\n220 ready\r\n")
		p.drain()
	})
	c := dialTest(t, s, Options{Timeout: 50 * time.Millisecond})
	err := c.WaitRead(ctx)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "wait for data" {
		t.Fatalf("WaitRead on silence = %v, want a TimeoutError", err)
	}
	close(release)
	wctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	if err := c.WaitRead(wctx); err != nil {
		t.Fatalf("WaitRead = %v", err)
	}
	r, err := c.ReadReply(wctx)
	if err != nil || string(r.Raw) != "220-mx hi\r\n220 ready\r\n" {
		t.Fatalf("ReadReply = %q, %v; want the whole reply", r.Raw, err)
	}
	if got := render(c.Transcript().Entries()); got != "S    \"220-mx hi\\r\\n\"\nS    \"220 ready\\r\\n\"\n" {
		t.Errorf("transcript:\n%s", got)
	}
}

// TestWaitReadClosed: a server that closes without a word gives a
// ClosedError at once.
func TestWaitReadClosed(t *testing.T) {
	s := startServer(t, func(p *peer) {})
	c := dialTest(t, s, Options{})
	var ce *ClosedError
	if err := c.WaitRead(ctx); !errors.As(err, &ce) {
		t.Fatalf("WaitRead = %v, want a ClosedError", err)
	}
}

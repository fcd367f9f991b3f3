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

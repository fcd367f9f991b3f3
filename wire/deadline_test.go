package wire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// trickle sends s one byte every 50ms, until the client goes away.
func trickle(p *peer, s string) {
	for i := range len(s) {
		if _, err := p.Write([]byte{s[i]}); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var trickled = "250-" + strings.Repeat("slow ", 40) + "\r\n250 done\r\n"

func TestTrickleCannotExtendDeadline(t *testing.T) {
	s := startServer(t, func(p *peer) { trickle(p, trickled) })
	c := dialTest(t, s, Options{Timeout: 200 * time.Millisecond})
	_, err := c.ReadReply(ctx)
	var te *TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want a TimeoutError", err)
	}
	if te.Op != "read reply" || te.After != 200*time.Millisecond {
		t.Errorf("TimeoutError = %+v", te)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("err = %v: our own timeout is not the context's", err)
	}
}

func TestTrickleContextDeadline(t *testing.T) {
	s := startServer(t, func(p *peer) { trickle(p, trickled) })
	c := dialTest(t, s, Options{Timeout: time.Minute})
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := c.ReadReply(cctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

func TestExchangeHasOneDeadline(t *testing.T) {
	s := startServer(t, func(p *peer) {
		p.line()
		trickle(p, trickled)
	})
	c := dialTest(t, s, Options{Timeout: 200 * time.Millisecond})
	_, err := c.Exchange(ctx, "EHLO client.test")
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "exchange" {
		t.Fatalf("err = %v, want a TimeoutError of the exchange", err)
	}
}

func TestCancelUnblocksRead(t *testing.T) {
	late := make(chan struct{})
	s := startServer(t, func(p *peer) {
		<-late
		p.send("250 late\r\n")
		p.drain()
	})
	const timeout = 10 * time.Second
	c := dialTest(t, s, Options{Timeout: timeout})
	cctx, cancel := context.WithCancel(ctx)
	// Whether the read has started or not when cancel runs, the outcome is
	// the same; the timer only keeps the test from being trivially early.
	stop := time.AfterFunc(50*time.Millisecond, cancel)
	defer stop.Stop()
	start := time.Now()
	_, err := c.ReadReply(cctx)
	wantCancelled(t, "read", err, time.Since(start), timeout)
	close(late)
	r, err := c.ReadReply(ctx)
	if err != nil || r.Lines[0] != "250 late" {
		t.Errorf("after cancel: %q, %v; want the connection usable", r.Lines, err)
	}
}

// TestCancelUnblocksWrite: a write the server does not take (it has stopped
// reading, and every buffer on the way is full) ends when its context is
// cancelled, as the explorer's Esc does, and says it was a cancellation.
func TestCancelUnblocksWrite(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	s := startServer(t, func(p *peer) {
		_ = p.Conn.(*net.TCPConn).SetReadBuffer(4 << 10)
		_, _ = io.ReadFull(p.br, make([]byte, 1<<10)) // the write is under way
		close(started)
		<-release // and reads nothing more
	})
	defer close(release)
	nc, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = nc.(*net.TCPConn).SetWriteBuffer(4 << 10)
	const timeout = 10 * time.Second
	c := NewConn(nc, Options{Timeout: timeout})
	defer c.Close()
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		<-started
		cancel()
	}()
	start := time.Now()
	err = c.WriteRaw(cctx, bytes.Repeat([]byte("x"), 8<<20))
	wantCancelled(t, "write", err, time.Since(start), timeout)
}

// wantCancelled checks that an operation ended by its context's cancel
// says so, and ended before its deadline (timeout after it began), which
// would also have ended it.
func wantCancelled(t *testing.T, op string, err error, took, timeout time.Duration) {
	t.Helper()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%s: err = %v, want context.Canceled", op, err)
	}
	if took >= timeout {
		t.Errorf("the %s ended at its deadline, not when it was cancelled", op)
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		t.Errorf("%s: err = %v: a cancellation is not a timeout", op, err)
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	c, sc := replyConn("250 ok\r\n", Options{})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.WriteLine(cctx, "NOOP"); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteLine = %v, want context.Canceled", err)
	}
	if _, err := c.ReadReply(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadReply = %v, want context.Canceled", err)
	}
	if sc.written() != "" {
		t.Errorf("wrote %q", sc.written())
	}
}

func TestLongLineIsBounded(t *testing.T) {
	s := startServer(t, func(p *peer) {
		chunk := strings.Repeat("a", 64<<10)
		p.send("250 ")
		for range 10 << 20 / len(chunk) {
			if _, err := p.Write([]byte(chunk)); err != nil {
				return
			}
		}
	})
	c := dialTest(t, s, Options{})
	_, err := c.ReadReply(ctx)
	var le *LimitError
	if !errors.As(err, &le) || le.What != "line" || le.Limit != DefaultLimits.MaxLine {
		t.Fatalf("err = %v, want a LimitError on the line", err)
	}
	c.Close()
	tr := c.Transcript()
	if n := len(tr.Bytes(Server)); n > DefaultLimits.MaxLine+readBufSize {
		t.Errorf("read %d bytes of a 10 MB line, want at most %d", n, DefaultLimits.MaxLine+readBufSize)
	}
	checkEntries(t, tr.Entries(), Server)
}

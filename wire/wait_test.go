package wire

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// waitAsync runs WaitReadable in a goroutine; the channel gives its result.
func waitAsync(c *Conn, ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() { done <- c.WaitReadable(ctx) }()
	return done
}

// TestWaitReadableUnsolicited: a reply that comes while the client waits
// with nothing in flight ends the wait at once, later than any deadline of
// the connection's own; it stays unread for ReadReply, and the transcript
// already holds it.
func TestWaitReadableUnsolicited(t *testing.T) {
	speak := make(chan struct{})
	s := startServer(t, func(p *peer) {
		p.send("220 mx.test ESMTP\r\n")
		<-speak
		p.send("421 4.4.2 mx.test Error: timeout exceeded\r\n")
		p.drain()
	})
	// An exchange may take a nanosecond: a wait bound by it would end at once.
	c := dialTest(t, s, Options{Timeout: time.Nanosecond})
	rctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	if _, err := c.ReadReply(rctx); err != nil {
		t.Fatal(err)
	}
	done := waitAsync(c, context.Background())
	close(speak)
	if err := <-done; err != nil {
		t.Fatalf("WaitReadable: %v, want nil: the server spoke", err)
	}
	if got := string(c.Transcript().Bytes(Server)); !strings.HasSuffix(got, "421 4.4.2 mx.test Error: timeout exceeded\r\n") {
		t.Errorf("transcript holds %q", got)
	}
	r, err := c.ReadReply(rctx)
	if err != nil || !strings.HasPrefix(r.Lines[0], "421 ") {
		t.Fatalf("the reply after the wait: %q %v", r.Lines, err)
	}
}

// TestWaitReadableCancel: a wait ended by its context reads nothing and
// leaves the connection as it was, so the command the user typed goes out
// and its reply is read, in plaintext and inside TLS.
func TestWaitReadableCancel(t *testing.T) {
	pki := testPKI()
	s := startServer(t, func(p *peer) {
		p.send("220 mx.test ESMTP\r\n")
		p.line()
		p.send("250 ok\r\n")
		p.line()
		p.send("220 go ahead\r\n")
		if p.startTLS(pki.good) != nil {
			return
		}
		p.line()
		p.send("250 ok in TLS\r\n")
		p.drain()
	})
	c := dialTest(t, s, Options{ServerName: "localhost", RootCAs: pki.roots})
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	cancelled := func() {
		t.Helper()
		wctx, cancel := context.WithCancel(ctx)
		done := waitAsync(c, wctx)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitReadable after cancel: %v, want context.Canceled", err)
		}
	}
	cancelled()
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.WaitReadable(ended); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitReadable with its context ended: %v, want context.Canceled", err)
	}
	if r, err := c.Exchange(ctx, "NOOP"); err != nil || r.Lines[0] != "250 ok" {
		t.Fatalf("NOOP after a cancelled wait: %q %v", r.Lines, err)
	}
	if _, err := c.Exchange(ctx, "STARTTLS"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartTLS(ctx); err != nil {
		t.Fatal(err)
	}
	cancelled()
	if r, err := c.Exchange(ctx, "NOOP"); err != nil || r.Lines[0] != "250 ok in TLS" {
		t.Fatalf("NOOP in TLS after a cancelled wait: %q %v", r.Lines, err)
	}
}

// TestWaitReadableSpokeFirst: bytes already there when the context ends
// win: the wait says the server spoke, and an ended context does not hide
// it.
func TestWaitReadableSpokeFirst(t *testing.T) {
	s := startServer(t, func(p *peer) {
		p.send("220 mx.test ESMTP\r\n421 4.3.2 shutting down\r\n")
		p.drain()
	})
	c := dialTest(t, s, Options{})
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.WaitReadable(ended); err != nil {
		t.Fatalf("WaitReadable with the 421 waiting and its context ended: %v, want nil", err)
	}
	if r, err := c.ReadReply(ctx); err != nil || !strings.HasPrefix(r.Lines[0], "421 ") {
		t.Fatalf("the reply after the wait: %q %v", r.Lines, err)
	}
}

// TestWaitReadableClose: a server that closes without a word ends the wait
// with a ClosedError holding nothing.
func TestWaitReadableClose(t *testing.T) {
	s := startServer(t, func(p *peer) { p.send("220 mx.test ESMTP\r\n") })
	c := dialTest(t, s, Options{})
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	var ce *ClosedError
	if err := c.WaitReadable(ctx); !errors.As(err, &ce) || len(ce.Partial) != 0 {
		t.Fatalf("WaitReadable after a close: %v, want a ClosedError", err)
	}
}

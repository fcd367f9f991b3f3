package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/hostile"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// scenario starts a hostile server playing script on every connection.
func scenario(t *testing.T, script string) *hostile.Server {
	t.Helper()
	sc, err := hostile.Parse(t.Name(), script)
	if err != nil {
		t.Fatal(err)
	}
	return hostile.Start(t, sc)
}

// notesOf joins the notes of a transcript.
func notesOf(tr *wire.Transcript) string {
	var n []string
	for _, e := range tr.Entries() {
		if e.Dir == wire.Note {
			n = append(n, string(e.Data))
		}
	}
	return strings.Join(n, "\n")
}

// TestGreetingTLSFirst: a port that speaks TLS first is named as soon as
// TLS answers on the second connection, long before the timeout.
func TestGreetingTLSFirst(t *testing.T) {
	hostile.CheckLeaks(t)
	srv := hostile.Start(t, hostile.Load("implicit-tls"))
	tr := wire.NewTranscript()
	c, err := Dial(context.Background(), srv.Addr, Options{Timeout: time.Minute, GreetingWait: 100 * time.Millisecond, RootCAs: hostile.Roots()}, tr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Greeting(context.Background())
	var first *TLSFirstError
	if !errors.As(err, &first) || first.Greeting.Code != 220 || first.Silent != 100*time.Millisecond || first.TLS.Version == "" {
		t.Fatalf("Greeting = %v, want a TLSFirstError with the greeting inside TLS", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v: the TLS answer should end the wait", took)
	}
	if !first.TLS.Verified {
		t.Errorf("TLS %+v: the harness's CA was given, it should verify", first.TLS)
	}
	if n := notesOf(tr); !strings.Contains(n, "no greeting within 100ms in plaintext; trying implicit TLS") ||
		!strings.Contains(n, `implicit TLS answered on the second connection: TLS 1.3, certificate verified; greeting "220 mx.hostile.test ESMTP inside TLS"`) {
		t.Errorf("notes:\n%s", n)
	}
	if got := len(srv.Conns()); got != 2 {
		t.Errorf("%d connections, want the plaintext one and the TLS one", got)
	}
}

// TestGreetingSlowPlaintextWins: a plaintext greeting that comes after the
// wait is used; the TLS attempt (answered in plaintext here) is dropped.
func TestGreetingSlowPlaintextWins(t *testing.T) {
	hostile.CheckLeaks(t)
	srv := scenario(t, "# slow\nsleep 300ms\nsend \"220 slow ESMTP\\r\\n\"\nhang\n")
	tr := wire.NewTranscript()
	c, err := Dial(context.Background(), srv.Addr, Options{Timeout: 5 * time.Second, GreetingWait: 50 * time.Millisecond}, tr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g := c.GreetOrTLS(context.Background(), false, nil)
	if g.Err != nil || g.Reply.Code != 220 || g.Silent != 50*time.Millisecond || g.TLS == nil || g.TLS.Client != nil {
		t.Fatalf("GreetOrTLS = %+v, want the plaintext greeting after a TLS try", g)
	}
	if c.State().Phase != session.PhaseGreeted {
		t.Errorf("state %+v: the greeting did not move the session", c.State())
	}
}

// TestGreetingSilentBoth: when TLS does not answer either, the plaintext
// timeout stands, at its own absolute deadline (not wait plus timeout).
func TestGreetingSilentBoth(t *testing.T) {
	hostile.CheckLeaks(t)
	srv := hostile.Start(t, hostile.Load("no-greeting"))
	tr := wire.NewTranscript()
	c, err := Dial(context.Background(), srv.Addr, Options{Timeout: 400 * time.Millisecond, GreetingWait: 100 * time.Millisecond}, tr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Greeting(context.Background())
	took := time.Since(start)
	var tried *TLSTriedError
	var te *wire.TimeoutError
	if !errors.As(err, &tried) || !errors.As(err, &te) || te.After != 400*time.Millisecond {
		t.Fatalf("Greeting = %v, want a TLSTriedError around a 400ms TimeoutError", err)
	}
	if took < 400*time.Millisecond || took > 3*time.Second {
		t.Errorf("took %v, want the 400ms deadline", took)
	}
	if want := "no TLS handshake and greeting before the deadline"; !strings.Contains(Explain(err), want) || !strings.Contains(notesOf(tr), want) {
		t.Errorf("explained %q, notes\n%s\nwant %q", Explain(err), notesOf(tr), want)
	}
}

// TestGreetingWaitOff: a negative GreetingWait never tries TLS.
func TestGreetingWaitOff(t *testing.T) {
	hostile.CheckLeaks(t)
	srv := hostile.Start(t, hostile.Load("implicit-tls"))
	c, err := Dial(context.Background(), srv.Addr, Options{Timeout: 200 * time.Millisecond, GreetingWait: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Greeting(context.Background())
	var te *wire.TimeoutError
	var tried *TLSTriedError
	if !errors.As(err, &te) || errors.As(err, &tried) || len(srv.Conns()) != 1 {
		t.Fatalf("Greeting = %v with %d connections, want a plain timeout and one connection", err, len(srv.Conns()))
	}
}

// TestGreetingRaceCancelled: Ctrl-C during the race ends both attempts.
func TestGreetingRaceCancelled(t *testing.T) {
	hostile.CheckLeaks(t)
	srv := hostile.Start(t, hostile.Load("no-greeting"))
	c, err := Dial(context.Background(), srv.Addr, Options{Timeout: time.Minute, GreetingWait: 50 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	g := c.GreetOrTLS(ctx, true, func(string) { cancel() }) // Ctrl-C as the TLS try starts
	if !errors.Is(g.Err, context.Canceled) || g.TLS == nil || g.TLS.Client != nil || time.Since(start) > 10*time.Second {
		t.Fatalf("GreetOrTLS = %+v after %v, want cancelled, nothing kept", g, time.Since(start))
	}
}

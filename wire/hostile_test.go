package wire

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/hostile"
)

// These tests play the hostile-server scenarios of internal/hostile against
// wire alone. Each one also checks that no goroutine leaks and that the
// transcript holds exactly the bytes the client read from the socket.

// hostileConn is a Conn on a hostile scenario, reading through a tap.
type hostileConn struct {
	*Conn
	tap *hostile.Tap
	srv *hostile.Server
}

// dialHostile starts the scenario and connects to it in plaintext.
func dialHostile(t *testing.T, name string, opts Options) *hostileConn {
	t.Helper()
	srv := hostile.Start(t, hostile.Load(name))
	nc, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Timeout == 0 {
		opts.Timeout = testTimeout
	}
	if opts.RootCAs == nil {
		opts.RootCAs = hostile.Roots()
	}
	tap := hostile.NewTap(nc)
	h := &hostileConn{Conn: NewConn(tap, opts), tap: tap, srv: srv}
	t.Cleanup(func() { h.Close() })
	return h
}

// checkTranscript closes the connection and compares the transcript with
// what the client read from the socket: the plaintext part exactly, then,
// if a handshake started, TLS records, which the transcript leaves out;
// inside TLS, the server's plaintext.
func (h *hostileConn) checkTranscript(t *testing.T) {
	t.Helper()
	h.Close()
	var plain, inTLS []byte
	for _, e := range h.Transcript().Entries() {
		switch {
		case e.Dir != Server:
		case e.TLS:
			inTLS = append(inTLS, e.Data...)
		default:
			plain = append(plain, e.Data...)
		}
	}
	read := h.tap.Bytes()
	if !bytes.HasPrefix(read, plain) {
		t.Fatalf("transcript %d bytes %q\nclient read %d bytes %q", len(plain), clip(plain), len(read), clip(read))
	}
	if rest := read[len(plain):]; len(rest) > 0 && (rest[0] < 0x14 || rest[0] > 0x17) {
		t.Fatalf("the transcript misses %d bytes the client read: %q", len(rest), clip(rest))
	}
	if len(inTLS) > 0 {
		wrote := h.srv.Conn(t).Wrote()
		if !bytes.HasPrefix(wrote, append(plain, inTLS...)) {
			t.Errorf("transcript %q is not what the server wrote %q", clip(append(plain, inTLS...)), clip(wrote))
		}
	}
}

func clip(b []byte) []byte {
	if len(b) > 300 {
		return append(bytes.Clone(b[:300]), "..."...)
	}
	return b
}

// code is the three-digit code of a reply, "" if it has none.
func code(r Reply) string {
	if len(r.Lines) == 0 || len(r.Lines[0]) < 3 {
		return ""
	}
	return r.Lines[0][:3]
}

func TestHostileNoGreeting(t *testing.T) {
	hostile.CheckLeaks(t)
	h := dialHostile(t, "no-greeting", Options{Timeout: 300 * time.Millisecond})
	start := time.Now()
	_, err := h.ReadReply(ctx)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "read reply" || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want a TimeoutError on the read", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the timeout took %v", took)
	}
	h.checkTranscript(t)

	c := dialHostile(t, "no-greeting", Options{Timeout: time.Minute})
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := c.ReadReply(cctx)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled read: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling did not wake the read")
	}
	c.checkTranscript(t)
}

func TestHostileTrickleHitsAbsoluteDeadline(t *testing.T) {
	hostile.CheckLeaks(t)
	h := dialHostile(t, "trickle-greeting", Options{Timeout: 300 * time.Millisecond})
	start := time.Now()
	r, err := h.ReadReply(ctx)
	took := time.Since(start)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a TimeoutError", err)
	}
	// 50 bytes at 50 ms each would take 2.5 s: only an absolute deadline
	// stops at 300 ms.
	if took > 1500*time.Millisecond {
		t.Errorf("the read took %v: the trickle extended the deadline", took)
	}
	if len(r.Raw) == 0 || !bytes.HasPrefix([]byte("220 mx.hostile.test"), r.Raw) {
		t.Errorf("partial reply %q", r.Raw)
	}
	h.checkTranscript(t)
}

func TestHostileLimits(t *testing.T) {
	for _, tt := range []struct {
		scenario, what string
		ehlo           bool
	}{
		{"endless-continuation", "lines", true},
		{"long-line", "line", false},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			h := dialHostile(t, tt.scenario, Options{})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var err error
			var r Reply
			if tt.ehlo {
				if _, err := h.ReadReply(ctx); err != nil {
					t.Fatal(err)
				}
				r, err = h.Exchange(ctx, "EHLO client.test")
			} else {
				r, err = h.ReadReply(ctx)
			}
			runtime.ReadMemStats(&after)
			var le *LimitError
			if !errors.As(err, &le) || le.What != tt.what || !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v, want a LimitError on %s", err, tt.what)
			}
			lim := DefaultLimits
			if len(r.Lines) > lim.MaxLines || len(r.Raw) > lim.MaxReply {
				t.Errorf("partial reply past the limits: %d lines, %d bytes", len(r.Lines), len(r.Raw))
			}
			// The server offers 10 MB, or an endless stream; the client
			// must have allocated a small, fixed amount (the harness's own
			// recording of what it wrote is in the count, up to 256 KiB).
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 2<<20 {
				t.Errorf("allocated %d bytes reading one reply", grew)
			}
			if n := len(h.tap.Bytes()); n > lim.MaxReply+2*readBufSize {
				t.Errorf("read %d bytes from the socket, far past the limits", n)
			}
			h.checkTranscript(t)
		})
	}
}

func TestHostileMalformed(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		framed   bool // frames as a reply (session refuses its meaning)
	}{
		{"malformed-25", false},
		{"malformed-2500", false},
		{"malformed-abc", false},
		{"malformed-250ok", false},
		{"malformed-999", true},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			h := dialHostile(t, tt.scenario, Options{})
			r, err := h.ReadReply(ctx)
			h.Close()
			wrote := h.srv.Conn(t).Wait(t).Wrote() // the server's record is complete once it is done
			var pe *ProtocolError
			switch {
			case tt.framed && (err != nil || r.Flags&FlagOddCode == 0):
				t.Errorf("got %q flags %v err %v, want a reply flagged odd code", r.Lines, r.Flags, err)
			case !tt.framed && !errors.As(err, &pe):
				t.Errorf("err = %v, want a ProtocolError", err)
			case !tt.framed && !bytes.Equal(pe.Bytes, wrote):
				t.Errorf("ProtocolError bytes %q, server wrote %q", pe.Bytes, wrote)
			}
			h.checkTranscript(t)
		})
	}
}

// TestHostileBytesKeptExactly: escapes, NUL and invalid UTF-8 are framed and
// kept byte for byte; showing them safely is session's and ui's job.
func TestHostileBytesKeptExactly(t *testing.T) {
	for _, name := range []string{"escapes", "nul-invalid"} {
		t.Run(name, func(t *testing.T) {
			hostile.CheckLeaks(t)
			h := dialHostile(t, name, Options{})
			var raw []byte
			for _, line := range []string{"", "EHLO client.test", "QUIT"} {
				var r Reply
				var err error
				if line == "" {
					r, err = h.ReadReply(ctx)
				} else {
					r, err = h.Exchange(ctx, line)
				}
				if err != nil {
					t.Fatalf("%q: %v", line, err)
				}
				raw = append(raw, r.Raw...)
			}
			if wrote := h.srv.Conn(t).Wait(t).Wrote(); !bytes.Equal(raw, wrote) {
				t.Errorf("replies %q\nserver wrote %q", raw, wrote)
			}
			h.checkTranscript(t)
		})
	}
}

// startTLSExchange reads the greeting, sends EHLO and STARTTLS.
func startTLSExchange(t *testing.T, h *hostileConn) Reply {
	t.Helper()
	if _, err := h.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Exchange(ctx, "EHLO client.test"); err != nil {
		t.Fatal(err)
	}
	r, err := h.Exchange(ctx, "STARTTLS")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestHostileStartTLSInjection(t *testing.T) {
	for _, name := range []string{"starttls-injection", "starttls-injection-later"} {
		t.Run(name, func(t *testing.T) { testInjection(t, name) })
	}
}

// testInjection: bytes after STARTTLS's 220 in the same segment abort
// before any handshake (InjectionError); bytes that come later, once the
// ClientHello is out, are the server speaking plaintext where TLS was
// expected (PlaintextError). Either way nothing more is sent, and the
// transcript shows the bytes.
func testInjection(t *testing.T, name string) {
	hostile.CheckLeaks(t)
	h := dialHostile(t, name, Options{})
	if r := startTLSExchange(t, h); code(r) != "220" {
		t.Fatalf("STARTTLS reply %q", r.Lines)
	}
	_, err := h.StartTLS(ctx)
	later := name == "starttls-injection-later"
	var ie *InjectionError
	var pe *PlaintextError
	switch {
	case !later && (!errors.As(err, &ie) || string(ie.Bytes) != "250 AUTH PLAIN\r\n"):
		t.Fatalf("err = %v, want an InjectionError holding the injected reply", err)
	case later && (!errors.As(err, &pe) || string(pe.Bytes) != "250 AUTH PLAIN\r\n"):
		t.Fatalf("err = %v, want a PlaintextError holding the injected reply", err)
	}
	if _, tls := h.TLS(); tls {
		t.Error("the connection went TLS")
	}
	h.Close()
	got := h.srv.Conn(t).Wait(t).Got()
	after := got[bytes.LastIndex(got, []byte("STARTTLS\r\n"))+len("STARTTLS\r\n"):]
	switch {
	case !later && len(after) > 0:
		t.Errorf("after STARTTLS the client sent %q: no handshake may start", after)
	case later && !onlyTLSRecords(after):
		t.Errorf("after STARTTLS the client sent %q: want a ClientHello, then nothing but TLS records", after)
	}
	if n := notes(h.Transcript().Entries()); !later && !strings.Contains(strings.Join(n, "\n"), "possible response injection") {
		t.Errorf("notes %q do not label the injection", n)
	}
	if !bytes.HasSuffix(h.Transcript().Bytes(Server), []byte("250 AUTH PLAIN\r\n")) {
		t.Errorf("the transcript does not show the injected bytes: %q", h.Transcript().Bytes(Server))
	}
	h.checkTranscript(t)
}

// onlyTLSRecords reports whether b is a ClientHello handshake record
// followed only by whole TLS records (an alert, say): no plaintext. The
// random bytes inside a ClientHello may contain CRLF, so the records are
// walked by their length fields rather than searched.
func onlyTLSRecords(b []byte) bool {
	if len(b) == 0 || b[0] != 0x16 {
		return false
	}
	for len(b) > 0 {
		if len(b) < 5 || (b[0] != 0x15 && b[0] != 0x16) {
			return false
		}
		n := 5 + (int(b[3])<<8 | int(b[4]))
		if len(b) < n {
			return false
		}
		b = b[n:]
	}
	return true
}

func TestHostileStartTLSSilence(t *testing.T) {
	hostile.CheckLeaks(t)
	h := dialHostile(t, "starttls-silence", Options{Timeout: time.Second})
	startTLSExchange(t, h)
	start := time.Now()
	_, err := h.StartTLS(ctx)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "starttls" {
		t.Fatalf("err = %v, want a handshake timeout", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the handshake timeout took %v", took)
	}
	h.checkTranscript(t)
}

func TestHostileStartTLSRefused(t *testing.T) {
	for _, tt := range []struct{ scenario, code string }{{"starttls-454", "454"}, {"starttls-502", "502"}} {
		t.Run(tt.scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			h := dialHostile(t, tt.scenario, Options{})
			if r := startTLSExchange(t, h); code(r) != tt.code {
				t.Fatalf("STARTTLS reply %q", r.Lines)
			}
			if _, tls := h.TLS(); tls {
				t.Error("a refused STARTTLS upgraded the connection")
			}
			if r, err := h.Exchange(ctx, "QUIT"); err != nil || code(r) != "221" {
				t.Errorf("QUIT: %q %v", r.Lines, err)
			}
			h.checkTranscript(t)
		})
	}
}

func TestHostileCertificates(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		is       func(error) bool
	}{
		{"starttls-selfsigned", func(err error) bool { var e x509.UnknownAuthorityError; return errors.As(err, &e) }},
		{"starttls-expired", func(err error) bool {
			var e x509.CertificateInvalidError
			return errors.As(err, &e) && e.Reason == x509.Expired
		}},
		{"starttls-wrongname", func(err error) bool { var e x509.HostnameError; return errors.As(err, &e) }},
	} {
		for _, insecure := range []bool{false, true} {
			name := tt.scenario
			if insecure {
				name += "/insecure"
			}
			t.Run(name, func(t *testing.T) {
				hostile.CheckLeaks(t)
				h := dialHostile(t, tt.scenario, Options{ServerName: "localhost", Insecure: insecure})
				startTLSExchange(t, h)
				info, err := h.StartTLS(ctx)
				if !insecure {
					var ve *VerifyError
					if !errors.As(err, &ve) || !tt.is(err) || len(ve.Info.Chain) == 0 {
						t.Fatalf("err = %v, want a VerifyError of the right kind with the chain", err)
					}
					h.checkTranscript(t)
					return
				}
				if err != nil || info.Verified || info.VerifyError == nil || !tt.is(info.VerifyError) || !info.Insecure {
					t.Fatalf("insecure: info %+v err %v, want unverified and why", info, err)
				}
				if r, err := h.Exchange(ctx, "EHLO client.test"); err != nil || code(r) != "250" {
					t.Fatalf("EHLO in TLS: %q %v", r.Lines, err)
				}
				h.Exchange(ctx, "QUIT")
				h.srv.Conn(t).Wait(t)
				h.checkTranscript(t)
			})
		}
	}
}

func TestHostileTLSMismatch(t *testing.T) {
	t.Run("implicit TLS against plaintext", func(t *testing.T) {
		hostile.CheckLeaks(t)
		srv := hostile.Start(t, hostile.Load("plaintext-server"))
		tr := NewTranscript()
		_, err := Dial(ctx, srv.Addr, Options{Mode: ModeImplicitTLS, Timeout: testTimeout, Transcript: tr})
		var pe *PlaintextError
		if !errors.As(err, &pe) || !bytes.HasPrefix(pe.Bytes, []byte("220 mx.hostile.test")) {
			t.Fatalf("err = %v, want a PlaintextError showing the greeting", err)
		}
		if got, wrote := tr.Bytes(Server), srv.Conn(t).Wait(t).Wrote(); !bytes.Equal(got, wrote) {
			t.Errorf("transcript %q, the server wrote %q", got, wrote)
		}
	})
	t.Run("plaintext against implicit TLS", func(t *testing.T) {
		hostile.CheckLeaks(t)
		h := dialHostile(t, "implicit-tls", Options{Timeout: 300 * time.Millisecond})
		_, err := h.ReadReply(ctx)
		var te *TimeoutError
		if !errors.As(err, &te) {
			t.Fatalf("err = %v, want no greeting and a timeout", err)
		}
		h.checkTranscript(t)
	})
	t.Run("implicit TLS", func(t *testing.T) {
		hostile.CheckLeaks(t)
		srv := hostile.Start(t, hostile.Load("implicit-tls"))
		c, err := Dial(ctx, srv.Addr, Options{Mode: ModeImplicitTLS, Timeout: testTimeout, RootCAs: hostile.Roots()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for _, line := range []string{"", "EHLO client.test", "QUIT"} {
			var err error
			if line == "" {
				_, err = c.ReadReply(ctx)
			} else {
				_, err = c.Exchange(ctx, line)
			}
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
		}
		if got, wrote := c.Transcript().Bytes(Server), srv.Conn(t).Wait(t).Wrote(); !bytes.Equal(got, wrote) {
			t.Errorf("transcript %q, server wrote %q", got, wrote)
		}
	})
}

func TestHostileClosing(t *testing.T) {
	t.Run("unsolicited 421", func(t *testing.T) {
		hostile.CheckLeaks(t)
		h := dialHostile(t, "unsolicited-421", Options{})
		if r, err := h.ReadReply(ctx); err != nil || code(r) != "220" {
			t.Fatalf("greeting %q %v", r.Lines, err)
		}
		// the 421 came with the greeting: not EHLO's reply, so EHLO is not sent
		_, err := h.Exchange(ctx, "EHLO client.test")
		var de *DesyncError
		if !errors.As(err, &de) || !bytes.HasPrefix(de.Bytes, []byte("421 4.3.2")) {
			t.Fatalf("EHLO: %v, want a DesyncError holding the 421", err)
		}
		if r, err := h.ReadReply(ctx); err != nil || code(r) != "421" {
			t.Fatalf("read %q %v, want the 421 left unread", r.Lines, err)
		}
		_, err = h.ReadReply(ctx)
		var ce *ClosedError
		if !errors.As(err, &ce) {
			t.Fatalf("after the 421: %v, want the connection closed", err)
		}
		h.checkTranscript(t)
	})
	for _, name := range []string{"fin-mid-reply", "rst-mid-reply"} {
		t.Run(name, func(t *testing.T) {
			hostile.CheckLeaks(t)
			h := dialHostile(t, name, Options{})
			if _, err := h.ReadReply(ctx); err != nil {
				t.Fatal(err)
			}
			r, err := h.Exchange(ctx, "EHLO client.test")
			var ce *ClosedError
			switch {
			case errors.As(err, &ce):
				if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.HasSuffix(ce.Partial, []byte("250-8BI")) {
					t.Errorf("closed mid-reply: partial %q, %v", ce.Partial, err)
				}
			case name == "rst-mid-reply" && errors.Is(err, syscall.ECONNRESET):
			default:
				t.Fatalf("err = %v (reply %q), want the connection closed mid-reply", err, r.Lines)
			}
			h.checkTranscript(t)
		})
	}
}

func TestHostileJunkBeforeGreeting(t *testing.T) {
	hostile.CheckLeaks(t)
	h := dialHostile(t, "junk-before-greeting", Options{})
	for i := 0; ; i++ {
		r, err := h.ReadReply(ctx)
		var pe *ProtocolError
		if errors.As(err, &pe) && i < 100 {
			continue // the next read starts after the bad line
		}
		if err != nil {
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("read %d: %v", i, err)
			}
			break
		}
		if code(r) == "220" && strings.Contains(r.Lines[0], "mx.hostile.test") {
			break
		}
	}
	h.checkTranscript(t)
}

func TestHostileNoAnswerToDot(t *testing.T) {
	hostile.CheckLeaks(t)
	h := dialHostile(t, "no-answer-to-dot", Options{Timeout: time.Minute})
	if _, err := h.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@mx.hostile.test>", "DATA"} {
		if _, err := h.Exchange(ctx, line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	if err := h.WriteRaw(ctx, []byte("Subject: hi\r\n\r\nhello\r\n.\r\n")); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := h.ReadReply(cctx)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("cancelled wait for the final reply: %v after %v", err, time.Since(start))
	}
	h.checkTranscript(t)
}

func TestHostileFlood(t *testing.T) {
	hostile.CheckLeaks(t)
	h := dialHostile(t, "flood", Options{})
	if _, err := h.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Exchange(ctx, "EHLO client.test"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 500; i++ {
		r, err := h.ReadReply(ctx)
		if err != nil || len(r.Lines) != 1 || code(r) != "250" {
			t.Fatalf("unsolicited reply %d: %q %v", i, r.Lines, err)
		}
	}
	h.checkTranscript(t)
}

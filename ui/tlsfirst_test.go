package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// enterKey presses Enter alone, as on a line the explorer put in the input.
func (r *tuiRun) enterKey() {
	r.tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	r.sent++
}

// TestHostileTUITLSFirst: a port that speaks TLS first, opened in
// plaintext. After the greeting wait, implicit TLS is tried on a second
// connection; when it answers, the hint says so with the :connect line,
// which waits in the input: Enter opens the session in TLS.
func TestHostileTUITLSFirst(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "implicit-tls", Config{Options: client.Options{Timeout: time.Minute, GreetingWait: 100 * time.Millisecond}})
	want := ":connect " + r.srv.Addr + " --tls"
	s := r.wait("the offer", func(s hsnap) bool { return s.rendered && s.offer != "" })
	if s.offer != want || s.input != want || !s.greetWait {
		t.Fatalf("offer %q, input %q, waiting %v; want %q in the input while the greeting is still awaited", s.offer, s.input, s.greetWait, want)
	}
	wantHas(t, "screen", s.screen, "this port speaks TLS first — enter runs "+want)
	r.shows(true, "no greeting within 100ms in plaintext; trying implicit TLS",
		`implicit TLS answered on the second connection: TLS 1.3, certificate verified; greeting "220 mx.hostile.test ESMTP inside TLS"`)
	r.enterKey()
	s = r.idle("the session in TLS")
	if !s.sess.TLS || !s.sess.ImplicitTLS || s.badge != "TLS" || s.offer != "" {
		t.Errorf("TLS %v implicit %v badge %q offer %q", s.sess.TLS, s.sess.ImplicitTLS, s.badge, s.offer)
	}
	r.shows(true, "220 mx.hostile.test ESMTP inside TLS")
}

// TestHostileTUITLSFirstSilentBoth: when TLS does not answer either, the
// hint says so and Esc still stops the wait, ending the attempt too.
func TestHostileTUITLSFirstSilentBoth(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "no-greeting", Config{Options: client.Options{Timeout: time.Minute, GreetingWait: 100 * time.Millisecond}})
	s := r.wait("the attempt", func(s hsnap) bool {
		return s.rendered && strings.Contains(s.screen, "trying implicit TLS on a second connection")
	})
	if s.offer != "" || s.input != "" {
		t.Errorf("offer %q input %q before TLS answered", s.offer, s.input)
	}
	r.esc()
	s = r.closed("the cancelled wait")
	wantHas(t, "told", s.told, "stopped waiting for the greeting (Esc)")
}

// TestHostileTUIPlaintextOffer: --tls to a plaintext port: the failure is
// named, and the line that works waits in the input.
func TestHostileTUIPlaintextOffer(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "plaintext-server", Config{Options: client.Options{ImplicitTLS: true}})
	s := r.closed("the failed dial")
	want := ":connect " + r.srv.Addr + " --tls=false" // --tls came from the command line: it must be undone
	if s.input != want || !strings.Contains(s.flash, "enter runs "+want) {
		t.Fatalf("input %q, flash %q; want %q offered", s.input, s.flash, want)
	}
	r.enterKey()
	s = r.idle("the plaintext session")
	if s.sess.TLS || s.badge != "PLAINTEXT" {
		t.Errorf("TLS %v badge %q", s.sess.TLS, s.badge)
	}
}

// TestHostileTUIOldTLS: a server of TLS 1.0 alone is explained, and the
// :connect line with --tls-min 1.0 opens a session marked weak.
func TestHostileTUIOldTLS(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "old-tls", Config{Options: client.Options{ImplicitTLS: true}})
	s := r.closed("the refused handshake")
	want := ":connect " + r.srv.Addr + " --tls-min 1.0"
	wantHas(t, "told", s.told, "we offered TLS 1.3, TLS 1.2", "alert protocol_version", "enter runs "+want)
	if s.input != want {
		t.Fatalf("input %q, want %q", s.input, want)
	}
	r.enterKey()
	s = r.shows(false, " TLS WEAK ", "TLS 1.0 WEAK (below 1.2)")
	if !s.sess.TLS {
		t.Errorf("not in TLS: %+v", s.sess)
	}
}

// TestTLSFirstOffer drives the model directly: stale news is dropped, the
// user's own typing is never replaced, and a greeting that comes after all
// withdraws the offer.
func TestTLSFirstOffer(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.m.opts.GreetingWait = 2 * time.Second
	s.connect()
	if s.m.conn.tlsTry.cancel == nil {
		t.Fatal("no greeting wait started for a plaintext connection")
	}
	gen := s.m.conn.gen
	s.send(greetWaitMsg{gen: gen - 1}) // an older connection's
	if s.m.conn.tlsTry.state != tryNone {
		t.Fatal("a stale greeting wait started an attempt")
	}
	s.send(greetWaitMsg{gen: gen})
	if s.m.conn.tlsTry.state != tryRunning || !strings.Contains(s.screen(), "trying implicit TLS on a second connection") {
		t.Fatalf("state %d; screen:\n%s", s.m.conn.tlsTry.state, s.screen())
	}
	s.typ("EHLO me") // the user types meanwhile
	answer := client.TLSAnswer{TLS: wire.TLSInfo{Version: "TLS 1.3", Verified: true},
		Greeting: session.Reply{Code: 220, Lines: []string{"smtps.gmail.example ESMTP \x1b[2J"}}}
	s.send(triedMsg{gen: gen, answer: answer})
	want := ":connect smtp.gmail.example:587 --tls"
	if s.m.offer != want || s.m.input.Value() != "EHLO me" {
		t.Fatalf("offer %q, input %q: the offer must not replace what the user typed", s.m.offer, s.m.input.Value())
	}
	if w := s.m.conn.tlsTry.words; !strings.Contains(w, `greeting "220 smtps.gmail.example ESMTP \\x1b[2J"`) {
		t.Errorf("the greeting inside TLS is not kept escaped: %q", w)
	}
	if v := s.m.View().Content; strings.Contains(v, "\x1b[2J") || !strings.Contains(ansi.Strip(v), "this port speaks TLS first — run "+want) {
		t.Errorf("the view:\n%s", ansi.Strip(v))
	}
	s = newSim(t, "dark", 120, 40)
	s.m.opts.GreetingWait = 2 * time.Second
	s.connect()
	gen = s.m.conn.gen
	s.send(greetWaitMsg{gen: gen}, triedMsg{gen: gen, answer: answer})
	if s.m.input.Value() != want {
		t.Fatalf("input %q, want the offer %q", s.m.input.Value(), want)
	}
	s.reply("220 slow.example ESMTP") // the plaintext greeting came after all
	if s.m.offer != "" || s.m.input.Value() != "" || s.m.conn.tlsTry.state != tryNone {
		t.Errorf("offer %q, input %q, state %d after the greeting", s.m.offer, s.m.input.Value(), s.m.conn.tlsTry.state)
	}
	s.send(triedMsg{gen: gen, answer: answer}) // late news of the same attempt
	if s.m.offer != "" {
		t.Error("a late answer brought the offer back")
	}
}

// TestTLSFirstNoWait: no greeting wait inside TLS, nor when turned off.
func TestTLSFirstNoWait(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.m.opts.GreetingWait = -1
	s.connect()
	if s.m.conn.tlsTry.cancel != nil {
		t.Error("a greeting wait with --greeting-wait 0")
	}
	s = newSim(t, "dark", 120, 40)
	s.link.tls = &wire.TLSInfo{Version: "TLS 1.3", Verified: true}
	s.connect()
	if s.m.conn.tlsTry.cancel != nil {
		t.Error("a greeting wait inside implicit TLS")
	}
}

// TestConnectFlags: :connect takes --tls=false and --tls-min, as the
// command line does.
func TestConnectFlags(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	var got wire.Options
	s.m.dial = func(_ context.Context, _ string, opts wire.Options) (link, error) {
		got = opts
		return nil, errors.New("no")
	}
	for _, tt := range []struct {
		line string
		mode wire.Mode
		min  uint16
	}{
		{":connect mx.example:465 --tls=false", wire.ModePlain, 0},
		{":connect mx.example:587 --tls --tls-min 1.1", wire.ModeImplicitTLS, 0x0302},
	} {
		next, cmd := s.m.runLocal(tt.line)
		s.m = next
		runUntil(t, cmd, func(msg tea.Msg) bool { _, ok := msg.(dialedMsg); return ok })
		if got.Mode != tt.mode || got.MinVersion != tt.min {
			t.Errorf("%s: mode %v, min %x; want %v, %x", tt.line, got.Mode, got.MinVersion, tt.mode, tt.min)
		}
	}
	if next, _ := s.m.runLocal(":connect mx.example --tls-min 0.9"); !strings.Contains(next.flash.text, `--tls-min "0.9": want 1.0, 1.1, 1.2 or 1.3`) {
		t.Errorf("--tls-min 0.9 accepted: %q", next.flash.text)
	}
}

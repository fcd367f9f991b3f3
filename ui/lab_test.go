package ui

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
	"github.com/ehlo-sh/ehlo/third_party/teatest"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
)

// snapshot is what a test can see of the model after an Update, taken on
// the program's goroutine.
type snapshot struct {
	sess     session.State
	idle     bool // nothing on the wire, nothing waiting
	conn     phase
	mode     inputMode
	flash    string
	text     string // the transcript, as :copy would give it
	screen   string // the view, without styles
	dataMode bool
	step     string // guided mode's step
	input    string // the command line (masked lines never reach it in clear: see TestGuidedLab)
	compose  bool   // the editor is open
	status   string // the status line, without styles
}

// observer collects snapshots so a test can wait for a state instead of
// sleeping (TUI-NOTES §2.1: the output stream is no screen to match on).
type observer struct {
	mu      sync.Mutex
	last    snapshot
	changed chan struct{}
}

func newObserver() *observer { return &observer{changed: make(chan struct{}, 1)} }

// see is Model.observe.
func (o *observer) see(m Model) {
	s := snapshot{
		sess: m.sess, idle: !m.waiting() && len(m.inflight) == 0 && m.outbox.len() == 0,
		conn: m.conn.phase, mode: m.input.mode, flash: m.flash.text, dataMode: m.inData(),
		step: m.guide.step.ID, input: m.input.Value(), compose: m.compose.open,
		status: ansi.Strip(m.statusLine(max(m.width, 80))),
	}
	if s.idle && (m.input.Value() == "" || m.input.Value() == m.guide.prefill) { // the moments tests look at; rendering each keystroke is slow under -race
		s.text, s.screen = m.transcript.Text(false), ansi.Strip(m.View().Content)
	}
	o.mu.Lock()
	o.last = s
	o.mu.Unlock()
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

// wait returns the first snapshot for which ok holds.
func (o *observer) wait(t *testing.T, what string, ok func(snapshot) bool) snapshot {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		o.mu.Lock()
		s := o.last
		o.mu.Unlock()
		if ok(s) {
			return s
		}
		select {
		case <-o.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; flash %q; transcript:\n%s", what, s.flash, s.text)
		}
	}
}

// TestLabSession runs a whole session against the in-process lab's
// submission endpoint: EHLO without AUTH, STARTTLS, EHLO with AUTH,
// :auth PLAIN, a message, QUIT, and :save.
func TestLabSession(t *testing.T) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m, err := New(Config{Lab: l, Theme: "mono", Mouse: true,
		Options: client.Options{RootCAs: l.CertPool(), Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	obs := newObserver()
	m.observe = obs.see
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	idle := func(s snapshot) bool { return s.idle && s.conn == phaseOpen }
	send := func(line string) {
		tm.Type(line)
		tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	}
	obs.wait(t, "the greeting", func(s snapshot) bool { return idle(s) && s.sess.Phase == session.PhaseGreeted })

	send("EHLO test.example")
	s := obs.wait(t, "the plaintext EHLO", func(s snapshot) bool { return idle(s) && s.sess.ESMTP })
	if s.sess.Caps.Has("AUTH") || !s.sess.Caps.Has("STARTTLS") {
		t.Fatalf("plaintext caps: want STARTTLS and no AUTH, got %+v", s.sess.Caps.List)
	}
	if !strings.Contains(s.screen, "no AUTH before STARTTLS") || !strings.Contains(s.screen, "*STARTTLS") {
		t.Errorf("the side panel does not point at STARTTLS:\n%s", s.screen)
	}

	send("STARTTLS")
	obs.wait(t, "TLS", func(s snapshot) bool { return idle(s) && s.sess.TLS })
	send("EHLO test.example")
	s = obs.wait(t, "the EHLO inside TLS", func(s snapshot) bool { return idle(s) && s.sess.TLS && s.sess.ESMTP })
	if !s.sess.Caps.Has("AUTH") {
		t.Fatalf("AUTH missing after STARTTLS: %+v", s.sess.Caps.List)
	}
	if !strings.Contains(s.screen, "AUTH appeared after STARTTLS") {
		t.Errorf("no AUTH headline:\n%s", s.screen)
	}

	send(":auth PLAIN " + lab.User)
	obs.wait(t, "the password prompt", func(s snapshot) bool { return s.mode == modePassword })
	send(lab.Password)
	s = obs.wait(t, "235", func(s snapshot) bool { return idle(s) && s.sess.Authenticated })
	if strings.Contains(s.screen, lab.Password) {
		t.Errorf("the password is on screen:\n%s", s.screen)
	}

	send("MAIL FROM:<" + lab.User + "@" + lab.Domain + ">")
	send("RCPT TO:<bob@" + lab.Domain + ">")
	obs.wait(t, "the envelope", func(s snapshot) bool { return idle(s) && len(s.sess.Rcpts) == 1 })
	send("DATA")
	obs.wait(t, "354", func(s snapshot) bool { return idle(s) && s.dataMode })
	for _, line := range []string{"Subject: hello from ehlo", "", "Hi Bob,", ".. a line that starts with a dot", "."} {
		send(line)
	}
	s = obs.wait(t, "the message accepted", func(s snapshot) bool {
		return idle(s) && s.sess.Phase == session.PhaseReady && strings.Contains(s.flash, "accepted")
	})
	msgs := l.Messages()
	if len(msgs) != 1 || msgs[0].From != lab.User+"@"+lab.Domain || msgs[0].User != lab.User {
		t.Fatalf("mailbox: %+v", msgs)
	}
	if !strings.Contains(string(msgs[0].Data), "\r\n.. a line that starts with a dot\r\n") {
		t.Errorf("dot-stuffing lost: %q", msgs[0].Data)
	}

	send("QUIT")
	obs.wait(t, "221", func(s snapshot) bool { return s.conn == phaseClosed })

	path := filepath.Join(t.TempDir(), "session.txt")
	send(":save " + path)
	obs.wait(t, "the saved file", func(s snapshot) bool { return strings.HasPrefix(s.flash, "saved") })
	checkSaved(t, path)

	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if fm.input.history == nil || strings.Contains(strings.Join(fm.input.history, "\n"), lab.Password) {
		t.Errorf("history: %q", fm.input.history)
	}
}

// checkSaved asserts a saved transcript is private and holds no password,
// in clear or in any base64 form that carries it.
func checkSaved(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + lab.User + "\x00" + lab.Password))
	for _, bad := range []string{lab.Password, plain, base64.StdEncoding.EncodeToString([]byte(lab.Password))} {
		if strings.Contains(string(b), bad) {
			t.Errorf("%s holds %q:\n%s", path, bad, b)
		}
	}
	if !strings.Contains(string(b), `AUTH PLAIN <redacted user="alice">`) {
		t.Errorf("%s lacks the redacted AUTH line:\n%s", path, b)
	}
}

// labTUI starts the lab and the explorer on its mx endpoint, 100x30, and
// waits for the greeting; send types a line and Enter, as a user does.
func labTUI(t *testing.T) (*lab.Lab, *observer, func(line string), *teatest.TestModel) {
	t.Helper()
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	m, err := New(Config{Lab: l, Endpoint: "mx", Theme: "dark", Options: client.Options{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	obs := newObserver()
	m.observe = obs.see
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	obs.wait(t, "the mx greeting", ready)
	return l, obs, func(line string) {
		tm.Type(line)
		tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	}, tm
}

// ready: a session connected, greeted, with nothing awaited.
func ready(s snapshot) bool {
	return s.idle && s.conn == phaseOpen && s.sess.Phase == session.PhaseGreeted
}

// TestLabEndpoints switches endpoints with :lab: smtps speaks TLS from the
// first byte (RFC 8314) and offers AUTH at once; legacy offers AUTH in the
// clear, and on loopback :auth asks no consent.
func TestLabEndpoints(t *testing.T) {
	_, obs, send, tm := labTUI(t)

	send(":lab smtps")
	s := obs.wait(t, "the smtps greeting", func(s snapshot) bool { return ready(s) && s.sess.TLS })
	if !strings.Contains(s.screen, " TLS ") || !strings.Contains(s.screen, "lab smtps") {
		t.Errorf("smtps screen:\n%s", s.screen)
	}
	if !strings.HasPrefix(s.flash, "lab smtps: ") { // what the endpoint is, as :lab says it
		t.Errorf("flash after :lab smtps: %q", s.flash)
	}
	send("EHLO test.example")
	s = obs.wait(t, "EHLO on smtps", func(s snapshot) bool { return s.idle && s.sess.ESMTP })
	if !s.sess.Caps.Has("AUTH") {
		t.Errorf("smtps caps: %+v", s.sess.Caps.List)
	}
	send(":auth LOGIN alice")
	obs.wait(t, "the password prompt", func(s snapshot) bool { return s.mode == modePassword })
	send(lab.Password)
	signedIn := obs.wait(t, "235 over implicit TLS", func(s snapshot) bool { return s.idle && s.sess.Authenticated })
	if signedIn.sess.AuthUser != "alice" { // the side panel's "auth alice"
		t.Errorf("signed in as %q, want alice", signedIn.sess.AuthUser)
	}
	saved := filepath.Join(t.TempDir(), "auth.txt")
	send(":save " + saved)
	obs.wait(t, "the save", func(s snapshot) bool { return strings.HasPrefix(s.flash, "saved") })
	if b, err := os.ReadFile(saved); err != nil || !strings.Contains(string(b), "C~ AUTH LOGIN\n") ||
		strings.Contains(string(b), "AUTH LOGIN <redacted") || !strings.Contains(string(b), "AUTH LOGIN as alice (") {
		t.Errorf("saved AUTH LOGIN (%v):\n%s", err, b)
	}

	send(":lab legacy")
	obs.wait(t, "the legacy greeting", func(s snapshot) bool { return ready(s) && !s.sess.TLS })
	send("EHLO test.example")
	s = obs.wait(t, "EHLO on legacy", func(s snapshot) bool { return s.idle && s.sess.ESMTP })
	if !s.sess.Caps.Has("AUTH") || s.sess.Caps.Has("STARTTLS") {
		t.Errorf("legacy caps: %+v", s.sess.Caps.List)
	}
	send(":auth PLAIN alice")
	obs.wait(t, "no consent on loopback", func(s snapshot) bool { return s.mode == modePassword })
	send(lab.Password)
	obs.wait(t, "235 in the clear", func(s snapshot) bool { return s.idle && s.sess.Authenticated })
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestGuidedLab runs guided mode against the lab's submission endpoint from
// the greeting to QUIT, pressing only Enter on the prefilled steps, plus
// the password and the message's text: the message arrives in the lab's
// mailbox, and neither the screen nor the history shows the password.
func TestGuidedLab(t *testing.T) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m, err := New(Config{Lab: l, Theme: "mono", Guided: true, Options: client.Options{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	obs := newObserver()
	m.observe = obs.see
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	enter := func() { tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter}) }
	// at waits until the session is idle on step id with want prefilled,
	// and presses Enter.
	at := func(id, want string) snapshot {
		t.Helper()
		s := obs.wait(t, "step "+id, func(s snapshot) bool {
			return s.idle && s.conn == phaseOpen && s.step == id && s.input == want
		})
		enter()
		return s
	}
	helo := client.DefaultHelo
	at("ehlo", "EHLO "+helo)
	s := at("starttls", "STARTTLS")
	if !strings.Contains(s.screen, "AUTH is offered only after STARTTLS") || !strings.Contains(s.screen, "no AUTH before STARTTLS") {
		t.Errorf("the STARTTLS card does not say why:\n%s", s.screen)
	}
	at("ehlo-tls", "EHLO "+helo)
	s = at("auth", ":auth CRAM-MD5 "+lab.User)
	if !strings.Contains(s.screen, "AUTH appeared after STARTTLS (+AUTH") || !strings.Contains(s.screen, "[CRAM-MD5]") {
		t.Errorf("the AUTH card lacks the diff or the choices:\n%s", s.screen)
	}
	obs.wait(t, "the password prompt", func(s snapshot) bool { return s.mode == modePassword })
	tm.Type(lab.Password)
	enter()
	size := session.GuideMessageSize(lab.User+"@"+lab.Domain, []string{"bob@" + lab.Domain})
	s = at("mail", fmt.Sprintf("MAIL FROM:<%s@%s> SIZE=%d BODY=8BITMIME", lab.User, lab.Domain, size))
	if !s.sess.Authenticated || strings.Contains(s.screen, lab.Password) {
		t.Fatalf("after AUTH: authenticated %v, screen:\n%s", s.sess.Authenticated, s.screen)
	}
	at("rcpt", "RCPT TO:<bob@"+lab.Domain+">")
	at("data", "DATA")
	at("compose", ":compose")
	obs.wait(t, "the editor", func(s snapshot) bool { return s.compose })
	tm.Type("guided by ehlo")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tm.Type("Grüße, Bob.") // 8-bit text, as the guide's BODY=8BITMIME and the template allow: F10 sends it at once
	tm.Send(tea.KeyPressMsg{Code: tea.KeyF10})
	s = at("quit", "QUIT")
	if !strings.Contains(s.flash, "accepted") {
		t.Errorf("flash after the message: %q", s.flash)
	}
	s = obs.wait(t, "the end", func(s snapshot) bool { return s.conn == phaseClosed && s.step == "done" })
	msgs := l.Messages()
	if len(msgs) != 1 || msgs[0].User != lab.User || msgs[0].Subject() != "guided by ehlo" ||
		!strings.Contains(string(msgs[0].Data), "Content-Transfer-Encoding: 8bit\r\n") ||
		!strings.Contains(string(msgs[0].Data), "\r\n\r\nGrüße, Bob.\r\n") {
		t.Fatalf("mailbox: %+v", msgs)
	}
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if h := strings.Join(fm.input.history, "\n"); strings.Contains(h, lab.Password) || !strings.Contains(h, ":auth CRAM-MD5 alice") {
		t.Errorf("history: %q", fm.input.history)
	}
}

// TestConnectTakesFlags: the flags that explanations of failures name
// (--tls, --insecure, --servername) work on :connect too, so the advice can
// be followed without leaving the explorer.
func TestConnectTakesFlags(t *testing.T) {
	l, obs, send, _ := labTUI(t)
	smtps, _ := l.Endpoint("smtps")

	send(":connect " + smtps.Addr + " --bogus")
	obs.wait(t, "the usage", func(s snapshot) bool { return strings.Contains(s.flash, "usage: :connect") })
	// the lab's CA is not the user's (no --ca): implicit TLS, unverified
	send(":connect " + smtps.Addr + " --tls --insecure --servername mail.lab.test")
	s := obs.wait(t, "the smtps greeting over TLS", func(s snapshot) bool { return ready(s) && s.sess.TLS })
	if !strings.Contains(s.screen, "UNVERIFIED") {
		t.Errorf("an --insecure connection not shown as such:\n%s", s.screen)
	}
}

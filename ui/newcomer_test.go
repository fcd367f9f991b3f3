package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/ehlo-sh/ehlo/third_party/bubbles/key"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/wire"
)

// This file holds the tests of issue 16's newcomer findings and item 8:
// each reproduces what a user met, then checks the fix.

// TestGuidedEightBit (issue 16, item 8): on a server that offers
// 8BITMIME the guide's MAIL FROM declares BODY=8BITMIME, the editor's
// template declares UTF-8 as 8bit, and a message in German goes on the
// first F10: ehlo does not warn about what it proposed itself.
func TestGuidedEightBit(t *testing.T) {
	s := guidedSim(t, 120, 40)
	guidedTLS(s)
	s.step(":auth PLAIN")
	s.enter("alice")
	s.enter("wonderland")
	s.reply("235 2.7.0 Accepted")
	if got := s.m.input.Value(); !strings.HasSuffix(got, " BODY=8BITMIME") {
		t.Fatalf("the guide's MAIL is %q: no BODY=8BITMIME though the server offers 8BITMIME", got)
	}
	s.step(s.m.input.Value())
	s.reply("250 2.1.0 OK")
	s.step("RCPT TO:<someone@example.org>")
	s.reply("250 2.1.5 OK")
	s.step("DATA")
	s.reply("354 Go ahead")
	s.step(":compose")
	for _, f := range []string{"MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"} {
		if !strings.Contains(s.m.compose.Value(), f+"\n") {
			t.Errorf("the template lacks %q:\n%s", f, s.m.compose.Value())
		}
	}
	s.typ("Greetings")
	s.press(tea.KeyEnter)
	s.press(tea.KeyEnter)
	s.typ("Schöne Grüße aus dem Labor")
	s.press(tea.KeyF10)
	s.flush()
	if s.link.count() == 0 || s.link.last().raw == nil {
		t.Fatalf("the first F10 did not send; flash %q", s.m.flash.text)
	}
}

// TestComposeTemplateSevenBit: after a MAIL FROM without BODY=8BITMIME
// the template says US-ASCII, 7bit, and 8-bit text typed under it is
// warned about, naming both what MAIL and the header lack.
func TestComposeTemplateSevenBit(t *testing.T) {
	s := dataSim(t)
	s.enter(":compose")
	if v := s.m.compose.Value(); !strings.Contains(v, "charset=us-ascii\nContent-Transfer-Encoding: 7bit\n") {
		t.Fatalf("template:\n%s", v)
	}
	s.press(tea.KeyEnter)
	s.press(tea.KeyEnter)
	s.typ("Grüße")
	s.press(tea.KeyF10)
	if s.link.count() != 0 || !strings.Contains(s.m.flash.text, "BODY=8BITMIME") || !strings.Contains(s.m.flash.text, "charset=UTF-8") {
		t.Fatalf("first F10: sent %d, flash %q", s.link.count(), s.m.flash.text)
	}
}

// newLabSim is a sim whose model runs on the lab's submission endpoint,
// with the fake link for its connection.
func newLabSim(t *testing.T, w, h int) *sim {
	t.Helper()
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	m, err := New(Config{Lab: l, Theme: "dark", Mouse: true})
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, clock: epoch, link: &fakeLink{addr: "127.0.0.1:587"}}
	m.now = func() time.Time { return s.clock }
	s.m = m
	s.send(tea.WindowSizeMsg{Width: w, Height: h})
	return s
}

// TestLabAccountShown: on the lab, where the AUTH step is, the screen
// names the lab's account, user and password: the guided card, the
// prompt for the password, the hint without guided mode. Elsewhere, and
// once signed in, it does not.
func TestLabAccountShown(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		s := newLabSim(t, size[0], size[1])
		s.enter(":guided")
		guidedTLS(s)
		if st := s.m.guide.step; st.ID != "auth" {
			t.Fatalf("step %q", st.ID)
		}
		if scr := s.screen(); !strings.Contains(scr, lab.User) || !strings.Contains(scr, lab.Password) {
			t.Errorf("%dx%d: the AUTH card does not name the lab's account:\n%s", size[0], size[1], scr)
		}
		s.press(tea.KeyEnter) // :auth PLAIN alice
		if s.m.input.mode != modePassword || !strings.Contains(s.screen(), lab.Password) {
			t.Errorf("%dx%d: the password prompt does not say the lab's password:\n%s", size[0], size[1], s.screen())
		}
		s.enter(lab.Password)
		s.reply("235 2.7.0 Accepted")
		if strings.Contains(s.screen(), lab.Password) {
			t.Errorf("%dx%d: the password is still on screen after AUTH:\n%s", size[0], size[1], s.screen())
		}
	}

	s := newLabSim(t, 80, 24) // without guided mode: the hint line, and the placeholder names the user
	gmailTLS(s)
	if scr := s.screen(); !strings.Contains(scr, ":auth PLAIN "+lab.User) || !strings.Contains(scr, lab.Password) {
		t.Errorf("at the AUTH step, unguided, the lab's account is not on screen:\n%s", scr)
	}

	s = newSim(t, "dark", 120, 40) // a real server: no account is made up
	s.enter(":guided")
	guidedTLS(s)
	s.press(tea.KeyEnter)
	s.enter("alice")
	if strings.Contains(s.screen(), lab.Password) {
		t.Errorf("the lab's password shown for another server:\n%s", s.screen())
	}
}

// TestTakeSuggestion: the grey suggestion on an empty line is taken with
// → or Tab, as shells do; a suggestion naming a word to fill in (USER)
// leaves the cursor where that word goes; with no suggestion Tab still
// moves the focus, and shift+tab always does.
func TestTakeSuggestion(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.connect()
	s.reply("220 smtp.gmail.example ESMTP")
	s.press(tea.KeyRight)
	if v := s.m.input.Value(); v != "EHLO ehlo.localhost" {
		t.Fatalf("→ on an empty line gave %q", v)
	}
	s.press(tea.KeyEnter)
	s.flush()
	if !s.link.wrote("EHLO ehlo.localhost") {
		t.Fatalf("wrote %q", s.link.lines())
	}
	s.reply(gmailEHLO(false)...)
	s.press(tea.KeyTab)
	if v := s.m.input.Value(); v != "STARTTLS" || s.m.focus != focusInput {
		t.Fatalf("tab on an empty line gave %q, focus %d", v, s.m.focus)
	}
	s.press(tea.KeyTab) // the suggestion taken as it was: tab moves on, as in guided mode
	if s.m.focus != focusTranscript {
		t.Fatalf("a second tab: focus %d", s.m.focus)
	}
	s.press(tea.KeyEscape)
	s.press(tea.KeyEscape)
	if s.m.input.Value() != "" || s.m.focus != focusInput {
		t.Fatalf("esc esc: %q, focus %d", s.m.input.Value(), s.m.focus)
	}
	s.press(tea.KeyTab, tea.ModShift)
	if s.m.focus == focusInput {
		t.Fatal("shift+tab did not move the focus")
	}
	s.press(tea.KeyEscape)

	s.enter("STARTTLS")
	s.reply("220 2.0.0 Ready")
	s.starttls(gmailCert())
	s.enter("EHLO client.example")
	s.reply(gmailEHLO(true)...)
	s.press(tea.KeyRight)
	if v := s.m.input.Value(); v != ":auth PLAIN " {
		t.Fatalf("the AUTH suggestion gave %q: want the user left to type", v)
	}
	s.press(tea.KeyEscape)
	s.enter("NOOP")
	if s.m.placeholder() != "" { // a reply pending: nothing to suggest
		t.Fatalf("placeholder %q while waiting", s.m.placeholder())
	}
	s.press(tea.KeyTab)
	if s.m.focus != focusTranscript || s.m.input.Value() != "" {
		t.Fatalf("tab without a suggestion: focus %d, input %q", s.m.focus, s.m.input.Value())
	}
	s.press(tea.KeyEscape)
	s.reply("250 OK")

	s.toData()
	s.press(tea.KeyRight)
	if v := s.m.input.Value(); v != "Subject: " {
		t.Fatalf("in DATA the suggestion gave %q", v)
	}
	if f := footerOf(s); !strings.Contains(f, "subject") && !strings.Contains(f, "enter") {
		t.Fatalf("footer %q", f)
	}
}

// footerOf is the last line of the screen: the key hints.
func footerOf(s *sim) string {
	lines := strings.Split(s.screen(), "\n")
	return lines[len(lines)-1]
}

// TestFooterNamesSuggestionKeys: with a suggestion on screen, the footer
// says how to take it, and how to move between panes; ctrl+c quit always
// fits, at 80 columns too.
func TestFooterNamesSuggestionKeys(t *testing.T) {
	for _, w := range []int{80, 120} {
		s := newSim(t, "dark", w, 24)
		gmailPlain(s)
		f := footerOf(s)
		for _, want := range []string{"→/tab", "shift+tab", "ctrl+c quit"} {
			if !strings.Contains(f, want) {
				t.Errorf("%d columns: the footer %q lacks %q", w, f, want)
			}
		}
	}
}

// TestRefusalSaysWhy: after a refused MAIL, RCPT or DATA one line says why,
// in the words of the knowledge table, as it does after AUTH.
func TestRefusalSaysWhy(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	cases := []struct {
		line  string
		reply []string
		want  []string
	}{
		{"MAIL FROM:<alice@example.org>", []string{"530 5.7.0 Must issue a STARTTLS command first."}, []string{"MAIL", "STARTTLS first"}},
		{"RCPT TO:<bob@example.org>", []string{"503 5.5.1 MAIL first."}, []string{"RCPT", "out of sequence"}},
	}
	for _, c := range cases {
		s.enter(c.line)
		s.reply(c.reply...)
		for _, w := range c.want {
			if !strings.Contains(s.m.flash.text, w) || s.m.flash.kind != flashError {
				t.Errorf("after %q refused: flash %q, want %q", c.line, s.m.flash.text, w)
			}
		}
	}
	s = newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.enter("MAIL FROM:<alice@example.org>")
	s.reply("250 2.1.0 OK")
	s.enter("RCPT TO:<nobody@example.org>")
	s.reply("550-5.1.1 The email account that you tried to reach does not exist.", "550 5.1.1 Please try double-checking the recipient's email address")
	if f := s.m.flash.text; !strings.Contains(f, "RCPT") || !strings.Contains(f, "does not exist here") {
		t.Errorf("RCPT 550 5.1.1: flash %q", f)
	}
	s.enter("DATA")
	s.reply("554 5.5.1 Error: no valid recipients")
	if f := s.m.flash.text; !strings.Contains(f, "DATA") || !strings.Contains(f, "refused the message") {
		t.Errorf("DATA 554: flash %q", f)
	}
	if !strings.Contains(s.screen(), "DATA refused") {
		t.Errorf("the screen does not say so:\n%s", s.screen())
	}
}

// TestTypoWarnedBeforeSending: a typo or a syntax a server refuses is
// warned about before it goes: the first Enter keeps the line and says
// what was probably meant (→ takes it), a second Enter sends it as typed,
// for this is a tool for seeing what a server does with anything.
func TestTypoWarnedBeforeSending(t *testing.T) {
	s := newSim(t, "dark", 80, 24)
	s.connect()
	s.reply("220 smtp.gmail.example ESMTP")
	s.typ("EHOL client.example")
	s.press(tea.KeyEnter)
	s.flush()
	if s.link.count() != 0 || s.m.input.Value() != "EHOL client.example" {
		t.Fatalf("the first Enter sent %q, input %q", s.link.lines(), s.m.input.Value())
	}
	if scr := s.screen(); !strings.Contains(scr, "EHLO client.example") || !strings.Contains(scr, "enter again") {
		t.Errorf("the screen does not say what was meant:\n%s", scr)
	}
	s.press(tea.KeyEnter)
	s.flush()
	if !s.link.wrote("EHOL client.example") {
		t.Fatalf("the second Enter did not send it as typed: %q", s.link.lines())
	}
	s.reply("500 5.5.2 Error: command not recognized")
	s.enter("EHLO client.example")
	s.reply(gmailEHLO(false)...)

	s.link.reset()
	s.typ("MAIL FROM:<jörg@bücher.example>")
	s.press(tea.KeyEnter)
	s.flush()
	if s.link.count() != 0 || !strings.Contains(s.screen(), "SMTPUTF8") {
		t.Fatalf("a UTF-8 sender went without SMTPUTF8 and without a word: %q\n%s", s.link.lines(), s.screen())
	}
	s.press(tea.KeyRight)
	if v := s.m.input.Value(); v != "MAIL FROM:<jörg@bücher.example> SMTPUTF8" {
		t.Fatalf("→ gave %q", v)
	}
	s.press(tea.KeyEscape)

	s.typ("MAIL FROM alice@example.org")
	s.press(tea.KeyEnter)
	s.flush()
	if s.link.count() != 0 {
		t.Fatalf("MAIL without colon went at once: %q", s.link.lines())
	}
	s.press(tea.KeyRight) // takes the line meant
	if v := s.m.input.Value(); v != "MAIL FROM:<alice@example.org>" {
		t.Fatalf("→ gave %q", v)
	}
	s.press(tea.KeyEnter)
	s.flush()
	if !s.link.wrote("MAIL FROM:<alice@example.org>") {
		t.Fatalf("the fixed line was held: %q", s.link.lines())
	}
	s.reply("250 2.1.0 OK")
	s.link.reset()

	s.typ("Subject: hello")
	s.press(tea.KeyEnter)
	s.flush()
	if s.link.count() != 0 || !strings.Contains(s.screen(), "header field") {
		t.Fatalf("Subject: outside DATA went at once: %q\n%s", s.link.lines(), s.screen())
	}
	s.press(tea.KeyEnter)
	s.flush()
	if !s.link.wrote("Subject: hello") {
		t.Fatalf("the second Enter did not send: %q", s.link.lines())
	}
}

// TestCredentialsInClearSaidOnce: after credentials went over a plaintext
// link the screen says so, once per connection; inside TLS it does not.
func TestCredentialsInClearSaidOnce(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter("AUTH PLAIN " + b64("\x00alice\x00wonderland"))
	if !strings.Contains(s.screen(), "in clear") {
		t.Fatalf("nothing says the credentials went in clear:\n%s", s.screen())
	}
	s.reply("535 5.7.8 Username and Password not accepted")
	s.enter("AUTH LOGIN")
	s.reply("334 VXNlcm5hbWU6")
	s.enter(b64("alice"))
	if strings.Contains(s.m.flash.text, "in clear") {
		t.Errorf("said twice on one connection: %q", s.m.flash.text)
	}
	s.reply("334 UGFzc3dvcmQ6")
	s.enter(b64("wonderland"))
	s.reply("535 5.7.8 no")

	s.enter(":reconnect") // a new connection: said again
	s.connect()
	s.reply("220 smtp.gmail.example ESMTP")
	s.enter("AUTH PLAIN " + b64("\x00alice\x00wonderland"))
	if !strings.Contains(s.m.flash.text, "in clear") {
		t.Errorf("not said on the next connection: %q", s.m.flash.text)
	}

	s.reply("535 5.7.8 no")
	s.enter(":auth LOGIN alice") // the helper's success says it again: its own flash would hide the notice
	s.enter("y")                 // consent: in clear to a host that is not this machine
	s.enter("wonderland")
	s.reply("334 VXNlcm5hbWU6")
	s.flush()
	s.reply("334 UGFzc3dvcmQ6")
	s.flush()
	s.reply("235 2.7.0 Accepted")
	if !strings.Contains(s.m.flash.text, "authenticated as alice") || !strings.Contains(s.m.flash.text, "in clear") {
		t.Errorf("after :auth in clear: %q", s.m.flash.text)
	}

	s = newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.enter("AUTH PLAIN " + b64("\x00alice\x00wonderland"))
	if strings.Contains(s.screen(), "in clear") {
		t.Errorf("inside TLS:\n%s", s.screen())
	}
}

// TestEnvelopeShowsRefused: the side panel's session part reads as
// states ("signed in as alice", "1 recipient accepted"), not as a
// checklist, and a refused recipient is listed as refused, with its code.
func TestEnvelopeShowsRefused(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		s := newSim(t, "dark", size[0], size[1])
		gmailTLS(s)
		s.enter("AUTH PLAIN " + b64("\x00alice\x00wonderland"))
		s.reply("235 2.7.0 Accepted")
		s.enter("MAIL FROM:<alice@example.org>")
		s.reply("250 2.1.0 OK")
		s.enter("RCPT TO:<nobody@example.org>")
		s.reply("550 5.1.1 No such user")
		s.enter("RCPT TO:<bob@example.org>")
		s.reply("250 2.1.5 OK")
		side := paneText(s.m.side.View(s.m.sideInfo()))
		for _, want := range []string{"signed in as alice", "1 recipient accepted", "<bob@example.org>", "<nobody@example.org>", "refused 550"} {
			if !strings.Contains(side, want) {
				t.Errorf("%dx%d: the side panel lacks %q:\n%s", size[0], size[1], want, side)
			}
		}
		if strings.Contains(side, "✓ greeted") || strings.Contains(side, "· in data") {
			t.Errorf("%dx%d: still a checklist:\n%s", size[0], size[1], side)
		}
	}
}

// paneText is a pane's text without styles and borders, its lines joined
// by spaces, so that wrapped words read as one text.
func paneText(lines []string) string {
	var words []string
	for _, l := range lines {
		l = strings.Trim(ansi.Strip(l), "│╭╮╰╯─ ")
		words = append(words, strings.Fields(l)...)
	}
	return strings.Join(words, " ")
}

// quits runs cmd, and the commands of the batches and sequences it
// returns, and reports whether one of them quits the program. Only for
// commands that return at once (close, quit).
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	msg := cmd()
	if _, ok := msg.(tea.QuitMsg); ok {
		return true
	}
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Slice {
		return false
	}
	for i := range v.Len() {
		if c, ok := v.Index(i).Interface().(tea.Cmd); ok && quits(c) {
			return true
		}
	}
	return false
}

// ctrlC presses Ctrl+C and reports whether the program would quit.
func (s *sim) ctrlC() bool {
	next, cmd := s.m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	s.m = next.(Model)
	return quits(cmd)
}

// TestCtrlCAsksOnce: with a message in the editor, or lines queued, Ctrl+C
// asks first (y/n); a second Ctrl+C or y quits, n stays; with nothing to
// lose it quits at once.
func TestCtrlCAsksOnce(t *testing.T) {
	s := dataSim(t)
	s.enter(":compose")
	if s.ctrlC() != true {
		t.Fatal("the template alone is nothing to lose: ctrl+c did not quit")
	}
	s = dataSim(t)
	s.enter(":compose")
	s.typ("a message worth keeping")
	if s.ctrlC() {
		t.Fatal("ctrl+c quit with a draft in the editor")
	}
	if !strings.Contains(s.screen(), "ctrl+c again") || !s.m.compose.open {
		t.Fatalf("no question on screen:\n%s", s.screen())
	}
	s.typ("n")
	if !s.m.compose.open || strings.Contains(s.m.compose.Value(), "keepingn") {
		t.Fatalf("n: editor %v, %q", s.m.compose.open, s.m.compose.Value())
	}
	if s.ctrlC() {
		t.Fatal("after n, ctrl+c quit without asking again")
	}
	if !s.ctrlC() {
		t.Fatal("a second ctrl+c did not quit")
	}

	s = dataSim(t)
	s.enter(":compose")
	s.typ("draft")
	s.press(tea.KeyEscape) // the draft kept for the next :compose
	if s.ctrlC() {
		t.Fatal("ctrl+c quit with a kept draft")
	}
	next, cmd := s.m.Update(tea.KeyPressMsg{Code: 'y', Text: "y"})
	s.m = next.(Model)
	if !quits(cmd) {
		t.Fatal("y did not quit")
	}

	s = newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.send(tea.PasteMsg{Content: "NOOP\r\nNOOP\r\nNOOP\r\n"})
	s.flush()
	if s.m.outbox.len() != 2 {
		t.Fatalf("%d queued, want 2: NOOP waits for its reply", s.m.outbox.len())
	}
	if s.ctrlC() || !strings.Contains(s.screen(), "queued") {
		t.Fatalf("ctrl+c quit with lines queued:\n%s", s.screen())
	}
	s.press(tea.KeyEscape) // esc says no, as n does
	if s.m.outbox.len() != 2 || s.ctrlC() {
		t.Fatal("esc did not keep the session, or ctrl+c then quit without asking")
	}
	if !s.ctrlC() {
		t.Fatal("a second ctrl+c did not quit")
	}
}

// TestEveryKeyHasACommand: each key terminals may swallow (an F-key, an
// alt chord: F10 and F11 go to the terminal or the desktop, alt is Option
// on macOS) has a ":" command that does the same, which the full help
// names beside it.
func TestEveryKeyHasACommand(t *testing.T) {
	s := newSim(t, "dark", 200, 60)
	k := reflect.ValueOf(s.m.keys)
	help := strings.Join(s.m.helpLines(200), "\n")
	for i := range k.NumField() {
		if !k.Type().Field(i).IsExported() { // w: the descriptions' language
			continue
		}
		b := k.Field(i).Interface().(key.Binding)
		swallowed := slices.ContainsFunc(b.Keys(), func(k string) bool {
			return strings.HasPrefix(k, "alt+") || len(k) > 1 && k[0] == 'f' && k[1] >= '0' && k[1] <= '9'
		})
		if !swallowed {
			continue
		}
		name := k.Type().Field(i).Name
		cmd, ok := colonTwin(name)
		if !ok {
			t.Errorf("%s (%v) has no : command", name, b.Keys())
			continue
		}
		if _, _, ok := s.m.lookupCommand(cmd); !ok {
			t.Errorf("%s: %s is no command", name, cmd)
		}
		if !strings.Contains(ansi.Strip(help), b.Help().Desc+" ("+cmd+")") {
			t.Errorf("the help does not name %s beside %s", cmd, b.Help().Key)
		}
	}
}

// TestSendCommandSendsTheDraft: where F10 and alt+enter never reach the
// editor, esc then :send sends the message, with the same warning first.
func TestSendCommandSendsTheDraft(t *testing.T) {
	s := dataSim(t)
	s.enter(":compose")
	s.typ("Grüße")
	s.press(tea.KeyEscape)
	s.enter(":send")
	if s.link.count() != 0 || !strings.Contains(s.m.flash.text, "BODY=8BITMIME") {
		t.Fatalf("the first :send: sent %q, flash %q", s.link.lines(), s.m.flash.text)
	}
	s.enter(":send")
	s.flush()
	if s.link.count() != 1 || !strings.Contains(string(s.link.last().raw), "Subject: Grüße\r\n.\r\n") {
		t.Fatalf("the second :send: sent %q", s.link.lines())
	}
	s.enter(":send")
	if !strings.Contains(s.m.flash.text, ":compose") {
		t.Errorf("with no message: flash %q", s.m.flash.text)
	}
}

// TestTranscriptSearch: / in the transcript (or :find) searches the text
// as shown, n and N step through the matches, each highlighted; a
// credential is never found, only its redacted form.
func TestTranscriptSearch(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.enter("AUTH PLAIN " + b64("\x00alice\x00wonderland"))
	s.reply("235 2.7.0 Accepted")
	s.press(tea.KeyTab, tea.ModShift)
	s.press(tea.KeyTab, tea.ModShift)
	if s.m.focus != focusTranscript {
		t.Fatalf("focus %d", s.m.focus)
	}
	s.typ("/")
	if s.m.input.mode != modeSearch || !strings.Contains(s.screen(), "search ›") {
		t.Fatalf("/ did not ask for the search:\n%s", s.screen())
	}
	s.typ("8bitmime")
	s.press(tea.KeyEnter)
	first, _ := s.m.transcript.Selected()
	if !strings.Contains(string(first.Data), "8BITMIME") || !strings.Contains(s.m.flash.text, "match 1 of 2") {
		t.Fatalf("selected %q, flash %q", first.Data, s.m.flash.text)
	}
	s.typ("n")
	second, _ := s.m.transcript.Selected()
	if second.Seq <= first.Seq || !strings.Contains(s.m.flash.text, "match 2 of 2") || s.m.input.Value() != "" {
		t.Fatalf("n: selected #%d after #%d, flash %q, input %q", second.Seq, first.Seq, s.m.flash.text, s.m.input.Value())
	}
	s.typ("N")
	if back, _ := s.m.transcript.Selected(); back.Seq != first.Seq {
		t.Fatalf("N went to #%d", back.Seq)
	}
	match := trNewPen(s.m.st.Match)
	if v := s.m.transcript.View(); !strings.Contains(v, match.on+"8BITMIME"+match.off) {
		t.Errorf("the match is not highlighted")
	}
	s.enter(":find " + b64("\x00alice\x00wonderland")[:12])
	if !strings.Contains(s.m.flash.text, "no line holds") {
		t.Errorf("a credential was searched: %q", s.m.flash.text)
	}
	s.enter(":find redacted")
	if e, _ := s.m.transcript.Selected(); !e.Secret {
		t.Errorf(":find redacted selected %q", e.Data)
	}
	s.enter(":find")
	if s.m.transcript.Query() != "" || strings.Contains(s.m.transcript.View(), match.on) {
		t.Error(":find alone did not clear the search")
	}
}

// TestTranscriptFilter: :filter shows client or server lines, or the
// replies of one class; lines that come later are filtered too; off
// shows all again.
func TestTranscriptFilter(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	s.enter("RCPT TO:<early@example.org>")
	s.reply("503 5.5.1 MAIL first")
	s.enter(":filter 5xx")
	view := ansi.Strip(s.m.transcript.View())
	if !strings.Contains(view, "503 5.5.1 MAIL first") || strings.Contains(view, "EHLO") || strings.Contains(view, "250") {
		t.Fatalf(":filter 5xx shows:\n%s", view)
	}
	s.enter("DATA")
	s.reply("554 5.5.1 no valid recipients")
	if view := ansi.Strip(s.m.transcript.View()); !strings.Contains(view, "554 5.5.1") || strings.Contains(view, "C: DATA") {
		t.Fatalf("a later 554 is not shown, or DATA is:\n%s", view)
	}
	s.enter(":filter client")
	if view := ansi.Strip(s.m.transcript.View()); !strings.Contains(view, "C: DATA") || strings.Contains(view, "S: ") {
		t.Fatalf(":filter client shows:\n%s", view)
	}
	if !strings.Contains(s.screen(), "filter client") {
		t.Errorf("the screen does not say a filter is on:\n%s", s.screen())
	}
	s.enter(":filter off")
	if view := ansi.Strip(s.m.transcript.View()); !strings.Contains(view, "S: 250-8BITMIME") {
		t.Fatalf(":filter off shows:\n%s", view)
	}
	s.enter(":filter 6xx")
	if !strings.Contains(s.m.flash.text, "usage") {
		t.Errorf(":filter 6xx: %q", s.m.flash.text)
	}
}

// TestTranscriptWrap: a long server reply ends in "…" at the pane's edge;
// :wrap (w in the transcript) shows it whole, on as many lines as it
// takes, the tail still in view.
func TestTranscriptWrap(t *testing.T) {
	s := newSim(t, "dark", 80, 24)
	gmailPlain(s)
	long := "550-5.7.1 [192.0.2.7] Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. Please visit https://support.google.com/mail/?p=UnsolicitedMessageError for more information."
	s.enter("NOOP")
	s.reply(long[:4]+long[4:], "550 5.7.1 end")
	text := func() string {
		var b strings.Builder
		for _, l := range strings.Split(ansi.Strip(s.m.transcript.View()), "\n") {
			b.WriteString(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "23ms")))
		}
		return b.String()
	}
	if strings.Contains(strings.ReplaceAll(text(), " ", ""), strings.ReplaceAll(long, " ", "")) {
		t.Fatal("the long line is whole before :wrap")
	}
	s.enter(":wrap")
	got := strings.ReplaceAll(text(), " ", "")
	if !strings.Contains(got, strings.ReplaceAll("S: "+long, " ", "")) || !strings.HasSuffix(got, "S:5505.7.1end") {
		t.Fatalf("wrapped:\n%s", ansi.Strip(s.m.transcript.View()))
	}
	checkSize(t, s.m.View().Content, 80, 24)
}

// runCmd runs cmd and the commands of the batches and sequences it
// returns, each for at most 10 seconds, and returns their messages: for
// the commands of a sim, whose link is fake, that end (a file written). A
// shorter cut took a write a loaded machine slowed for one that waits.
func runCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(10 * time.Second):
		return nil
	}
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Slice {
		return []tea.Msg{msg}
	}
	var out []tea.Msg
	for i := range v.Len() {
		if c, ok := v.Index(i).Interface().(tea.Cmd); ok {
			out = append(out, runCmd(c)...)
		}
	}
	return out
}

// TestHistoryAcrossRuns: the history file is read at start (a credential
// in it comes back as its recall form, a placeholder not at all), each new
// line is written to it, never a secret, and it keeps the last 500.
func TestHistoryAcrossRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "ehlo", "history")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	old := "EHLO old.example\nAUTH PLAIN " + b64("\x00alice\x00wonderland") + "\nAUTH PLAIN <redacted user=\"alice\">\n:b64 \\0alice\\0wonderland\nMAIL FROM:<a@example.org>\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{Target: "smtp.gmail.example:587", Theme: "dark", History: path})
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, clock: epoch, link: &fakeLink{addr: "192.0.2.25:587"}}
	m.now = func() time.Time { return s.clock }
	s.m = m
	s.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	s.send(loadHistoryCmd(s.m.hist)())
	gmailTLS(s)
	for _, want := range []string{"EHLO client.example", "STARTTLS", "EHLO client.example", "MAIL FROM:<a@example.org>", ":auth PLAIN alice", "EHLO old.example"} {
		if s.press(tea.KeyUp); s.m.input.Value() != want {
			t.Fatalf("up gave %q, want %q; history %q", s.m.input.Value(), want, s.m.input.history)
		}
	}
	s.press(tea.KeyEscape)

	s.typ("AUTH PLAIN " + b64("\x00alice\x00wonderland"))
	next, cmd := s.m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	s.m = next.(Model)
	runCmd(cmd)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "wonderland") || strings.Contains(string(b), b64("\x00alice\x00wonderland")) || strings.Contains(string(b), "redacted") ||
		!strings.HasSuffix(string(b), "EHLO client.example\n:auth PLAIN alice\n") {
		t.Fatalf("the file holds:\n%s", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode(), err)
	}

	var many strings.Builder
	for i := range 600 {
		fmt.Fprintf(&many, "NOOP %d\n", i)
	}
	if got := parseHistory(many.String()); len(got) != maxHistory || got[0] != "NOOP 100" {
		t.Fatalf("600 lines read as %d from %q", len(got), got[0])
	}
	s.send(historyLoadedMsg{lines: parseHistory(many.String())})
	if len(s.m.input.history) != maxHistory || s.m.input.history[maxHistory-1] != ":auth PLAIN alice" {
		t.Fatalf("history of %d, last %q", len(s.m.input.history), s.m.input.history[len(s.m.input.history)-1])
	}

	m, err = New(Config{Target: "smtp.gmail.example:587", Theme: "dark"})
	if err != nil || m.hist != nil {
		t.Fatalf("without Config.History: %v %v", m.hist, err)
	}
}

// TestTabCyclesCandidates: Tab extends to the candidates' common prefix
// and lists them; Tab again puts each in the input in turn, shift+tab the
// one before; typing ends the round.
func TestTabCyclesCandidates(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.typ("AUTH ")
	s.press(tea.KeyTab)
	if v := s.m.input.Value(); v != "AUTH " || len(s.m.choices) != 6 {
		t.Fatalf("first tab: %q, choices %q", v, s.m.choices)
	}
	var seen []string
	for range 7 {
		s.press(tea.KeyTab)
		seen = append(seen, s.m.input.Value())
	}
	want := []string{"AUTH LOGIN", "AUTH PLAIN", "AUTH XOAUTH2", "AUTH PLAIN-CLIENTTOKEN", "AUTH OAUTHBEARER", "AUTH XOAUTH", "AUTH LOGIN"}
	if !slices.Equal(seen, want) {
		t.Fatalf("tabs gave %q, want %q", seen, want)
	}
	if s.m.focus != focusInput {
		t.Fatal("cycling moved the focus")
	}
	s.press(tea.KeyTab, tea.ModShift)
	if v := s.m.input.Value(); v != "AUTH XOAUTH" || s.m.focus != focusInput {
		t.Fatalf("shift+tab: %q, focus %d", v, s.m.focus)
	}
	if !strings.Contains(s.screen(), "AUTH XOAUTH2") {
		t.Errorf("the candidates are not listed:\n%s", s.screen())
	}
	s.typ("2")
	if v := s.m.input.Value(); v != "AUTH XOAUTH2" || len(s.m.choices) != 0 {
		t.Fatalf("typing: %q, choices %q", v, s.m.choices)
	}
	s.press(tea.KeyEscape)
	s.typ(":theme ")
	s.press(tea.KeyTab)
	s.press(tea.KeyTab)
	s.press(tea.KeyTab)
	if v := s.m.input.Value(); v != ":theme dark" {
		t.Fatalf(":theme tab tab tab gave %q", v)
	}
}

// TestWrapBreaksAfterWords: wrapped, a line breaks after a word where it
// has a space, the rest of the word on the next line, not cut.
func TestWrapBreaksAfterWords(t *testing.T) {
	v := NewTranscript(trStyles(t, "dark"))
	v.SetSize(50, 10)
	v.Append(wire.Entry{Time: epoch, Dir: wire.Note, Data: []byte("credentials went over this connection in clear, without TLS: over loopback they did not leave this machine")})
	v.ToggleWrap()
	lines := strings.Split(ansi.Strip(v.View()), "\n")
	want := []string{"  *  credentials went over this connection in", "     clear, without TLS: over loopback they did", "     not leave this machine"}
	for i, w := range want {
		if strings.TrimRight(lines[i], " ") != w {
			t.Errorf("line %d: %q, want %q", i, strings.TrimRight(lines[i], " "), w)
		}
	}
}

package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
)

// guidedSim is a sim in guided mode, before the connection.
func guidedSim(t *testing.T, w, h int) *sim {
	s := newSim(t, "dark", w, h)
	s.enter(":guided")
	if !s.m.guide.on {
		t.Fatal(":guided did not turn guided mode on")
	}
	return s
}

// step sends the prefilled command with Enter, as a user of the guide does.
func (s *sim) step(want string) {
	s.t.Helper()
	if got := s.m.input.Value(); got != want {
		s.t.Fatalf("step %q: the input holds %q, want %q", s.m.guide.step.ID, got, want)
	}
	s.press(tea.KeyEnter)
	s.flush()
}

// gmailEHLO is the Gmail-like EHLO reply, plaintext (STARTTLS) or in TLS (AUTH).
func gmailEHLO(inTLS bool) []string {
	offer := "250-STARTTLS"
	if inTLS {
		offer = "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH"
	}
	return []string{"250-smtp.gmail.example at your service, [192.0.2.7]", "250-SIZE 35882577", "250-8BITMIME",
		offer, "250-ENHANCEDSTATUSCODES", "250-PIPELINING", "250-CHUNKING", "250 SMTPUTF8"}
}

// guidedPlain runs the guide to the plaintext EHLO's reply.
func guidedPlain(s *sim) {
	s.connect()
	s.reply("220 smtp.gmail.example ESMTP a1-20020a170902 - gsmtp")
	s.step("EHLO ehlo.localhost")
	s.reply(gmailEHLO(false)...)
}

// guidedTLS continues through STARTTLS and the EHLO inside TLS.
func guidedTLS(s *sim) {
	guidedPlain(s)
	s.step("STARTTLS")
	s.reply("220 2.0.0 Ready to start TLS")
	s.starttls(gmailCert())
	s.step("EHLO ehlo.localhost")
	s.reply(gmailEHLO(true)...)
}

// TestGuidedGolden compares the step card, the explain panel and the
// timing view, styles stripped, at 120x40 and 80x24. Run with -update to
// rewrite testdata/TestGuidedGolden/*.golden.
func TestGuidedGolden(t *testing.T) {
	moments := map[string]func(*sim){
		"card_wait_greeting": func(s *sim) { s.connect() },
		"card_greeting": func(s *sim) {
			s.connect()
			s.reply("220 smtp.gmail.example ESMTP a1-20020a170902 - gsmtp")
		},
		"card_starttls": guidedPlain,
		"card_auth":     guidedTLS,
		"card_fail_530": func(s *sim) {
			guidedPlain(s)
			s.press(tea.KeyEscape) // the user types MAIL instead of STARTTLS
			s.enter("MAIL FROM:<alice@example.org>")
			s.reply("530 5.7.0 Must issue a STARTTLS command first.")
		},
		"card_fail_535": func(s *sim) {
			guidedTLS(s)
			s.step(":auth PLAIN")
			s.enter("alice")
			s.enter("wonderland")
			s.reply("535-5.7.8 Username and Password not accepted. Learn more at", "535 5.7.8  https://support.google.com/mail/?p=BadCredentials")
		},
		"explain_535_gmail": func(s *sim) {
			gmailTLS(s)
			s.enter("AUTH PLAIN " + b64("\x00alice\x00wonderland"))
			s.reply("535-5.7.8 Username and Password not accepted. Learn more at", "535 5.7.8  https://support.google.com/mail/?p=BadCredentials")
			s.press(tea.KeyF8)
		},
		"explain_334": func(s *sim) {
			gmailTLS(s)
			s.enter("AUTH LOGIN")
			s.reply("334 VXNlcm5hbWU6")
			s.press(tea.KeyTab) // the transcript, its last line selected
			s.typ("e")
		},
		"timing": func(s *sim) {
			s.connect()
			s.advance(4 * time.Second) // a slow greeting
			gmailTLSReplies(s)
			s.enter(":timing")
		},
	}
	for name, play := range moments {
		for _, size := range [][2]int{{120, 40}, {80, 24}} {
			t.Run(fmt.Sprintf("%s_%dx%d", name, size[0], size[1]), func(t *testing.T) {
				var s *sim
				if strings.HasPrefix(name, "card") {
					s = guidedSim(t, size[0], size[1])
				} else {
					s = newSim(t, "dark", size[0], size[1])
				}
				play(s)
				checkSize(t, s.m.View().Content, size[0], size[1])
				golden.RequireEqual(t, s.screen())
			})
		}
	}
}

// gmailTLSReplies plays gmailTLS's exchange after an already open
// connection.
func gmailTLSReplies(s *sim) {
	s.reply("220 smtp.gmail.example ESMTP a1-20020a170902 - gsmtp")
	s.enter("EHLO client.example")
	s.reply(gmailEHLO(false)...)
	s.enter("STARTTLS")
	s.reply("220 2.0.0 Ready to start TLS")
	s.advance(9 * time.Millisecond)
	s.starttls(gmailCert())
	s.enter("EHLO client.example")
	s.reply(gmailEHLO(true)...)
}

// TestGuidedSteps walks a whole session on the fake link pressing only
// Enter on what the guide prefills, with the user name, the password and
// the message typed.
func TestGuidedSteps(t *testing.T) {
	s := guidedSim(t, 120, 40)
	guidedTLS(s)
	if st := s.m.guide.step; st.ID != "auth" || len(st.Choices) != 4 || !strings.Contains(st.Note, "AUTH appeared after STARTTLS") {
		t.Fatalf("after the EHLO inside TLS: %+v", st)
	}
	s.step(":auth PLAIN")
	s.enter("alice")
	s.enter("wonderland")
	s.reply("235 2.7.0 Accepted")
	s.step(fmt.Sprintf("MAIL FROM:<you@example.org> SIZE=%d BODY=8BITMIME", session.GuideMessageSize("you@example.org", []string{"someone@example.org"})))
	s.reply("250 2.1.0 OK")
	s.step("RCPT TO:<someone@example.org>")
	s.reply("250 2.1.5 OK")
	s.step("DATA")
	s.reply("354 Go ahead")
	s.step(":compose")
	if !s.m.compose.open {
		t.Fatal(":compose did not open")
	}
	s.typ("guided")
	s.press(tea.KeyF10)
	s.flush()
	if st := s.m.guide.step; st.ID != "end-data" {
		t.Fatalf("after the message: %q", st.ID)
	}
	s.reply("250 2.0.0 OK queued")
	s.step("QUIT")
	s.reply("221 2.0.0 closing connection")
	if st := s.m.guide.step; st.ID != "done" || s.m.input.Value() != ":reconnect" {
		t.Fatalf("after QUIT: %q, input %q", st.ID, s.m.input.Value())
	}
	for _, h := range s.m.input.history {
		if holdsSecret(h) {
			t.Errorf("history holds %q", h)
		}
	}
}

// TestGuidedPrefillKeepsTypedText: a new step does not replace what the
// user typed; it replaces its own prefill.
func TestGuidedPrefillKeepsTypedText(t *testing.T) {
	s := guidedSim(t, 120, 40)
	s.connect()
	s.typ("NOOP")
	s.reply("220 mx ESMTP")
	if v := s.m.input.Value(); v != "NOOP" {
		t.Fatalf("the greeting replaced the typed line: %q", v)
	}
	s.press(tea.KeyEscape)
	s.flush()
	s.enter(":guided") // off: the prefill goes
	s.enter(":guided") // on again: back
	if v := s.m.input.Value(); v != "EHLO ehlo.localhost" {
		t.Fatalf("guided on again: input %q", v)
	}
	s.press(tea.KeyF9)
	if s.m.guide.on || s.m.input.Value() != "" || s.m.cardHeight() != 0 {
		t.Fatalf("F9 did not leave guided mode cleanly: %q", s.m.input.Value())
	}
}

// TestGuidedColonReplacesThePrefill: typing ":" over the step's untouched
// command starts one of ehlo's commands; other keys still edit it.
func TestGuidedColonReplacesThePrefill(t *testing.T) {
	for typed, want := range map[string]string{":help": ":help", " x": "EHLO ehlo.localhost x"} {
		s := guidedSim(t, 120, 40)
		s.connect()
		s.reply("220 mx ESMTP")
		s.typ(typed)
		if v := s.m.input.Value(); v != want {
			t.Errorf("typed %q over the prefill: input %q, want %q", typed, v, want)
		}
	}
}

// TestGuidedSkipAndChoose: alt+n skips STARTTLS (the guide goes on in
// plaintext, to MAIL since no AUTH is offered); ctrl+n changes the
// mechanism of the AUTH step; a step the session needs is not skipped.
func TestGuidedSkipAndChoose(t *testing.T) {
	s := guidedSim(t, 120, 40)
	guidedPlain(s)
	s.press('n', tea.ModAlt)
	if st := s.m.guide.step; st.ID != "mail" || !strings.HasPrefix(s.m.input.Value(), "MAIL FROM:<you@example.org> SIZE=") {
		t.Fatalf("after skipping STARTTLS: %q, input %q", st.ID, s.m.input.Value())
	}
	s.press('n', tea.ModAlt)
	if !strings.Contains(s.m.flash.text, "needs this step") || s.m.guide.step.ID != "mail" {
		t.Fatalf("MAIL was skipped: %q", s.m.flash.text)
	}

	s = guidedSim(t, 120, 40)
	guidedTLS(s)
	s.press('n', tea.ModCtrl)
	if v := s.m.input.Value(); v != ":auth XOAUTH2" {
		t.Fatalf("ctrl+n gave %q", v)
	}
	s.press('p', tea.ModCtrl)
	s.press('p', tea.ModCtrl)
	if v := s.m.input.Value(); v != ":auth LOGIN" {
		t.Fatalf("ctrl+p ctrl+p gave %q", v)
	}
}

// TestGuidedFailures: the card explains a refusal with session's rule and
// starts the fix: STARTTLS after 530, :auth again after 535, RSET then
// AUTH after a relay refusal, HELO after EHLO's 502.
func TestGuidedFailures(t *testing.T) {
	s := guidedSim(t, 120, 40)
	guidedPlain(s)
	s.press(tea.KeyEscape)
	s.enter("MAIL FROM:<a@example.org>")
	s.reply("530 5.7.0 Must issue a STARTTLS command first.")
	st := s.m.guide.step
	if st.ID != "starttls" || st.Failure == nil || st.Failure.Rule != "starttls-required" || s.m.input.Value() != "STARTTLS" {
		t.Fatalf("after 530: %+v, input %q", st, s.m.input.Value())
	}
	rule, _ := session.LookupRule("starttls-required")
	if !strings.Contains(s.screen(), firstWords(rule.Fix, 6)) {
		t.Errorf("the card lacks the rule's fix %q:\n%s", rule.Fix, s.screen())
	}

	s = guidedSim(t, 120, 40)
	s.connect()
	s.reply("220 old.example SMTP")
	s.step("EHLO ehlo.localhost")
	s.reply("502 5.5.2 Error: command not recognized")
	if st := s.m.guide.step; st.ID != "helo" || s.m.input.Value() != "HELO ehlo.localhost" {
		t.Fatalf("after EHLO 502: %q, input %q", st.ID, s.m.input.Value())
	}
	s.step("HELO ehlo.localhost")
	s.reply("250 old.example")
	if st := s.m.guide.step; st.ID != "mail" || strings.Contains(s.m.input.Value(), "SIZE=") {
		t.Fatalf("after HELO: %q, input %q", st.ID, s.m.input.Value())
	}

	s = guidedSim(t, 120, 40)
	s.connect()
	s.reply("220 mx.example ESMTP")
	s.step("EHLO ehlo.localhost")
	s.reply("250-mx.example", "250 AUTH PLAIN")
	s.press(tea.KeyEscape)
	s.enter("MAIL FROM:<a@example.org>")
	s.reply("250 2.1.0 OK")
	s.press(tea.KeyEscape)
	s.enter("RCPT TO:<x@elsewhere.example>")
	s.reply("554 5.7.1 <x@elsewhere.example>: Relay access denied")
	// AUTH is offered and was not used: the cause is the missing sign-in.
	if st := s.m.guide.step; st.ID != "rset" || st.Failure == nil || st.Failure.Rule != "auth-required" {
		t.Fatalf("after a relay refusal: %+v", st)
	}
	s.step("RSET")
	s.reply("250 2.0.0 OK")
	if st := s.m.guide.step; st.ID != "auth" {
		t.Fatalf("after RSET: %q", st.ID)
	}
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}

// TestExplainPanel opens the panel on a selected reply and on the last one,
// walks to other replies, and closes it; the context replay knows what each
// reply answers, pipelined commands included.
func TestExplainPanel(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.send(tea.PasteMsg{Content: "MAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\nRCPT TO:<c@example.org>\n"})
	s.flush()
	s.reply("250 2.1.0 OK")
	s.reply("250 2.1.5 OK")
	s.reply("550 5.1.1 <c@example.org>: Recipient address rejected: User unknown")
	s.enter(":explain")
	p := s.m.explain
	if !p.open || p.answers != "RCPT TO:<c@example.org>" || p.x.Code != 550 || p.x.Rule != "unknown-user" {
		t.Fatalf("last reply: %+v", p)
	}
	s.press(tea.KeyUp)
	if p := s.m.explain; p.answers != "RCPT TO:<b@example.org>" || p.x.Code != 250 {
		t.Fatalf("previous reply: answers %q code %d", p.answers, p.x.Code)
	}
	s.press(tea.KeyEscape)
	if s.m.explain.open {
		t.Fatal("esc did not close the panel")
	}
	s.press(tea.KeyTab, tea.ModShift)
	s.press(tea.KeyTab, tea.ModShift) // the transcript, past the capabilities
	s.press(tea.KeyHome)              // the first line: the connect note; e explains the greeting after it
	s.typ("e")
	if p := s.m.explain; !p.open || p.answers != "" || p.x.Code != 220 {
		t.Fatalf("greeting: %+v", p)
	}
	s.press(tea.KeyEscape)
	s.press(tea.KeyEnd)
	s.press(tea.KeyEnter)
	if !s.m.explain.open {
		t.Fatal("enter on a reply in the transcript did not open the panel")
	}
}

// TestPasteFiltersControls: the input and the editor drop escapes, C1 and
// format characters from pasted and typed text, and keep the rest.
func TestPasteFiltersControls(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.send(tea.PasteMsg{Content: "NO\x1b[2J\u202eOP\u0085\tx"})
	if v := s.m.input.Value(); v != "NO[2JOP x" {
		t.Fatalf("input %q", v)
	}
	s.press(tea.KeyEscape)
	s.send(tea.KeyPressMsg{Code: 'x', Text: "\x1b]0;pwned\a", Mod: 0})
	if v := s.m.input.Value(); strings.ContainsAny(v, "\x1b\a") {
		t.Fatalf("a key's text put controls in the input: %q", v)
	}

	d := dataSim(t)
	d.enter(":compose")
	d.send(tea.PasteMsg{Content: "a\x1b[31mb\r\nc\u202ed\re"})
	if v := d.m.compose.Value(); !strings.HasSuffix(v, "Subject: a[31mb\ncd\ne") {
		t.Fatalf("editor %q", v)
	}
}

// TestCompress leaves out the time when nothing was on the wire and keeps
// overlapping spans overlapping.
func TestCompress(t *testing.T) {
	ms := time.Millisecond
	spans := []client.Span{
		{Label: "greeting", Start: 0, Took: 10 * ms},
		{Label: "EHLO", Start: 5 * time.Second, Took: 2 * ms},
		{Label: "MAIL FROM", Start: 9 * time.Second, Took: 3 * ms},
		{Label: "RCPT TO", Start: 9*time.Second + 1*ms, Took: 4 * ms},
	}
	out, total, idle := compress(spans)
	if out[1].Start != 10*ms || out[2].Start != 12*ms || out[3].Start != 13*ms {
		t.Fatalf("starts %v %v %v", out[1].Start, out[2].Start, out[3].Start)
	}
	if total != 17*ms || idle != 9*time.Second-12*ms {
		t.Fatalf("total %v idle %v", total, idle)
	}
}

// TestOverlaysFitAnySize: the card, the explain panel and the timing view
// keep every screen exactly the terminal's size, from 80x24 up, whatever
// the resizes; below it nothing panics.
func TestOverlaysFitAnySize(t *testing.T) {
	s := guidedSim(t, 80, 24)
	guidedTLS(s)
	s.step(":auth PLAIN")
	s.enter("alice")
	s.enter("wonderland")
	s.reply("535-5.7.8 Username and Password not accepted. Learn more at", "535 5.7.8  https://support.google.com/mail/?p=BadCredentials")
	for _, size := range [][2]int{{80, 24}, {99, 33}, {133, 41}, {200, 60}, {40, 12}, {20, 5}} {
		s.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		screens := []string{s.m.View().Content}
		s.press(tea.KeyF8)
		screens = append(screens, s.m.View().Content)
		s.press(tea.KeyEscape)
		s.press('t', tea.ModAlt)
		screens = append(screens, s.m.View().Content)
		s.press(tea.KeyEscape)
		if size[0] < 80 || size[1] < 24 {
			continue
		}
		for _, sc := range screens {
			checkSize(t, sc, size[0], size[1])
		}
	}
}

package session

import (
	"strings"
	"testing"
)

// TestNextStepLMTP walks an LMTP session (RFC 2033) with the guide: its
// hello is LHLO on every card that names one, never EHLO nor HELO; a
// refused LHLO has no HELO to fall back to; after the message, the cards
// expect one reply per accepted recipient.
func TestNextStepLMTP(t *testing.T) {
	opts := guideOpts
	opts.LMTP = true
	step := func(g *guideSession) Step {
		o := opts
		o.Answered = g.cmd
		return NextStep(g.s, g.last, o)
	}
	noEHLO := func(name string, st Step) {
		t.Helper()
		for _, text := range []string{st.Title, st.Command, st.Why, st.Expect, st.Note} {
			if strings.Contains(strings.ReplaceAll(text, "never EHLO nor HELO", ""), "EHLO") {
				t.Errorf("%s: %q says EHLO in an LMTP session", name, text)
			}
		}
	}
	g := newGuideSession(t)
	st := step(g)
	noEHLO("greeting", st)
	g.greet("220 lmtp.example LMTP ready")
	if st = step(g); st.ID != "ehlo" || st.Command != "LHLO client.example" || st.RFC != "RFC 2033 4.1" {
		t.Errorf("after the greeting: %s %q %s, want ehlo \"LHLO client.example\" RFC 2033 4.1", st.ID, st.Command, st.RFC)
	}
	noEHLO("hello", st)
	g.do("LHLO client.example", "250-lmtp.example", "250-PIPELINING", "250-CHUNKING", "250 STARTTLS")
	g.do("STARTTLS", "220 2.0.0 Ready")
	noEHLO("handshake", step(g))
	g.tls()
	if st = step(g); st.ID != "ehlo-tls" || st.Command != "LHLO client.example" || st.Title != "LHLO again, inside TLS" {
		t.Errorf("inside TLS: %s %q %q", st.ID, st.Command, st.Title)
	}
	g.do("LHLO client.example", "250-lmtp.example", "250 PIPELINING")
	if st = step(g); st.Note != "LHLO answered 250 with 1 extensions: PIPELINING" {
		t.Errorf("note after LHLO: %q", st.Note)
	}
	g.do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK").do("RCPT TO:<bob@example.org>", "250 2.1.5 OK").
		do("RCPT TO:<carol@example.org>", "250 2.1.5 OK")
	if st = step(g); st.ID != "data" || !strings.Contains(st.Why, "2 replies, in RCPT order") {
		t.Errorf("DATA card: %s %q", st.ID, st.Why)
	}
	g.do("DATA", "354 OK")
	if st = step(g); st.ID != "compose" || !strings.Contains(st.Expect, "one reply per accepted recipient") {
		t.Errorf("compose card: %s %q", st.ID, st.Expect)
	}
	g.s = g.s.DataEnded()
	if st = step(g); st.ID != "end-data" || !strings.HasPrefix(st.Expect, "2 replies, in RCPT order") || st.RFC != "RFC 2033 4.2" {
		t.Errorf("end of data: %s %q %s", st.ID, st.Expect, st.RFC)
	}
}

// TestNextStepLMTPRefused: a refused LHLO is named (lhlo-refused) and
// the next step is LHLO again, never HELO; EHLO typed by hand and refused
// leads back to LHLO.
func TestNextStepLMTPRefused(t *testing.T) {
	opts := guideOpts
	opts.LMTP = true
	for _, c := range []struct{ sent, reply, rule string }{
		{"LHLO client.example", "500 5.5.1 This is not a LMTP server", "lhlo-refused"},
		{"EHLO client.example", "500 5.5.1 This is a LMTP server, use LHLO", ""}, // not SMTP's "fall back to HELO"
	} {
		g := newGuideSession(t).greet("220 x ESMTP").do(c.sent, c.reply)
		o := opts
		o.Answered = g.cmd
		st := NextStep(g.s, g.last, o)
		if st.Command != "LHLO client.example" || st.Failure == nil || st.Failure.Rule != c.rule {
			rule := ""
			if st.Failure != nil {
				rule = st.Failure.Rule
			}
			t.Errorf("%s refused: step %s %q, rule %q; want LHLO client.example, rule %s", c.sent, st.ID, st.Command, rule, c.rule)
		}
		if st.Failure != nil && (strings.Contains(st.Failure.Cause, "HELO speaks SMTP") || strings.Contains(st.Failure.Action, "submission")) {
			t.Errorf("%s refused: SMTP's HELO fallback told in LMTP: %q / %q", c.sent, st.Failure.Cause, st.Failure.Action)
		}
	}
}

// TestExplainHelloInLMTP: the explanation of a refused EHLO or HELO in an
// LMTP session (the explain panel's, the refusal notice's) says LHLO, not
// SMTP's fall back to HELO; in SMTP it stays ehlo-refused.
func TestExplainHelloInLMTP(t *testing.T) {
	r := mustReply(t, "500 5.5.1 This is a LMTP server, use LHLO")
	for _, cmd := range []string{"EHLO client.example", "HELO client.example"} {
		x := Explain(r, ExplainContext{Command: cmd, LMTP: true})
		if x.Rule != "" || !strings.Contains(x.Cause, "LHLO") || !strings.Contains(x.Action, "LHLO") || strings.Contains(x.Cause+x.Action, "fall back") {
			t.Errorf("%s refused in LMTP: rule %q, %q / %q", cmd, x.Rule, x.Cause, x.Action)
		}
	}
	if x := Explain(r, ExplainContext{Command: "EHLO client.example"}); x.Rule != "ehlo-refused" {
		t.Errorf("EHLO refused in SMTP: rule %q, want ehlo-refused", x.Rule)
	}
}

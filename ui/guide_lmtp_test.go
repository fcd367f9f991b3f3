package ui

import (
	"strings"
	"testing"
)

// TestGuidedLMTP: guided mode in an LMTP session (--protocol lmtp) says
// LHLO on every card and prompt, and its cards after DATA expect one reply
// per accepted recipient (RFC 2033 4.1, 4.2). The screen never says EHLO,
// but where it tells the user that LMTP has none.
func TestGuidedLMTP(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		s := guidedSim(t, size[0], size[1])
		s.m.opts.LMTP = true
		s.connect()
		s.reply("220 lmtp.test Dovecot ready.")
		noEHLO := func(when string) {
			t.Helper()
			if screen := s.screen(); strings.Contains(strings.ReplaceAll(screen, "never EHLO nor HELO", ""), "EHLO") {
				t.Errorf("%dx%d %s: the screen says EHLO in LMTP:\n%s", size[0], size[1], when, screen)
			}
		}
		noEHLO("after the greeting")
		if !strings.Contains(s.screen(), "Say LHLO") {
			t.Errorf("%dx%d: no LHLO card after the greeting:\n%s", size[0], size[1], s.screen())
		}
		s.step("LHLO ehlo.localhost")
		s.reply("250-lmtp.test", "250-8BITMIME", "250-CHUNKING", "250-ENHANCEDSTATUSCODES", "250 PIPELINING")
		noEHLO("after LHLO")
		s.step("MAIL FROM:<you@example.org> BODY=8BITMIME")
		s.reply("250 2.1.0 OK")
		s.step("RCPT TO:<someone@example.org>")
		s.reply("250 2.1.5 OK")
		noEHLO("before DATA")
		if !strings.Contains(s.m.guide.step.Why, "its own reply after the message: one reply") {
			t.Errorf("%dx%d DATA card: %q", size[0], size[1], s.m.guide.step.Why)
		}
		s.step("DATA")
		s.reply("354 OK")
		if st := s.m.guide.step; st.ID != "compose" || !strings.Contains(st.Expect, "one reply per accepted recipient") {
			t.Errorf("%dx%d compose card: %s %q", size[0], size[1], st.ID, st.Expect)
		}
		noEHLO("in DATA")
	}
}

// TestLMTPWarnsOfEHLO: EHLO typed in an LMTP session is flagged before
// Enter, with LHLO as the fix; "send EHLO first" reads LHLO.
func TestLMTPWarnsOfEHLO(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.m.opts.LMTP = true
	s.connect()
	s.reply("220 lmtp.test LMTP ready")
	s.typ("EHLO client.example")
	ws := s.m.checkLine()
	if len(ws) == 0 || ws[0].Code != "lmtp-hello" || ws[0].Fix != "LHLO client.example" {
		t.Errorf("EHLO in LMTP: warnings %+v", ws)
	}
	s.m.input = s.m.input.clear()
	s.typ("STARTTLS")
	if ws := s.m.checkLine(); len(ws) != 1 || !strings.Contains(ws[0].Text, "send LHLO first") {
		t.Errorf("STARTTLS before LHLO: warnings %+v", ws)
	}
}

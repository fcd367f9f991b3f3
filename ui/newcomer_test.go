package ui

import (
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
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

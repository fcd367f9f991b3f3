package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
)

// TestTimingLeavesTypingOut: the seconds a user spends typing the answers
// of a hand-typed AUTH exchange and the lines of a message are not time on
// the wire: the waterfall's bars and times are the server's, and the
// typing is said to be left out.
func TestTimingLeavesTypingOut(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.enter("AUTH LOGIN")
	s.reply("334 VXNlcm5hbWU6")
	s.advance(5 * time.Second)
	s.enter("YWxpY2U=")
	s.reply("334 UGFzc3dvcmQ6")
	s.advance(4 * time.Second)
	s.enter("d29uZGVybGFuZA==")
	s.reply("235 2.7.0 Accepted")
	s.toData()
	for _, l := range []string{"Subject: typed", "", "typed by hand", "."} {
		s.advance(10 * time.Second)
		s.enter(l)
	}
	s.reply("250 2.0.0 OK queued")
	spans, total, idle := compress(s.m.timingSpans())
	for _, sp := range spans {
		if (sp.Label == "AUTH LOGIN" || sp.Label == "message") && sp.Took > time.Second {
			t.Errorf("%s takes %v on the wire: the typing is counted", sp.Label, sp.Took)
		}
	}
	if total > time.Second || idle < 49*time.Second {
		t.Errorf("on the wire %v, left out %v: want the typing left out", total, idle)
	}
	s.press('t', tea.ModAlt)
	sc := s.screen()
	if strings.Contains(sc, "(slow)") {
		t.Errorf("typing shows as a slow server:\n%s", sc)
	}
	wantHas(t, "screen", sc, "AUTH LOGIN", "69ms", "message", "the time the server waited for you")
}

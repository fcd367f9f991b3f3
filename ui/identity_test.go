package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
	"github.com/ehlo-sh/ehlo/third_party/teatest"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
)

// TestIdentityRow: on the lab's mx endpoint, with the lab's DNS server as
// resolver, a forged MAIL FROM gets the side panel's id line once its
// reply came (SPF fail, DMARC reject), the lookups show as D: lines, and
// :identity opens the findings with the trace.
func TestIdentityRow(t *testing.T) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m, err := New(Config{Lab: l, Endpoint: "mx", Theme: "mono", DNS: dns.NewClient(l.DNSAddr()),
		Options: client.Options{RootCAs: l.CertPool(), Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	obs := newObserver()
	m.observe = obs.see
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(140, 45),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	idle := func(s snapshot) bool { return s.idle && s.conn == phaseOpen }
	send := func(line string) {
		tm.Type(line)
		tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	}
	obs.wait(t, "the greeting", func(s snapshot) bool { return idle(s) && s.sess.Phase == session.PhaseGreeted })
	send(":identity")
	obs.wait(t, "the hint to type MAIL first", func(s snapshot) bool { return strings.Contains(s.flash, "MAIL FROM") })
	send("EHLO test.example")
	obs.wait(t, "EHLO", func(s snapshot) bool { return idle(s) && s.sess.ESMTP })
	send("MAIL FROM:<eve@" + lab.ForgedDomain + ">")
	s := obs.wait(t, "the id line", func(s snapshot) bool { return idle(s) && strings.Contains(s.screen, "SPF fail") })
	if !strings.Contains(s.screen, "id   127.0.0.1, SPF fail, DMARC fail") {
		t.Errorf("side panel:\n%s", s.screen)
	}
	if !strings.Contains(s.text, "D: TXT forged.test. → NOERROR") {
		t.Errorf("no D: line for the SPF record:\n%s", s.text)
	}
	send(":identity")
	s = obs.wait(t, "the identity panel", func(s snapshot) bool { return idle(s) && strings.Contains(s.screen, "Identity · eve@forged.test") })
	for _, want := range []string{"SPF fail for eve@forged.test", "-all: matches every address", "DMARC of forged.test says reject"} {
		if !strings.Contains(s.screen, want) {
			t.Errorf("panel lacks %q:\n%s", want, s.screen)
		}
	}
	tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

package ui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/wire"
)

// TestCapHotMarkOnly: only the * of STARTTLS and AUTH takes the highlight;
// the other rows start with a plain space, not a highlighted one (which
// draws a coloured bar down the list).
func TestCapHotMarkOnly(t *testing.T) {
	for _, theme := range []string{"dark", "mono"} {
		st, err := themes.New(theme, true)
		if err != nil {
			t.Fatal(err)
		}
		s := newSide(st, nil)
		blank, star := st.CapHot.Render(" "), st.CapHot.Render("*")
		for _, r := range []capRow{
			{c: session.Capability{Keyword: "PIPELINING"}, mark: " "},
			{c: session.Capability{Keyword: "STARTTLS"}, mark: "-"},
		} {
			if line := s.capLine(r, false, 40); strings.Contains(line, blank) || strings.Contains(line, star) {
				t.Errorf("%s: %s row %q has a highlighted marker", theme, r.c.Keyword, line)
			}
		}
		if line := s.capLine(capRow{c: session.Capability{Keyword: "STARTTLS"}, mark: " "}, false, 40); !strings.Contains(line, star) {
			t.Errorf("%s: STARTTLS row %q lacks the highlighted *", theme, line)
		}
	}
}

// postfixCert is the loopback Postfix lab's certificate: more names, and a
// longer subject and issuer, than one line of the side panel holds.
func postfixCert(names ...string) wire.TLSInfo {
	info := gmailCert()
	info.ServerName = "localhost"
	info.Chain[0].Subject = "CN=localhost,O=ehlo postfix lab"
	info.Chain[0].Issuer = "CN=ehlo postfix lab CA,O=ehlo postfix lab"
	info.Chain[0].DNSNames = names
	info.Chain[0].IPs = []string{"127.0.0.1"}
	return info
}

// TestCertNamesWrap: the certificate's subject, names and issuer wrap in
// the side panel, as its sha256 does, so an admin checking a name
// mismatch sees every name; a list too long for the panel says how many
// names it leaves out. The layout holds at every size.
func TestCertNamesWrap(t *testing.T) {
	cert := postfixCert("localhost", "postfix.lab.test")
	s := newSim(t, "dark", 120, 40)
	gmailTLSWith(s, cert)
	sc := s.screen()
	for _, want := range []string{"names   localhost, postfix.lab.test,", "        127.0.0.1", "subject CN=localhost,O=ehlo postfix", "issuer  CN=ehlo postfix lab CA,O=ehlo"} {
		if !strings.Contains(sc, want) {
			t.Errorf("%q is not on screen:\n%s", want, sc)
		}
	}
	for _, size := range [][2]int{{120, 40}, {100, 30}, {80, 24}} {
		s := newSim(t, "dark", size[0], size[1])
		gmailTLSWith(s, cert)
		checkSize(t, s.m.View().Content, size[0], size[1])
	}

	many := make([]string, 40) // and the IP: 41 names
	for i := range many {
		many[i] = fmt.Sprintf("mx%02d.example.org", i)
	}
	s = newSim(t, "dark", 120, 40)
	gmailTLSWith(s, postfixCert(many...))
	checkSize(t, s.m.View().Content, 120, 40)
	sc = s.screen()
	if !strings.Contains(sc, "names   mx00.example.org,") || !strings.Contains(sc, "        … 36 more") {
		t.Errorf("40 names: not wrapped, or no count of those left out:\n%s", sc)
	}
}

// postfixTLS plays a session with the loopback Postfix lab through
// STARTTLS and the second EHLO: ten capabilities, AUTH among them, and
// STARTTLS gone.
func postfixTLS(s *sim) {
	s.t.Helper()
	caps := []string{"PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING"}
	ehlo := func(caps []string) {
		lines := []string{"250-postfix.lab.test"}
		for i, c := range caps {
			sep := "-"
			if i == len(caps)-1 {
				sep = " "
			}
			lines = append(lines, "250"+sep+c)
		}
		s.enter("EHLO client.example")
		s.reply(lines...)
	}
	s.connect()
	s.reply("220 postfix.lab.test ESMTP Postfix")
	ehlo(caps)
	s.enter("STARTTLS")
	s.reply("220 2.0.0 Ready to start TLS")
	s.starttls(postfixCert("localhost", "postfix.lab.test"))
	caps[4] = "AUTH PLAIN LOGIN"
	ehlo(caps)
}

// TestShortPanelKeepsWhatMatters: when the side panel is too short for
// the whole list after STARTTLS, the explanation goes first; the list
// keeps AUTH and the capability that vanished, says how many others it
// leaves out, and the certificate's verdict stays. A panel tall enough
// shows every capability.
func TestShortPanelKeepsWhatMatters(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {120, 40}} {
		s := newSim(t, "dark", size[0], size[1])
		postfixTLS(s)
		checkSize(t, s.m.View().Content, size[0], size[1])
		sc := s.screen()
		for _, want := range []string{"AUTH appeared after", "+*AUTH PLAIN LOGIN", "- STARTTLS", "✓ certificate verified"} {
			if !strings.Contains(sc, want) {
				t.Errorf("%dx%d: %q is not on screen:\n%s", size[0], size[1], want, sc)
			}
		}
		if size[1] == 40 && (strings.Contains(sc, "more ") || !strings.Contains(sc, "CHUNKING ")) {
			t.Errorf("%dx%d: not every capability shows:\n%s", size[0], size[1], sc)
		}
		if size[1] == 24 && !regexp.MustCompile(`… \d+ more`).MatchString(sc) {
			t.Errorf("%dx%d: no count of the capabilities left out:\n%s", size[0], size[1], sc)
		}
	}
}

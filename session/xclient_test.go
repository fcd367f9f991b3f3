package session

import (
	"errors"
	"strings"
	"testing"
)

func TestXClient(t *testing.T) {
	for _, tt := range []struct {
		pairs []string
		want  string
	}{
		{[]string{"ADDR=192.0.2.7"}, "XCLIENT ADDR=192.0.2.7"},
		{[]string{"addr=2001:db8::7", "name=mail.example.org"}, "XCLIENT ADDR=IPV6:2001:db8::7 NAME=mail.example.org"},
		{[]string{"ADDR=IPv6:2001:DB8::7"}, "XCLIENT ADDR=IPV6:2001:db8::7"},
		{[]string{"ADDR=::ffff:192.0.2.7"}, "XCLIENT ADDR=192.0.2.7"},
		{[]string{"NAME=[unavailable]", "PROTO=esmtp", "PORT=4242"}, "XCLIENT NAME=[UNAVAILABLE] PROTO=ESMTP PORT=4242"},
		{[]string{"HELO=a b+c=d"}, "XCLIENT HELO=a+20b+2Bc+3Dd"}, // xtext, RFC 3461 4
		{[]string{"LOGIN=alice"}, "XCLIENT LOGIN=alice"},
		{[]string{"HELO=a\r\nRSET"}, "XCLIENT HELO=a+0D+0ARSET"}, // no second command smuggled
	} {
		got, err := XClient(tt.pairs)
		if err != nil || got != tt.want {
			t.Errorf("XClient(%q) = %q, %v; want %q", tt.pairs, got, err, tt.want)
		}
	}
}

func TestXClientRejects(t *testing.T) {
	for _, pairs := range [][]string{
		nil, {"ADDR"}, {"=x"}, {"FOO=1"}, {"ADDR=mail.example.org"}, {"PORT=70000"}, {"PORT=x"},
		{"PROTO=LMTP"}, {"NAME="},
	} {
		if line, err := XClient(pairs); err == nil {
			t.Errorf("XClient(%q) = %q, accepted", pairs, line)
		} else if !errors.Is(err, ErrBadCommand) {
			t.Errorf("XClient(%q): %v is not ErrBadCommand", pairs, err)
		}
	}
}

func TestXClientOffered(t *testing.T) {
	caps := ParseEHLO(Reply{Code: 250, Lines: []string{"mx.test", "XCLIENT NAME ADDR PROTO HELO", "PIPELINING"}})
	got, ok := XClientOffered(caps)
	if !ok || strings.Join(got, " ") != "NAME ADDR PROTO HELO" {
		t.Errorf("XClientOffered = %q, %v", got, ok)
	}
	if _, ok := XClientOffered(Capabilities{}); ok {
		t.Error("offered without the capability")
	}
}

// XCLIENT's 220 is a new session: EHLO's capabilities and a sign-in are
// gone, TLS stays (XCLIENT_README).
func TestStateAfterXClient(t *testing.T) {
	s := State{}.Greeting(Reply{Code: 220})
	s = s.Sent("EHLO me").Received(Reply{Code: 250, Lines: []string{"mx.test", "XCLIENT ADDR", "PIPELINING"}})
	s.Authenticated, s.TLS = true, true
	s = s.Sent("XCLIENT ADDR=192.0.2.7").Received(Reply{Code: 220, Lines: []string{"mx.test ESMTP"}})
	if s.Phase != PhaseGreeted || s.ESMTP || len(s.Caps.List) != 0 || s.Authenticated || !s.TLS {
		t.Errorf("after XCLIENT 220: %+v", s)
	}
	s2 := State{}.Greeting(Reply{Code: 220}).Sent("EHLO me").Received(Reply{Code: 250, Lines: []string{"mx.test", "PIPELINING"}})
	if s3 := s2.Sent("XCLIENT ADDR=192.0.2.7").Received(Reply{Code: 550, Lines: []string{"5.7.0 insufficient authorization"}}); !s3.ESMTP || s3.Phase != PhaseReady {
		t.Errorf("a refused XCLIENT changed the session: %+v", s3)
	}
}

func TestLMTP(t *testing.T) {
	if line, err := Lhlo("client.test"); err != nil || line != "LHLO client.test" {
		t.Errorf("Lhlo = %q, %v", line, err)
	}
	if _, err := Lhlo("two words"); err == nil {
		t.Error("Lhlo accepted two words")
	}
	if DataReplies(false, 3) != 1 || DataReplies(true, 3) != 3 {
		t.Error("DataReplies: one in SMTP, one per recipient accepted in LMTP")
	}
	ok := Delivery{Rcpt: "a@x", Reply: Reply{Code: 250}}
	no := Delivery{Rcpt: "b@x", Reply: Reply{Code: 452}}
	if !AllDelivered([]Delivery{ok, ok}) || AllDelivered([]Delivery{ok, no}) || AllDelivered(nil) {
		t.Error("AllDelivered: every reply 2xx, and at least one")
	}
	// LHLO's 250 gives the capabilities, as EHLO's does
	s := State{}.Greeting(Reply{Code: 220}).Sent("LHLO me").Received(Reply{Code: 250, Lines: []string{"lmtp.test", "PIPELINING", "8BITMIME"}})
	if !s.ESMTP || !s.Caps.Has("8BITMIME") || s.Phase != PhaseReady {
		t.Errorf("after LHLO: %+v", s)
	}
	if !IsVerb("LHLO") {
		t.Error("LHLO is no verb")
	}
}

func TestIPLiterals(t *testing.T) {
	for s, want := range map[string]bool{
		"192.0.2.7": true, "255.255.255.255": true, "256.1.1.1": false, "1.2.3": false, "01.2.3.4": false,
	} {
		if isIPv4(s) != want {
			t.Errorf("isIPv4(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{
		"2001:db8::7": true, "::1": true, "::": true, "1:2:3:4:5:6:7:8": true, "1:2:3:4:5:6:7": false,
		"1:2:3:4:5:6:7:8:9": false, "1::2::3": false, "12345::1": false, "g::1": false, "64:ff9b::192.0.2.7": true,
		"1:2:3:4:5:6:192.0.2.7": true, "192.0.2.7::1": false, "mail.example.org": false, "1:2:3:4:5:6:7::": true,
	} {
		if isIPv6(s) != want {
			t.Errorf("isIPv6(%q) != %v", s, want)
		}
	}
}

// TestXClientWords: a refused XCLIENT argument says which attribute is
// wrong and, for an unknown one, lists Postfix's, in words: never "bad
// command line".
func TestXClientWords(t *testing.T) {
	all := "NAME, REVERSE_NAME, ADDR, PORT, PROTO, HELO, LOGIN, DESTADDR and DESTPORT"
	for pair, want := range map[string]string{
		"BOGUS=1":  "XCLIENT BOGUS=1: BOGUS is not an XCLIENT attribute; the attributes are " + all,
		"port=x":   "XCLIENT port=x: PORT takes a port from 0 to 65535, or [UNAVAILABLE]",
		"ADDR":     "XCLIENT ADDR: want ATTR=VALUE, such as ADDR=192.0.2.7; the attributes are " + all,
		"PROTO=X":  "XCLIENT PROTO=X: PROTO takes SMTP or ESMTP, or [UNAVAILABLE]",
		"\x1b[2J=": `XCLIENT \x1b[2J=: \x1b[2J is not an XCLIENT attribute`,
	} {
		_, err := XClient([]string{pair})
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "bad command line") {
			t.Errorf("XClient(%q): %v; want %q", pair, err, want)
		}
	}
}

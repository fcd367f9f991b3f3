package session

import (
	"testing"
)

// TestCheckSyntax: typos and syntax a server will refuse are warned about
// before the line goes, with the line that was probably meant.
func TestCheckSyntax(t *testing.T) {
	ready := State{Phase: PhaseReady, ESMTP: true, Caps: Capabilities{List: []Capability{{Keyword: "8BITMIME"}}}}
	utf8 := ready
	utf8.Caps = Capabilities{List: []Capability{{Keyword: "SMTPUTF8"}}}
	inMail := ready
	inMail.Phase = PhaseMail
	greeted := State{Phase: PhaseGreeted}
	dataDue := inMail
	dataDue.Phase = PhaseRcpt
	dataDue = dataDue.Sent("DATA")
	cases := []struct {
		name      string
		s         State
		line      string
		code, fix string // "" for no warning of the kind
	}{
		{"EHOL", greeted, "EHOL client.example", "unknown-verb", "EHLO client.example"},
		{"lower-case typo", greeted, "ehol client.example", "unknown-verb", "EHLO client.example"},
		{"STARTLS", ready, "STARTLS", "unknown-verb", "STARTTLS"},
		{"a word nothing like a verb", ready, "xyzzy plugh", "unknown-verb", ""},
		{"HELLO", greeted, "HELLO client.example", "unknown-verb", "HELO client.example"},
		{"a known verb", ready, "NOOP", "", ""},
		{"ETRN is known", ready, "ETRN example.org", "", ""},
		{"MAIL without colon and brackets", ready, "MAIL FROM alice@x", "mail-syntax", "MAIL FROM:<alice@x>"},
		{"MAIL without brackets", ready, "MAIL FROM:alice@x SIZE=10", "mail-syntax", "MAIL FROM:<alice@x> SIZE=10"},
		{"MAIL without FROM", ready, "MAIL <alice@x>", "mail-syntax", "MAIL FROM:<alice@x>"},
		{"MAIL right", ready, "mail from:<alice@x>", "", ""},
		{"MAIL null sender", ready, "MAIL FROM:<>", "", ""},
		{"RCPT without colon", inMail, "RCPT TO <bob@x>", "rcpt-syntax", "RCPT TO:<bob@x>"},
		{"RCPT right", inMail, "RCPT TO:<bob@x>", "", ""},
		{"Subject outside DATA", ready, "Subject: hello", "header-outside-data", ""},
		{"Subject while DATA awaits 354", dataDue, "Subject: hello", "", ""},
		{"a UTF-8 sender without SMTPUTF8", ready, "MAIL FROM:<jörg@bücher.example>", "utf8-address", ""},
		{"a UTF-8 recipient without SMTPUTF8", inMail, "RCPT TO:<jörg@bücher.example>", "utf8-address", ""},
		{"a UTF-8 sender, SMTPUTF8 offered, not asked for", utf8, "MAIL FROM:<jörg@bücher.example>", "utf8-address", "MAIL FROM:<jörg@bücher.example> SMTPUTF8"},
		{"a UTF-8 sender with SMTPUTF8", utf8, "MAIL FROM:<jörg@bücher.example> SMTPUTF8", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got *Warning
			for _, w := range c.s.Check(c.line) {
				switch w.Code {
				case "unknown-verb", "mail-syntax", "rcpt-syntax", "header-outside-data", "utf8-address":
					got = &w
				}
			}
			switch {
			case c.code == "" && got != nil:
				t.Errorf("unexpected %+v", *got)
			case c.code != "" && got == nil:
				t.Errorf("no %s warning", c.code)
			case c.code != "" && (got.Code != c.code || got.Fix != c.fix || got.Text == ""):
				t.Errorf("got %+v, want %s fix %q", *got, c.code, c.fix)
			}
		})
	}
}

// TestRefusedRecipients: a refused RCPT is kept with its code for the
// transaction, and forgotten with it.
func TestRefusedRecipients(t *testing.T) {
	r := func(line string) Reply { x, _ := ParseReply([]string{line}); return x }
	s := State{Phase: PhaseReady, ESMTP: true}
	s = s.Sent("RCPT TO:<early@x>").Received(r("503 5.5.1 MAIL first"))
	s = s.Sent("MAIL FROM:<a@x>").Received(r("250 OK"))
	s = s.Sent("RCPT TO:<nobody@x>").Received(r("550 5.1.1 no"))
	s = s.Sent("RCPT TO:<later@x>").Received(r("450 4.2.1 try later"))
	s = s.Sent("RCPT TO:<bob@x>").Received(r("250 OK"))
	want := []Refusal{{"nobody@x", 550}, {"later@x", 450}}
	if len(s.Refused) != 2 || s.Refused[0] != want[0] || s.Refused[1] != want[1] || len(s.Rcpts) != 1 {
		t.Fatalf("refused %+v, rcpts %q", s.Refused, s.Rcpts)
	}
	if s = s.Sent("RSET").Received(r("250 OK")); s.Refused != nil {
		t.Errorf("RSET kept %+v", s.Refused)
	}
}

package session

import (
	"strings"
	"testing"
)

// guideReply parses reply lines for the guide's tests.
func guideReply(t *testing.T, lines ...string) *Reply {
	t.Helper()
	r, err := ParseReply(lines)
	if err != nil {
		t.Fatal(err)
	}
	return &r
}

// guideSession plays a session through State: each step sends a command
// (or none for the greeting) and applies its reply.
type guideSession struct {
	t    *testing.T
	s    State
	last *Reply
	cmd  string
}

func (g *guideSession) greet(lines ...string) *guideSession {
	g.last, g.cmd = guideReply(g.t, lines...), ""
	g.s = g.s.Greeting(*g.last)
	return g
}

func (g *guideSession) do(cmd string, lines ...string) *guideSession {
	g.last, g.cmd = guideReply(g.t, lines...), cmd
	if cmd == "." {
		g.s = g.s.DataEnded().Received(*g.last)
	} else {
		g.s = g.s.Sent(cmd).Received(*g.last)
	}
	return g
}

func (g *guideSession) tls() *guideSession {
	g.s, g.last, g.cmd = g.s.TLSStarted(), nil, ""
	return g
}

var (
	guidePlainEHLO = []string{"250-mx.example", "250-SIZE 35882577", "250-STARTTLS", "250 8BITMIME"}
	guideTLSEHLO   = []string{"250-mx.example", "250-SIZE 35882577", "250-AUTH PLAIN LOGIN CRAM-MD5 GSSAPI", "250 8BITMIME"}
	guideOpts      = GuideOptions{Helo: "client.example", User: "alice", From: "alice@example.org", To: []string{"bob@example.org", "carol@example.org"}}
)

func newGuideSession(t *testing.T) *guideSession { return &guideSession{t: t} }

func guideAuthed(t *testing.T) *guideSession {
	return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guidePlainEHLO...).
		do("STARTTLS", "220 2.0.0 Ready").tls().do("EHLO client.example", guideTLSEHLO...).
		do(`AUTH PLAIN <redacted user="alice">`, "235 2.7.0 Accepted")
}

// TestReplyNoteSaysCodeOnce: the note on a reply names its code once, not
// again in the rule's title ("AUTH answered 235 2.7.0: Signed in (235)").
func TestReplyNoteSaysCodeOnce(t *testing.T) {
	g := guideAuthed(t)
	opts := guideOpts
	opts.Answered = g.cmd
	if st := NextStep(g.s, g.last, opts); st.Note != "AUTH answered 235 2.7.0: Signed in" {
		t.Errorf("note %q", st.Note)
	}
}

func TestNextStep(t *testing.T) {
	type check struct {
		id, command string
		rule        string // the Failure's rule; "" for none
		note        string // a fragment of Note
		skippable   bool
	}
	cases := []struct {
		name  string
		play  func(t *testing.T) *guideSession
		opts  func(o GuideOptions) GuideOptions
		pend  string // a command in flight, sent after play
		check check
	}{
		{name: "before the greeting", play: newGuideSession, check: check{id: "greeting"}},
		{name: "greeted", play: func(t *testing.T) *guideSession { return newGuideSession(t).greet("220 mx.example ESMTP") },
			check: check{id: "ehlo", command: "EHLO client.example", note: "greeted: mx.example ESMTP"}},
		{name: "greeted, no helo name", play: func(t *testing.T) *guideSession { return newGuideSession(t).greet("220 mx.example ESMTP") },
			opts: func(o GuideOptions) GuideOptions { o.Helo = ""; return o }, check: check{id: "ehlo", command: "EHLO localhost"}},
		{name: "EHLO unknown: HELO", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 old.example").do("EHLO client.example", "502 5.5.2 Error: command not recognized")
		}, check: check{id: "helo", command: "HELO client.example", rule: "ehlo-refused"}},
		{name: "plaintext EHLO offers STARTTLS", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guidePlainEHLO...)
		}, check: check{id: "starttls", command: "STARTTLS", note: "AUTH is offered only after STARTTLS", skippable: true}},
		{name: "STARTTLS skipped, no AUTH: MAIL", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guidePlainEHLO...)
		}, opts: func(o GuideOptions) GuideOptions { o.Skipped = []string{"starttls"}; return o },
			check: check{id: "mail", command: "MAIL FROM:<alice@example.org> SIZE=2048 BODY=8BITMIME"}},
		{name: "220 to STARTTLS: the handshake", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guidePlainEHLO...).do("STARTTLS", "220 2.0.0 Ready")
		}, check: check{id: "handshake", note: "the TLS handshake starts now"}},
		{name: "implicit TLS: the first EHLO, no STARTTLS story", play: func(t *testing.T) *guideSession {
			g := newGuideSession(t)
			g.s.TLS, g.s.ImplicitTLS = true, true // as a connection to port 465 starts
			return g.greet("220 mx.example ESMTP")
		}, check: check{id: "ehlo", command: "EHLO client.example"}},
		{name: "own recipient accepted, none given: DATA, not a made-up one", play: func(t *testing.T) *guideSession {
			return guideAuthed(t).do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK").do("RCPT TO:<carl@example.net>", "250 2.1.5 OK")
		}, opts: func(o GuideOptions) GuideOptions { o.To = nil; return o }, check: check{id: "data", command: "DATA"}},
		{name: "STARTTLS after HELO: EHLO inside TLS", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("HELO client.example", "250 mx.example").do("STARTTLS", "220 2.0.0 Ready").tls()
		}, check: check{id: "ehlo-tls", command: "EHLO client.example", note: "TLS is on"}},
		{name: "TLS on: EHLO again", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guidePlainEHLO...).do("STARTTLS", "220 2.0.0 Ready").tls()
		}, check: check{id: "ehlo-tls", command: "EHLO client.example", note: "TLS is on"}},
		{name: "AUTH appeared: sign in", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guidePlainEHLO...).
				do("STARTTLS", "220 2.0.0 Ready").tls().do("EHLO client.example", guideTLSEHLO...)
		}, check: check{id: "auth", command: ":auth CRAM-MD5 alice", note: "AUTH appeared after STARTTLS (+AUTH PLAIN LOGIN CRAM-MD5 GSSAPI)", skippable: true}},
		{name: "AUTH, PLAIN chosen", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guideTLSEHLO...)
		}, opts: func(o GuideOptions) GuideOptions { o.Mechanism = "plain"; return o }, check: check{id: "auth", command: ":auth PLAIN alice", skippable: true}},
		{name: "AUTH under way", play: guideAuthed, pend: "AUTH LOGIN", check: check{id: "auth-exchange"}},
		{name: "334 decoded", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guideTLSEHLO...).do("AUTH LOGIN", "334 VXNlcm5hbWU6")
		}, check: check{id: "auth-exchange", note: `the server asks "Username:"`}},
		{name: "535: sign in again", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guideTLSEHLO...).
				do(`AUTH PLAIN <redacted user="alice">`, "535 5.7.8 Username and Password not accepted")
		}, check: check{id: "auth", command: ":auth CRAM-MD5 alice", rule: "auth-bad-credentials", skippable: true}},
		{name: "530 to MAIL in plaintext: STARTTLS first", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guidePlainEHLO...).
				do("MAIL FROM:<a@example.org>", "530 5.7.0 Must issue a STARTTLS command first.")
		}, opts: func(o GuideOptions) GuideOptions { o.Skipped = []string{"starttls"}; return o },
			check: check{id: "starttls", command: "STARTTLS", rule: "starttls-required", skippable: true}},
		{name: "signed in: MAIL with SIZE and BODY", play: guideAuthed, check: check{id: "mail", command: "MAIL FROM:<alice@example.org> SIZE=2048 BODY=8BITMIME", note: "Signed in"}},
		{name: "no SIZE advertised: MAIL without it", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", "250-mx.example", "250 8BITMIME")
		}, check: check{id: "mail", command: "MAIL FROM:<alice@example.org> BODY=8BITMIME"}},
		{name: "no 8BITMIME: a 7bit draft, no BODY", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", "250-mx.example", "250 SIZE 1000000")
		}, check: check{id: "mail", command: "MAIL FROM:<alice@example.org> SIZE=2048"}},
		{name: "a UTF-8 address: SMTPUTF8", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", "250-mx.example", "250-8BITMIME", "250 SMTPUTF8")
		}, opts: func(o GuideOptions) GuideOptions { o.From = "jörg@bücher.example"; return o },
			check: check{id: "mail", command: "MAIL FROM:<jörg@bücher.example> BODY=8BITMIME SMTPUTF8"}},
		{name: "sender accepted: RCPT", play: func(t *testing.T) *guideSession {
			return guideAuthed(t).do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK")
		}, check: check{id: "rcpt", command: "RCPT TO:<bob@example.org>", note: "The sender was accepted"}},
		{name: "relay denied without AUTH: RSET, then sign in", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guideTLSEHLO...).
				do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK").
				do("RCPT TO:<bob@example.org>", "554 5.7.1 <bob@example.org>: Relay access denied")
		}, check: check{id: "rset", command: "RSET", rule: "auth-required"}},
		{name: "relay denied at an MX: the next recipient", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", "250-mx.example", "250 SIZE 1000000").
				do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK").
				do("RCPT TO:<bob@example.org>", "554 5.7.1 <bob@example.org>: Relay access denied")
		}, opts: func(o GuideOptions) GuideOptions { o.Refused = []string{"RCPT TO:<bob@example.org>"}; return o },
			check: check{id: "rcpt", command: "RCPT TO:<carol@example.org>", rule: "relay-denied"}},
		{name: "every recipient refused: postmaster", play: func(t *testing.T) *guideSession {
			return newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", "250-mx.example", "250 SIZE 1000000").
				do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK").
				do("RCPT TO:<carol@example.org>", "550 5.1.1 <carol@example.org>: User unknown")
		}, opts: func(o GuideOptions) GuideOptions {
			o.Refused = []string{"RCPT TO:<bob@example.org>", "RCPT TO:<carol@example.org>"}
			return o
		}, check: check{id: "rcpt", command: "RCPT TO:<postmaster@mx.example>", rule: "unknown-user"}},
		{name: "one recipient in: the next", play: func(t *testing.T) *guideSession {
			return guideAuthed(t).do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK").do("RCPT TO:<bob@example.org>", "250 2.1.5 OK")
		}, check: check{id: "rcpt", command: "RCPT TO:<carol@example.org>", note: "The recipient was accepted", skippable: true}},
		{name: "more recipients skipped: DATA", play: func(t *testing.T) *guideSession {
			return guideAuthed(t).do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK").do("RCPT TO:<bob@example.org>", "250 2.1.5 OK")
		}, opts: func(o GuideOptions) GuideOptions { o.Skipped = []string{"rcpt"}; return o }, check: check{id: "data", command: "DATA"}},
		{name: "354: compose", play: func(t *testing.T) *guideSession {
			return guideAuthed(t).do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK").do("RCPT TO:<bob@example.org>", "250 2.1.5 OK").
				do("RCPT TO:<carol@example.org>", "250 2.1.5 OK").do("DATA", "354 Go ahead")
		}, check: check{id: "compose", command: ":compose"}},
		{name: "the final dot in flight", play: func(t *testing.T) *guideSession {
			return guideAuthed(t).do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK").do("RCPT TO:<bob@example.org>", "250 2.1.5 OK").
				do("DATA", "354 Go ahead")
		}, pend: ".", check: check{id: "end-data"}},
		{name: "message accepted: QUIT", play: func(t *testing.T) *guideSession {
			return guideAuthed(t).do("MAIL FROM:<alice@example.org>", "250 2.1.0 OK").do("RCPT TO:<bob@example.org>", "250 2.1.5 OK").
				do("DATA", "354 Go ahead").do(".", "250 2.0.0 OK queued")
		}, check: check{id: "quit", command: "QUIT", note: "The message was accepted"}},
		{name: "552: the size limit", play: func(t *testing.T) *guideSession {
			return guideAuthed(t).do("MAIL FROM:<alice@example.org> SIZE=99999999", "552 5.3.4 Message size exceeds fixed maximum message size")
		}, check: check{id: "mail", command: "MAIL FROM:<alice@example.org> SIZE=2048 BODY=8BITMIME", rule: "size-exceeded"}},
		{name: "221: done", play: func(t *testing.T) *guideSession { return guideAuthed(t).do("QUIT", "221 2.0.0 Bye") },
			check: check{id: "done", command: ":reconnect"}},
		{name: "421: closed", play: func(t *testing.T) *guideSession {
			return guideAuthed(t).do("NOOP", "421 4.7.0 Try again later, closing connection.")
		},
			check: check{id: "closed", command: ":reconnect", rule: "server-closing"}},
		{name: "another command in flight", play: guideAuthed, pend: "NOOP", check: check{id: "wait"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := c.play(t)
			opts := guideOpts
			if c.opts != nil {
				opts = c.opts(opts)
			}
			opts.Answered = g.cmd
			s := g.s
			if c.pend == "." {
				s = s.DataEnded()
			} else if c.pend != "" {
				s = s.Sent(c.pend)
			}
			st := NextStep(s, g.last, opts)
			want := c.check
			if st.ID != want.id || st.Command != want.command || st.Skippable != want.skippable {
				t.Errorf("step %q %q skippable %v, want %q %q %v", st.ID, st.Command, st.Skippable, want.id, want.command, want.skippable)
			}
			switch {
			case want.rule == "" && st.Failure != nil:
				t.Errorf("unexpected failure %q", st.Failure.Rule)
			case want.rule != "" && (st.Failure == nil || st.Failure.Rule != want.rule):
				t.Errorf("failure %+v, want rule %q", st.Failure, want.rule)
			}
			if !strings.Contains(st.Note, want.note) {
				t.Errorf("note %q, want %q in it", st.Note, want.note)
			}
			if st.Title == "" || st.RFC == "" || (st.Command != "" && st.Why == "") {
				t.Errorf("incomplete step %+v", st)
			}
		})
	}
}

// TestNextStepChoices: the AUTH step offers the advertised mechanisms ehlo
// speaks, in the server's order, the preferred one chosen.
func TestNextStepChoices(t *testing.T) {
	g := newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guideTLSEHLO...)
	st := NextStep(g.s, g.last, GuideOptions{Answered: g.cmd})
	if strings.Join(st.Choices, " ") != "PLAIN LOGIN CRAM-MD5" || st.Choices[st.Choice] != "CRAM-MD5" || st.Command != ":auth CRAM-MD5" {
		t.Fatalf("choices %q, chosen %d, command %q", st.Choices, st.Choice, st.Command)
	}
}

// TestNextStepFailureIsExplain: a failed step's explanation is
// session.Explain's, so cards, the explain panel and doctor agree.
func TestNextStepFailureIsExplain(t *testing.T) {
	g := newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guideTLSEHLO...).
		do(`AUTH PLAIN <redacted user="alice">`, "534-5.7.9 Application-specific password required. Learn more at", "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor")
	st := NextStep(g.s, g.last, GuideOptions{Answered: g.cmd})
	want := Explain(*g.last, g.s.ExplainContext(g.cmd))
	if st.Failure == nil || st.Failure.Rule != want.Rule || st.Failure.Action != want.Action || st.Failure.Known == nil {
		t.Fatalf("failure %+v, want %+v", st.Failure, want)
	}
	rule, _ := LookupRule("auth-app-password")
	if st.Failure.Action != rule.Fix {
		t.Errorf("the fix is not the rule's: %q", st.Failure.Action)
	}
}

func TestGuideMessageSize(t *testing.T) {
	n := GuideMessageSize("alice@example.org", []string{"bob@example.org"})
	if n%1024 != 0 || n < 1024+200 {
		t.Fatalf("size %d", n)
	}
	if m := GuideMessageSize("alice@example.org", []string{strings.Repeat("b", 900) + "@example.org"}); m <= n {
		t.Errorf("a longer header gives %d, not more than %d", m, n)
	}
}

// TestSignInExpectsWhatTheMechanismDoes: PLAIN gets no 334 (its response
// rides on the AUTH line); LOGIN two; CRAM-MD5 one.
func TestSignInExpectsWhatTheMechanismDoes(t *testing.T) {
	g := newGuideSession(t).greet("220 mx.example ESMTP").do("EHLO client.example", guideTLSEHLO...)
	for mech, want := range map[string]string{"PLAIN": "no 334", "LOGIN": "334 for the user name, 334 for the password", "CRAM-MD5": "one 334 challenge"} {
		opts := guideOpts
		opts.Mechanism = mech
		if st := NextStep(g.s, g.last, opts); st.ID != "auth" || !strings.Contains(st.Expect, want) {
			t.Errorf("%s: step %q expects %q, want %q in it", mech, st.ID, st.Expect, want)
		}
	}
}

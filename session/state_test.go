package session

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// exchange sends line and applies the reply text.
func exchange(t *testing.T, s State, line, reply string) State {
	t.Helper()
	return s.Sent(line).Received(mustReply(t, reply))
}

func codes(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Code)
	}
	return out
}

// TestGmailSession walks a whole submission session as smtp.gmail.com:587
// plays it (fixtures README).
func TestGmailSession(t *testing.T) {
	var s State
	if s.Phase != PhaseConnected || s.Expect() != "greeting" {
		t.Fatalf("zero State: %v, %q", s.Phase, s.Expect())
	}
	s = s.Greeting(mustReply(t, "220 smtp.gmail.com ESMTP n87sm3405999pfi.122 - gsmtp"))
	if s.Phase != PhaseGreeted || s.Expect() != "EHLO" {
		t.Fatalf("after greeting: %v, %q", s.Phase, s.Expect())
	}

	s = s.Sent("ehlo [127.0.1.1]")
	if s.Pending != "ehlo [127.0.1.1]" || s.Expect() != "server reply" {
		t.Fatalf("pending %q, expect %q", s.Pending, s.Expect())
	}
	s = s.Received(fixture(t, "gmail-ehlo-plain"))
	if s.Phase != PhaseReady || !s.ESMTP || s.Caps.Has("AUTH") || s.Pending != "" || s.Expect() != "STARTTLS" {
		t.Fatalf("after EHLO: %+v, expect %q", s, s.Expect())
	}

	ws := s.Check("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=")
	if !slices.Equal(codes(ws), []string{"auth-before-starttls-needed"}) ||
		ws[0].Text != "credentials would travel in clear, and this server advertises AUTH only after STARTTLS" {
		t.Fatalf("Check(AUTH PLAIN) = %+v", ws)
	}
	for _, w := range ws {
		if strings.Contains(w.Text, "AGFsaWNl") {
			t.Errorf("warning quotes the secret: %q", w.Text)
		}
	}
	if ws := s.Check("STARTTLS"); len(ws) != 0 {
		t.Errorf("Check(STARTTLS) = %+v", ws)
	}

	s = exchange(t, s, "STARTTLS", "220 2.0.0 Ready to start TLS")
	if s.TLS || s.Phase != PhaseReady || s.Pending != "" {
		t.Fatalf("220 alone must not upgrade: %+v", s)
	}
	s = s.TLSStarted()
	if !s.TLS || s.ESMTP || s.Phase != PhaseGreeted || s.Caps.Has("SIZE") || s.PlainCaps == nil || s.Expect() != "EHLO" {
		t.Fatalf("after TLS: %+v, expect %q", s, s.Expect())
	}
	if _, ok := s.CapsDiff(); ok {
		t.Error("CapsDiff before the second EHLO")
	}

	s = s.Sent("ehlo [127.0.1.1]").Received(fixture(t, "gmail-ehlo-tls"))
	if s.Phase != PhaseReady || !s.Caps.Has("AUTH") || s.Expect() != "AUTH" {
		t.Fatalf("after second EHLO: %+v, expect %q", s, s.Expect())
	}
	d, ok := s.CapsDiff()
	if !ok || len(d.Added) != 1 || d.Added[0].Keyword != "AUTH" || len(d.Removed) != 1 || d.Removed[0].Keyword != "STARTTLS" || len(d.Changed) != 0 {
		t.Fatalf("CapsDiff = %+v, %v", d, ok)
	}
	if ws := s.Check("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ="); len(ws) != 0 {
		t.Errorf("Check(AUTH PLAIN) over TLS = %+v", ws)
	}

	s = s.Sent("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=")
	if s.Pending != `AUTH PLAIN <redacted user="alice">` {
		t.Fatalf("AUTH pending stored as %q", s.Pending)
	}
	s = s.Received(mustReply(t, "235 2.7.0 Accepted"))
	if !s.Authenticated || s.AuthUser != "alice" || s.Pending != "" || s.Expect() != "MAIL FROM" {
		t.Fatalf("after AUTH: %+v, expect %q", s, s.Expect())
	}

	s = exchange(t, s, "mail FROM:<alice@example.org> size=280", "250 2.1.0 OK n87sm3405999pfi.122 - gsmtp")
	if s.Phase != PhaseMail || s.From != "alice@example.org" || s.Expect() != "RCPT TO" {
		t.Fatalf("after MAIL: %+v", s)
	}
	s = exchange(t, s, "rcpt TO:<bob@example.org>", "250 2.1.5 OK n87sm3405999pfi.122 - gsmtp")
	if s.Phase != PhaseRcpt || !slices.Equal(s.Rcpts, []string{"bob@example.org"}) || s.Expect() != "DATA or more RCPT TO" {
		t.Fatalf("after RCPT: %+v", s)
	}
	s = exchange(t, s, "data", "354  Go ahead n87sm3405999pfi.122 - gsmtp")
	if s.Phase != PhaseData || s.Expect() != "message lines, then ." {
		t.Fatalf("after DATA: %+v", s)
	}
	s = s.Sent("Subject: hi").Sent("").Sent("hello")
	if s.Pending != "" || s.Phase != PhaseData || s.Check("MAIL FROM:<x>") != nil {
		t.Fatalf("message lines changed the state: %+v", s)
	}
	s = s.DataEnded()
	if s.Pending != "." {
		t.Fatalf("DataEnded pending %q", s.Pending)
	}
	s = s.Received(mustReply(t, "250 2.0.0 OK 1487123527 n87sm3405999pfi.122 - gsmtp"))
	if s.Phase != PhaseReady || s.From != "" || s.Rcpts != nil || s.Expect() != "QUIT" {
		t.Fatalf("after end of data: %+v, expect %q", s, s.Expect())
	}
	s = exchange(t, s, "quit", "221 2.0.0 closing connection n87sm3405999pfi.122 - gsmtp")
	if s.Phase != PhaseClosed || s.Expect() != "" || s.Completions("") != nil {
		t.Fatalf("after QUIT: %+v", s)
	}
	if !slices.Equal(codes(s.Check("NOOP")), []string{"closed"}) {
		t.Errorf("Check after close = %+v", s.Check("NOOP"))
	}
}

func ready(t *testing.T, ehlo string) State {
	t.Helper()
	s := State{}.Greeting(mustReply(t, "220 mx.example ESMTP"))
	return exchange(t, s, "EHLO client.example", ehlo)
}

func TestGreeting(t *testing.T) {
	tests := []struct {
		reply string
		want  Phase
	}{
		{"220 mx.example ESMTP", PhaseGreeted},
		{"554 5.7.1 no service for you", PhaseClosed},
		{"421 4.7.0 Try again later, closing connection.", PhaseClosed},
		{"250 odd", PhaseConnected},
	}
	for _, tt := range tests {
		if got := (State{}).Greeting(mustReply(t, tt.reply)).Phase; got != tt.want {
			t.Errorf("Greeting(%q) phase %v, want %v", tt.reply, got, tt.want)
		}
		// Received with nothing pending before the greeting is the greeting.
		if got := (State{}).Received(mustReply(t, tt.reply)).Phase; got != tt.want {
			t.Errorf("Received(%q) as greeting: phase %v, want %v", tt.reply, got, tt.want)
		}
	}
}

func TestReceived(t *testing.T) {
	base := ready(t, "250-mx.example\n250-PIPELINING\n250-SIZE 1000\n250 AUTH PLAIN LOGIN")
	inMail := exchange(t, base, "MAIL FROM:<a@example.org>", "250 ok")
	inRcpt := exchange(t, inMail, "RCPT TO:<b@example.org>", "250 ok")
	tests := []struct {
		name  string
		s     State
		line  string
		reply string
		check func(State) bool
	}{
		{"MAIL refused", base, "MAIL FROM:<a@example.org>", "550 5.7.1 no", func(s State) bool { return s.Phase == PhaseReady && s.From == "" }},
		{"MAIL null path", base, "MAIL FROM:<>", "250 ok", func(s State) bool { return s.Phase == PhaseMail && s.From == "" }},
		{"MAIL spaced", base, "MAIL FROM: <a@x> SIZE=5", "250 ok", func(s State) bool { return s.From == "a@x" }},
		{"RCPT 251", inMail, "RCPT TO:<c@example.org>", "251 2.1.5 will forward", func(s State) bool {
			return s.Phase == PhaseRcpt && slices.Equal(s.Rcpts, []string{"c@example.org"})
		}},
		{"RCPT greylisted", inMail, "RCPT TO:<bob@example.org>", "450 4.7.1 <bob@example.org>: Recipient address rejected: Greylisted, please try again later", func(s State) bool {
			return s.Phase == PhaseMail && s.Rcpts == nil
		}},
		{"second RCPT", inRcpt, "RCPT TO:<c@example.org>", "250 ok", func(s State) bool {
			return slices.Equal(s.Rcpts, []string{"b@example.org", "c@example.org"})
		}},
		{"DATA refused", inRcpt, "DATA", "554 5.5.1 no valid recipients", func(s State) bool { return s.Phase == PhaseRcpt }},
		{"RSET", inRcpt, "RSET", "250 2.0.0 flushed", func(s State) bool { return s.Phase == PhaseReady && s.From == "" && s.Rcpts == nil }},
		{"EHLO again resets", inRcpt, "EHLO client.example", "250-mx.example\n250 SIZE 5", func(s State) bool {
			return s.Phase == PhaseReady && s.Rcpts == nil && !s.Caps.Has("AUTH") && s.Caps.Has("SIZE")
		}},
		{"EHLO refused keeps caps", base, "EHLO client.example", "502 5.5.1 no", func(s State) bool { return s.Caps.Has("AUTH") }},
		{"HELO", State{Phase: PhaseGreeted}, "HELO client.example", "250 mx.example", func(s State) bool {
			return s.Phase == PhaseReady && !s.ESMTP && s.Caps.Domain == "mx.example" && len(s.Caps.List) == 0
		}},
		{"421 anywhere", inRcpt, "RCPT TO:<c@example.org>", "421 4.7.0 Try again later, closing connection.", func(s State) bool { return s.Phase == PhaseClosed && s.Pending == "" }},
		{"QUIT not 221", base, "QUIT", "500 what", func(s State) bool { return s.Phase == PhaseReady }},
		{"221 to NOOP", inMail, "NOOP", "221 2.0.0 Bye", func(s State) bool { return s.Phase == PhaseClosed && s.Pending == "" }},
		{"NOOP", inMail, "NOOP", "250 ok", func(s State) bool { return s.Phase == PhaseMail && s.Pending == "" }},
		{"STARTTLS 454", base, "STARTTLS", "454 4.7.0 TLS not available", func(s State) bool { return !s.TLS && s.Phase == PhaseReady }},
		{"AUTH 535", base, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", "535 5.7.8 no", func(s State) bool { return !s.Authenticated && s.AuthUser == "" && s.Pending == "" }},
	}
	for _, tt := range tests {
		if got := exchange(t, tt.s, tt.line, tt.reply); !tt.check(got) {
			t.Errorf("%s: %+v", tt.name, got)
		}
	}
}

func TestEndOfDataFailureClearsEnvelope(t *testing.T) {
	s := ready(t, "250 mx.example")
	s = exchange(t, s, "MAIL FROM:<a@x>", "250 ok")
	s = exchange(t, s, "RCPT TO:<b@x>", "250 ok")
	s = exchange(t, s, "DATA", "354 go")
	s = s.Sent(".").Received(mustReply(t, "552 5.3.4 Message size exceeds fixed maximum message size"))
	if s.Phase != PhaseReady || s.From != "" || s.Rcpts != nil || s.Expect() != "MAIL FROM" {
		t.Errorf("%+v, expect %q", s, s.Expect())
	}
}

func TestStateIsAValue(t *testing.T) {
	s := ready(t, "250 mx.example")
	s = exchange(t, s, "MAIL FROM:<a@x>", "250 ok")
	s = exchange(t, s, "RCPT TO:<b@x>", "250 ok")
	s.Rcpts = append(make([]string, 0, 8), s.Rcpts...) // spare capacity invites aliasing
	a := exchange(t, s, "RCPT TO:<c@x>", "250 ok")
	b := exchange(t, s, "RCPT TO:<d@x>", "250 ok")
	if !slices.Equal(a.Rcpts, []string{"b@x", "c@x"}) || !slices.Equal(b.Rcpts, []string{"b@x", "d@x"}) || len(s.Rcpts) != 1 {
		t.Errorf("states share recipients: %q %q %q", s.Rcpts, a.Rcpts, b.Rcpts)
	}
	before := s
	_ = s.TLSStarted().Sent("AUTH PLAIN x").Received(mustReply(t, "421 bye"))
	if !reflect.DeepEqual(before, s) {
		t.Error("methods changed the receiver")
	}
}

func TestAuthSecretsNotStored(t *testing.T) {
	s := ready(t, "250-mx.example\n250 AUTH LOGIN PLAIN")
	s = s.TLSStarted()
	s = exchange(t, s, "EHLO client.example", "250-mx.example\n250 AUTH LOGIN PLAIN")
	s = s.Sent("AUTH LOGIN")
	s = s.Received(mustReply(t, "334 VXNlcm5hbWU6"))
	if s.Expect() != "AUTH response" || s.Check("anything") != nil || s.Completions("") != nil {
		t.Errorf("during AUTH: expect %q", s.Expect())
	}
	s = s.Sent(b64User)
	if s.Pending != "AUTH LOGIN <redacted>" || s.Expect() != "server reply" {
		t.Fatalf("pending %q", s.Pending)
	}
	s = s.Received(mustReply(t, "334 UGFzc3dvcmQ6")).Sent(b64Pass)
	if strings.Contains(s.Pending, b64Pass) || strings.Contains(s.Pending, b64User) {
		t.Fatalf("pending %q", s.Pending)
	}
	s = s.Received(mustReply(t, "235 2.7.0 Accepted"))
	if !s.Authenticated || s.AuthUser != "" || s.Pending != "" {
		t.Fatalf("%+v", s)
	}
	// The next line is a command again.
	if s = s.Sent("NOOP"); s.Pending != "NOOP" {
		t.Errorf("pending %q", s.Pending)
	}
}

func TestSentAuthForms(t *testing.T) {
	tests := []struct {
		line, pending, user string
	}{
		{`AUTH PLAIN <redacted user="alice">`, `AUTH PLAIN <redacted user="alice">`, "alice"},
		{`AUTH PLAIN <redacted user="a\x22b">`, `AUTH PLAIN <redacted user="a\x22b">`, `a\x22b`},
		{`AUTH LOGIN <redacted>`, `AUTH LOGIN <redacted>`, ""},
		{"auth plain " + b64("admin\x00alice\x00wonderland"), `AUTH PLAIN <redacted user="alice">`, "alice"},
		{"AUTH PLAIN " + b64("\x00\x1b[2J\x00pw"), `AUTH PLAIN <redacted user="\x1b[2J">`, `\x1b[2J`},
		{"AUTH LOGIN " + b64User, `AUTH LOGIN <redacted user="alice">`, "alice"},
		{"AUTH XOAUTH2 " + b64("user=alice@x\x01auth=Bearer tok\x01\x01"), `AUTH XOAUTH2 <redacted user="alice@x">`, "alice@x"},
		{"AUTH CRAM-MD5", "AUTH CRAM-MD5 <redacted>", ""},
		{"AUTH PLAIN garbage!", "AUTH PLAIN <redacted>", ""},
		{"AUTH", "AUTH <redacted>", ""},
	}
	for _, tt := range tests {
		s := State{Phase: PhaseReady}.Sent(tt.line)
		if s.Pending != tt.pending {
			t.Errorf("Sent(%q) pending %q, want %q", tt.line, s.Pending, tt.pending)
		}
		s = s.Received(mustReply(t, "235 ok"))
		if !s.Authenticated || s.AuthUser != tt.user {
			t.Errorf("Sent(%q) then 235: user %q, want %q", tt.line, s.AuthUser, tt.user)
		}
	}
}

func TestTLSStarted(t *testing.T) {
	s := ready(t, "250-mx.example\n250-STARTTLS\n250 AUTH PLAIN")
	s = exchange(t, s, "AUTH PLAIN "+b64("\x00alice\x00pw"), "235 ok")
	s = exchange(t, s, "MAIL FROM:<a@x>", "250 ok")
	s = exchange(t, s, "STARTTLS", "220 go")
	plain := s.Caps
	s = s.TLSStarted()
	if !s.TLS || s.Authenticated || s.AuthUser != "" || s.From != "" || s.Phase != PhaseGreeted || len(s.Caps.List) != 0 || s.ESMTP {
		t.Errorf("TLSStarted kept plaintext knowledge: %+v", s)
	}
	if s.PlainCaps == nil || !reflect.DeepEqual(*s.PlainCaps, plain) {
		t.Errorf("PlainCaps = %+v", s.PlainCaps)
	}
	// A second handshake keeps the first plaintext capabilities.
	s = exchange(t, s, "EHLO c", "250-mx.example\n250 AUTH PLAIN LOGIN")
	if s2 := s.TLSStarted(); !reflect.DeepEqual(*s2.PlainCaps, plain) {
		t.Errorf("PlainCaps replaced by TLS caps: %+v", s2.PlainCaps)
	}
	// HELO sessions have no capabilities to keep.
	h := exchange(t, State{Phase: PhaseGreeted}, "HELO c", "250 mx").TLSStarted()
	if h.PlainCaps != nil {
		t.Errorf("PlainCaps after HELO = %+v", h.PlainCaps)
	}
}

func TestExpect(t *testing.T) {
	tests := []struct {
		name string
		s    State
		want string
	}{
		{"connected", State{}, "greeting"},
		{"greeted", State{Phase: PhaseGreeted}, "EHLO"},
		{"ready plain", State{Phase: PhaseReady}, "MAIL FROM"},
		{"starttls offered", ready(t, "250-mx\n250-STARTTLS\n250 AUTH PLAIN"), "STARTTLS"},
		{"auth offered", ready(t, "250-mx\n250 AUTH PLAIN"), "AUTH"},
		{"authenticated", State{Phase: PhaseReady, Authenticated: true, Caps: Capabilities{List: []Capability{{Keyword: "AUTH", Params: "PLAIN"}}}}, "MAIL FROM"},
		{"tls, starttls no longer matters", State{Phase: PhaseReady, TLS: true, Caps: Capabilities{List: []Capability{{Keyword: "STARTTLS"}}}}, "MAIL FROM"},
		{"mail", State{Phase: PhaseMail}, "RCPT TO"},
		{"rcpt", State{Phase: PhaseRcpt}, "DATA or more RCPT TO"},
		{"data", State{Phase: PhaseData}, "message lines, then ."},
		{"data ended", State{Phase: PhaseData}.DataEnded(), "server reply"},
		{"closed", State{Phase: PhaseClosed}, ""},
	}
	for _, tt := range tests {
		if got := tt.s.Expect(); got != tt.want {
			t.Errorf("%s: Expect() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	gmail := ready(t, fixtureText(t, "gmail-ehlo-plain"))
	tls := gmail.TLSStarted()
	tlsReady := exchange(t, tls, "EHLO c", fixtureText(t, "gmail-ehlo-tls"))
	clearAuth := ready(t, "250-mx.example\n250-STARTTLS\n250-SIZE 1000\n250 AUTH PLAIN LOGIN CRAM-MD5")
	noTLS := ready(t, "250-mx.example\n250 AUTH LOGIN")
	minimal := ready(t, fixtureText(t, "minimal-ehlo"))
	greeted := State{Phase: PhaseGreeted}
	inMail := exchange(t, tlsReady, "MAIL FROM:<a@x>", "250 ok")
	inRcpt := exchange(t, inMail, "RCPT TO:<b@x>", "250 ok")
	authed := exchange(t, tlsReady, "AUTH PLAIN "+b64("\x00a\x00b"), "235 ok")
	pending := minimal.Sent("NOOP")
	pipelined := tlsReady.Sent("MAIL FROM:<a@x>")

	tests := []struct {
		name string
		s    State
		line string
		want []string
	}{
		{"gmail AUTH before TLS", gmail, "AUTH PLAIN", []string{"auth-before-starttls-needed"}},
		{"gmail AUTH after TLS before EHLO", tls, "AUTH PLAIN", []string{"auth-not-advertised"}},
		{"gmail AUTH ok", tlsReady, "auth plain", nil},
		{"gmail AUTH unknown mech", tlsReady, "AUTH CRAM-MD5", []string{"auth-mechanism-not-advertised"}},
		{"clear AUTH PLAIN", clearAuth, "AUTH PLAIN", []string{"auth-plaintext"}},
		{"clear AUTH LOGIN, no STARTTLS", noTLS, "AUTH LOGIN", []string{"auth-plaintext"}},
		{"clear CRAM-MD5", clearAuth, "AUTH CRAM-MD5", []string{"auth-cram-plaintext"}},
		{"AUTH not advertised", minimal, "AUTH PLAIN", []string{"auth-not-advertised"}},
		{"AUTH before EHLO", greeted, "AUTH PLAIN", []string{"auth-not-advertised"}},
		{"AUTH twice", authed, "AUTH PLAIN", []string{"already-authenticated"}},
		{"AUTH in transaction", inMail, "AUTH PLAIN", []string{"auth-in-transaction"}},
		{"STARTTLS ok", gmail, "starttls", nil},
		{"STARTTLS twice", tlsReady, "STARTTLS", []string{"already-tls"}},
		{"STARTTLS not offered", minimal, "STARTTLS", []string{"starttls-not-offered"}},
		{"STARTTLS before EHLO", greeted, "STARTTLS", []string{"starttls-not-offered"}},
		{"MAIL before EHLO", greeted, "MAIL FROM:<a@x>", []string{"mail-before-ehlo"}},
		{"MAIL twice", inMail, "MAIL FROM:<a@x>", []string{"mail-in-transaction"}},
		{"MAIL too big", clearAuth, "MAIL FROM:<a@x> SIZE=2000", []string{"size-exceeds"}},
		{"MAIL fits", clearAuth, "MAIL FROM:<a@x> size=1000", nil},
		{"MAIL ok", minimal, "mail from:<a@x>", nil},
		{"RCPT before MAIL", minimal, "RCPT TO:<b@x>", []string{"rcpt-before-mail"}},
		{"RCPT ok", inMail, "RCPT TO:<b@x>", nil},
		{"DATA before RCPT", inMail, "DATA", []string{"data-before-rcpt"}},
		{"DATA before anything", minimal, "DATA", []string{"data-before-rcpt"}},
		{"DATA ok", inRcpt, "DATA", nil},
		{"EHLO without domain", greeted, "EHLO", []string{"missing-domain"}},
		{"EHLO ok", greeted, "EHLO client.example", nil},
		{"bad line", minimal, "NOOP\r\nQUIT", []string{"bad-line"}},
		{"before greeting", State{}, "EHLO c", []string{"before-greeting"}},
		{"pending without PIPELINING", pending, "NOOP", []string{"pipelining"}},
		{"pipelining allowed", pipelined, "RCPT TO:<b@x>", nil},
		{"pipelined DATA after RCPT", pipelined.Received(mustReply(t, "250 ok")).Sent("RCPT TO:<b@x>"), "DATA", nil},
		{"pipelined DATA after MAIL", pipelined, "DATA", []string{"data-before-rcpt"}},
		{"STARTTLS never pipelined", gmail.Sent("NOOP"), "STARTTLS", []string{"pipelining"}},
		{"closed", State{Phase: PhaseClosed}, "QUIT", []string{"closed"}},
	}
	for _, tt := range tests {
		ws := tt.s.Check(tt.line)
		if got := codes(ws); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Check(%q) = %q, want %q", tt.name, tt.line, got, tt.want)
		}
		for _, w := range ws {
			if w.Text == "" {
				t.Errorf("%s: warning %s has no text", tt.name, w.Code)
			}
		}
	}
}

func TestCompletions(t *testing.T) {
	gmail := ready(t, fixtureText(t, "gmail-ehlo-plain"))
	tlsReady := exchange(t, gmail.TLSStarted(), "EHLO c", fixtureText(t, "gmail-ehlo-tls"))
	inMail := exchange(t, tlsReady, "MAIL FROM:<a@x>", "250 ok")
	inRcpt := exchange(t, inMail, "RCPT TO:<b@x>", "250 ok")
	tests := []struct {
		name   string
		s      State
		prefix string
		want   []string
	}{
		{"greeted", State{Phase: PhaseGreeted}, "", []string{"EHLO ", "HELO ", "NOOP", "QUIT", "HELP"}},
		{"ready plaintext", gmail, "", []string{"EHLO ", "HELO ", "STARTTLS", "MAIL FROM:<", "RSET", "NOOP", "QUIT", "HELP", "VRFY "}},
		{"ready tls", tlsReady, "", []string{"EHLO ", "HELO ", "AUTH ", "MAIL FROM:<", "RSET", "NOOP", "QUIT", "HELP", "VRFY "}},
		{"case-insensitive", gmail, "st", []string{"STARTTLS"}},
		{"he", gmail, "He", []string{"HELO ", "HELP"}},
		{"mail", tlsReady, "ma", []string{"MAIL FROM:<"}},
		{"auth mechanisms", tlsReady, "auth ", []string{"AUTH LOGIN", "AUTH PLAIN", "AUTH XOAUTH2", "AUTH PLAIN-CLIENTTOKEN", "AUTH OAUTHBEARER", "AUTH XOAUTH"}},
		{"auth prefix", tlsReady, "AUTH pl", []string{"AUTH PLAIN", "AUTH PLAIN-CLIENTTOKEN"}},
		{"auth none advertised", gmail, "AUTH ", nil},
		{"in mail", inMail, "", []string{"EHLO ", "HELO ", "RCPT TO:<", "RSET", "NOOP", "QUIT", "HELP", "VRFY "}},
		{"in rcpt", inRcpt, "d", []string{"DATA"}},
		{"no match", inRcpt, "xyz", nil},
		{"data", State{Phase: PhaseData}, "", nil},
	}
	for _, tt := range tests {
		if got := tt.s.Completions(tt.prefix); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Completions(%q) = %q, want %q", tt.name, tt.prefix, got, tt.want)
		}
	}
}

func TestPhaseString(t *testing.T) {
	want := []string{"connected", "greeted", "ready", "mail", "rcpt", "data", "closed"}
	for p := PhaseConnected; p <= PhaseClosed; p++ {
		if p.String() != want[p] {
			t.Errorf("Phase(%d).String() = %q", p, p.String())
		}
	}
	if Phase(42).String() != "Phase(42)" {
		t.Errorf("Phase(42).String() = %q", Phase(42).String())
	}
}

// TestUnanswered: a reply that answers nothing (mixed codes) ends what was
// pending without applying anything; after the final "." the message and
// its transaction are over all the same.
func TestUnanswered(t *testing.T) {
	var s State
	s = s.Greeting(Reply{Code: 220}).Sent("EHLO x").Unanswered()
	if s.Pending != "" || s.Phase != PhaseGreeted || len(s.Caps.List) != 0 {
		t.Errorf("after EHLO answered by nothing: %+v", s)
	}
	s = s.Sent("EHLO x").Received(Reply{Code: 250, Lines: []string{"x"}}).Sent("MAIL FROM:<a@x>").Received(Reply{Code: 250}).
		Sent("RCPT TO:<b@x>").Received(Reply{Code: 250}).Sent("DATA").Received(Reply{Code: 354})
	if s.Phase != PhaseData {
		t.Fatalf("phase %v, want data", s.Phase)
	}
	s = s.Sent(".").Unanswered()
	if s.Phase != PhaseReady || s.Pending != "" || s.From != "" || len(s.Rcpts) != 0 {
		t.Errorf("after the final \".\" answered by nothing: %+v", s)
	}
	s = s.Sent("AUTH PLAIN AGEAYg==").Unanswered()
	if s.Pending != "" || s.Expect() == "AUTH response" || s.Authenticated {
		t.Errorf("after AUTH answered by nothing: %+v, expects %q", s, s.Expect())
	}
}

// TestBdatChunks: a reply to a chunk leaves the transaction open; the
// reply to the last one ends it, like the reply to "." (RFC 3030).
func TestBdatChunks(t *testing.T) {
	s := ready(t, "250 mx.example")
	s = exchange(t, s, "MAIL FROM:<a@x>", "250 ok")
	s = exchange(t, s, "RCPT TO:<b@x>", "250 ok")
	s = exchange(t, s, "BDAT 1000", "250 2.0.0 1000 octets received")
	if s.Phase != PhaseRcpt || s.From != "a@x" {
		t.Fatalf("after a chunk: %+v", s)
	}
	s = exchange(t, s, "bdat 0 last", "250 2.0.0 queued")
	if s.Phase != PhaseReady || s.From != "" || s.Rcpts != nil || s.Expect() != "QUIT" {
		t.Fatalf("after the last chunk: %+v, expect %q", s, s.Expect())
	}
	if ws := codes(ready(t, "250-mx\n250 CHUNKING").Check("BDAT 10 LAST")); !slices.Equal(ws, []string{"data-before-rcpt"}) {
		t.Errorf("BDAT before RCPT: %v", ws)
	}
	if ws := codes(ready(t, "250 mx").Check("BDAT 10 LAST")); !slices.Equal(ws, []string{"chunking-not-offered", "data-before-rcpt"}) {
		t.Errorf("BDAT without CHUNKING: %v", ws)
	}
	if ws := ready(t, "250-mx\n250 CHUNKING").Check("BDAT ten"); len(ws) < 1 || ws[0].Code != "bdat-syntax" ||
		strings.Contains(ws[0].Text, "ten") {
		t.Errorf("BDAT ten: %+v", ws)
	}
	s = exchange(t, s, "MAIL FROM:<a@x>", "250 ok")
	s = exchange(t, s, "RCPT TO:<b@x>", "250 ok")
	if u := s.Sent("BDAT 5").Unanswered(); u.Phase != PhaseRcpt || u.From != "a@x" {
		t.Errorf("a chunk answered by nothing: %+v", u)
	}
	if u := s.Sent("BDAT 5 LAST").Unanswered(); u.Phase != PhaseReady || u.From != "" || u.Pending != "" {
		t.Errorf("the last chunk answered by nothing: %+v", u)
	}
}

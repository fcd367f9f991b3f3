package lab_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/lab"
)

// scenario starts a lab running only the named scenario and dials it.
func scenario(t *testing.T, name string, cfg lab.Config) (*lab.Lab, *client) {
	t.Helper()
	sc, ok := lab.LookupScenario(name)
	if !ok {
		t.Fatalf("no scenario %q", name)
	}
	cfg.Scenarios, cfg.Only = []lab.Scenario{sc}, true
	l := start(t, cfg)
	if n := len(l.Endpoints()); n != 1 {
		t.Fatalf("Only: %d endpoints, want 1", n)
	}
	return l, dial(t, addr(t, l, name))
}

func TestScenarioNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range lab.Scenarios() {
		if seen[s.Name] || s.Summary == "" {
			t.Errorf("scenario %q: duplicate or without summary", s.Name)
		}
		seen[s.Name] = true
		for _, std := range lab.EndpointNames {
			if s.Name == std {
				t.Errorf("scenario %q has a standard endpoint's name", s.Name)
			}
		}
	}
}

func TestScenariosBesideStandard(t *testing.T) {
	sc, _ := lab.LookupScenario("vrfy")
	l := start(t, lab.Config{Scenarios: []lab.Scenario{sc}})
	if n, want := len(l.Endpoints()), len(lab.EndpointNames)+1; n != want {
		t.Fatalf("%d endpoints, want %d", n, want)
	}
	c := dial(t, addr(t, l, "vrfy"))
	equalReply(t, "greeting", c.reply(), "220 vrfy.lab.test ESMTP ehlo lab (vrfy)")
}

func TestScenarioHELOOnly(t *testing.T) {
	_, c := scenario(t, "helo-only", lab.Config{})
	c.reply()
	equalReply(t, "EHLO", c.cmd("EHLO client.test"), `500 Command unrecognized: "EHLO"`)
	equalReply(t, "HELO", c.cmd("HELO client.test"), "250 helo-only.lab.test Hello client.test")
	equalReply(t, "MAIL", c.cmd("MAIL FROM:<a@example.org>"), "250 Roger, accepting mail from <a@example.org>")
	c.expect("RCPT TO:<bob@lab.test>", "250 ")
}

func TestScenarioStrictLF(t *testing.T) {
	l, c := scenario(t, "strict-lf", lab.Config{})
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("MAIL FROM:<a@example.org>", "250 ")
	c.expect("RCPT TO:<bob@lab.test>", "250 ")
	c.expect("DATA", "354 ")
	equalReply(t, "bare LF", c.write("Subject: smuggled\n"), "521 5.5.2 strict-lf.lab.test Error: bare <LF> received")
	if _, err := c.r.ReadByte(); err == nil {
		t.Error("the connection stays open after 521")
	}
	if n := len(l.Messages()); n != 0 {
		t.Errorf("%d messages stored", n)
	}
	// CRLF passes
	c = dial(t, addr(t, l, "strict-lf"))
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.send("a@example.org", []string{"bob@lab.test"}, "Subject: fine\n\n..dot-stuffed\n")
	if m := l.Messages(); len(m) != 1 || !bytes.Contains(m[0].Data, []byte("\r\n.dot-stuffed\r\n")) {
		t.Errorf("stored %q", m)
	}
}

func TestScenarioTarpit(t *testing.T) {
	sc, _ := lab.LookupScenario("tarpit")
	sc.GreetDelay = 300 * time.Millisecond
	l := start(t, lab.Config{Scenarios: []lab.Scenario{sc}, Only: true})
	t.Run("patient", func(t *testing.T) {
		c := dial(t, addr(t, l, "tarpit"))
		began := time.Now()
		equalReply(t, "greeting", c.reply(), "220 tarpit.lab.test ESMTP ehlo lab (tarpit)")
		// the server's wait began at accept, a little before Dial returned
		if d := time.Since(began); d < sc.GreetDelay*9/10 {
			t.Errorf("greeting after %v, want about %v", d, sc.GreetDelay)
		}
		c.expect("EHLO client.test", "250-")
	})
	t.Run("early talker", func(t *testing.T) {
		c := dial(t, addr(t, l, "tarpit"))
		equalReply(t, "talking first", c.write("EHLO rude.test\r\n"), "554 SMTP synchronization error")
		if _, err := c.r.ReadByte(); err == nil {
			t.Error("the connection stays open after 554")
		}
	})
}

func TestScenarioRateLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l, c := scenario(t, "ratelimit", lab.Config{Now: clock})
	c.reply()
	c.expect("EHLO client.test", "250-")
	for range 3 {
		c.send("a@example.org", []string{"bob@lab.test"}, "Subject: x\n\n")
	}
	equalReply(t, "fourth MAIL", c.cmd("MAIL FROM:<a@example.org>"), "421 4.7.0 ratelimit.lab.test Error: too many messages from 127.0.0.1")
	if _, err := c.r.ReadByte(); err == nil {
		t.Error("the connection stays open after 421")
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	c = dial(t, addr(t, l, "ratelimit"))
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("MAIL FROM:<a@example.org>", "250 ")
}

func TestAddressCodes(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "mx"))
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("MAIL FROM:<a@example.org>", "250 ")
	equalReply(t, "451@", c.cmd("RCPT TO:<451@lab.test>"), "451 4.3.0 <451@lab.test>: Requested action aborted: local error in processing, try again later")
	equalReply(t, "550@", c.cmd("RCPT TO:<550@lab.test>"), "550 5.1.1 <550@lab.test>: Requested action not taken: mailbox unavailable")
	c.expect("RCPT TO:<greylist@lab.test>", "450 4.7.1 <greylist@lab.test>: Recipient address rejected: Greylisted")
	began := time.Now()
	c.expect("RCPT TO:<slow@lab.test>", "250 ")
	if d := time.Since(began); d < lab.SlowDelay {
		t.Errorf("slow@ answered after %v", d)
	}
	c.expect("RCPT TO:<bob@lab.test>", "250 ")
	equalReply(t, "421@", c.cmd("RCPT TO:<421@lab.test>"), "421 4.3.2 mx.lab.test Service not available, closing transmission channel")
	if _, err := c.r.ReadByte(); err == nil {
		t.Error("the connection stays open after 421")
	}
	if n := len(l.Messages()); n != 0 {
		t.Errorf("%d messages", n)
	}
}

func TestScenarioRules(t *testing.T) {
	r1, err := lab.ParseRule("MAIL=451 4.3.0 try again later")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := lab.ParseRule(`NOOP=250-first\n250 second`) // as typed in a shell
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"MAIL", "=250 ok", "MAIL=25 ok", "MAIL=250-a\n550 b", "MAIL=600 no", "MAIL=250ok"} {
		if _, err := lab.ParseRule(bad); err == nil {
			t.Errorf("ParseRule(%q) accepted", bad)
		}
	}
	sc := lab.Scenario{Name: "custom", Summary: "rules", Replies: []lab.Rule{r1, r2}}
	l := start(t, lab.Config{Scenarios: []lab.Scenario{sc}, Only: true})
	c := dial(t, addr(t, l, "custom"))
	c.reply()
	c.expect("EHLO client.test", "250-")
	equalReply(t, "NOOP", c.cmd("NOOP"), "250-first\n250 second")
	equalReply(t, "MAIL", c.cmd("MAIL FROM:<a@example.org>"), "451 4.3.0 try again later")
	// pipelined: the chosen reply comes in its turn
	equalReply(t, "pipelined", c.write("RSET\r\nMAIL FROM:<a@example.org>\r\nNOOP\r\n")+"|"+c.reply()+"|"+c.reply(),
		"250 2.0.0 Session reset|451 4.3.0 try again later|250-first\n250 second")
}

func TestScenarioVRFY(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "mx"))
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("VRFY alice", "252 ")
	c.expect("EXPN staff", "502 ")
	_, c = scenario(t, "vrfy", lab.Config{})
	c.reply()
	c.expect("EHLO client.test", "250-")
	equalReply(t, "VRFY alice", c.cmd("VRFY alice"), "250 2.1.5 <alice@lab.test>")
	equalReply(t, "VRFY eve", c.cmd("VRFY eve"), "550 5.1.1 <eve>: Recipient address rejected: User unknown")
	equalReply(t, "EXPN", c.cmd("EXPN staff"), "250-2.1.5 Alice <alice@lab.test>\n250 2.1.5 Bob <bob@lab.test>")
}

// certScenario STARTTLSes on scenario name with the lab CA and returns the
// handshake's error.
func certScenario(t *testing.T, name string) error {
	l, c := scenario(t, name, lab.Config{})
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("STARTTLS", "220 ")
	tc := tls.Client(c.conn, &tls.Config{RootCAs: l.CertPool(), ServerName: "localhost"})
	return tc.Handshake()
}

func TestScenarioCertificates(t *testing.T) {
	var inv x509.CertificateInvalidError
	if err := certScenario(t, "expired"); !errors.As(err, &inv) || inv.Reason != x509.Expired {
		t.Errorf("expired: %v", err)
	}
	var host x509.HostnameError
	if err := certScenario(t, "wrong-name"); !errors.As(err, &host) {
		t.Errorf("wrong-name: %v", err)
	}
	var ua x509.UnknownAuthorityError
	if err := certScenario(t, "self-signed"); !errors.As(err, &ua) {
		t.Errorf("self-signed: %v", err)
	}
}

// logs gives the lab an OpenLog that keeps each connection's log in memory.
type logs struct {
	mu    sync.Mutex
	files []*memLog
}

type memLog struct {
	bytes.Buffer
	closed chan struct{}
}

func (m *memLog) Close() error { close(m.closed); return nil }

func (l *logs) open(lab.ConnInfo) (io.WriteCloser, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := &memLog{closed: make(chan struct{})}
	l.files = append(l.files, f)
	return f, nil
}

// wait returns log i once its connection closed.
func (l *logs) wait(t *testing.T, i int) string {
	t.Helper()
	l.mu.Lock()
	f := l.files[i]
	l.mu.Unlock()
	select {
	case <-f.closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("log %d not closed", i)
	}
	return f.String()
}

func TestLogRedactsAndFollowsTLS(t *testing.T) {
	var lg logs
	l := start(t, lab.Config{OpenLog: lg.open})
	c := dial(t, addr(t, l, "submission"))
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.startTLS(l.CertPool(), "localhost")
	c.expect("EHLO client.test", "250-")
	c.expect("AUTH PLAIN "+plainGood, "235 ")
	c.expect("AUTH LOGIN", "503 ")
	c.expect("QUIT", "221 ")
	got := lg.wait(t, 0)
	for _, want := range []string{"C: EHLO client.test", "S: 220 2.0.0 Ready to start TLS", "* TLS started: TLS 1.3",
		"C: AUTH PLAIN <redacted>", "S: 235 2.0.0 Authentication succeeded", "C: QUIT", "* connection closed"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, plainGood) {
		t.Errorf("log holds the credentials:\n%s", got)
	}
}

func TestLogSecretsAndLogin(t *testing.T) {
	var lg logs
	l := start(t, lab.Config{OpenLog: lg.open})
	c := dial(t, addr(t, l, "legacy"))
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("AUTH LOGIN", "334 ")
	c.expect(b64("alice"), "334 ")
	c.expect(b64("wonderland"), "235 ")
	c.expect("QUIT", "221 ")
	got := lg.wait(t, 0)
	if strings.Contains(got, b64("wonderland")) || strings.Count(got, "C: <redacted>") != 2 {
		t.Errorf("LOGIN not redacted:\n%s", got)
	}
	lg = logs{}
	l = start(t, lab.Config{OpenLog: lg.open, LogSecrets: true})
	c = dial(t, addr(t, l, "legacy"))
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("AUTH PLAIN "+plainGood, "235 ")
	c.expect("QUIT", "221 ")
	if got := lg.wait(t, 0); !strings.Contains(got, plainGood) {
		t.Errorf("LogSecrets: credentials missing:\n%s", got)
	}
}

func TestLogVerdictStripTLS(t *testing.T) {
	var lg logs
	_, c := scenario(t, "strip-tls", lab.Config{OpenLog: lg.open})
	c.reply()
	if got := c.cmd("EHLO client.test"); strings.Contains(got, "STARTTLS") {
		t.Fatalf("STARTTLS offered: %q", got)
	}
	c.expect("STARTTLS", "502 ")
	c.expect("MAIL FROM:<a@example.org>", "250 ")
	c.expect("QUIT", "221 ")
	if got := lg.wait(t, 0); !strings.Contains(got, "* verdict: FAIL: STARTTLS was not offered and the client went on in clear") {
		t.Errorf("no FAIL verdict:\n%s", got)
	}
}

func TestLogVerdictBadCertificate(t *testing.T) {
	for _, verify := range []bool{true, false} {
		var lg logs
		l, c := scenario(t, "expired", lab.Config{OpenLog: lg.open})
		c.reply()
		c.expect("EHLO client.test", "250-")
		c.expect("STARTTLS", "220 ")
		tc := tls.Client(c.conn, &tls.Config{RootCAs: l.CertPool(), ServerName: "localhost", InsecureSkipVerify: !verify})
		err := tc.Handshake()
		if verify {
			tc.Close()
			if got := lg.wait(t, 0); err == nil || !strings.Contains(got, "* verdict: PASS: the certificate is expired and the client refused it") {
				t.Errorf("verifying client: %v\n%s", err, got)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(tc, "EHLO client.test\r\nQUIT\r\n")
		io.ReadAll(tc)
		if got := lg.wait(t, 0); !strings.Contains(got, "* verdict: FAIL: the certificate is expired and the client went on inside TLS") {
			t.Errorf("non-verifying client:\n%s", got)
		}
	}
}

func TestLogVerdictGreylistRetry(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var lg logs
	l, c := scenario(t, "greylist-test", lab.Config{Now: clock, OpenLog: lg.open})
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("MAIL FROM:<a@example.org>", "250 ")
	c.expect("RCPT TO:<bob@lab.test>", "450 ")
	c.expect("QUIT", "221 ")
	if got := lg.wait(t, 0); !strings.Contains(got, "verdict: NOTE: the client was greylisted") {
		t.Errorf("first log:\n%s", got)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	c = dial(t, addr(t, l, "greylist-test"))
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("MAIL FROM:<a@example.org>", "250 ")
	c.expect("RCPT TO:<bob@lab.test>", "250 ")
	c.expect("QUIT", "221 ")
	if got := lg.wait(t, 1); !strings.Contains(got, "verdict: PASS: the client retried <a@example.org> → <bob@lab.test> 2m0s after") {
		t.Errorf("second log:\n%s", got)
	}
}

func TestLogEscapes(t *testing.T) {
	var lg logs
	l := start(t, lab.Config{OpenLog: lg.open})
	c := dial(t, addr(t, l, "mx"))
	c.reply()
	c.cmd("NOOP \x1b]0;pwned\x07\u202e")
	c.expect("QUIT", "221 ")
	got := lg.wait(t, 0)
	if strings.ContainsAny(got, "\x1b\x07\u202e") || !strings.Contains(got, `NOOP \x1b]0;pwned\x07\u202e`) {
		t.Errorf("log not escaped:\n%q", got)
	}
}

// TestStrictLFInsideAMessage: a bare LF after CRLF lines of the same
// message, sent at once, is refused there, and nothing is stored.
func TestStrictLFInsideAMessage(t *testing.T) {
	l, c := scenario(t, "strict-lf", lab.Config{})
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("MAIL FROM:<a@example.org>", "250 ")
	c.expect("RCPT TO:<bob@lab.test>", "250 ")
	c.expect("DATA", "354 ")
	equalReply(t, "bare LF", c.write("Subject: x\r\n\r\nfine\r\nsmuggled\n.\r\n"), "521 5.5.2 strict-lf.lab.test Error: bare <LF> received")
	if n := len(l.Messages()); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

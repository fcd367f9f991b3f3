package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/hostile"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// doctorLab runs the doctor on a lab endpoint. Implicit TLS follows the
// endpoint unless change says otherwise.
func doctorLab(t *testing.T, l *lab.Lab, name string, change func(*DoctorConfig)) DoctorResult {
	t.Helper()
	j := labJob(t, l, name)
	cfg := DoctorConfig{Target: j.Target, Options: j.Options, GreetingWait: 200 * time.Millisecond}
	if change != nil {
		change(&cfg)
	}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	return Doctor(context.Background(), cfg)
}

func ids(r DoctorResult) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.ID)
	}
	return out
}

func wantFirst(t *testing.T, r DoctorResult, first string, also ...string) {
	t.Helper()
	got := ids(r)
	if len(got) == 0 || got[0] != first {
		t.Fatalf("findings %q, want %s first", got, first)
	}
	for _, id := range also {
		if !slices.Contains(got, id) {
			t.Errorf("findings %q, want %s among them", got, id)
		}
	}
}

// doctorCases are the doctor test table: a lab endpoint or a hostile
// scenario (internal/hostile/scenarios), the configuration, and what the
// first finding must be: the root cause, with its severity and a line of
// its evidence, quoted from the transcript.
var doctorCases = []struct {
	name     string
	lab      string // a lab endpoint, or
	scenario string // a hostile scenario
	change   func(*DoctorConfig)
	first    string
	severity string   // of the first finding; "" not checked
	title    string   // a fragment of the first finding's title; "" not checked
	evidence string   // a line of the first finding's evidence holds it; "" not checked
	also     []string // among the other findings
	failed   bool
	afterTLS []string // when set, the commands sent after the first TLS handshake
}{
	{name: "submission", lab: "submission", first: "auth-after-starttls",
		also: []string{"tls-ok", "extensions"}},
	{name: "legacy", lab: "legacy", first: "auth-plaintext", also: []string{"no-starttls"}, failed: true},
	{name: "smtps in plaintext", lab: "smtps", change: plainFirst, first: "port-expects-implicit-tls",
		also: []string{"tls-ok", "auth-offered"}, failed: true},
	{name: "smtps", lab: "smtps", first: "tls-ok", also: []string{"auth-offered"}},
	{name: "mx", lab: "mx", first: "auth-missing", also: []string{"tls-ok"}},
	{name: "mx relay", lab: "mx", change: envelope("a@x.example", "b@example.org"), first: "relay-denied",
		also: []string{"auth-missing", "mail-accepted"}, failed: true},
	// Item 5 of issue 17: evidence is the transcript's own lines, and a
	// reply whose codes disagree is no acceptance.
	{name: "mixed codes after the data", scenario: "mixed-codes-dot-bye", change: sendTest("a@client.test", "b@mx.hostile.test"),
		first: "mixed-codes", severity: "error", evidence: "S: 554 5.7.1 actually rejected", failed: true},
	// Item 2: the first finding is the first step the user asked for that
	// failed; posture and advice follow.
	{name: "wrong password, AUTH in clear (aiosmtpd)", scenario: "aiosmtpd-wrong-password", change: withUser("alice", "wrong"),
		first: "auth-bad-credentials", severity: "error", evidence: "S: 535 5.7.8 Authentication credentials invalid",
		also: []string{"auth-plaintext"}, failed: true},
	{name: "unknown user, AUTH in clear", scenario: "plaintext-auth-unknown-user", change: envelope("a@client.test", "nobody@mx.hostile.test"),
		first: "unknown-user", severity: "error", evidence: "User unknown in local recipient table", also: []string{"auth-plaintext"}, failed: true},
	{name: "greylisted at a port-25 MX", scenario: "greylisting-mx", change: envelope("a@client.test", "bob@mx.hostile.test"),
		first: "greylisted", evidence: "Greylisted", also: []string{"auth-missing", "mail-accepted"}},
	// Item 1: without login, a submission port refuses every recipient;
	// the cause is the AUTH that was offered and not used.
	{name: "Postfix submission without login", lab: "postfix", change: envelope("alice@lab.test", "bob@lab.test"),
		first: "auth-required", severity: "error",
		evidence: "S~ 554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied",
		also:     []string{"auth-after-starttls", "mail-accepted"}, failed: true},
	{name: "Exim relay without login", lab: "exim", change: envelope("alice@lab.test", "carol@example.org"),
		first: "auth-required", severity: "error", evidence: "S: 550 relay not permitted", also: []string{"auth-plaintext"}, failed: true},
	// Item 4: servers without enhanced codes are understood by their text.
	{name: "Exim: unknown user", lab: "exim", change: envelope("a@x.example", "nobody@lab.test"),
		first: "unknown-user", severity: "error", evidence: "recognised: Unknown user (Exim's", also: []string{"auth-plaintext"}, failed: true},
	{name: "Exim: unrouteable address", scenario: "exim-unrouteable", change: envelope("a@client.test", "b@nowhere.example"),
		first: "rcpt-refused", severity: "error", evidence: "recognised: Unrouteable address (Exim)", failed: true},
	{name: "OpenSMTPD: invalid recipient", scenario: "opensmtpd-invalid-recipient", change: envelope("a@client.test", "nobody@mx.hostile.test"),
		first: "rcpt-refused", severity: "error", evidence: "recognised: Invalid recipient (OpenSMTPD)", failed: true},
	{name: "Exim: wrong password", lab: "exim", change: withUser(lab.User, "not-the-password"),
		first: "auth-bad-credentials", severity: "error", evidence: "S: 535 Incorrect authentication data", failed: true},
	// Item 6: over TLS that did not verify, without --insecure, the doctor
	// stops after the TLS finding.
	{name: "expired certificate, nothing sent", scenario: "starttls-expired-quit",
		change: func(c *DoctorConfig) {
			withUser("alice", "secret")(c)
			sendTest("a@client.test", "b@mx.hostile.test")(c)
		},
		first: "tls-expired", severity: "error", also: []string{"not-tested"}, failed: true, afterTLS: []string{"QUIT"}},
	{name: "implicit TLS, unknown authority, nothing sent", lab: "smtps",
		change: func(c *DoctorConfig) { c.Options.RootCAs = nil; withUser(lab.User, lab.Password)(c) },
		first:  "tls-unknown-authority", severity: "error", also: []string{"not-tested"}, failed: true, afterTLS: []string{"QUIT"}},
	// Item 7: a port that refuses MAIL before STARTTLS requires TLS first.
	{name: "Postfix submission, STARTTLS not used", lab: "postfix",
		change: func(c *DoctorConfig) { c.Options.NoStartTLS = true; envelope("alice@lab.test", "bob@lab.test")(c) },
		first:  "starttls-required", severity: "error", title: "requires TLS first: it refused MAIL FROM in plaintext (530 5.7.0)",
		evidence: "S: 530 5.7.0 Must issue a STARTTLS command first.", failed: true},
	{name: "STARTTLS stripped on the path", scenario: "starttls-stripped", change: envelope("a@client.test", "b@mx.hostile.test"),
		first: "starttls-required", title: "offers no STARTTLS", also: []string{"no-starttls"}, failed: true},
	{name: "greylisting lab MX", lab: "greylist", change: envelope("a@x.example", "bob@lab.test"),
		first: "greylisted", severity: "warning", evidence: "S~ 450 4.7.1 <bob@lab.test>: Recipient address rejected: Greylisted",
		also: []string{"auth-missing", "tls-ok"}},
}

// withUser sets --user and its password.
func withUser(user, password string) func(*DoctorConfig) {
	return func(c *DoctorConfig) { c.User, c.Password = user, password }
}

// sendTest sets --from, --to and --send.
func sendTest(from string, to ...string) func(*DoctorConfig) {
	return func(c *DoctorConfig) { c.From, c.To, c.Send = from, to, true }
}

func plainFirst(c *DoctorConfig) { c.Options.ImplicitTLS = false }

// envelope sets --from and --to.
func envelope(from string, to ...string) func(*DoctorConfig) {
	return func(c *DoctorConfig) { c.From, c.To = from, to }
}

func TestDoctorFirstFinding(t *testing.T) {
	l := startLab(t)
	for _, tt := range doctorCases {
		t.Run(tt.name, func(t *testing.T) {
			r := doctorCase(t, l, tt.lab, tt.scenario, tt.change)
			wantFirst(t, r, tt.first, tt.also...)
			first := r.Findings[0]
			if tt.severity != "" && first.Severity.String() != tt.severity {
				t.Errorf("severity %v, want %s", first.Severity, tt.severity)
			}
			if !strings.Contains(first.Title, tt.title) {
				t.Errorf("title %q lacks %q", first.Title, tt.title)
			}
			if tt.evidence != "" && !slices.ContainsFunc(first.Evidence, func(l string) bool { return strings.Contains(l, tt.evidence) }) {
				t.Errorf("evidence %q lacks %q", first.Evidence, tt.evidence)
			}
			if r.Failed() != tt.failed {
				t.Errorf("Failed() = %v, want %v", r.Failed(), tt.failed)
			}
			checkEvidenceQuoted(t, r)
			if tt.afterTLS != nil {
				sentAfterTLS(t, r, tt.afterTLS...)
			}
		})
	}
}

// checkEvidenceQuoted: every S: or S~ line of every finding's evidence is
// a line the server sent, byte for byte once sanitized (issue 17, item 5).
func checkEvidenceQuoted(t *testing.T, r DoctorResult) {
	t.Helper()
	var all []byte
	for _, e := range r.Entries {
		if e.Dir == wire.Server {
			all = append(all, e.Data...)
		}
	}
	sent := map[string]bool{}
	for _, line := range strings.Split(string(all), "\n") {
		sent[session.SanitizeString(strings.TrimSuffix(line, "\r"))] = true
	}
	for _, f := range r.Findings {
		for _, ev := range f.Evidence {
			line, ok := strings.CutPrefix(ev, "S: ")
			if !ok {
				line, ok = strings.CutPrefix(ev, "S~ ")
			}
			if ok && !sent[line] {
				t.Errorf("%s: evidence %q is no line the server sent", f.ID, ev)
			}
		}
	}
}

// doctorCase runs the doctor on a lab endpoint or on a hostile scenario.
func doctorCase(t *testing.T, l *lab.Lab, endpoint, scenario string, change func(*DoctorConfig)) DoctorResult {
	t.Helper()
	if endpoint != "" {
		return doctorLab(t, l, endpoint, change)
	}
	srv := hostile.Start(t, hostile.Load(scenario))
	cfg := DoctorConfig{Target: srv.Addr, Options: Options{Timeout: 3 * time.Second, RootCAs: hostile.Roots()},
		GreetingWait: 200 * time.Millisecond}
	if change != nil {
		change(&cfg)
	}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	return Doctor(context.Background(), cfg)
}

func TestDoctorImplicitTLSRetry(t *testing.T) {
	l := startLab(t)
	var progress []string
	r := doctorLab(t, l, "smtps", func(c *DoctorConfig) {
		c.Options.ImplicitTLS = false
		c.Progress = func(s string) { progress = append(progress, s) }
	})
	f := r.Facts
	if !f.ImplicitTLS || f.Retry == nil || !f.Retry.ImplicitTLS || !f.Retry.Worked || f.Greeting == nil || !f.Greeting.TLS {
		t.Fatalf("facts: implicit %v retry %+v greeting %+v", f.ImplicitTLS, f.Retry, f.Greeting)
	}
	if len(progress) != 1 || !strings.Contains(progress[0], "trying implicit TLS") {
		t.Errorf("progress = %q", progress)
	}
	if !strings.Contains(r.Findings[0].Title, "with TLS it greeted") {
		t.Errorf("title %q", r.Findings[0].Title)
	}
	// The transcript keeps both attempts; the timeline shows the wait.
	if n := countNotes(r, "connected to"); n != 2 {
		t.Errorf("%d connections in the transcript, want 2", n)
	}
	if !slices.ContainsFunc(r.Timeline, func(s Span) bool { return s.Label == "no greeting" && s.Took >= 200*time.Millisecond }) {
		t.Errorf("timeline %+v has no wait", r.Timeline)
	}
}

func TestDoctorPlaintextRetry(t *testing.T) {
	r := doctorLab(t, startLab(t), "submission", func(c *DoctorConfig) { c.Options.ImplicitTLS = true })
	wantFirst(t, r, "port-expects-plaintext", "auth-after-starttls", "tls-ok")
	if r.Facts.Retry == nil || r.Facts.Retry.ImplicitTLS || !r.Facts.Retry.Worked || r.Facts.ImplicitTLS {
		t.Errorf("retry %+v implicit %v", r.Facts.Retry, r.Facts.ImplicitTLS)
	}
	if ev := strings.Join(r.Findings[0].Evidence, "\n"); !strings.Contains(ev, "S: 220 submission.lab.test") {
		t.Errorf("evidence %s", ev)
	}
}

func countNotes(r DoctorResult, prefix string) int {
	n := 0
	for _, e := range r.Entries {
		if e.Dir == wire.Note && strings.HasPrefix(string(e.Data), prefix) {
			n++
		}
	}
	return n
}

// everything renders a result every way a user may see it.
func everything(t *testing.T, r DoctorResult) string {
	t.Helper()
	var out bytes.Buffer
	WriteDoctor(&out, r, WaterfallOptions{})
	if err := json.NewEncoder(&out).Encode(r.JSON()); err != nil {
		t.Fatal(err)
	}
	_ = WriteTranscript(&out, r.Entries, TranscriptFormat{Times: true})
	return out.String()
}

func TestDoctorCredentials(t *testing.T) {
	l := startLab(t)
	withUser := func(password string) func(*DoctorConfig) {
		return func(c *DoctorConfig) { c.User, c.Password = lab.User, password }
	}
	ok := doctorLab(t, l, "submission", withUser(lab.Password))
	wantFirst(t, ok, "auth-after-starttls", "auth-ok")
	if ok.Failed() || ok.Facts.Auth.Mechanism != "CRAM-MD5" {
		t.Errorf("failed %v, mechanism %q", ok.Failed(), ok.Facts.Auth.Mechanism)
	}

	const wrong = "not-the-password-4f9c"
	bad := doctorLab(t, l, "submission", withUser(wrong))
	wantFirst(t, bad, "auth-bad-credentials", "auth-after-starttls")
	if !bad.Failed() || !strings.Contains(bad.Findings[0].Fix, "app password") {
		t.Errorf("failed %v, fix %q", bad.Failed(), bad.Findings[0].Fix)
	}
	for _, r := range []DoctorResult{ok, bad} {
		text := everything(t, r)
		for _, secret := range []string{wrong, lab.Password} {
			if strings.Contains(text, secret) {
				t.Errorf("output shows the password %q", secret)
			}
		}
		if !strings.Contains(text, `AUTH CRAM-MD5 <redacted user=\"alice\">`) && !strings.Contains(text, `AUTH CRAM-MD5 <redacted user="alice">`) {
			t.Errorf("no redacted AUTH line in\n%s", text)
		}
	}
}

func TestDoctorSend(t *testing.T) {
	l := startLab(t)
	r := doctorLab(t, l, "submission", func(c *DoctorConfig) {
		c.User, c.Password, c.From, c.To, c.Send = lab.User, lab.Password, "alice@lab.test", []string{"bob@lab.test"}, true
	})
	wantFirst(t, r, "auth-after-starttls", "auth-ok", "mail-accepted", "rcpt-accepted", "message-accepted")
	msgs := l.Messages()
	if len(msgs) != 1 || msgs[0].Subject() != "ehlo doctor test" || !bytes.Contains(msgs[0].Data, []byte("Message-ID: <")) {
		t.Fatalf("mailbox: %+v", msgs)
	}
	if !slices.ContainsFunc(r.Timeline, func(s Span) bool { return s.Label == "message" }) {
		t.Errorf("timeline %+v has no message", r.Timeline)
	}
}

func TestDoctorRsetWithoutSend(t *testing.T) {
	l := startLab(t)
	r := doctorLab(t, l, "submission", func(c *DoctorConfig) {
		c.User, c.Password, c.From, c.To = lab.User, lab.Password, "alice@lab.test", []string{"bob@lab.test"}
	})
	wantFirst(t, r, "auth-after-starttls", "rcpt-accepted")
	if len(l.Messages()) != 0 || !slices.ContainsFunc(r.Facts.Others, func(x session.Exchange) bool { return x.Command == "RSET" }) {
		t.Errorf("messages %d, others %+v", len(l.Messages()), r.Facts.Others)
	}
}

// TestDoctorUnverifiedKeepsCredentials: the system roots do not know the
// lab's CA. Without --insecure the doctor stops after the handshake: no
// EHLO inside TLS, no AUTH, no MAIL, no message, and it says what
// --insecure would test (issue 17, item 6). With --insecure it goes on.
func TestDoctorUnverifiedKeepsCredentials(t *testing.T) {
	l := startLab(t)
	full := func(c *DoctorConfig) {
		c.Options.RootCAs = nil
		c.User, c.Password = lab.User, lab.Password
		c.From, c.To, c.Send = "alice@lab.test", []string{"bob@lab.test"}, true
	}
	r := doctorLab(t, l, "submission", full)
	wantFirst(t, r, "tls-unknown-authority", "not-tested")
	i := slices.IndexFunc(r.Findings, func(f session.Finding) bool { return f.ID == "not-tested" })
	if i < 0 {
		t.FailNow()
	}
	for _, want := range []string{"EHLO inside TLS", "AUTH as alice", "MAIL FROM:<alice@lab.test>", "RCPT TO:<bob@lab.test>", "the test message", "--insecure"} {
		if !strings.Contains(r.Findings[i].Title+r.Findings[i].Fix, want) {
			t.Errorf("not-tested %q / %q lacks %q", r.Findings[i].Title, r.Findings[i].Fix, want)
		}
	}
	sentAfterTLS(t, r, "QUIT")
	if len(l.Messages()) != 0 {
		t.Errorf("a message was sent over an unverified link")
	}
	insecure := doctorLab(t, l, "submission", func(c *DoctorConfig) { full(c); c.Options.Insecure = true })
	wantFirst(t, insecure, "tls-unknown-authority", "auth-ok", "message-accepted")
	if len(l.Messages()) != 1 {
		t.Errorf("--insecure: %d messages", len(l.Messages()))
	}
}

// sentAfterTLS fails unless the commands the doctor sent after the first
// TLS handshake are want.
func sentAfterTLS(t *testing.T, r DoctorResult, want ...string) {
	t.Helper()
	var got []string
	inTLS := false
	for _, e := range r.Entries {
		if e.Dir == wire.Note && strings.HasPrefix(string(e.Data), "TLS ") {
			inTLS = true
		}
		if inTLS && e.Dir == wire.Client {
			got = append(got, session.Verb(EntryText(e, false)))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("sent %q after the handshake, want %q", got, want)
	}
}

func TestDoctorNameMismatch(t *testing.T) {
	r := doctorLab(t, startLab(t), "submission", func(c *DoctorConfig) { c.Options.ServerName = "wrong.example" })
	wantFirst(t, r, "tls-name-mismatch")
	if !strings.Contains(r.Findings[0].Title, "not wrong.example") {
		t.Errorf("title %q", r.Findings[0].Title)
	}
}

func TestDoctorConnectFailed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := Doctor(context.Background(), DoctorConfig{Target: addr, Options: Options{Timeout: time.Second}})
	wantFirst(t, r, "connect-failed")
	if !r.Failed() || len(r.Findings) != 1 {
		t.Errorf("findings %q", ids(r))
	}
}

// TestDoctorAuthMechanism: --auth MECH signs in with that mechanism, not
// the strongest offered; one the server does not offer is the first
// finding, and no AUTH is sent (issue 17, item 8).
func TestDoctorAuthMechanism(t *testing.T) {
	l := startLab(t)
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
		r := doctorLab(t, l, "submission", func(c *DoctorConfig) { withUser(lab.User, lab.Password)(c); c.Mechanism = mech })
		if r.Failed() || r.Facts.Auth == nil || r.Facts.Auth.Mechanism != mech {
			t.Errorf("--auth %s: findings %q, auth %+v", mech, ids(r), r.Facts.Auth)
		}
	}
	r := doctorLab(t, l, "legacy", func(c *DoctorConfig) {
		withUser(lab.User, lab.Password)(c)
		c.Mechanism = "cram-md5"
		envelope("alice@lab.test", "carol@example.org")(c)
	})
	wantFirst(t, r, "auth-mechanism-not-offered", "auth-plaintext", "auth-required")
	if f := r.Findings[0]; !strings.Contains(f.Title, "CRAM-MD5") || !strings.Contains(f.Title, "PLAIN LOGIN") {
		t.Errorf("title %q", f.Title)
	}
	if r.Facts.Auth.Exchange != nil {
		t.Errorf("AUTH was sent: %+v", r.Facts.Auth.Exchange)
	}
}

func TestDoctorCheck(t *testing.T) {
	bad := []DoctorConfig{
		{Target: "x", Mechanism: "PLAIN"},
		{Target: "x", User: "u", Password: "p", Mechanism: "GSSAPI"},
		{Target: "bad target"},
		{Target: "x", User: "u"},
		{Target: "x", To: []string{"b@x"}},
		{Target: "x", From: "a@x", Send: true},
		{Target: "x", From: "a@x>\r\nRCPT TO:<evil@x"},
		{Target: "x", From: "a@x", To: []string{"<b@x"}},
	}
	for _, cfg := range bad {
		if cfg.Check() == nil {
			t.Errorf("Check(%+v) passed", cfg)
		}
	}
	if err := (DoctorConfig{Target: "x:587", User: "u", Password: "p", Mechanism: "login", From: "a@x", To: []string{"b@x"}, Send: true}).Check(); err != nil {
		t.Error(err)
	}
}

// fakeServer serves each connection with script, given its index, on
// loopback until the test ends.
func fakeServer(t *testing.T, script func(n int, c net.Conn, r *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				script(n, c, bufio.NewReader(c))
			})
		}
	})
	return ln.Addr().String()
}

// serve answers each command line with the reply mapped to its verb, until
// QUIT or a command it has no answer for.
func serve(c net.Conn, r *bufio.Reader, replies map[string]string) {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb := session.Verb(strings.TrimRight(line, "\r\n"))
		reply, ok := replies[verb]
		if !ok {
			return
		}
		c.Write([]byte(reply))
		if verb == "QUIT" {
			return
		}
	}
}

func TestDoctorStartTLSInjection(t *testing.T) {
	addr := fakeServer(t, func(_ int, c net.Conn, r *bufio.Reader) {
		c.Write([]byte("220 fake ESMTP\r\n"))
		serve(c, r, map[string]string{
			"EHLO":     "250-fake\r\n250 STARTTLS\r\n",
			"STARTTLS": "220 go ahead\r\n250-injected\x1b[2J\r\n",
		})
	})
	r := Doctor(context.Background(), DoctorConfig{Target: addr, Options: Options{Timeout: 2 * time.Second}})
	wantFirst(t, r, "starttls-injection")
	if ev := strings.Join(r.Findings[0].Evidence, "\n"); !strings.Contains(ev, `S: 250-injected\x1b[2J`) {
		t.Errorf("evidence %s", ev)
	}
}

func TestDoctorStartTLSRefused(t *testing.T) {
	addr := fakeServer(t, func(_ int, c net.Conn, r *bufio.Reader) {
		c.Write([]byte("220 fake ESMTP\r\n"))
		serve(c, r, map[string]string{
			"EHLO":     "250-fake\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n",
			"STARTTLS": "454 4.7.0 TLS not available due to local problem\r\n",
			"QUIT":     "221 bye\r\n",
		})
	})
	r := Doctor(context.Background(), DoctorConfig{Target: addr, Options: Options{Timeout: 2 * time.Second}})
	wantFirst(t, r, "starttls-refused", "auth-offered-in-clear")
	if !slices.ContainsFunc(r.Facts.Others, func(x session.Exchange) bool { return x.Command == "QUIT" }) {
		t.Error("the session did not go on to QUIT after a refused STARTTLS")
	}
}

// TestDoctorNoGreetingAnywhere: silent in plaintext, and the implicit-TLS
// attempt is answered in plaintext after the first connection is let go.
func TestDoctorNoGreetingAnywhere(t *testing.T) {
	second := make(chan struct{})
	addr := fakeServer(t, func(n int, c net.Conn, r *bufio.Reader) {
		if n == 0 {
			<-second // silent until the TLS attempt came and went
			r.ReadByte()
			return
		}
		r.ReadByte() // the ClientHello
		c.Write([]byte("500 what?\r\n"))
		close(second)
	})
	r := Doctor(context.Background(), DoctorConfig{Target: addr, GreetingWait: 20 * time.Millisecond,
		Options: Options{Timeout: 500 * time.Millisecond}})
	wantFirst(t, r, "no-greeting")
	if ev := strings.Join(r.Findings[0].Evidence, "\n"); !strings.Contains(ev, "retried with implicit TLS") {
		t.Errorf("evidence %s", ev)
	}
}

// TestDoctorLateGreetingWins: the plaintext greeting comes once the
// implicit-TLS attempt has failed; the session goes on in plaintext.
func TestDoctorLateGreetingWins(t *testing.T) {
	tlsTried := make(chan struct{})
	addr := fakeServer(t, func(n int, c net.Conn, r *bufio.Reader) {
		if n == 1 {
			r.ReadByte()
			c.Write([]byte("220 too early\r\n"))
			close(tlsTried)
			return
		}
		<-tlsTried
		c.Write([]byte("220 slow ESMTP\r\n"))
		serve(c, r, map[string]string{"EHLO": "250-slow\r\n250 8BITMIME\r\n", "QUIT": "221 bye\r\n"})
	})
	r := Doctor(context.Background(), DoctorConfig{Target: addr, GreetingWait: 20 * time.Millisecond,
		Options: Options{Timeout: 2 * time.Second}})
	if slices.ContainsFunc(ids(r), func(id string) bool { return strings.HasPrefix(id, "port-") }) || r.Facts.ImplicitTLS {
		t.Fatalf("findings %q", ids(r))
	}
	if r.Facts.Greeting == nil || len(r.Facts.Hellos) != 1 || r.Facts.Greeting.Took < 20*time.Millisecond {
		t.Errorf("greeting %+v, hellos %d", r.Facts.Greeting, len(r.Facts.Hellos))
	}
	wantFirst(t, r, "no-starttls", "auth-missing")
}

func TestDoctorHeloFallbackAndGreetingRefused(t *testing.T) {
	helo := fakeServer(t, func(_ int, c net.Conn, r *bufio.Reader) {
		c.Write([]byte("220 old\r\n"))
		serve(c, r, map[string]string{"EHLO": "502 5.5.2 Error: command not recognized\r\n", "HELO": "250 old\r\n", "QUIT": "221 bye\r\n"})
	})
	wantFirst(t, Doctor(context.Background(), DoctorConfig{Target: helo, Options: Options{Timeout: 2 * time.Second}}), "ehlo-refused")

	refused := fakeServer(t, func(_ int, c net.Conn, _ *bufio.Reader) {
		c.Write([]byte("554 5.7.1 Your address is listed\r\n"))
	})
	wantFirst(t, Doctor(context.Background(), DoctorConfig{Target: refused, Options: Options{Timeout: 2 * time.Second}}), "greeting-refused")
}

func TestDoctorJSON(t *testing.T) {
	r := doctorLab(t, startLab(t), "submission", nil)
	var got struct {
		Target   string `json:"target"`
		OK       bool   `json:"ok"`
		Findings []struct {
			ID, Severity, Title, Fix string
			Evidence                 []string
		} `json:"findings"`
		Timing []struct {
			Label  string  `json:"label"`
			TookMS float64 `json:"took_ms"`
		} `json:"timing"`
		Transcript []EntryJSON `json:"transcript"`
	}
	b, err := json.Marshal(r.JSON())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !got.OK || got.Target != r.Target || len(got.Findings) == 0 || got.Findings[0].ID != "auth-after-starttls" ||
		got.Findings[0].Severity != "advice" || len(got.Findings[0].Evidence) == 0 || got.Findings[0].Fix == "" {
		t.Errorf("findings %+v", got.Findings)
	}
	labels := []string{}
	for _, s := range got.Timing {
		labels = append(labels, s.Label)
	}
	want := []string{"connect", "greeting", "EHLO", "STARTTLS", "TLS handshake", "EHLO", "QUIT"}
	if !slices.Equal(labels, want) {
		t.Errorf("timing %q, want %q", labels, want)
	}
	if len(got.Transcript) == 0 || got.Transcript[0].Dir != "*" {
		t.Errorf("transcript %+v", got.Transcript)
	}
}

func TestWriteDoctor(t *testing.T) {
	r := doctorLab(t, startLab(t), "submission", nil)
	var out bytes.Buffer
	WriteDoctor(&out, r, WaterfallOptions{ASCII: true, Width: 20})
	text := out.String()
	for _, want := range []string{
		"\n1. [advice] AUTH is offered only after STARTTLS",
		"\n     S: 250-STARTTLS\n",
		"\n   fix: Upgrade before logging in",
		"\n        Python smtplib: s = smtplib.SMTP(host, 587); s.ehlo(); s.starttls(",
		"\ntiming\n  connect ",
		"\n  TLS handshake ",
		"\nno errors: 0 errors, ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.ContainsAny(text, "\x1b█") {
		t.Errorf("escape or block character in ASCII output:\n%s", text)
	}
}

// TestDoctorShortTimeoutStillTriesTLS: with --timeout under the greeting
// wait, a silent port still gets its implicit-TLS attempt before the
// verdict, instead of being called an implicit-TLS port on no evidence.
func TestDoctorShortTimeoutStillTriesTLS(t *testing.T) {
	addr := fakeServer(t, func(_ int, _ net.Conn, r *bufio.Reader) {
		r.ReadByte() // silent in plaintext and in TLS, until the client goes
	})
	r := Doctor(context.Background(), DoctorConfig{Target: addr, Options: Options{Timeout: 300 * time.Millisecond}})
	wantFirst(t, r, "no-greeting")
	if ev := strings.Join(r.Findings[0].Evidence, "\n"); !strings.Contains(ev, "retried with implicit TLS") {
		t.Errorf("evidence %s", ev)
	}
	if r.Address == "" {
		t.Errorf("no address, though the connection was made")
	}
}

// TestDoctorOldTLS: a server of TLS 1.0 alone fails the handshake with the
// versions named and the flag to allow it; allowed, it is a weak session.
func TestDoctorOldTLS(t *testing.T) {
	srv := hostile.Start(t, hostile.Load("old-tls"))
	opts := Options{ImplicitTLS: true, RootCAs: hostile.Roots(), Timeout: 5 * time.Second}
	r := Doctor(context.Background(), DoctorConfig{Target: srv.Addr, Options: opts})
	wantFirst(t, r, "tls-failed")
	if ev := strings.Join(r.Findings[0].Evidence, "\n"); !strings.Contains(ev, "we offered TLS 1.3, TLS 1.2") || !strings.Contains(ev, "--tls-min 1.0") {
		t.Errorf("evidence %s", ev)
	}
	opts.MinTLS = tls.VersionTLS10
	r = Doctor(context.Background(), DoctorConfig{Target: srv.Addr, Options: opts})
	wantFirst(t, r, "tls-weak-version", "tls-ok")
	if title := r.Findings[0].Title; title != "The server speaks TLS 1.0, deprecated (RFC 8996)" {
		t.Errorf("title %q", title)
	}
}

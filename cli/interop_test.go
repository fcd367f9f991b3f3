package cli

// The Postfix interop suite. It runs against a real Postfix brought up by
// scripts/postfix-lab.sh, whose env file names the endpoints:
//
//	bash scripts/postfix-lab.sh up && set -a && . /run/ehlo-postfix-lab/env && set +a
//	go test -run Postfix -v .
//
// Without those variables every test here is skipped with that message.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/internal/testenv"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

type postfix struct {
	mx, submission, smtps, ca, user, password, maildir string
}

func needPostfix(t *testing.T) postfix {
	t.Helper()
	p := postfix{
		mx: os.Getenv("EHLO_POSTFIX_MX"), submission: os.Getenv("EHLO_POSTFIX_SUBMISSION"),
		smtps: os.Getenv("EHLO_POSTFIX_SMTPS"), ca: os.Getenv("EHLO_POSTFIX_CA"),
		user: os.Getenv("EHLO_POSTFIX_USER"), password: os.Getenv("EHLO_POSTFIX_PASSWORD"),
		maildir: os.Getenv("EHLO_POSTFIX_MAILDIR"),
	}
	if p.submission == "" || p.ca == "" {
		testenv.Need(t, "the Postfix lab", "sudo bash scripts/postfix-lab.sh up, then load its env file: "+
			"set -a; . /var/lib/ehlo-postfix-lab/env; set +a (README, Development)")
	}
	return p
}

// needMaildir is needPostfix for a test that reads what Postfix delivered.
func needMaildir(t *testing.T) postfix {
	t.Helper()
	pf := needPostfix(t)
	if pf.maildir == "" || pf.user == "" {
		testenv.Need(t, "the Postfix lab's maildir", "set EHLO_POSTFIX_MAILDIR and EHLO_POSTFIX_USER (scripts/postfix-lab.sh writes them to its env file)")
	}
	return pf
}

// blobFile writes n bytes that no text encoding leaves alone, made from
// seed, to dir/blob.bin.
func blobFile(t *testing.T, dir string, n, seed int) (path string, blob []byte) {
	t.Helper()
	blob = make([]byte, n)
	for i := range blob {
		blob[i] = byte(i*seed + i>>(seed%8+5))
	}
	path = filepath.Join(dir, "blob.bin")
	if err := os.WriteFile(path, blob, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, blob
}

type probeOut struct {
	ImplicitTLS bool `json:"implicit_tls"`
	EHLO        []struct {
		TLS        bool              `json:"tls"`
		Extensions map[string]string `json:"extensions"`
	} `json:"ehlo"`
	TLS struct {
		Verified bool `json:"verified"`
	} `json:"tls"`
	Diff struct {
		Added []string `json:"added"`
	} `json:"diff"`
}

func probeJSON(t *testing.T, args ...string) probeOut {
	t.Helper()
	code, out, errOut := run(t, append([]string{"probe", "--json", "--timeout", "10s"}, args...)...)
	if code != 0 {
		t.Fatalf("probe %v: exit %d: %s", args, code, errOut)
	}
	var p probeOut
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return p
}

func TestPostfixSubmissionAuthOnlyAfterStartTLS(t *testing.T) {
	pf := needPostfix(t)
	p := probeJSON(t, pf.submission, "--ca", pf.ca, "--servername", "localhost")
	if len(p.EHLO) != 2 {
		t.Fatalf("want EHLO before and after STARTTLS, got %d", len(p.EHLO))
	}
	if _, ok := p.EHLO[0].Extensions["STARTTLS"]; !ok {
		t.Error("no STARTTLS before TLS")
	}
	if auth, ok := p.EHLO[0].Extensions["AUTH"]; ok {
		t.Errorf("AUTH %q before TLS on a smtpd_tls_auth_only port", auth)
	}
	auth := p.EHLO[1].Extensions["AUTH"]
	if !strings.Contains(auth, "PLAIN") || !strings.Contains(auth, "LOGIN") {
		t.Errorf("AUTH after TLS = %q", auth)
	}
	if !p.TLS.Verified || !strings.Contains(strings.Join(p.Diff.Added, " "), "AUTH") {
		t.Errorf("verified=%v added=%v", p.TLS.Verified, p.Diff.Added)
	}
}

func TestPostfixMXNeverOffersAuth(t *testing.T) {
	pf := needPostfix(t)
	p := probeJSON(t, pf.mx, "--ca", pf.ca, "--servername", "localhost")
	if len(p.EHLO) != 2 {
		t.Fatalf("ehlo: %d", len(p.EHLO))
	}
	for _, e := range p.EHLO {
		if _, ok := e.Extensions["AUTH"]; ok {
			t.Errorf("AUTH offered (tls=%v)", e.TLS)
		}
	}
}

func TestPostfixImplicitTLS(t *testing.T) {
	pf := needPostfix(t)
	p := probeJSON(t, pf.smtps, "--tls", "--ca", pf.ca, "--servername", "localhost")
	if !p.ImplicitTLS || len(p.EHLO) != 1 || !p.EHLO[0].TLS || p.EHLO[0].Extensions["AUTH"] == "" {
		t.Errorf("smtps: %+v", p)
	}
}

// TestPostfixDelivery submits a message after STARTTLS and AUTH, then finds
// it in the maildir and compares its bytes.
func TestPostfixDelivery(t *testing.T) {
	pf := needMaildir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := client.LoadCA(pf.ca)
	if err != nil {
		t.Fatal(err)
	}
	opts := client.Options{RootCAs: pool, ServerName: "localhost", Timeout: 10 * time.Second}
	tr := wire.NewTranscript()
	c, err := client.Dial(ctx, pf.submission, opts, tr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	steps := func() error {
		if _, err := c.Greeting(ctx); err != nil {
			return err
		}
		if _, _, err := c.Hello(ctx); err != nil {
			return err
		}
		if _, _, err := c.StartTLS(ctx); err != nil {
			return err
		}
		r, _, err := c.Hello(ctx)
		if err != nil {
			return err
		}
		mech := session.PreferredMechanism(session.ParseEHLO(r).AuthMechanisms())
		m, err := session.NewMechanism(mech, pf.user, pf.password)
		if err != nil {
			return fmt.Errorf("mechanism %q: %w", mech, err)
		}
		if _, err := c.Auth(ctx, m, pf.user); err != nil {
			return err
		}
		return nil
	}
	if err := steps(); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("<%d.interop@ehlo.test>", time.Now().UnixNano())
	body := "From: <" + pf.user + "@localhost>\r\nTo: <" + pf.user + "@localhost>\r\nSubject: interop\r\n" +
		"Message-ID: " + id + "\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\n\r\nHello from ehlo.\r\n.a line that starts with a dot\r\n"
	for _, line := range []string{"MAIL FROM:<" + pf.user + "@localhost>", "RCPT TO:<" + pf.user + "@localhost>"} {
		if r, err := c.Do(ctx, line); err != nil || !r.OK() {
			t.Fatalf("%s: %d %v", line, r.Code, err)
		}
	}
	if r, err := c.Data(ctx, strings.NewReader(body)); err != nil || r.Code != 250 {
		t.Fatalf("DATA: %d %v", r.Code, err)
	}
	c.Quit(ctx)
	assertNoPassword(t, tr, pf.password)

	got := waitForMaildir(t, pf.maildir, id)
	i := bytes.Index(got, []byte("From: <"))
	if i < 0 || !bytes.Equal(got[i:], []byte(strings.ReplaceAll(body, "\r\n", "\n"))) {
		t.Errorf("delivered message differs from what was sent (after Postfix's headers):\n%s", got)
	}
}

func assertNoPassword(t *testing.T, tr *wire.Transcript, password string) {
	t.Helper()
	var out bytes.Buffer
	client.WriteTranscript(&out, tr.Entries(), client.TranscriptFormat{Times: true})
	if strings.Contains(out.String(), password) {
		t.Error("the transcript shows the password")
	}
}

func waitForMaildir(t *testing.T, maildir, id string) []byte {
	t.Helper()
	return waitForMaildirHeader(t, maildir, "Message-ID", id)
}

// waitForMaildirHeader polls the maildir until a message whose header key
// is value arrives, for at most 20 seconds: Postfix delivers
// asynchronously.
func waitForMaildirHeader(t *testing.T, maildir, key, value string) []byte {
	t.Helper()
	return []byte(waitForMaildirHeaderFor(t, maildir, key, value, 20*time.Second))
}

// waitForMaildirHeaderFor is waitForMaildirHeader waiting up to wait.
func waitForMaildirHeaderFor(t *testing.T, maildir, key, value string, wait time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			if m, err := mail.ReadMessage(bytes.NewReader(b)); err == nil && m.Header.Get(key) == value {
				return string(b)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no message with %s %q reached %s", key, value, maildir)
	return ""
}

// TestPostfixTUI runs the explorer's newcomer flow against Postfix in tmux
// and finds the message in the maildir.
func TestPostfixTUI(t *testing.T) {
	pf := needPostfix(t)
	bin := ehloBinary(t)
	tm := newTerm(t, 120, 40, []string{"NO_COLOR=1"}, bin, pf.submission, "--ca", pf.ca, "--servername", "localhost")
	subject := fmt.Sprintf("tui interop %d", time.Now().UnixNano())
	rcpt := pf.user + "@localhost"
	saved := explore(t, tm, pf.user, pf.password, rcpt, rcpt, subject)
	got := waitForMaildirHeader(t, pf.maildir, "Subject", subject)
	if !bytes.Contains(got, []byte("\n\nHello from the explorer.\n.a line with a leading dot\n")) {
		t.Errorf("delivered body differs:\n%s", got)
	}
	b, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	assertClean(t, saved, string(b), secrets(pf.user, pf.password))
}

// TestPostfixDoctor runs ehlo doctor against Postfix: the smtpd_tls_auth_only
// submission port must give the smtplib story first, credentials must sign
// in (and a wrong password be named, never shown), the MX must refuse to
// relay, and the ports spoken in the wrong mode must be recognised.
func TestPostfixDoctor(t *testing.T) {
	pf := needPostfix(t)
	tlsArgs := []string{"--ca", pf.ca, "--servername", "localhost", "--timeout", "10s"}
	first := func(wantCode int, want string, args ...string) doctorOut {
		t.Helper()
		d := doctorJSON(t, wantCode, append(args, tlsArgs...)...)
		if ids := d.ids(); ids[0] != want {
			t.Errorf("doctor %v: findings %q, want %s first", args, ids, want)
		}
		return d
	}
	d := first(0, "auth-after-starttls", pf.submission)
	if !strings.Contains(strings.Join(d.ids(), " "), "tls-ok") {
		t.Errorf("submission: %q", d.ids())
	}
	// A well-configured server gets no warning: AUTH only after STARTTLS is
	// advice for clients (issue 17, item 3).
	for _, f := range d.Findings {
		if f.Severity == "warning" || f.Severity == "error" {
			t.Errorf("submission: %s is a %s", f.ID, f.Severity)
		}
	}
	// Without login the submission ports refuse even a local recipient:
	// the cause is the AUTH not used, not relaying (issue 17, item 1).
	local := "ehlotest@localhost"
	if pf.user != "" {
		local = pf.user + "@localhost"
	}
	for port, tls := range map[string]string{pf.submission: "--tls=false", pf.smtps: "--tls"} {
		if port == "" {
			continue
		}
		d = first(exitFailed, "auth-required", port, tls, "--from", "a@example.com", "--to", local)
		if ev := strings.Join(d.Findings[0].Evidence, "\n"); !strings.Contains(ev, "Client host rejected: Access denied") {
			t.Errorf("%s without login: evidence %s", port, ev)
		}
	}
	// The certificate unknown (no --ca): only QUIT after the handshake, and
	// what --insecure would test is named (issue 17, item 6).
	code, out, _ := run(t, "doctor", pf.submission, "--servername", "localhost", "--timeout", "10s", "--json", "--from", "a@example.com", "--to", local)
	var unverified doctorOut
	if err := json.Unmarshal([]byte(out), &unverified); err != nil || code != exitFailed {
		t.Fatalf("unverified: exit %d, %v: %s", code, err, out)
	}
	if ids := strings.Join(unverified.ids(), " "); !strings.HasPrefix(ids, "tls-unknown-authority") || !strings.Contains(ids, "not-tested") {
		t.Errorf("unverified: %q", ids)
	}
	for _, e := range unverified.Transcript {
		if e.Dir == "C" && e.TLS && strings.TrimSpace(e.Text) != "QUIT" {
			t.Errorf("unverified: sent %q over TLS that did not verify", e.Text)
		}
	}
	if pf.user != "" {
		t.Setenv("EHLO_PASSWORD", pf.password)
		d = first(0, "auth-after-starttls", pf.submission, "--user", pf.user)
		if !strings.Contains(strings.Join(d.ids(), " "), "auth-ok") {
			t.Errorf("with credentials: %q", d.ids())
		}
		// Before the wrong password: Dovecot's auth penalty slows the
		// next logins from the same address, which doctor rightly calls a
		// tarpit.
		d = first(0, "auth-after-starttls", pf.submission, "--user", pf.user, "--auth", "LOGIN",
			"--from", local, "--to", local, "--send")
		if ids := strings.Join(d.ids(), " "); !strings.Contains(ids, "auth-ok") || !strings.Contains(ids, "message-accepted") {
			t.Errorf("--auth LOGIN --send: %q", ids)
		}
		for _, f := range d.Findings {
			if f.ID == "auth-ok" && !strings.Contains(f.Title, "with LOGIN") {
				t.Errorf("auth-ok: %q", f.Title)
			}
		}
		const wrong = "not-the-postfix-password"
		t.Setenv("EHLO_PASSWORD", wrong)
		code, out, errOut := run(t, append([]string{"doctor", pf.submission, "--user", pf.user}, tlsArgs...)...)
		if code != exitFailed || !strings.Contains(out, "1. [error] The server refused the user name or password (535)") {
			t.Errorf("wrong password: exit %d\n%s", code, out)
		}
		if strings.Contains(out+errOut, wrong) || strings.Contains(out+errOut, pf.password) {
			t.Error("doctor output shows a password")
		}
	}
	if pf.mx != "" {
		first(exitFailed, "relay-denied", pf.mx, "--from", "a@example.com", "--to", "someone@example.org")
	}
	if pf.smtps != "" {
		first(exitFailed, "port-expects-implicit-tls", pf.smtps, "--greeting-wait", "300ms")
	}
	first(exitFailed, "port-expects-plaintext", pf.submission, "--tls")
}

// TestPostfixSend runs ehlo send against Postfix: STARTTLS, AUTH, MAIL
// with SIZE, pipelined RCPT and DATA, a text body and an attachment; then
// finds the message in the maildir and compares the attachment's bytes.
// A message over Postfix's SIZE is refused before MAIL, with exit 8.
func TestPostfixSend(t *testing.T) {
	pf := needMaildir(t)
	dir := t.TempDir()
	att, blob := blobFile(t, dir, 300<<10, 31)
	rcpt := pf.user + "@localhost"
	subject := fmt.Sprintf("send interop %d", time.Now().UnixNano())
	t.Setenv("EHLO_PASSWORD", pf.password)
	base := []string{"send", pf.submission, "--ca", pf.ca, "--servername", "localhost", "--timeout", "10s",
		"--user", pf.user, "--from", rcpt, "--to", rcpt}
	code, out, errOut := run(t, append(base, "--subject", subject, "--body", "Hello from ehlo send.\n.a dot line\n",
		"--attach", att, "--pipelining")...)
	if code != 0 || !strings.Contains(out, "result    delivered: 250 2.0.0 Ok: queued") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if strings.Contains(out+errOut, pf.password) {
		t.Error("send output shows the password")
	}
	got := waitForMaildirHeader(t, pf.maildir, "Subject", subject)
	if a := mimeAttachment(t, got, "blob.bin"); !bytes.Equal(a, blob) {
		t.Errorf("the attachment differs: %d bytes delivered, %d sent", len(a), len(blob))
	}
	if !bytes.Contains(got, []byte("\nHello from ehlo send.\n.a dot line\n")) {
		t.Errorf("delivered body:\n%.2000s", got)
	}

	p := probeJSON(t, pf.submission, "--ca", pf.ca, "--servername", "localhost")
	var limit int64
	fmt.Sscan(p.EHLO[len(p.EHLO)-1].Extensions["SIZE"], &limit)
	if limit <= 0 {
		t.Fatalf("Postfix advertises no SIZE limit: %+v", p.EHLO)
	}
	big := filepath.Join(dir, "big.bin")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, limit*3/4+1); err != nil { // sparse, never read: base64 makes it 4/3 as big
		t.Fatal(err)
	}
	code, out, errOut = run(t, append(base, "--attach", big)...)
	if code != exitMail || !strings.Contains(errOut, "RFC 1870") || strings.Contains(out, "C~ MAIL") {
		t.Errorf("over SIZE: exit %d, %s", code, errOut)
	}
}

// TestPostfixBDAT sends with --body-mode bdat to Postfix, which offers
// CHUNKING: a message of text with dot lines and a binary attachment, then
// the 20 MB body of bench/run.sh's send benchmark (when Postfix's SIZE
// allows it), each found byte for byte in the maildir (where Postfix
// writes LF line endings).
func TestPostfixBDAT(t *testing.T) {
	pf := needMaildir(t)
	dir := t.TempDir()
	att, blob := blobFile(t, dir, 200<<10, 7)
	rcpt := pf.user + "@localhost"
	t.Setenv("EHLO_PASSWORD", pf.password)
	send := func(t *testing.T, subject string, args ...string) string {
		t.Helper()
		base := []string{"send", pf.submission, "--ca", pf.ca, "--servername", "localhost", "--timeout", "60s",
			"--user", pf.user, "--from", rcpt, "--to", rcpt, "--body-mode", "bdat", "--subject", subject}
		code, out, errOut := run(t, append(base, args...)...)
		if code != 0 || !strings.Contains(out, "result    delivered: 250 2.0.0 Ok: ") || !strings.Contains(out, "with BDAT in") {
			t.Fatalf("exit %d: %s\n%s", code, errOut, out)
		}
		if strings.Contains(out+errOut, pf.password) {
			t.Error("send output shows the password")
		}
		return waitForMaildirHeaderFor(t, pf.maildir, "Subject", subject, time.Minute)
	}

	t.Run("attachment", func(t *testing.T) {
		subject := fmt.Sprintf("bdat interop %d", time.Now().UnixNano())
		got := send(t, subject, "--body", "Hello with BDAT.\n.a dot line\n..two dots\n", "--attach", att, "--pipelining")
		if a := mimeAttachment(t, []byte(got), "blob.bin"); !bytes.Equal(a, blob) {
			t.Errorf("the attachment differs: %d bytes delivered, %d sent", len(a), len(blob))
		}
		if !strings.Contains(got, "\nHello with BDAT.\n.a dot line\n..two dots\n") {
			t.Errorf("delivered body:\n%.2000s", got)
		}
	})
	t.Run("20MB", func(t *testing.T) {
		const size = 20000000 // bench/run.sh's 20M message
		p := probeJSON(t, pf.submission, "--ca", pf.ca, "--servername", "localhost")
		var limit int64
		fmt.Sscan(p.EHLO[len(p.EHLO)-1].Extensions["SIZE"], &limit)
		if limit != 0 && limit < size+4096 {
			testenv.Need(t, "a Postfix lab taking 20 MB messages", "EHLO_POSTFIX_MESSAGE_SIZE_LIMIT=209715200 bash scripts/postfix-lab.sh up (its SIZE is "+fmt.Sprint(limit)+")")
		}
		body := filepath.Join(dir, "20M.body")
		if err := os.WriteFile(body, benchBody(size), 0o600); err != nil {
			t.Fatal(err)
		}
		subject := fmt.Sprintf("bdat interop 20M %d", time.Now().UnixNano())
		got := send(t, subject, "--body", "@"+body)
		_, delivered, _ := strings.Cut(got, "\n\n")
		want, _ := os.ReadFile(body)
		if delivered != strings.ReplaceAll(string(want), "\r\n", "\n") {
			t.Errorf("the 20 MB body differs: %d bytes delivered, %d sent", len(delivered), len(want))
		}
	})
}

// benchBody is bench/run.sh's make_message body: CRLF lines of 78 octets,
// one in a thousand starting with a dot, then a line of x to fill size.
func benchBody(size int) []byte {
	line := []byte("The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqr\r\n")
	dot := []byte(".A line that starts with a dot, to be stuffed: 0123456789 abcdefghijklmnop\r\n")
	b := make([]byte, 0, size)
	for i := 0; len(b)+len(line) <= size; i++ {
		if i%1000 == 999 {
			b = append(b, dot...)
		} else {
			b = append(b, line...)
		}
	}
	if rest := size - len(b); rest >= 3 {
		b = append(append(b, bytes.Repeat([]byte("x"), rest-2)...), "\r\n"...)
	}
	return b
}

// TestPostfixModeMismatch: Postfix's implicit-TLS port asked for in
// plaintext, by probe, send and run, is named as a port that speaks TLS
// first once the greeting wait passes, long before the timeout, with the
// command line that works; and --tls to its plaintext ports is named too.
func TestPostfixModeMismatch(t *testing.T) {
	pf := needPostfix(t)
	if pf.smtps == "" {
		testenv.Need(t, "the Postfix lab's implicit-TLS port", "set EHLO_POSTFIX_SMTPS (scripts/postfix-lab.sh writes it to its env file)")
	}
	script := filepath.Join(t.TempDir(), "s.ehlo")
	if err := os.WriteFile(script, []byte("expect 220\nEHLO me.test\nexpect 250\nQUIT\nexpect 221\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"--ca", pf.ca, "--timeout", "30s", "--greeting-wait", "300ms"}
	send := []string{"send", "--from", pf.user + "@localhost", "--to", pf.user + "@localhost", "--quit-after", "ehlo"}
	for _, tt := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"probe", pf.smtps}, exitFailed, "this port speaks TLS first"},
		{append(send, pf.smtps), exitBanner, "this port speaks TLS first"},
		{[]string{"run", script, pf.smtps}, exitRunBroken, "this port speaks TLS first"},
		{[]string{"probe", "--tls", pf.submission}, exitFailed, "answered in plaintext where TLS was expected"},
		{append(send, "--tls", pf.mx), exitTLS, "answered in plaintext where TLS was expected"},
		{[]string{"run", "--tls", script, pf.submission}, exitRunBroken, "answered in plaintext where TLS was expected"},
	} {
		start := time.Now()
		code, out, errOut := run(t, append(tt.args, common...)...)
		took := time.Since(start)
		if code != tt.code || !strings.Contains(errOut, tt.says) || took > 10*time.Second {
			t.Errorf("%v: exit %d after %v, want %d and %q:\n%s%s", tt.args, code, took, tt.code, tt.says, out, errOut)
			continue
		}
		m := fixLine.FindStringSubmatch(errOut)
		if m == nil {
			t.Errorf("%v: no working line:\n%s", tt.args, errOut)
			continue
		}
		if code, out, errOut := run(t, strings.Fields(m[1])...); code != 0 {
			t.Errorf("the working line %q exits %d:\n%s%s", m[1], code, out, errOut)
		}
	}
}

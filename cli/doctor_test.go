package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/lab"
)

type doctorOut struct {
	Target   string `json:"target"`
	OK       bool   `json:"ok"`
	Findings []struct {
		ID       string   `json:"id"`
		Severity string   `json:"severity"`
		Title    string   `json:"title"`
		Evidence []string `json:"evidence"`
		Fix      string   `json:"fix"`
	} `json:"findings"`
	Timing []struct {
		Label string `json:"label"`
	} `json:"timing"`
	Transcript []struct {
		Dir  string `json:"dir"`
		TLS  bool   `json:"tls"`
		Text string `json:"text"`
	} `json:"transcript"`
}

func (d doctorOut) ids() []string {
	var out []string
	for _, f := range d.Findings {
		out = append(out, f.ID)
	}
	return out
}

func doctorJSON(t *testing.T, wantCode int, args ...string) doctorOut {
	t.Helper()
	code, out, errOut := run(t, append([]string{"doctor", "--json"}, args...)...)
	if code != wantCode {
		t.Fatalf("doctor %v: exit %d, want %d: %s", args, code, wantCode, errOut)
	}
	var d doctorOut
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(d.Findings) == 0 {
		t.Fatalf("doctor %v: no findings", args)
	}
	return d
}

// TestDoctorSubmissionFirstFinding is the "done when": the first
// thing a user of smtplib reads is the cause and the fix.
func TestDoctorSubmissionFirstFinding(t *testing.T) {
	code, out, errOut := run(t, "doctor", "--lab", "submission")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	first := out[strings.Index(out, "\n1. "):strings.Index(out, "\n2. ")]
	for _, want := range []string{
		`[advice] AUTH is offered only after STARTTLS: logging in before STARTTLS fails with "SMTP AUTH extension not supported by server"`,
		"S: 250-STARTTLS", "S~ 250-AUTH PLAIN LOGIN CRAM-MD5",
		"s.ehlo(); s.starttls(context=ssl.create_default_context()); s.ehlo(); s.login(user, password)",
		"nodemailer", "PHPMailer", "msmtp", "Go net/smtp",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("first finding lacks %q:\n%s", want, first)
		}
	}
	if !strings.Contains(out, "\ntiming\n") || !strings.Contains(out, "TLS handshake") {
		t.Errorf("no timing waterfall:\n%s", out)
	}
}

func TestDoctorLabJSON(t *testing.T) {
	tests := []struct {
		args  []string
		code  int
		first string
		also  string
	}{
		{[]string{"--lab"}, 0, "auth-after-starttls", "tls-ok"},
		{[]string{"--lab", "legacy"}, exitFailed, "auth-plaintext", "no-starttls"},
		{[]string{"--lab", "mx"}, 0, "auth-missing", "tls-ok"},
		{[]string{"--lab", "mx", "--from", "a@x", "--to", "b@example.org"}, exitFailed, "relay-denied", "auth-missing"},
		{[]string{"--lab", "smtps"}, 0, "tls-ok", "auth-offered"},
	}
	for _, tt := range tests {
		d := doctorJSON(t, tt.code, tt.args...)
		if ids := d.ids(); ids[0] != tt.first || !strings.Contains(strings.Join(ids, " "), tt.also) {
			t.Errorf("%v: findings %q, want %s first and %s", tt.args, ids, tt.first, tt.also)
		}
		if d.OK != (tt.code == 0) || len(d.Timing) == 0 || len(d.Transcript) == 0 {
			t.Errorf("%v: ok %v, %d spans, %d entries", tt.args, d.OK, len(d.Timing), len(d.Transcript))
		}
	}
}

// TestDoctorSMTPSInPlaintext probes the implicit-TLS endpoint without
// --tls, by its address, with a short greeting wait.
func TestDoctorSMTPSInPlaintext(t *testing.T) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, l.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	ep, _ := l.Endpoint("smtps")
	code, out, errOut := run(t, "doctor", ep.Addr, "--ca", ca, "--greeting-wait", "150ms")
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "\n1. [error] Port ") || !strings.Contains(out, "expects implicit TLS: no greeting in plaintext within 150ms; with TLS it greeted") {
		t.Errorf("output:\n%s", out)
	}
	if !strings.Contains(errOut, "trying implicit TLS") {
		t.Errorf("no progress hint on stderr: %q", errOut)
	}
}

func TestDoctorCredentialsCLI(t *testing.T) {
	code, out, errOut := runIn(t, lab.Password+"\n", "doctor", "--lab", "--user", lab.User, "--password-stdin")
	if code != 0 || !strings.Contains(out, "[info] Signed in as alice with CRAM-MD5 (235)") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}

	code, out, errOut = runIn(t, lab.Password+"\n", "doctor", "--lab", "--user", lab.User, "--password-stdin", "--auth", "PLAIN")
	if code != 0 || !strings.Contains(out, "[info] Signed in as alice with PLAIN (235)") {
		t.Fatalf("--auth PLAIN: exit %d:\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := run(t, "doctor", "--lab", "--auth", "GSSAPI", "--user", lab.User); code != exitUsage || !strings.Contains(errOut, "--auth") {
		t.Errorf("--auth GSSAPI: exit %d: %s", code, errOut)
	}

	// --lab signs in as the lab's own account without being told its password
	t.Setenv("EHLO_PASSWORD", "")
	if code, out, errOut := run(t, "doctor", "--lab", "--user", lab.User); code != 0 || !strings.Contains(out, "Signed in as alice") {
		t.Fatalf("doctor --lab --user alice: exit %d:\n%s\n%s", code, out, errOut)
	}

	const wrong = "hunter2-not-it"
	t.Setenv("EHLO_PASSWORD", wrong)
	for _, format := range [][]string{nil, {"--json"}, {"--transcript"}} {
		args := append([]string{"doctor", "--lab", "--user", lab.User, "--from", "alice@lab.test", "--to", "bob@lab.test"}, format...)
		code, out, errOut := run(t, args...)
		if code != exitFailed {
			t.Fatalf("%v: exit %d: %s", format, code, errOut)
		}
		if !strings.Contains(out, "auth-bad-credentials") && !strings.Contains(out, "1. [error] The server refused the user name or password (535)") {
			t.Errorf("%v: no auth-bad-credentials first:\n%s", format, out)
		}
		for _, secret := range []string{wrong, lab.Password} {
			if strings.Contains(out+errOut, secret) {
				t.Errorf("%v: the password %q is in the output", format, secret)
			}
		}
	}
}

func TestDoctorUsage(t *testing.T) {
	t.Setenv("EHLO_PASSWORD", "")
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"doctor"}, "needs one TARGET"},
		{[]string{"doctor", "a", "b"}, "needs one TARGET"},
		{[]string{"doctor", "x", "--user", "u"}, "needs a password"},
		{[]string{"doctor", "x", "--password-stdin"}, "needs --user"},
		{[]string{"doctor", "x", "--user", "u", "--password-stdin"}, "standard input held no password"},
		{[]string{"doctor", "x", "--timeout", "0"}, "--timeout 0s"},
		{[]string{"doctor", "x", "--to", "b@x"}, "--to needs --from"},
		{[]string{"doctor", "x", "--from", "a@x", "--send"}, "--send needs"},
		{[]string{"doctor", "--lab", "nowhere"}, "no endpoint"},
		{[]string{"doctor", "bad target"}, "bad target"},
		{[]string{"doctor", "--no-such-flag", "x"}, "unknown flag"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.err) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, errOut, exitUsage, tt.err)
		}
	}
}

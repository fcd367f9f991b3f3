package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
)

func sendTempFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSendLab(t *testing.T) {
	att := sendTempFile(t, "notes.txt", "attached text\n")
	code, out, errOut := run(t, "send", "--lab", "--to", "Bob <bob@lab.test>", "--bcc", "hidden@lab.test",
		"--subject", "Grüße", "--body", "Hello.", "--attach", att, "--pipelining")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"*  AUTH CRAM-MD5 as alice (the user name goes in a response)\nC~ AUTH CRAM-MD5\n",
		"accepted  <hidden@lab.test>",
		"result    delivered: 250 2.0.0 OK: queued",
		"received, from <alice@lab.test> to <bob@lab.test>, <hidden@lab.test>",
		"(Subject decoded: Grüße)",
		"text/plain; charset=utf-8 (base64), file notes.txt, 14 bytes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	header, _, _ := strings.Cut(out[strings.Index(out, "received, from"):], "\n\n")
	if strings.Contains(header, "hidden@lab.test>\n") || strings.Contains(strings.ToLower(header), "bcc:") {
		t.Errorf("Bcc in the received header:\n%s", header)
	}
	if strings.Contains(out, lab.Password) {
		t.Error("the output shows the password")
	}
}

func TestSendExitCodes(t *testing.T) {
	t.Setenv("EHLO_PASSWORD", "")
	sparse := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(sparse, nil, 0o600)
	os.Truncate(sparse, 30<<20)
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"send", "--lab", "--quit-after", "rcpt"}, 0, ""},
		{[]string{"send", "--timeout", "2s", "127.0.0.1:1", "--from", "a@example.org", "--to", "b@example.org"}, exitConnect, "connect"},
		{[]string{"send", "--lab", "legacy", "--starttls", "require"}, exitTLS, "does not offer STARTTLS"},
		{[]string{"send", "--lab", "--starttls", "never"}, exitAuth, "does not offer AUTH in plaintext"},
		{[]string{"send", "--lab", "--attach", sparse}, exitMail, "SIZE 35882577"},
		{[]string{"send", "--lab", "mx", "--to", "eve@example.org"}, exitRcpt, "every recipient refused: 554 5.7.1"},
		{[]string{"send", "--lab", "greylist", "--to", "bob@lab.test"}, exitRcpt, "every recipient refused: 450 4.7.1"},
		{[]string{"send"}, exitUsage, "needs one TARGET"},
		{[]string{"send", "x.example:25", "--to", "b@example.org"}, exitUsage, "needs --from"},
		{[]string{"send", "--lab", "--quit-after", "data"}, exitUsage, "--quit-after"},
		{[]string{"send", "--lab", "--attach", "/does/not/exist"}, exitUsage, "--attach /does/not/exist: does not exist"},
		{[]string{"send", "--lab", "--auth", "GSSAPI"}, exitUsage, "--auth"},
		{[]string{"send", "--lab", "--header", "X-A: b\r\nBcc: c@example.org"}, exitUsage, "CR, LF or NUL"},
		{[]string{"send", "--lab", "--body", "-", "--password-stdin"}, exitUsage, "standard input"},
		{[]string{"send", "--lab", "--user", "u", "--password-stdin"}, exitUsage, "standard input held no password"},
		{[]string{"send", "127.0.0.1:1", "--user", "u", "--from", "a@example.org", "--to", "b@example.org"}, exitUsage,
			"no password for u, and no terminal to ask on: give it with --password-stdin or in EHLO_PASSWORD"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.err)
		}
	}
}

func TestSendExitCodePerStep(t *testing.T) {
	want := map[string]int{client.StepConnect: 3, client.StepGreeting: 4, client.StepHello: 5, client.StepStartTLS: 6,
		client.StepAuth: 7, client.StepMail: 8, client.StepRcpt: 9, client.StepData: 10, client.StepDataEnd: 11}
	for step, code := range want {
		err := fmt.Errorf("wrapped: %w", &client.StepError{Step: step, Err: errors.New("x")})
		if got := sendExit(err); got != code {
			t.Errorf("%s: exit %d, want %d", step, got, code)
		}
	}
	if sendExit(errors.New("other")) != exitFailed {
		t.Error("an error without a step should exit 1")
	}
}

func TestSendPasswordFromStdinNeverShown(t *testing.T) {
	transcript := filepath.Join(t.TempDir(), "t.log")
	code, out, errOut := runIn(t, lab.Password+"\n", "send", "--lab", "--user", lab.User, "--auth", "PLAIN",
		"--password-stdin", "--json", "--transcript", transcript)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Auth struct {
			Mechanism string `json:"mechanism"`
			Code      int    `json:"code"`
		} `json:"auth"`
		Delivered bool `json:"delivered"`
		Received  []struct {
			User string `json:"user"`
		} `json:"lab_received"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Auth.Mechanism != "PLAIN" || got.Auth.Code != 235 || !got.Delivered || len(got.Received) != 1 || got.Received[0].User != lab.User {
		t.Errorf("%+v", got)
	}
	file, err := os.ReadFile(transcript)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(transcript); st.Mode().Perm() != 0o600 {
		t.Errorf("transcript mode %v", st.Mode().Perm())
	}
	if !bytes.Contains(file, []byte(`C~ AUTH PLAIN <redacted user="alice">`)) {
		t.Errorf("transcript file:\n%s", file)
	}
	for _, text := range []string{out, errOut, string(file)} {
		if strings.Contains(text, lab.Password) || strings.Contains(text, "AGFsaWNlAHdvbmRlcmxhbmQ") {
			t.Error("the password shows")
		}
	}

	t.Setenv("EHLO_PASSWORD", "wrong")
	if code, _, errOut := run(t, "send", "--lab", "--user", lab.User); code != exitAuth || strings.Contains(errOut, "wrong") {
		t.Errorf("wrong password: exit %d, %s", code, errOut)
	}
}

const runScriptText = `# lab: submission
expect 220
EHLO me.test
expect 250
STARTTLS
expect 220
EHLO me.test
expect 250
:auth LOGIN alice
expect 235
MAIL FROM:<alice@lab.test>
expect 250
RCPT TO:<bob@lab.test>
expect 250
DATA
expect 354
Subject: run

hello
.
expect 250
QUIT
expect 221
`

func TestRunScriptCLI(t *testing.T) {
	ok := sendTempFile(t, "ok.ehlo", runScriptText)
	code, out, errOut := run(t, "run", ok)
	if code != 0 || !strings.Contains(out, "ok: "+ok+": 10 expectations met") || !strings.Contains(out, "C~ AUTH LOGIN\n") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}

	broken := sendTempFile(t, "broken.ehlo", strings.Replace(runScriptText, "EHLO me.test\nexpect 250\n:auth", "EHLO me.test\nexpect 250\nMAIL FROM:<alice@lab.test>\nexpect 250\n:auth", 1))
	code, out, errOut = run(t, "run", broken)
	if code != exitFailed || !strings.Contains(errOut, broken+":10: expect 250: the reply to MAIL FROM:<alice@lab.test> (line 9) was 530") {
		t.Errorf("broken: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "C~ MAIL FROM:<alice@lab.test>") || !strings.Contains(out, "expectation not met") {
		t.Errorf("broken: the transcript is not printed:\n%s", out)
	}

	tests := []struct {
		script string
		code   int
		err    string
	}{
		{"EHLO x\n:nope\n", exitUsage, ":2: unknown local command"},
		{"EHLO x\nexpect 250\n", exitUsage, "no target"},
		{"# target: 127.0.0.1:1\nEHLO x\nAUTH PLAIN {{ir}}\n", exitUsage, "{{ir}}"},
		{"# target: 127.0.0.1:1\nEHLO x\n", exitRunBroken, "connect"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, "run", "--timeout", "2s", sendTempFile(t, "s.ehlo", tt.script))
		if code != tt.code || !strings.Contains(errOut, tt.err) {
			t.Errorf("%q: exit %d, %q; want %d and %q", tt.script, code, errOut, tt.code, tt.err)
		}
	}
}

func TestRunScriptVarsFromEnvironment(t *testing.T) {
	script := sendTempFile(t, "v.ehlo", "# lab: legacy\nEHLO x\nexpect 250\nAUTH PLAIN {{ir}}\nexpect 235\nQUIT\n")
	t.Setenv("EHLO_VAR_IR", "AGFsaWNlAHdvbmRlcmxhbmQ=")
	code, out, errOut := run(t, "run", script)
	if code != 0 || !strings.Contains(out, "C: AUTH PLAIN {{ir}}") || strings.Contains(out, "AGFsaWNl") {
		t.Errorf("exit %d: %s\n%s", code, errOut, out)
	}
}

// TestSendTranscriptFileIsPrivate: --transcript leaves the file readable by
// its owner alone, also when it existed with a wider mode.
func TestSendTranscriptFileIsPrivate(t *testing.T) {
	path := sendTempFile(t, "t.txt", "old")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "send", "--lab", "--quit-after", "rcpt", "--transcript", path); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("transcript file mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestRunNamesTheDocumentedPasswordVariable: a script's {{password}} with
// nothing to fill it names EHLO_PASSWORD, the variable the help documents.
func TestRunNamesTheDocumentedPasswordVariable(t *testing.T) {
	t.Setenv("EHLO_PASSWORD", "")
	script := sendTempFile(t, "p.ehlo", "# target: 127.0.0.1:1\nEHLO x\nexpect 250\n:auth LOGIN u\n")
	code, _, errOut := run(t, "run", script)
	if code != exitUsage || !strings.Contains(errOut, "{{password}} (or set EHLO_PASSWORD)") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// mimeAttachment parses a message (net/mail, mime/multipart) and returns
// the decoded content of the attachment called filename.
func mimeAttachment(t *testing.T, data []byte, filename string) []byte {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no attachment %s: %v", filename, err)
		}
		if p.FileName() != filename {
			continue
		}
		if p.Header.Get("Content-Transfer-Encoding") != "base64" {
			t.Fatalf("%s: %s", filename, p.Header.Get("Content-Transfer-Encoding"))
		}
		b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// TestReadmeRunExample: the script in the README's `ehlo run` section runs,
// every expect met, once its target line points at the lab.
func TestReadmeRunExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "### `ehlo run")
	_, block, _ := strings.Cut(section, "```\n")
	block, _, ok := strings.Cut(block, "```\n")
	if !ok || !strings.Contains(block, "# target: smtp.example.org:587\n") {
		t.Fatalf("no script with a target line in the README's run section:\n%s", block)
	}
	script := sendTempFile(t, "readme.ehlo", strings.Replace(block, "# target: smtp.example.org:587\n", "# lab: submission\n", 1))
	code, out, errOut := run(t, "run", script)
	if code != 0 || !strings.Contains(out, "10 expectations met") {
		t.Errorf("exit %d: %s\n%s", code, errOut, out)
	}
}

// TestSendCharset: a Latin-1 body is refused rather than labelled utf-8,
// with the way out in the message; --charset sends it under its name.
func TestSendCharset(t *testing.T) {
	body := sendTempFile(t, "latin1.txt", "Gr\xfc\xdfe aus K\xf6ln\n")
	code, out, errOut := run(t, "send", "--lab", "--body", "@"+body)
	if code != exitUsage || !strings.Contains(errOut, "not valid UTF-8 (byte 2 is 0xfc)") || !strings.Contains(errOut, "--charset") {
		t.Errorf("a Latin-1 body: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "send", "--lab", "--body", "@"+body, "--charset", "iso-8859-1")
	if code != 0 || !strings.Contains(out, "text/plain; charset=iso-8859-1 (8bit), 16 bytes") {
		t.Errorf("--charset iso-8859-1: exit %d\n%s%s", code, out, errOut)
	}
}

// TestDataTimeoutFlag: the wait for the reply to the final "." is RFC
// 5321's 10 minutes unless --data-timeout, or an explicit --timeout, says
// otherwise; zero is a usage error.
func TestDataTimeoutFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want time.Duration
	}{
		{nil, 10 * time.Minute},
		{[]string{"--timeout", "5s"}, 5 * time.Second},
		{[]string{"--timeout", "20m"}, 20 * time.Minute},
		{[]string{"--data-timeout", "1m"}, time.Minute},
		{[]string{"--timeout", "5s", "--data-timeout", "1m"}, time.Minute},
		{[]string{"--data-timeout", "0"}, 0},
	} {
		var f connFlags
		cmd := &cobra.Command{Use: "x"}
		f.register(cmd)
		f.registerData(cmd)
		if err := cmd.ParseFlags(tt.args); err != nil {
			t.Fatal(err)
		}
		opts, err := f.options()
		switch {
		case tt.want == 0 && exitCode(err) != exitUsage:
			t.Errorf("%q: %v, want a usage error", tt.args, err)
		case tt.want != 0 && (err != nil || opts.DataTimeout != tt.want):
			t.Errorf("%q: DataTimeout %v (%v), want %v", tt.args, opts.DataTimeout, err, tt.want)
		}
	}
}

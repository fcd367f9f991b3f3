package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/hostile"
	"github.com/ehlo-sh/ehlo/session"
)

// These tests run the CLI commands (probe, doctor, send) against the
// hostile-server scenarios of internal/hostile and check what they print,
// on stdout, on stderr, in JSON and in transcript files: no escape
// sequence at all, no C1 or bidi control, no CR; the printed transcript
// reads back to the bytes the server wrote; and no form of a password.

// cliResult is one run of the CLI.
type cliResult struct {
	code           int
	stdout, stderr string
	files          map[string]string // files the run wrote
}

// runCLI runs the CLI with args and stdin until it ends or ctx does.
func runCLI(ctx context.Context, t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	root := newRoot()
	root.SilenceUsage, root.SilenceErrors = true, true // as fang.Execute sets them
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	res := cliResult{files: map[string]string{}}
	if err := root.ExecuteContext(ctx); err != nil {
		res.code = exitCode(err)
		if msg, ok := errorWords(err); ok { // as handleError prints it
			errOut.WriteString(msg + "\n")
		}
	}
	res.stdout, res.stderr = out.String(), errOut.String()
	return res
}

// check fails on anything unsafe in every output, and on any form of the
// secrets.
func (r cliResult) check(t *testing.T, secrets *hostile.Secrets) {
	t.Helper()
	outs := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	for name, s := range r.files {
		outs[name] = s
	}
	for name, s := range outs {
		if strings.Contains(s, "\x1b") {
			t.Errorf("%s holds ESC: %q", name, s)
		}
		hostile.Terminal(t, name, s)
		noPackagePrefix(t, name, s)
		if strings.HasPrefix(strings.TrimSpace(s), "{") || strings.HasPrefix(strings.TrimSpace(s), "[") {
			checkJSONStrings(t, name, s)
		}
		if secrets != nil {
			hostile.NoSecret(t, name, []byte(s), *secrets)
		}
	}
}

// packagePrefix is a Go package's name opening an error's words, as in
// "wire: starttls: ...": words for the code's author, not for a person.
var packagePrefix = regexp.MustCompile(`\b(wire|session|client|ui|cli|lab): `)

// noPackagePrefix fails when an output a person reads holds an error's
// package prefix.
func noPackagePrefix(t *testing.T, name, s string) {
	t.Helper()
	if m := packagePrefix.FindString(s); m != "" {
		t.Errorf("%s holds the package prefix %q, words for the code, not for a person:\n%s", name, m, s)
	}
}

// checkJSONStrings decodes JSON output and checks each string in it: JSON
// escapes C0 controls, which the raw text would hide.
func checkJSONStrings(t *testing.T, name, s string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return // not JSON after all
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			hostile.Terminal(t, name+" (JSON string)", v)
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				hostile.Terminal(t, name+" (JSON key)", k)
				walk(x)
			}
		}
	}
	walk(v)
}

// all is stdout and stderr.
func (r cliResult) all() string { return r.stdout + r.stderr }

// caFile writes the harness's CA for --ca.
func caFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, hostile.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	timed      = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} `)
	serverLine = regexp.MustCompile(`(?m)^(\d\d:\d\d:\d\d\.\d{3} )?S[:~] `)
)

// serverBytes reads a printed transcript back into the bytes the server
// sent: S: and S~ lines, unescaped, with the CRLF the printer drops.
func serverBytes(t *testing.T, printed string) []byte {
	t.Helper()
	var b []byte
	for _, line := range strings.Split(printed, "\n") {
		if timed.MatchString(line) { // --transcript FILE lines start with a time
			line = line[len("15:04:05.000 "):]
		}
		text, ok := strings.CutPrefix(line, "S: ")
		if !ok {
			if text, ok = strings.CutPrefix(line, "S~ "); !ok {
				continue
			}
		}
		text, partial := strings.CutSuffix(text, "  (no line ending)")
		data, err := session.Unescape(text)
		if err != nil {
			t.Fatalf("printed transcript line %q does not read back: %v", line, err)
		}
		if !partial && !bytes.HasSuffix(data, []byte("\n")) {
			data = append(data, '\r', '\n')
		}
		b = append(b, data...)
	}
	return b
}

// probeCLICases: scenario, extra flags, what the output must say, and
// whether the probe reads all the server wrote.
// Scenarios about silence run with --timeout 300ms (quick), others 3s (so
// a loaded machine does not time out an exchange that should succeed).
var probeCLICases = []struct {
	scenario string
	args     []string
	want     []string
	whole    bool
}{
	{"no-greeting", []string{"--greeting-wait", "50ms"}, []string{"no greeting", "implicit TLS, tried on a second connection, did not answer either"}, true},
	{"trickle-greeting", nil, []string{"timed out"}, false},
	{"endless-continuation", nil, []string{"longer than 256 lines"}, false},
	{"long-line", nil, []string{"reply line longer than 2048 bytes"}, false},
	{"malformed-25", nil, []string{"three-digit code"}, true},
	{"malformed-2500", nil, []string{"not followed by SP"}, true},
	{"malformed-abc", nil, []string{"three-digit code"}, true},
	{"malformed-999", nil, []string{"malformed reply"}, true},
	{"malformed-250ok", nil, []string{"not followed by SP"}, true},
	{"escapes", nil, []string{`\x1b]52;c;ZXZpbA==\x07`, `\x1b]0;pwned title\x07`, `\x1b[2J`, `\u202eevil`, `550 no\r250 OK`}, true},
	{"nul-invalid", nil, []string{`mx\x00.hostile.test \xff\xfe`}, true},
	{"starttls-injection", nil, []string{"possible STARTTLS response injection", `(250 AUTH PLAIN\r\n)`}, false},
	{"starttls-injection-later", nil, []string{"after its 220 to STARTTLS the server sent plaintext", "possible response injection"}, true},
	{"starttls-silence", nil, []string{"STARTTLS", "timed out"}, true},
	{"starttls-454", nil, []string{"declined STARTTLS: 454", ", plaintext)"}, true},
	{"starttls-502", nil, []string{"declined STARTTLS: 502", ", plaintext)"}, true},
	{"starttls-selfsigned", nil, []string{"NOT verified", "unknown authority"}, true},
	{"starttls-expired", nil, []string{"NOT verified", "expired"}, true},
	{"starttls-wrongname", nil, []string{"NOT verified", "name mismatch"}, true},
	{"starttls-selfsigned", []string{"--insecure"}, []string{"UNVERIFIED (--insecure)", "unknown authority"}, true},
	{"starttls-expired", []string{"--insecure"}, []string{"UNVERIFIED (--insecure)", "expired"}, true},
	{"starttls-wrongname", []string{"--insecure"}, []string{"UNVERIFIED (--insecure)", "name mismatch"}, true},
	{"implicit-tls", []string{"--tls"}, []string{"implicit TLS", "EHLO inside TLS"}, true},
	{"implicit-tls", []string{"--greeting-wait", "50ms"}, []string{"this port speaks TLS first", "run instead: ehlo probe"}, false},
	{"plaintext-server", []string{"--tls"}, []string{"answered in plaintext where TLS was expected"}, true},
	{"unsolicited-421", nil, []string{"protocol error at greeting", "421 4.3.2", "closing the session"}, true},
	{"fin-mid-reply", nil, []string{"in the middle of a reply", "250-8BI"}, true},
	{"rst-mid-reply", nil, []string{"EHLO"}, false},
	{"junk-before-greeting", nil, []string{"greeting"}, false},
	{"flood", nil, []string{"EHLO"}, false},
}

func TestHostileCLIProbe(t *testing.T) {
	ca := caFile(t)
	for _, tt := range probeCLICases {
		t.Run(tt.scenario+strings.Join(tt.args, ""), func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load(tt.scenario))
			args := append([]string{"probe", srv.Addr, "--timeout", timeoutFor(tt.scenario, tt.args), "--ca", ca}, tt.args...)
			text := runCLI(context.Background(), t, "", append(args, "--transcript")...)
			text.check(t, nil)
			for _, w := range tt.want {
				if !strings.Contains(text.all(), w) {
					t.Errorf("output lacks %q:\n%s", w, text.all())
				}
			}
			got, wrote := serverBytes(t, text.stdout), srv.Conn(t).Wait(t).Wrote()
			if !bytes.HasPrefix(wrote, got) || tt.whole && !bytes.Equal(got, wrote) {
				t.Errorf("the printed transcript reads back to %q\nthe server wrote %q", clip(got), clip(wrote))
			}
			js := runCLI(context.Background(), t, "", append(args, "--json", "--transcript")...)
			js.check(t, nil)
		})
	}
}

// readsBack checks that a printed transcript reads back to a prefix of
// what the server wrote, when the run made one connection.
func readsBack(t *testing.T, srv *hostile.Server, printed string) {
	t.Helper()
	if conns := srv.Conns(); len(conns) == 1 {
		got, wrote := serverBytes(t, printed), conns[0].Wait(t).Wrote()
		if len(got) == 0 && serverLine.MatchString(printed) {
			t.Errorf("no server line read back from the printed transcript:\n%s", printed)
		}
		if !bytes.HasPrefix(wrote, got) {
			t.Errorf("the printed transcript reads back to %q\nthe server wrote %q", clip(got), clip(wrote))
		}
	}
}

func clip(b []byte) []byte {
	if len(b) > 300 {
		return append(bytes.Clone(b[:300]), "..."...)
	}
	return b
}

// doctorCLICases run ehlo doctor, text and JSON.
var doctorCLICases = []struct {
	scenario string
	args     []string
	want     []string
}{
	{"no-greeting", nil, []string{"greeting"}},
	{"escapes", nil, []string{`\x1b]52;c;ZXZpbA==\x07`}},
	{"nul-invalid", nil, []string{`\x00`}},
	{"long-line", nil, []string{"2048"}},
	{"endless-continuation", nil, []string{"256"}},
	{"malformed-abc", nil, nil},
	{"junk-before-greeting", nil, nil},
	{"starttls-injection", nil, []string{"injection"}},
	{"starttls-injection-later", nil, []string{"injection"}},
	{"starttls-silence", nil, []string{"STARTTLS"}},
	{"starttls-454", nil, []string{"454"}},
	{"starttls-selfsigned", nil, []string{"authority"}},
	{"starttls-expired", nil, []string{"expired"}},
	{"starttls-wrongname", nil, []string{"mx.example.org"}},
	{"starttls-selfsigned", []string{"--insecure"}, []string{"UNVERIFIED"}},
	{"unsolicited-421", nil, []string{"421"}},
	{"fin-mid-reply", nil, nil},
	{"rst-mid-reply", nil, nil},
	{"plaintext-server", []string{"--tls"}, []string{"plaintext"}},
	{"implicit-tls", nil, nil},
	{"flood", nil, nil},
	// issue 17's bad input
	{"mixed-codes-dot-bye", []string{"--from", "a@client.test", "--to", "b@mx.hostile.test", "--send"}, []string{"carries different codes on its lines", "S: 554 5.7.1 actually rejected"}},
	{"plaintext-auth-unknown-user", []string{"--from", "a@client.test", "--to", "nobody@mx.hostile.test"}, []string{"1. [error] The recipient <nobody@mx.hostile.test> does not exist here"}},
	{"greylisting-mx", []string{"--from", "a@client.test", "--to", "bob@mx.hostile.test"}, []string{"1. [warning] Greylisted"}},
	{"exim-unrouteable", []string{"--from", "a@client.test", "--to", "b@nowhere.example"}, []string{"recognised: Unrouteable address (Exim)"}},
	{"opensmtpd-invalid-recipient", []string{"--from", "a@client.test", "--to", "nobody@mx.hostile.test"}, []string{"recognised: Invalid recipient (OpenSMTPD)"}},
	{"starttls-stripped", []string{"--from", "a@client.test", "--to", "b@mx.hostile.test"}, []string{"requires TLS first", "offers no STARTTLS"}},
	{"starttls-expired-quit", []string{"--from", "a@client.test", "--to", "b@mx.hostile.test", "--send"}, []string{"1. [error] The certificate expired", "Not tested over TLS that did not verify"}},
}

func TestHostileCLIDoctor(t *testing.T) {
	ca := caFile(t)
	for _, tt := range doctorCLICases {
		t.Run(tt.scenario+strings.Join(tt.args, ""), func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load(tt.scenario))
			args := append([]string{"doctor", srv.Addr, "--timeout", timeoutFor(tt.scenario, tt.args), "--greeting-wait", "100ms", "--ca", ca}, tt.args...)
			text := runCLI(context.Background(), t, "", append(args, "--transcript")...)
			text.check(t, nil)
			for _, w := range tt.want {
				if !strings.Contains(text.all(), w) {
					t.Errorf("output lacks %q:\n%s", w, text.all())
				}
			}
			readsBack(t, srv, text.stdout)
			runCLI(context.Background(), t, "", append(args, "--json")...).check(t, nil)
		})
	}
}

// sendArgs are the flags of a small message to the scenario's server.
func sendArgs(addr, ca string) []string {
	return []string{"send", addr, "--from", "a@client.test", "--to", "b@mx.hostile.test", "--body", "hello",
		"--timeout", "300ms", "--ca", ca}
}

// silent are the scenarios where the server stops talking at some point
// the commands reach: their runs take --timeout 300ms, so they end fast;
// the others get 3s, so a loaded machine never times out an exchange that
// should succeed.
var silent = map[string]bool{
	"no-greeting": true, "trickle-greeting": true, "starttls-silence": true, "implicit-tls": true,
	"malformed-25": true, "malformed-2500": true, "malformed-abc": true, "malformed-999": true, "malformed-250ok": true,
	"junk-before-greeting": true, "long-line": true, "starttls-injection": true, "plaintext-server": true,
}

func timeoutFor(scenario string, args []string) string {
	if silent[scenario] && !(scenario == "implicit-tls" && slices.Contains(args, "--tls")) {
		return "300ms"
	}
	return "3s"
}

func TestHostileCLISend(t *testing.T) {
	ca := caFile(t)
	for _, tt := range []struct {
		scenario string
		args     []string
		want     []string
	}{
		{"no-greeting", nil, []string{"greeting"}},
		{"escapes", nil, []string{`\x1b]52;c;ZXZpbA==\x07`}},
		{"nul-invalid", nil, []string{`\x00`}},
		{"long-line", nil, []string{"2048"}},
		{"malformed-250ok", nil, nil},
		{"junk-before-greeting", nil, nil},
		{"starttls-injection", nil, []string{"possible STARTTLS response injection"}},
		{"starttls-selfsigned", nil, []string{"unknown authority"}},
		{"starttls-454", []string{"--starttls", "require"}, []string{"454"}},
		{"unsolicited-421", nil, []string{"421"}},
		{"fin-mid-reply", nil, nil},
		{"plaintext-server", []string{"--tls"}, []string{"plaintext"}},
		{"flood", nil, nil},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load(tt.scenario))
			file := filepath.Join(t.TempDir(), "t.txt")
			// No fixture answers MAIL: stop before it, so no case waits.
			flags := append([]string{"--quit-after", "starttls", "--timeout", timeoutFor(tt.scenario, tt.args)}, tt.args...)
			args := append(append(sendArgs(srv.Addr, ca), flags...), "--transcript", file)
			res := runCLI(context.Background(), t, "", args...)
			res.files["--transcript file"] = readFile(t, file)
			res.check(t, nil)
			readsBack(t, srv, res.files["--transcript file"])
			for _, w := range tt.want {
				if !strings.Contains(res.all(), w) {
					t.Errorf("output lacks %q:\n%s", w, res.all())
				}
			}
			runCLI(context.Background(), t, "", append(sendArgs(srv.Addr, ca), append(flags, "--json")...)...).check(t, nil)
		})
	}
}

// TestHostileCLINoAnswerToDot: the final "." is never answered. By
// default the wait is RFC 5321's 10 minutes, whatever the --timeout of the
// other exchanges (it ends here with Ctrl-C, the context); an explicit
// --timeout bounds it, and --data-timeout sets it alone. Whichever ends
// it, the user is told the message may still be delivered, so sending it
// again may duplicate it, and send exits 11.
func TestHostileCLINoAnswerToDot(t *testing.T) {
	ca := caFile(t)
	for _, tt := range []struct {
		name  string
		flags []string      // after the command's own
		ends  time.Duration // after the final ".": 0 means only Ctrl-C ends it
	}{
		{"default", nil, 0},
		{"--timeout", []string{"--timeout", "300ms"}, 300 * time.Millisecond},
		{"--data-timeout", []string{"--timeout", "5s", "--data-timeout", "700ms"}, 700 * time.Millisecond},
	} {
		for _, cmd := range []string{"send", "doctor", "run"} {
			t.Run(cmd+"/"+tt.name, func(t *testing.T) {
				hostile.CheckLeaks(t)
				srv := hostile.Start(t, hostile.Load("no-answer-to-dot"))
				var args []string
				switch cmd {
				case "send":
					args = []string{"send", srv.Addr, "--from", "a@client.test", "--to", "b@mx.hostile.test", "--body", "hello", "--ca", ca}
				case "doctor":
					args = []string{"doctor", srv.Addr, "--from", "a@client.test", "--to", "b@mx.hostile.test", "--send"}
				case "run":
					script := filepath.Join(t.TempDir(), "s.ehlo")
					body := "EHLO client.test\nMAIL FROM:<a@client.test>\nRCPT TO:<b@mx.hostile.test>\nDATA\nexpect 354\nSubject: x\n\nhello\n.\nexpect 250\n"
					if err := os.WriteFile(script, []byte(body), 0o600); err != nil {
						t.Fatal(err)
					}
					args = []string{"run", script, srv.Addr}
				}
				// Ctrl-C comes 1.5 s after the server got the final ".": later
				// than each deadline given, which must end the wait first.
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				dot := make(chan time.Time, 1)
				go func() {
					select {
					case <-srv.Accepted():
					case <-ctx.Done():
						close(dot)
						return
					}
					if srv.Conns()[0].WaitGot("\r\n.\r\n") {
						dot <- time.Now()
						time.AfterFunc(1500*time.Millisecond, cancel)
					}
					close(dot)
				}()
				res := runCLI(ctx, t, "", append(args, tt.flags...)...)
				end := time.Now()
				cancel()
				at, ok := <-dot
				switch took := end.Sub(at); {
				case !ok:
					t.Fatalf("the final \".\" never came:\n%s", res.all())
				case tt.ends == 0 && took < 1400*time.Millisecond:
					t.Errorf("gave up %v after the final \".\", before Ctrl-C: the default wait is 10 minutes", took)
				case tt.ends > 0 && (took < tt.ends-50*time.Millisecond || took > tt.ends+1000*time.Millisecond):
					t.Errorf("ended %v after the final \".\", want about %v", took, tt.ends)
				}
				res.check(t, nil)
				want := []string{"may still be delivered", "duplicate"}
				if tt.ends > 0 {
					want = append(want, "no reply to the final \".\" within "+tt.ends.String())
				}
				for _, w := range want {
					if !strings.Contains(res.all(), w) {
						t.Errorf("output lacks %q:\n%s", w, res.all())
					}
				}
				if want := map[string]int{"send": exitDataEnd, "doctor": exitFailed, "run": exitRunBroken}[cmd]; res.code != want {
					t.Errorf("exit %d, want %d", res.code, want)
				}
			})
		}
	}
}

// TestHostileCLINoAnswerToBdat: the last BDAT chunk is never answered.
// Its reply is the message's, as after "." (RFC 3030): --data-timeout, or
// an explicit --timeout, bounds the wait, in send and run alike, and the
// user is told the message may still be delivered.
func TestHostileCLINoAnswerToBdat(t *testing.T) {
	script := filepath.Join(t.TempDir(), "s.ehlo")
	body := "EHLO client.test\nMAIL FROM:<a@client.test>\nRCPT TO:<b@mx.hostile.test>\nBDAT 5 LAST\nhello\nexpect 250\n"
	if err := os.WriteFile(script, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args func(addr string) []string
		exit int
		ends time.Duration
	}{
		{"send --timeout", func(addr string) []string {
			return []string{"send", addr, "--from", "a@client.test", "--to", "b@mx.hostile.test", "--body", "hello", "--body-mode", "bdat", "--timeout", "300ms"}
		}, exitDataEnd, 300 * time.Millisecond},
		{"send --data-timeout", func(addr string) []string {
			return []string{"send", addr, "--from", "a@client.test", "--to", "b@mx.hostile.test", "--body", "hello", "--body-mode", "bdat", "--timeout", "5s", "--data-timeout", "700ms"}
		}, exitDataEnd, 700 * time.Millisecond},
		{"run --timeout", func(addr string) []string { return []string{"run", script, addr, "--timeout", "300ms"} }, exitRunBroken, 300 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load("no-answer-to-bdat"))
			start := time.Now()
			res := runCLI(context.Background(), t, "", tt.args(srv.Addr)...)
			if took := time.Since(start); took < tt.ends || took > tt.ends+3*time.Second {
				t.Errorf("took %v, want a little over %v", took, tt.ends)
			}
			res.check(t, nil)
			for _, w := range []string{"no reply to the last BDAT chunk within " + tt.ends.String(), "may still be delivered"} {
				if !strings.Contains(res.all(), w) {
					t.Errorf("output lacks %q:\n%s", w, res.all())
				}
			}
			if res.code != tt.exit {
				t.Errorf("exit %d, want %d", res.code, tt.exit)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	return string(b)
}

const (
	cliUser     = "alice"
	cliPassword = "Tr0ub4dor&3-hostile"
)

// timesSent counts the password in what the server got, base64-decoded
// where a line is base64.
func timesSent(got []byte) int {
	n := 0
	for _, line := range strings.Split(string(got), "\r\n") {
		n += strings.Count(line, cliPassword)
		if f := strings.Fields(line); len(f) > 0 {
			if dec, err := base64.StdEncoding.DecodeString(f[len(f)-1]); err == nil {
				n += strings.Count(string(dec), cliPassword)
			}
		}
	}
	return n
}

// TestHostileCLICredentials signs in with each mechanism through send and
// doctor, with every output on: text, JSON, --transcript. No output holds
// the password, its base64 or a piece of it; the server gets it once.
func TestHostileCLICredentials(t *testing.T) {
	ca := caFile(t)
	sec := hostile.SecretsOf(cliUser, cliPassword)
	for _, tt := range []struct {
		cmd, scenario, mech string
		sent                int
	}{
		{"send", "auth-plain", "PLAIN", 1},
		{"send", "auth-login", "LOGIN", 1},
		{"send", "auth-cram-md5", "CRAM-MD5", 0},
		{"send", "auth-xoauth2", "XOAUTH2", 1},
		{"send", "auth-oauthbearer", "OAUTHBEARER", 1},
		{"doctor", "auth-plain", "PLAIN", 1},
		{"doctor", "auth-login", "LOGIN", 1},
		{"doctor", "auth-cram-md5", "CRAM-MD5", 0},
	} {
		t.Run(tt.cmd+"/"+tt.mech, func(t *testing.T) {
			hostile.CheckLeaks(t)
			for _, format := range []string{"text", "json"} {
				srv := hostile.Start(t, hostile.Load(tt.scenario))
				file := filepath.Join(t.TempDir(), "t.txt")
				var args []string
				switch tt.cmd {
				case "send":
					args = append(sendArgs(srv.Addr, ca), "--auth", tt.mech, "--user", cliUser, "--password-stdin",
						"--quit-after", "auth", "--transcript", file)
				case "doctor":
					args = []string{"doctor", srv.Addr, "--timeout", "300ms", "--ca", ca, "--user", cliUser, "--password-stdin", "--transcript"}
				}
				if format == "json" {
					args = append(args, "--json")
				}
				res := runCLI(context.Background(), t, cliPassword+"\n", args...)
				if tt.cmd == "send" {
					res.files["--transcript file"] = readFile(t, file)
				}
				res.check(t, &sec)
				if !strings.Contains(res.all(), "AUTH "+tt.mech) {
					t.Errorf("%s output does not show the AUTH exchange:\n%s", format, res.all())
				}
				if n := timesSent(srv.Conn(t).Wait(t).Got()); n != tt.sent {
					t.Errorf("%s: the server got the password %d times, want %d", format, n, tt.sent)
				}
			}
		})
	}
}

// TestHostileCLIAuthRounds: a server that never stops asking gets each
// secret once and at most session.MaxAuthRounds answers, then "*".
func TestHostileCLIAuthRounds(t *testing.T) {
	ca := caFile(t)
	sec := hostile.SecretsOf(cliUser, cliPassword)
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"} {
		t.Run(mech, func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load("auth-rounds"))
			args := append(sendArgs(srv.Addr, ca), "--auth", mech, "--user", cliUser, "--password-stdin", "--quit-after", "auth")
			res := runCLI(context.Background(), t, cliPassword+"\n", args...)
			res.check(t, &sec)
			got := srv.Conn(t).Wait(t).Got()
			i := bytes.Index(got, []byte("AUTH"))
			if i < 0 {
				t.Fatalf("no AUTH sent: %q", got)
			}
			lines := strings.Split(strings.TrimSuffix(string(got[i:]), "\r\n"), "\r\n")
			var exchange []string
			for _, l := range lines {
				if l == "QUIT" {
					break
				}
				exchange = append(exchange, l)
			}
			if len(exchange) > 1+session.MaxAuthRounds+1 || exchange[len(exchange)-1] != "*" {
				t.Errorf("AUTH exchange %q: want at most %d answers, then *", exchange, session.MaxAuthRounds)
			}
			want := 1
			if mech == "CRAM-MD5" {
				want = 0
			}
			if n := timesSent(got); n != want {
				t.Errorf("the password went out %d times, want %d", n, want)
			}
		})
	}
}

// TestHostileCLIPlaintextAuthRemote: AUTH offered without STARTTLS by a host
// that is not loopback. send and doctor hold the credentials back and say
// why; with --insecure, the explicit consent, they send them.
func TestHostileCLIPlaintextAuthRemote(t *testing.T) {
	host, ok := hostile.NonLoopback()
	if !ok {
		t.Skip("this machine has no address but loopback: cannot play a remote host")
	}
	for _, cmd := range []string{"send", "doctor"} {
		for _, insecure := range []bool{false, true} {
			name := cmd
			if insecure {
				name += "/insecure"
			}
			t.Run(name, func(t *testing.T) {
				hostile.CheckLeaks(t)
				srv := hostile.StartOn(t, hostile.Load("auth-plain"), host)
				args := []string{"doctor", srv.Addr, "--timeout", "300ms", "--user", cliUser, "--password-stdin"}
				if cmd == "send" {
					args = append(sendArgs(srv.Addr, caFile(t)), "--auth", "PLAIN", "--user", cliUser, "--password-stdin", "--quit-after", "auth")
				}
				if insecure {
					args = append(args, "--insecure")
				}
				res := runCLI(context.Background(), t, cliPassword+"\n", args...)
				sec := hostile.SecretsOf(cliUser, cliPassword)
				res.check(t, &sec)
				n := timesSent(srv.Conn(t).Wait(t).Got())
				switch {
				case insecure && n != 1:
					t.Errorf("with --insecure the password went out %d times, want once", n)
				case !insecure && n != 0:
					t.Errorf("the password went out in clear to a remote host without --insecure")
				case !insecure && !strings.Contains(res.all(), "not encrypted") && !strings.Contains(res.all(), "in clear"):
					t.Errorf("the refusal does not say why:\n%s", res.all())
				}
			})
		}
	}
}

// TestHostileCLIRun replays a script (ehlo run) against hostile servers:
// the report, the errors and the --transcript file stay clean, and a
// password given as {{password}} appears nowhere.
func TestHostileCLIRun(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "s.ehlo")
	if err := os.WriteFile(script, []byte("EHLO client.test\nexpect 250\n:auth PLAIN alice\nQUIT\nexpect 221\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EHLO_PASSWORD", cliPassword)
	sec := hostile.SecretsOf(cliUser, cliPassword)
	for _, scenario := range []string{"escapes", "nul-invalid", "auth-plain", "starttls-injection", "junk-before-greeting", "fin-mid-reply"} {
		t.Run(scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load(scenario))
			file := filepath.Join(t.TempDir(), "t.txt")
			res := runCLI(context.Background(), t, "", "run", script, srv.Addr, "--timeout", "300ms", "--transcript", file)
			if b, err := os.ReadFile(file); err == nil {
				res.files["--transcript file"] = string(b)
			}
			res.check(t, &sec)
			if scenario != "junk-before-greeting" && !strings.Contains(res.all(), "C: EHLO") {
				t.Errorf("the script did not run:\n%s", res.all())
			}
			if scenario == "auth-plain" && timesSent(srv.Conn(t).Wait(t).Got()) != 1 {
				t.Errorf("the password went out %d times, want once", timesSent(srv.Conn(t).Got()))
			}
		})
	}
}

// echoCases are the scenarios whose server repeats the credentials it got,
// in every form, with the mechanism the client signs in with and send's
// exit status.
var echoCases = []struct {
	scenario, mech string
	sendExit       int
}{
	{"auth-echo-plain", "PLAIN", exitAuth},
	{"auth-echo-login", "LOGIN", exitAuth},
	{"auth-echo-xoauth2", "XOAUTH2", 0},
	{"auth-echo-desync", "PLAIN", exitAuth},
}

// TestHostileCLIEcho plays the servers that echo credentials back against
// every command and output: probe (which never signs in), doctor and send,
// text and JSON, their transcripts, and run with its --transcript file.
// No output holds the password, its base64 or the SASL message around it;
// the echoing reply is still shown, redacted.
func TestHostileCLIEcho(t *testing.T) {
	ca := caFile(t)
	sec := hostile.SecretsOf(cliUser, cliPassword)
	dir := t.TempDir()
	for _, tt := range echoCases {
		script := filepath.Join(dir, tt.mech+".ehlo")
		body := "EHLO client.test\nexpect 250\n:auth " + tt.mech + " alice\nQUIT\n"
		if err := os.WriteFile(script, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		// probe, and doctor with XOAUTH2, which it does not speak, never
		// sign in: the server waits for AUTH and leaves QUIT unanswered
		quick := func(name string) string {
			if strings.HasPrefix(name, "probe") || strings.HasPrefix(name, "doctor") && tt.mech == "XOAUTH2" {
				return "300ms"
			}
			return "3s"
		}
		modes := map[string]func(addr, file, to string) []string{
			"probe": func(addr, _, to string) []string {
				return []string{"probe", addr, "--timeout", to, "--transcript"}
			},
			"probe --json": func(addr, _, to string) []string {
				return []string{"probe", addr, "--timeout", to, "--json", "--transcript"}
			},
			"doctor": func(addr, _, to string) []string {
				return []string{"doctor", addr, "--timeout", to, "--user", cliUser, "--password-stdin", "--transcript"}
			},
			"doctor --json": func(addr, _, to string) []string {
				return []string{"doctor", addr, "--timeout", to, "--user", cliUser, "--password-stdin", "--json"}
			},
			"send": func(addr, file, to string) []string {
				return append(sendArgs(addr, ca), "--timeout", to, "--auth", tt.mech, "--user", cliUser, "--password-stdin",
					"--quit-after", "auth", "--transcript", file)
			},
			"send --json": func(addr, file, to string) []string {
				return append(sendArgs(addr, ca), "--timeout", to, "--auth", tt.mech, "--user", cliUser, "--password-stdin",
					"--quit-after", "auth", "--json", "--transcript", file)
			},
			"run": func(addr, file, to string) []string {
				return []string{"run", script, addr, "--timeout", to, "--transcript", file}
			},
		}
		for name, args := range modes {
			t.Run(tt.scenario+"/"+name, func(t *testing.T) {
				hostile.CheckLeaks(t)
				t.Setenv("EHLO_PASSWORD", cliPassword)
				srv := hostile.Start(t, hostile.Load(tt.scenario))
				file := filepath.Join(t.TempDir(), "t.txt")
				res := runCLI(context.Background(), t, cliPassword+"\n", args(srv.Addr, file, quick(name))...)
				if b, err := os.ReadFile(file); err == nil {
					res.files["--transcript file"] = string(b)
				}
				res.check(t, &sec)
				if quick(name) != "3s" {
					return
				}
				if n := timesSent(srv.Conn(t).Wait(t).Got()); n != 1 {
					t.Errorf("the password went out %d times, want once", n)
				}
				if !strings.Contains(res.all(), "<redacted>") && !strings.Contains(res.all(), `\u003credacted\u003e`) {
					t.Errorf("the echoing reply is not shown redacted:\n%s", res.all())
				}
				if name == "send" && res.code != tt.sendExit {
					t.Errorf("exit %d, want %d:\n%s", res.code, tt.sendExit, res.all())
				}
			})
		}
	}
}

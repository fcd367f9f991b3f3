package cli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/internal/hostile"
	"github.com/ehlo-sh/ehlo/wire"
)

// fixLine finds the "run instead:" line a command printed.
var fixLine = regexp.MustCompile(`(?m)run instead: ehlo (.*)$`)

// TestWorkingLine plays each mismatch against each command: a port that
// speaks TLS first asked for in plaintext, a plaintext port asked for with
// --tls, and a server of TLS 1.0 alone. The command fails (not 0), names
// the cause in words, and prints a command line that then works.
func TestWorkingLine(t *testing.T) {
	ca := caFile(t)
	script := filepath.Join(t.TempDir(), "s.ehlo")
	if err := os.WriteFile(script, []byte("expect 220\nEHLO me.test\nexpect 250\nQUIT\nexpect 221\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		scenario string
		args     []string // the command, TARGET added where it goes
		code     int
		says     string
		adds     string // what the working line adds ("" when it only drops --tls)
	}{
		{"implicit-tls", []string{"probe"}, exitFailed, "this port speaks TLS first", "--tls"},
		{"implicit-tls", []string{"send", "--from", "a@client.test", "--to", "b@mx.hostile.test", "--quit-after", "ehlo"}, exitBanner, "this port speaks TLS first", "--tls"},
		{"implicit-tls", []string{"run", script}, exitRunBroken, "this port speaks TLS first", "--tls"},
		{"plaintext-server", []string{"probe", "--tls"}, exitFailed, "answered in plaintext where TLS was expected", ""},
		{"plaintext-server", []string{"send", "--tls", "--from", "a@client.test", "--to", "b@mx.hostile.test", "--quit-after", "banner"}, exitTLS, "answered in plaintext", ""},
		{"plaintext-server", []string{"run", "--tls", script}, exitRunBroken, "answered in plaintext", ""},
		{"old-tls", []string{"probe", "--tls"}, exitFailed, "we offered TLS 1.3, TLS 1.2, and it answered with the alert protocol_version", "--tls-min 1.0"},
		{"old-tls", []string{"send", "--tls", "--from", "a@client.test", "--to", "b@mx.hostile.test", "--quit-after", "ehlo"}, exitTLS, "--tls-min 1.0", "--tls-min 1.0"},
		{"old-tls", []string{"run", "--tls", script}, exitRunBroken, "alert protocol_version", "--tls-min 1.0"},
	} {
		t.Run(tt.scenario+"/"+tt.args[0], func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load(tt.scenario))
			args := append(append([]string{}, tt.args...), srv.Addr, "--ca", ca, "--timeout", "2s", "--greeting-wait", "100ms")
			res := runCLI(context.Background(), t, "", args...)
			res.check(t, nil)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.says) {
				t.Fatalf("exit %d, want %d; stderr lacks %q:\n%s", res.code, tt.code, tt.says, res.stderr)
			}
			m := fixLine.FindStringSubmatch(res.stderr)
			if m == nil {
				t.Fatalf("no working line:\n%s", res.stderr)
			}
			fixed := strings.Fields(m[1])
			if tt.adds != "" && !strings.HasSuffix(m[1], " "+tt.adds) || tt.adds == "" && strings.Contains(m[1], "--tls") {
				t.Errorf("working line %q: want it to end with %q", m[1], tt.adds)
			}
			again := runCLI(context.Background(), t, "", fixed...)
			if again.code != 0 {
				t.Errorf("the working line %q exits %d:\n%s%s", m[1], again.code, again.stdout, again.stderr)
			}
		})
	}
}

// TestWorkingLineForms: the line keeps every flag as given, quoted for a
// shell, and turns implicit TLS off explicitly where port 465 would keep it.
func TestWorkingLineForms(t *testing.T) {
	root := newRootFor([]string{"send"})
	send, _, err := root.Find([]string{"send"})
	if err != nil {
		t.Fatal(err)
	}
	if err := send.ParseFlags([]string{"--tls", "--subject", "it's ok", "--to", "a@x.test", "--to", "b@x.test", "--body", "a\nb", "--timeout", "5s"}); err != nil {
		t.Fatal(err)
	}
	plain := &wire.PlaintextError{Bytes: []byte("220 x\r\n")}
	for _, tt := range []struct {
		target string
		err    error
		want   string
	}{
		{"mx.test:587", plain, `ehlo send mx.test:587 --body $'a\nb' --subject 'it'\''s ok' --timeout 5s --to a@x.test --to b@x.test`},
		{"mx.test:465", plain, `ehlo send mx.test:465 --body $'a\nb' --subject 'it'\''s ok' --timeout 5s --to a@x.test --to b@x.test --tls=false`},
		{"mx.test:465", &wire.VersionError{Offered: []string{"TLS 1.3", "TLS 1.2"}, Chosen: "TLS 1.1"},
			`ehlo send mx.test:465 --body $'a\nb' --subject 'it'\''s ok' --timeout 5s --tls --to a@x.test --to b@x.test --tls-min 1.1`},
		{"mx.test:465", &client.TLSTriedError{Err: &wire.TimeoutError{Op: "read reply"}, TLSErr: plain}, ""},
	} {
		if got := workingLine(send, []string{tt.target}, tt.err, false); got != tt.want {
			t.Errorf("workingLine(%s, %v) =\n%s\nwant\n%s", tt.target, tt.err, got, tt.want)
		}
	}
}

// TestConnFlagsTLS: --tls-min and --greeting-wait take what they say and
// refuse the rest; --tls=false means plaintext, even on port 465.
func TestConnFlagsTLS(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--tls-min", "0.9"}, exitUsage, `--tls-min "0.9": want 1.0, 1.1, 1.2 or 1.3`},
		{[]string{"--greeting-wait", "-1s"}, exitUsage, "--greeting-wait -1s"},
	} {
		code, _, errOut := run(t, append([]string{"probe", "127.0.0.1:1"}, tt.args...)...)
		if code != tt.code || !strings.Contains(errOut, tt.says) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, errOut, tt.code, tt.says)
		}
	}
	var f connFlags
	cmd := &cobra.Command{Use: "x"}
	f.register(cmd)
	_ = cmd.ParseFlags([]string{"--tls=false", "--tls-min", "1.0", "--greeting-wait", "0"})
	opts, err := f.options()
	if err != nil || opts.ImplicitTLS || !opts.Plain || opts.MinTLS != 0x0301 || opts.GreetingWait >= 0 {
		t.Errorf("options = %+v, %v; want plaintext forced, TLS 1.0 allowed, no greeting wait", opts, err)
	}
}

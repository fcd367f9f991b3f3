package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/internal/hostile"
)

// TestHostileCLIRequireTLSDrop: against a server that offers REQUIRETLS
// and no DSN, MAIL carries REQUIRETLS, the DSN flags are left out with a
// note, and --drop-after dot goes without QUIT once the message is taken.
func TestHostileCLIRequireTLSDrop(t *testing.T) {
	hostile.CheckLeaks(t)
	srv := hostile.Start(t, hostile.Load("requiretls-no-dsn"))
	res := runCLI(context.Background(), t, "", append(sendArgs(srv.Addr, caFile(t)), "--timeout", "3s",
		"--requiretls", "--dsn-notify", "success", "--envid", "x1", "--drop-after", "dot")...)
	got := string(srv.Conn(t).Wait(t).Got())
	if res.code != 0 || !strings.Contains(res.stdout, "then the connection was dropped without QUIT (--drop-after dot)") {
		t.Fatalf("exit %d:\n%s", res.code, res.all())
	}
	if !strings.Contains(got, " REQUIRETLS\r\n") || strings.Contains(got, "NOTIFY=") || strings.Contains(got, "ENVID=") || strings.Contains(got, "QUIT") {
		t.Errorf("the server got %q", got)
	}
	if !strings.Contains(res.stdout, "the server does not offer DSN (RFC 3461)") {
		t.Errorf("no DSN note:\n%s", res.stdout)
	}
}

// TestSendDump: --dump prints the prepared message with CRLF endings and
// the envelope, connects nowhere (no TARGET), and asks for no password.
func TestSendDump(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.eml")
	if err := os.WriteFile(file, []byte("Subject: %DATE%\n\nbody\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "send", "--dump", "--data", "@"+file, "--from", "a@example.org", "--to", "b@example.org",
		"--add-header", "X-A: 1", "--dsn-notify", "failure", "--requiretls", "--user", "someone")
	if code != 0 || out != "Subject: %DATE%\r\nX-A: 1\r\n\r\nbody\r\n" {
		t.Errorf("exit %d, stdout %q\n%s", code, out, errOut)
	}
	for _, want := range []string{"nothing was sent", "MAIL FROM:<a@example.org> REQUIRETLS", "RCPT TO:<b@example.org> NOTIFY=FAILURE", "33 bytes"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	code, out, _ = run(t, "send", "--dump", "--data", "@"+file, "--data-template", "--from", "a@example.org", "--to", "b@example.org")
	if code != 0 || strings.Contains(out, "%DATE%") || !strings.HasPrefix(out, "Subject: ") {
		t.Errorf("template: exit %d, %q", code, out)
	}
	code, out, _ = run(t, "send", "--dump", "--from", "a@example.org", "--to", "b@example.org", "--subject", "composed", "--add-header", "X-B: 2")
	if code != 0 || !strings.Contains(out, "Subject: composed\r\n") || !strings.Contains(out, "X-B: 2\r\n") || !strings.Contains(out, "This is a test message") {
		t.Errorf("composed: exit %d, %q", code, out)
	}
}

// TestSendReportSaysNotSent: a message that never went (--drop-after rcpt)
// is reported with its size and "not sent", never as if it had gone.
func TestSendReportSaysNotSent(t *testing.T) {
	code, out, errOut := run(t, "send", "--lab", "--to", "bob@lab.test", "--drop-after", "rcpt")
	if code != 0 || !strings.Contains(out, " bytes, not sent") || strings.Contains(out, "endpoint received") {
		t.Errorf("--drop-after rcpt: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, out, _ = run(t, "send", "--lab", "--to", "bob@lab.test"); strings.Contains(out, "not sent") {
		t.Errorf("a delivered message said not sent:\n%s", out)
	}
}

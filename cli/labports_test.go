package cli

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/lab"
)

// lineWriter collects output and closes found once a line matches.
type lineWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	re    *regexp.Regexp
	found chan struct{}
	match []string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := w.re.FindStringSubmatch(w.buf.String()); m != nil && w.match == nil {
		w.match = m
		close(w.found)
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestRemoteLabByResolver: `ehlo lab` runs in one terminal, on ports of
// its own (none the default); in another, probe, doctor and send --mx
// lab.test given only --resolver (what the lab printed) find the MX
// port, the policy port and the lab's CA: every MX is probed on the lab's
// port with its certificate trusted, the policy is fetched and met, and
// the mail is delivered. A real domain asked of the same resolver gets
// none of it. When the lab stops, its CA file goes.
func TestRemoteLabByResolver(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv(resolverEnv, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lineWriter{re: regexp.MustCompile(`(?m)^  ehlo probe --mx lab\.test --resolver (\S+)\n`), found: make(chan struct{})}
	cfg := lab.Config{Host: "127.0.0.1"} // every port 0: a free one, never the default
	result := make(chan error, 1)
	go func() {
		result <- runLab(ctx, out, cfg, "")
	}()
	select {
	case <-out.found:
	case err := <-result:
		t.Fatalf("runLab: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no command for another terminal in:\n%s", out.String())
	}
	resolver := out.match[1]
	if strings.HasSuffix(resolver, ":1053") {
		t.Fatalf("the lab's DNS is on the default port: %s", resolver)
	}
	caFile := labCAFile(resolver)
	if _, err := os.Stat(caFile); err != nil {
		t.Fatalf("the lab left no CA for other commands: %v", err)
	}

	code, stdout, stderr := run(t, "probe", "--mx", "lab.test", "--resolver", resolver, "--json")
	var j struct {
		Port string `json:"port"`
		MX   []struct {
			Host    string `json:"host"`
			Trusted string `json:"certificate_trusted"`
		} `json:"mx"`
		MTASTS struct {
			Mode    string `json:"mode"`
			Verdict string `json:"verdict"`
		} `json:"mta_sts"`
		Verdicts []string `json:"verdicts"`
	}
	if err := json.Unmarshal([]byte(stdout), &j); err != nil {
		t.Fatalf("probe --json: %v\n%s\n%s", err, stdout, stderr)
	}
	mxPort := regexp.MustCompile(`MX hosts on port (\d+), MTA-STS on port (\d+)`).FindStringSubmatch(stderr)
	if code != 0 || mxPort == nil || j.Port != mxPort[1] || j.Port == "25" || len(j.MX) != 2 || j.MX[0].Trusted != "yes" ||
		j.MTASTS.Mode != "enforce" || len(j.Verdicts) != 0 || !strings.Contains(stderr, caFile) {
		t.Errorf("probe --mx lab.test --resolver %s: exit %d, port %q, mx %+v, mta-sts %+v, verdicts %v\nstderr: %s",
			resolver, code, j.Port, j.MX, j.MTASTS, j.Verdicts, stderr)
	}

	code, stdout, stderr = run(t, "doctor", "--mx", "lab.test", "--resolver", resolver)
	if code != 0 || !strings.Contains(stdout, "certificate verified for mx1.lab.test") {
		t.Errorf("doctor --mx: exit %d\n%s\n%s", code, stdout, stderr)
	}

	subject := "remote lab " + time.Now().Format(time.RFC3339Nano)
	code, stdout, stderr = run(t, "send", "--mx", "--to", "bob@lab.test", "--from", "alice@lab.test", "--subject", subject, "--resolver", resolver)
	if code != 0 || !strings.Contains(stdout, "delivered") || !strings.Contains(out.String(), subject) {
		t.Errorf("send --mx: exit %d\n%s\n%s\nlab:\n%s", code, stdout, stderr, out.String())
	}

	// a real domain, asked of the same resolver: no port map is asked for nor used
	_, _, stderr = run(t, "probe", "--mx", "example.org", "--resolver", resolver, "--timeout", "2s")
	if strings.Contains(stderr, lab.PortsName) {
		t.Errorf("example.org got the lab's port map: %s", stderr)
	}

	cancel()
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(caFile); !os.IsNotExist(err) {
		t.Errorf("the lab's CA file stayed after the lab stopped: %v", err)
	}
}

// TestParseLabPorts: the port map is two ports from 1 to 65535; anything
// else is refused in words, the text sanitized.
func TestParseLabPorts(t *testing.T) {
	if mx, p, err := parseLabPorts("mx=21025 mta-sts=21443"); err != nil || mx != "21025" || p != "21443" {
		t.Errorf("good map: %q %q %v", mx, p, err)
	}
	for _, bad := range []string{"", "mx=0 mta-sts=443", "mx=70000 mta-sts=1", "mx=25", "mx=x mta-sts=y\x1b[2J"} {
		if _, _, err := parseLabPorts(bad); err == nil || strings.Contains(err.Error(), "\x1b") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

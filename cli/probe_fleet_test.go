package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/lab"
)

// fleetLab starts the built-in lab and returns it, its CA file and an
// address where nothing listens.
func fleetLab(t *testing.T) (l *lab.Lab, ca, closed string) {
	t.Helper()
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ca = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, l.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed = ln.Addr().String()
	ln.Close()
	return l, ca, closed
}

func endpoint(t *testing.T, l *lab.Lab, name string) string {
	t.Helper()
	ep, ok := l.Endpoint(name)
	if !ok {
		t.Fatalf("no lab endpoint %s", name)
	}
	return ep.Addr
}

type fleetLine struct {
	Target      string `json:"target"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`
	Line        int    `json:"line"`
	Fingerprint string `json:"fingerprint"`
	Elapsed     float64
	TLS         *struct{ Version string }
}

func fleetLines(t *testing.T, out string) map[string]fleetLine {
	t.Helper()
	got := map[string]fleetLine{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var j fleetLine
		if err := json.Unmarshal([]byte(l), &j); err != nil {
			t.Fatalf("not a JSON line: %q: %v", l, err)
		}
		if _, dup := got[j.Target]; dup {
			t.Errorf("%s probed twice", j.Target)
		}
		got[j.Target] = j
	}
	return got
}

// TestProbeFromFile: a file of targets with comments, a duplicate and bad
// lines; each target once, with its status and line, the bad lines named
// by number and the rest probed.
func TestProbeFromFile(t *testing.T) {
	l, ca, closed := fleetLab(t)
	mx, sub := endpoint(t, l, "mx"), endpoint(t, l, "submission")
	file := filepath.Join(t.TempDir(), "targets.txt")
	text := fmt.Sprintf("# the lab\n%s\n\n%s   # submission\nnot a target\n%s\n[::1\n%s\n", mx, sub, strings.ToUpper(mx), closed)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "probe", "--from-file", file, "--jsonl", "--ca", ca)
	if code != exitFailed {
		t.Errorf("exit %d with bad lines, want %d", code, exitFailed)
	}
	for _, want := range []string{file + ":5: ", file + ":7: ", "8 lines read, 3 targets probed", "1 duplicates", "2 lines that are not targets"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	got := fleetLines(t, out)
	want := map[string]struct {
		status string
		line   int
	}{mx: {"ok", 2}, sub: {"ok", 4}, closed: {"refused", 8}}
	if len(got) != len(want) {
		t.Errorf("%d lines, want %d:\n%s", len(got), len(want), out)
	}
	for target, w := range want {
		g := got[target]
		if g.Status != w.status || g.Line != w.line {
			t.Errorf("%s: status %q line %d, want %q line %d (%s)", target, g.Status, g.Line, w.status, w.line, g.Reason)
		}
		if g.Fingerprint == "" || g.Fingerprint != got[mx].Fingerprint {
			t.Errorf("%s: fingerprint %q", target, g.Fingerprint)
		}
	}
	if g := got[mx]; g.TLS == nil || g.TLS.Version == "" {
		t.Errorf("mx: no TLS facts: %+v", g)
	}
	if !strings.Contains(errOut, "3 targets: 2 ok, 1 refused") {
		t.Errorf("no summary by status on stderr:\n%s", errOut)
	}
}

// TestProbeFromFileResume: a second run with --resume probes only what the
// first did not, appending to the same file; other flags are refused; and
// ehlo report reads the file.
func TestProbeFromFileResume(t *testing.T) {
	l, ca, closed := fleetLab(t)
	mx, sub := endpoint(t, l, "mx"), endpoint(t, l, "submission")
	dir := t.TempDir()
	first, all, saved := filepath.Join(dir, "first.txt"), filepath.Join(dir, "all.txt"), filepath.Join(dir, "run.jsonl")
	os.WriteFile(first, []byte(mx+"\n"), 0o600)
	os.WriteFile(all, []byte(mx+"\n"+sub+"\n"+closed+"\n"), 0o600)
	if code, _, errOut := run(t, "probe", "--from-file", first, "--resume", saved, "--ca", ca); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	code, out, errOut := run(t, "probe", "--from-file", all, "--resume", saved, "--ca", ca)
	if code != 0 {
		t.Fatalf("resumed run: exit %d: %s", code, errOut)
	}
	if out != "" {
		t.Errorf("with --resume the lines go to its file, not stdout: %q", out)
	}
	if !strings.Contains(errOut, "1 targets already in") || !strings.Contains(errOut, "2 targets probed") {
		t.Errorf("stderr:\n%s", errOut)
	}
	b, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	if got := fleetLines(t, string(b)); len(got) != 3 {
		t.Errorf("%d targets in %s, want 3:\n%s", len(got), saved, b)
	}
	if fi, err := os.Stat(saved); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", saved, fi.Mode())
	}

	code, _, errOut = run(t, "probe", "--from-file", all, "--resume", saved, "--ca", ca, "--helo", "other.example")
	if code != exitUsage || !strings.Contains(errOut, "comes from a run with other flags") {
		t.Errorf("resume with other flags: exit %d: %s", code, errOut)
	}

	code, out, errOut = run(t, "report", saved)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"3 targets", "ok ", "refused ", "TLS VERSION", "AUTH offered before TLS: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestProbeFromFileBadInput: a directory, and flags of a fleet without one.
func TestProbeFromFileBadInput(t *testing.T) {
	code, _, errOut := run(t, "probe", "--from-file", t.TempDir())
	if code != exitUsage || !strings.Contains(errOut, "is a directory") {
		t.Errorf("a directory: exit %d: %s", code, errOut)
	}
	code, _, errOut = run(t, "probe", "--jsonl", "127.0.0.1:1")
	if code != exitUsage || !strings.Contains(errOut, "--jsonl goes with --from-file") {
		t.Errorf("--jsonl alone: exit %d: %s", code, errOut)
	}
	code, _, errOut = run(t, "probe", "--from-file", "-", "--rate", "fast")
	if code != exitUsage || !strings.Contains(errOut, "--rate") {
		t.Errorf("--rate fast: exit %d: %s", code, errOut)
	}
}

// TestReportBadInput: report names itself, not probe's --from-file, when
// its file is missing or a directory.
func TestReportBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "run.jsonl")
	code, _, errOut := run(t, "report", missing)
	if code != exitUsage || !strings.Contains(errOut, "report "+missing+": does not exist") || strings.Contains(errOut, "--from-file") {
		t.Errorf("a missing file: exit %d: %s", code, errOut)
	}
	code, _, errOut = run(t, "report", t.TempDir())
	if code != exitUsage || !strings.Contains(errOut, "is a directory, not a file") || strings.Contains(errOut, "--from-file") {
		t.Errorf("a directory: exit %d: %s", code, errOut)
	}
	code, out, errOut := runIn(t, "garbage\n", "report", "-")
	if code != exitFailed || out != "" || !strings.Contains(errOut, "1 line is not a fleet run's JSON") ||
		!strings.Contains(errOut, "holds no target of a fleet run") {
		t.Errorf("no run's line: exit %d, stdout %q: %s", code, out, errOut)
	}
}

// TestProbeFromStdinSummary: targets on stdin, --summary alone prints the
// table on stdout and no JSON.
func TestProbeFromStdinSummary(t *testing.T) {
	l, ca, _ := fleetLab(t)
	code, out, errOut := runIn(t, endpoint(t, l, "mx")+"\n", "probe", "--from-file", "-", "--summary", "--ca", ca)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "{") || !strings.Contains(out, "STATUS") || !strings.Contains(out, "1 targets") {
		t.Errorf("stdout:\n%s", out)
	}
}

// TestProgressLine: the bar's numbers.
func TestProgressLine(t *testing.T) {
	got := progressLine(500, 1000, 100, 5e9)
	for _, want := range []string{"500/1000", "100/s", "100 in flight", "ETA 5s", "[===============>"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if got := progressLine(3, 0, 1, 1e9); strings.Contains(got, "ETA") {
		t.Errorf("no total, no ETA: %q", got)
	}
}

// lineGen yields n lines cycling over distinct closed targets of
// 127.1.255.0/24 (the fleet's own loopback range: nothing listens there),
// never holding more than one line: a file of a million lines that is not
// in memory either.
type lineGen struct {
	i, n, distinct int
	buf            []byte
}

func (g *lineGen) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i < g.n {
		k := g.i % g.distinct
		g.buf = fmt.Appendf(g.buf, "127.1.255.%d:%d\n", k%250+1, k/250+1)
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// TestProbeFromFileMillionLines: a million lines are streamed, each
// distinct target probed once.
func TestProbeFromFileMillionLines(t *testing.T) {
	if testing.Short() {
		t.Skip("a million lines")
	}
	root := newRootFor([]string{"probe"})
	var out, errOut strings.Builder
	root.SetIn(&lineGen{n: 1_000_000, distinct: 200})
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs([]string{"probe", "--from-file", "-", "--per-host", "0", "--rate", "0", "--parallel", "50", "--summary"})
	if err := root.Execute(); err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "1000000 lines read, 200 targets probed") || !strings.Contains(errOut.String(), "999800 duplicates") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
	if !strings.Contains(out.String(), "refused  200") {
		t.Errorf("summary:\n%s", out.String())
	}
}

// TestProbeFromFileDescriptors: a --parallel beyond the open-file limit is
// lowered, with a message, not a crash.
func TestProbeFromFileDescriptors(t *testing.T) {
	code, _, errOut := runIn(t, "127.1.255.1:1\n", "probe", "--from-file", "-", "--parallel", "10000000", "--summary")
	if code != 0 || !strings.Contains(errOut, "open files") || !strings.Contains(errOut, "at once") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestProbeFromFileDomains: with --mx every line is a domain (and an
// address's domain with "@" without it): the lab's lab.test is probed
// once for its three spellings, a null MX and a missing domain get their
// statuses, and ehlo report reads the domains' lines.
func TestProbeFromFileDomains(t *testing.T) {
	dir := t.TempDir()
	file, saved := filepath.Join(dir, "domains.txt"), filepath.Join(dir, "run.jsonl")
	os.WriteFile(file, []byte("lab.test\nbob@LAB.test\n@lab.test\nnullmx.lab.test\nnosuch.lab.test\n"), 0o600)
	code, out, errOut := run(t, "probe", "--from-file", file, "--mx", "--lab", "--resume", saved)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != "" || !strings.Contains(errOut, "5 lines read, 3 targets probed") || !strings.Contains(errOut, "domains: 3") {
		t.Errorf("stdout %q, stderr:\n%s", out, errOut)
	}
	b, _ := os.ReadFile(saved)
	got := fleetLines(t, string(b))
	for target, want := range map[string]string{"lab.test": "ok", "nullmx.lab.test": "not-testable", "nosuch.lab.test": "dns-error"} {
		if got[target].Status != want {
			t.Errorf("%s: %q (%s), want %q", target, got[target].Status, got[target].Reason, want)
		}
	}
	code, _, errOut = run(t, "probe", "--from-file", file, "--mx", "--lab", "--resume", saved)
	if code != 0 || !strings.Contains(errOut, "3 targets already in") || !strings.Contains(errOut, "0 targets probed") {
		t.Errorf("resumed: exit %d: %s", code, errOut)
	}
	code, out, errOut = run(t, "report", saved)
	if code != 0 || !strings.Contains(out, "MTA-STS-ENFORCING SENDER DELIVERS") || !strings.Contains(out, "dns-error") {
		t.Errorf("report: exit %d: %s\n%s", code, out, errOut)
	}
}

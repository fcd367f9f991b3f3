package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeProbeLabExample: the output the README shows for `ehlo probe
// --lab`, its first example, is what probe prints, line for line, once
// what changes per run (ports, times, dates, fingerprints) is masked.
func TestReadmeProbeLabExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "$ ehlo probe --lab\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("no `$ ehlo probe --lab` example in the README")
	}
	code, out, errOut := run(t, "probe", "--lab")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want, got := maskRun(block), maskRun(out)
	if want != got {
		t.Errorf("the README's example is not what probe --lab prints (masked):\nREADME:\n%s\nprobe:\n%s", want, got)
	}
}

var (
	runHex    = regexp.MustCompile(`\b[0-9a-f]{32,}\b`)
	runNumber = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)
)

// maskRun hides what differs between two runs: hashes, then every number.
func maskRun(s string) string {
	return runNumber.ReplaceAllString(runHex.ReplaceAllString(strings.TrimRight(s, "\n"), "HEX"), "N")
}

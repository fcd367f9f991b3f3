package cli

import (
	"strings"
	"testing"
)

// TestArgCountsInWords: too many or too few arguments are usage errors
// (exit 2) said in words, not cobra's "accepts 1 arg(s), received 2".
func TestArgCountsInWords(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "report needs one FILE.jsonl"},
		{[]string{"report", "a.jsonl", "b.jsonl"}, "report needs one FILE.jsonl"},
		{[]string{"learn", "1", "2"}, "learn takes one lesson"},
		{[]string{"mx1.example.org", "mx2.example.org"}, "ehlo opens one TARGET, not 2"},
		{[]string{"lab", "mx"}, `lab takes no "mx": it runs every endpoint`},
	} {
		code, _, errOut := run(t, tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) || strings.Contains(errOut, "arg(s)") {
			t.Errorf("%v: exit %d: %s", tt.args, code, errOut)
		}
	}
}

// TestHeloRefusedBeforeConnecting: a --helo that cannot be sent is a usage
// error before any connection, in every command that takes it.
func TestHeloRefusedBeforeConnecting(t *testing.T) {
	for _, cmd := range [][]string{{"probe"}, {"doctor"}, {"send", "--from", "a@example.org", "--to", "b@example.org"}} {
		for _, helo := range []string{"two words", "x\r\nMAIL FROM:<a@example.org>"} {
			args := append(append([]string{}, cmd...), "--helo", helo, "192.0.2.1:1")
			code, out, errOut := run(t, args...)
			if code != exitUsage || !strings.Contains(errOut, "--helo") || out != "" {
				t.Errorf("%v: exit %d: %s%s", args, code, out, errOut)
			}
		}
	}
}

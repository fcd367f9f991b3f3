// Package testenv lets a test say it needs a component this machine lacks
// (tmux, a running Postfix), in words that internal/testrun gathers into
// the lines at the end of a test run that name what was skipped and how
// to enable it.
package testenv

import (
	"strings"
	"testing"
)

// prefix opens the skip message of a missing component.
const prefix = "needs "

// Need skips t: it needs what (a component, "tmux"), which this machine
// lacks; enable is how to provide it ("apt-get install tmux").
func Need(t testing.TB, what, enable string) {
	t.Helper()
	t.Skip(prefix + what + "; " + enable)
}

// ParseSkip reads a skip message written by Need, as the test log shows it
// ("    e2e_test.go:58: needs tmux; apt-get install tmux").
func ParseSkip(line string) (what, enable string, ok bool) {
	line = strings.TrimSpace(line)
	if i := strings.Index(line, ": "+prefix); i >= 0 && !strings.Contains(line[:i], " ") {
		line = line[i+2:] // the file:line a log line starts with
	}
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return "", "", false
	}
	what, enable, ok = strings.Cut(rest, "; ")
	return what, enable, ok
}

package testenv

import "testing"

func TestParseSkip(t *testing.T) {
	for line, want := range map[string][2]string{
		"    e2e_test.go:58: needs tmux; apt-get install tmux":       {"tmux", "apt-get install tmux"},
		"needs the Postfix lab; sudo bash scripts/postfix-lab.sh up": {"the Postfix lab", "sudo bash scripts/postfix-lab.sh up"},
		"    x_test.go:3: cannot make a device node here":            {},
		"    x_test.go:3: this needs tmux; no":                       {},
	} {
		what, enable, ok := ParseSkip(line)
		if ok != (want[0] != "") || what != want[0] || enable != want[1] {
			t.Errorf("ParseSkip(%q) = %q, %q, %v; want %q, %q", line, what, enable, ok, want[0], want[1])
		}
	}
}

// skipTB records what Need skips with.
type skipTB struct {
	testing.TB
	skipped string
}

func (s *skipTB) Helper()          {}
func (s *skipTB) Skip(args ...any) { s.skipped = args[0].(string) }

// TestNeedSkips: Need skips with the message ParseSkip reads back.
func TestNeedSkips(t *testing.T) {
	tb := &skipTB{}
	Need(tb, "tmux", "apt-get install tmux")
	what, enable, ok := ParseSkip("    e2e_test.go:58: " + tb.skipped)
	if !ok || what != "tmux" || enable != "apt-get install tmux" {
		t.Errorf("Need skipped with %q, read back as %q, %q, %v", tb.skipped, what, enable, ok)
	}
}

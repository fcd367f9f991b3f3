package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/lab"
)

// TestTUINewcomerAt80x24 drives the explorer on the built-in lab at 80x24
// as a newcomer does (issue 16): → takes the grey suggestion, the footer
// keeps "ctrl+c quit", a typo is held with the line meant, the AUTH step
// names the lab's account, and the command history is there in the next
// run, from the state directory, without a secret.
func TestTUINewcomerAt80x24(t *testing.T) {
	bin := ehloBinary(t)
	state := t.TempDir()
	env := []string{"NO_COLOR=1", "XDG_STATE_HOME=" + state}
	tm := newTerm(t, 80, 24, env, bin)
	s := tm.waitFor(`S: 220 `)
	if !strings.Contains(s, "ctrl+c quit") {
		t.Errorf("the footer lacks ctrl+c quit:\n%s", s)
	}
	tm.keys("Right", "Enter")
	tm.waitFor(`S: 250 `)

	tm.typeLine("STARTTLX")
	s = tm.waitFor(`meant: STARTTLS`)
	if strings.Contains(s, "C: STARTTLX") {
		t.Fatalf("the typo went at once:\n%s", s)
	}
	tm.keys("Right", "Enter") // the line meant
	tm.waitFor(`TLS 1\.3`)
	tm.typeLine("EHLO e2e.test")
	s = tm.waitFor(`lab account: user alice, password wonderland`)
	if !strings.Contains(s, "AUTH PLAIN LOGIN") {
		t.Errorf("the mechanisms are not whole:\n%s", s)
	}
	tm.keys("Right", "Enter") // :auth MECH alice, the mechanism ehlo prefers
	tm.waitFor(`password ›`)
	tm.typeLine(lab.Password)
	tm.waitFor(`authenticated as alice`)
	tm.keys("C-c")
	// The history is written as ehlo ends: wait for the file, not for tmux
	// to mark the pane dead, which it sometimes does seconds after the
	// process is gone (a zombie it has not reaped).
	b := waitForFile(t, filepath.Join(state, "ehlo", "history"), ":auth ")
	if !regexp.MustCompile(`(?m)^:auth [A-Z0-9-]+ alice$`).Match(b) || strings.Contains(string(b), lab.Password) {
		t.Errorf("the history file holds:\n%s", b)
	}
	if fi, err := os.Stat(filepath.Join(state, "ehlo", "history")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("history mode %v %v", fi.Mode(), err)
	}

	tm = newTerm(t, 80, 24, env, bin) // the next run: ↑ brings the last line back
	tm.waitFor(`S: 220 `)
	tm.keys("Up")
	tm.waitFor(`› :auth [A-Z0-9-]+ alice`)
	tm.keys("C-c")

	off := newTerm(t, 80, 24, env, bin, "--no-history") // the same state directory, left alone
	off.waitFor(`S: 220 `)
	off.typeLine("NOOP")
	off.waitFor(`S: 250 `)
	off.keys("Up", "Up")
	if s := off.screen(); strings.Contains(s, ":auth ") {
		t.Errorf("--no-history read the history:\n%s", s)
	}
	off.keys("C-c")
	if b, _ := os.ReadFile(filepath.Join(state, "ehlo", "history")); strings.Contains(string(b), "NOOP") {
		t.Errorf("--no-history wrote the history:\n%s", b)
	}
}

// waitForFile polls path until it holds want, for at most 10 seconds, and
// returns what it holds.
func waitForFile(t *testing.T, path, want string) []byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), want) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never held %q: %v, %q", path, want, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

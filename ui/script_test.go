package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
)

// TestSaveScriptCommand runs :save --script through the model; what the
// script holds is client.WriteScript's, tested in package client.
func TestSaveScriptCommand(t *testing.T) {
	s := newSim(t, "dark", 80, 24)
	s.m.tr.Note("connected to 192.0.2.25:587")
	path := filepath.Join(t.TempDir(), "session.ehlo")
	s.typ(":save --script " + path)
	next, cmd := s.m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	s.m = next.(Model)
	s.send(cmd())
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v, flash %q", err, s.m.flash.text)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 || !strings.Contains(string(b), "# target: smtp.gmail.example:587\n") ||
		!strings.Contains(string(b), "ehlo run") || !strings.HasPrefix(s.m.flash.text, "saved ") {
		t.Errorf("mode %v, flash %q:\n%s", fi.Mode().Perm(), s.m.flash.text, b)
	}
}

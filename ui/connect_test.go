package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/lab"
)

// connectWith types a :connect line and returns what its command brings
// back: the CA file is read in a command, never in Update.
func connectWith(t *testing.T, s *sim, line string) {
	t.Helper()
	s.typ(line)
	cmd := s.update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if s.m.conn.phase == phaseDialing {
		t.Fatalf("%s: dialing before the CA file was read", line)
	}
	s.send(runUntil(t, cmd, func(msg tea.Msg) bool { _, ok := msg.(caLoadedMsg); return ok }))
}

// TestConnectCA: :connect takes --ca FILE, as every certificate error
// advises: the file is read in a command, the next connection trusts it,
// and a saved script's replay line names it; a file that cannot be used
// is said in words, and nothing is dialled.
func TestConnectCA(t *testing.T) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, l.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	for _, tt := range []struct{ file, want string }{
		{filepath.Join(dir, "missing.pem"), "no such file"},
		{notPEM, "holds no PEM certificate"},
		{dir, "is a directory"},
	} {
		connectWith(t, s, ":connect mx.other.example:25 --ca "+tt.file)
		if s.m.conn.phase != phaseOpen || s.m.conn.target != "smtp.gmail.example:587" {
			t.Fatalf("--ca %s: phase %v target %q: want the session left as it was", tt.file, s.m.conn.phase, s.m.conn.target)
		}
		wantHas(t, "flash", s.m.flash.text, "--ca "+tt.file, tt.want)
	}

	connectWith(t, s, ":connect mx.other.example:25 --ca "+ca+" --servername localhost")
	if s.m.conn.phase != phaseDialing || s.m.conn.target != "mx.other.example:25" || s.m.opts.RootCAs == nil ||
		s.m.opts.ServerName != "localhost" {
		t.Fatalf("phase %v target %q roots %v name %q", s.m.conn.phase, s.m.conn.target, s.m.opts.RootCAs != nil, s.m.opts.ServerName)
	}
	if flags := s.m.runFlags(); !strings.Contains(flags, "--ca "+ca) {
		t.Errorf("a saved script's replay flags %q do not name the CA file", flags)
	}
	s.enter(":connect mx.third.example:25")
	if flags := s.m.runFlags(); strings.Contains(flags, "--ca") {
		t.Errorf("a :connect without --ca keeps the last one's CA file: %q", flags)
	}
}

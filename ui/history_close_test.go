package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
)

// TestHistoryWrittenAtClose: a line typed just before quitting is in the
// history file when the explorer ends, though the program quit before the
// command writing it ran (Bubble Tea does not wait for commands), and no
// write comes after Close: the file is whole, and no temporary file is
// left beside it for a process that exits mid-write.
func TestHistoryWrittenAtClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ehlo", "history")
	m, err := New(Config{Target: "smtp.gmail.example:587", Theme: "dark", History: path})
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, clock: epoch, link: &fakeLink{addr: "192.0.2.25:587"}}
	m.now = func() time.Time { return s.clock }
	s.m = m
	s.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	gmailTLS(s)
	s.typ("NOOP last")
	next, late := s.m.Update(tea.KeyPressMsg{Code: tea.KeyEnter}) // its commands never run before the quit
	s.m = next.(Model)
	if late == nil {
		t.Fatal("Enter returned no command")
	}
	s.m.Close()
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(string(b), "NOOP last\n") {
		t.Fatalf("after Close the history file holds %q (%v), want the last line", b, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the state directory holds %d entries, want the history alone", len(entries))
	}
}

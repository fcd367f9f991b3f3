package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
)

// TestViewGolden compares whole screens, styles stripped, after a Gmail-like
// plaintext EHLO (STARTTLS offered, no AUTH) and after STARTTLS and the
// second EHLO (AUTH appeared), per theme and size. Run with -update to
// rewrite testdata/TestViewGolden/*.golden.
func TestViewGolden(t *testing.T) {
	states := []struct {
		name string
		play func(*sim)
	}{
		{"plain", gmailPlain},
		{"tls", gmailTLS},
	}
	for _, theme := range []string{"dark", "mono", "light"} {
		for _, size := range [][2]int{{120, 40}, {80, 24}} {
			for _, st := range states {
				name := fmt.Sprintf("%s_%s_%dx%d", st.name, theme, size[0], size[1])
				t.Run(name, func(t *testing.T) {
					s := newSim(t, theme, size[0], size[1])
					st.play(s)
					checkSize(t, s.m.View().Content, size[0], size[1])
					golden.RequireEqual(t, s.screen())
				})
			}
		}
	}
}

// TestViewGoldenMoments covers screens a user meets along the way: a
// warning before sending, DATA mode, the help screen, focus on the
// capability list, a pending wait with its spinner.
func TestViewGoldenMoments(t *testing.T) {
	moments := map[string]func(*sim){
		"warning_auth_before_starttls": func(s *sim) {
			gmailPlain(s)
			s.typ("AUTH PLAIN")
		},
		"data_mode": func(s *sim) {
			gmailTLS(s)
			s.enter("MAIL FROM:<alice@example.org>")
			s.reply("250 2.1.0 OK")
			s.enter("RCPT TO:<bob@example.org>")
			s.reply("250 2.1.5 OK")
			s.enter("DATA")
			s.reply("354 Go ahead")
		},
		"help": func(s *sim) {
			gmailPlain(s)
			s.typ("?")
		},
		"caps_focused": func(s *sim) {
			gmailTLS(s)
			s.press(tea.KeyTab, tea.ModShift) // tab would take the suggestion
			s.press(tea.KeyDown)
		},
		"waiting": func(s *sim) {
			gmailPlain(s)
			s.enter("NOOP")
			s.advance(1234 * 1e6)
		},
	}
	for name, play := range moments {
		for _, size := range [][2]int{{120, 40}, {80, 24}} {
			t.Run(fmt.Sprintf("%s_%dx%d", name, size[0], size[1]), func(t *testing.T) {
				s := newSim(t, "dark", size[0], size[1])
				play(s)
				checkSize(t, s.m.View().Content, size[0], size[1])
				golden.RequireEqual(t, s.screen())
			})
		}
	}
}

// TestViewFitsAnySize checks that every screen is exactly the terminal's
// size, from 80x24 up, in every state the goldens cover.
func TestViewFitsAnySize(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {81, 25}, {99, 30}, {100, 31}, {133, 41}, {200, 60}} {
		s := newSim(t, "dark", size[0], size[1])
		checkSize(t, s.m.View().Content, size[0], size[1])
		gmailTLS(s)
		checkSize(t, s.m.View().Content, size[0], size[1])
		s.typ("?")
		checkSize(t, s.m.View().Content, size[0], size[1])
	}
}

// TestTinyTerminal: below 80x24 nothing panics and the width still holds
// where it can.
func TestTinyTerminal(t *testing.T) {
	for _, size := range [][2]int{{59, 20}, {40, 10}, {20, 5}, {1, 1}} {
		s := newSim(t, "dark", size[0], size[1])
		gmailTLS(s)
		s.typ("?")
		_ = s.m.View()
		s.press(tea.KeyEscape)
		if size[0] >= 40 {
			for i, l := range strings.Split(s.m.View().Content, "\n") {
				if got := ansi.StringWidth(l); got != size[0] {
					t.Fatalf("%dx%d: line %d is %d cells", size[0], size[1], i, got)
				}
			}
		}
	}
}

// TestResize recomputes the layout on every tea.WindowSizeMsg.
func TestResize(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	gmailTLS(s)
	s.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	checkSize(t, s.m.View().Content, 80, 24)
	s.send(tea.WindowSizeMsg{Width: 160, Height: 50})
	checkSize(t, s.m.View().Content, 160, 50)
}

func checkSize(t *testing.T, content string, w, h int) {
	t.Helper()
	lines := strings.Split(content, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d cells, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}

// TestViewFields checks the tea.View settings: alt screen, mouse mode and
// a window title of our own text.
func TestViewFields(t *testing.T) {
	s := newSim(t, "dark", 80, 24)
	v := s.m.View()
	if !v.AltScreen || v.MouseMode != tea.MouseModeCellMotion || v.WindowTitle != "ehlo — smtp.gmail.example:587" {
		t.Fatalf("view: alt %v mouse %v title %q", v.AltScreen, v.MouseMode, v.WindowTitle)
	}
	s.enter(":mouse")
	if s.m.View().MouseMode != tea.MouseModeNone {
		t.Fatal(":mouse did not turn the mouse off")
	}
}

// BenchmarkScreen measures one whole frame after a STARTTLS session.
func BenchmarkScreen(b *testing.B) {
	s := newSim(&testing.T{}, "dark", 120, 40)
	gmailTLS(s)
	for b.Loop() {
		_ = s.m.View()
	}
}

package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/ehlo-sh/ehlo/internal/hostile"
	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/wire"
)

// FuzzTranscriptView renders arbitrary server bytes in the transcript pane,
// plain, with raw line endings, with the hex view, wrapped and with a
// search highlighted (its text from the bytes too), in a colour theme:
// the view may hold our own SGR styling and nothing else that acts on a
// terminal (no OSC, no screen clear, no cursor move, no C1, no bidi, no
// CR), and the selected line's bytes stay exact.
func FuzzTranscriptView(f *testing.F) {
	for _, s := range []string{
		"220 mx \x1b]52;c;ZXZpbA==\x07 \x1b]0;t\x07\r\n", "250-\x1b[2J\x1b[H\x1b[5A\r\n250 ok\r\n",
		"\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\\r\n", "550 no\r250 OK\r\n", "\u009b31m\u202ex\r\n",
		"\x00\xff\xc3(\r\n", "334 VXNlcm5hbWU6\r\n", "abc",
	} {
		f.Add([]byte(s), uint8(0), uint8(60))
	}
	st, err := themes.New("dark", true)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8, width uint8) {
		v := NewTranscript(st)
		v.SetSize(int(width%120)+4, 12)
		e := wire.Entry{Time: time.Unix(0, 0), Dir: wire.Server, Data: data, TLS: mode&4 != 0}
		e.Seq = 1
		v.Append(wire.Entry{Seq: 0, Time: e.Time, Dir: wire.Client, Data: []byte("EHLO x\r\n")}, e)
		if mode&1 != 0 {
			v.ToggleRaw()
		}
		v.Select(1)
		if mode&2 != 0 {
			v.ToggleHex()
		}
		if mode&8 != 0 {
			v.ToggleWrap()
		}
		if mode&16 != 0 && len(data) > 2 {
			v.SetQuery(string(data[1 : 1+int(mode>>5)%(len(data)-1)]))
		}
		if mode&8 != 0 {
			checkLines(t, v.View(), v.width, v.height)
		}
		if _, err := hostile.ViewErr(v.View()); err != nil {
			t.Fatalf("view of %q: %v", data, err)
		}
		if got, ok := v.Selected(); !ok || string(got.Data) != string(data) {
			t.Fatalf("selected %q, want %q", got.Data, data)
		}
	})
}

// checkLines fails unless view has exactly h lines of exactly w cells.
func checkLines(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d cells, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}

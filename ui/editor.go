package ui

import (
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// The explorer's two small editors: lineEditor for the command line and
// textEditor for :compose. They stand in for bubbles' textinput and
// textarea, which import github.com/atotto/clipboard, a module this
// repository does not carry; terminal paste (tea.PasteMsg) covers what that
// clipboard access would add. Their keys are data, readline-style.

// editKeys are the editing keys shared by both editors.
type editKeys struct {
	Left, Right, WordLeft, WordRight, Home, End key.Binding
	Backspace, Delete, DeleteWord, KillLeft     key.Binding
	KillRight                                   key.Binding
}

func newEditKeys() editKeys {
	return editKeys{
		Left:       key.NewBinding(key.WithKeys("left")),
		Right:      key.NewBinding(key.WithKeys("right")),
		WordLeft:   key.NewBinding(key.WithKeys("alt+left", "ctrl+left", "alt+b")),
		WordRight:  key.NewBinding(key.WithKeys("alt+right", "ctrl+right", "alt+f")),
		Home:       key.NewBinding(key.WithKeys("home", "ctrl+a")),
		End:        key.NewBinding(key.WithKeys("end", "ctrl+e")),
		Backspace:  key.NewBinding(key.WithKeys("backspace")),
		Delete:     key.NewBinding(key.WithKeys("delete")),
		DeleteWord: key.NewBinding(key.WithKeys("ctrl+w", "alt+backspace")),
		KillLeft:   key.NewBinding(key.WithKeys("ctrl+u")),
		KillRight:  key.NewBinding(key.WithKeys("ctrl+k")),
	}
}

// lineEditor is one line of text with a cursor.
type lineEditor struct {
	keys  editKeys
	value []rune
	pos   int
	limit int // most runes accepted; 0 for no limit
}

func newLineEditor(limit int) lineEditor {
	return lineEditor{keys: newEditKeys(), limit: limit}
}

// Value is the text.
func (e lineEditor) Value() string { return string(e.value) }

// SetValue replaces the text, filtered as Insert filters it, and puts the
// cursor at its end.
func (e lineEditor) SetValue(s string) lineEditor {
	e.value, e.pos = nil, 0
	return e.Insert(s)
}

// Insert types s at the cursor, dropping control characters.
func (e lineEditor) Insert(s string) lineEditor {
	var rs []rune
	for _, r := range s {
		if r == '\t' {
			r = ' '
		}
		if unicode.IsPrint(r) || r == ' ' {
			rs = append(rs, r)
		}
	}
	if e.limit > 0 {
		rs = rs[:max(min(len(rs), e.limit-len(e.value)), 0)]
	}
	v := make([]rune, 0, len(e.value)+len(rs))
	v = append(append(append(v, e.value[:e.pos]...), rs...), e.value[e.pos:]...)
	e.value, e.pos = v, e.pos+len(rs)
	return e
}

// Update applies an editing key or a paste.
func (e lineEditor) Update(msg tea.Msg) lineEditor {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		return e.Insert(msg.Content)
	case tea.KeyPressMsg:
		return e.key(msg)
	}
	return e
}

func (e lineEditor) key(msg tea.KeyPressMsg) lineEditor {
	k := e.keys
	switch {
	case key.Matches(msg, k.Left):
		e.pos = max(e.pos-1, 0)
	case key.Matches(msg, k.Right):
		e.pos = min(e.pos+1, len(e.value))
	case key.Matches(msg, k.WordLeft):
		e.pos = wordLeft(e.value, e.pos)
	case key.Matches(msg, k.WordRight):
		e.pos = wordRight(e.value, e.pos)
	case key.Matches(msg, k.Home):
		e.pos = 0
	case key.Matches(msg, k.End):
		e.pos = len(e.value)
	case key.Matches(msg, k.Backspace):
		if e.pos > 0 {
			e.value = append(e.value[:e.pos-1:e.pos-1], e.value[e.pos:]...)
			e.pos--
		}
	case key.Matches(msg, k.Delete):
		if e.pos < len(e.value) {
			e.value = append(e.value[:e.pos:e.pos], e.value[e.pos+1:]...)
		}
	case key.Matches(msg, k.DeleteWord):
		start := wordLeft(e.value, e.pos)
		e.value = append(e.value[:start:start], e.value[e.pos:]...)
		e.pos = start
	case key.Matches(msg, k.KillLeft):
		e.value, e.pos = append([]rune{}, e.value[e.pos:]...), 0
	case key.Matches(msg, k.KillRight):
		e.value = e.value[:e.pos:e.pos]
	case msg.Text != "" && msg.Mod&(tea.ModCtrl|tea.ModAlt) == 0:
		return e.Insert(msg.Text)
	}
	return e
}

func wordLeft(v []rune, pos int) int {
	for pos > 0 && v[pos-1] == ' ' {
		pos--
	}
	for pos > 0 && v[pos-1] != ' ' {
		pos--
	}
	return pos
}

func wordRight(v []rune, pos int) int {
	for pos < len(v) && v[pos] == ' ' {
		pos++
	}
	for pos < len(v) && v[pos] != ' ' {
		pos++
	}
	return pos
}

// View draws the text in at most w cells, scrolled so the cursor shows,
// the cursor cell in cursor's style (pos -1: no cursor). mask shows '*' for
// each rune.
func (e lineEditor) View(w int, text, cursor lipgloss.Style, mask bool) string {
	if w <= 0 {
		return ""
	}
	v := e.value
	if mask {
		v = []rune(strings.Repeat("*", len(v)))
	}
	start := 0
	if e.pos >= w {
		start = e.pos - w + 1
	}
	var before, after strings.Builder
	at, used := "", 0
	for i := start; i < len(v); i++ {
		cw := max(ansi.StringWidth(string(v[i])), 1)
		if used+cw > w {
			break
		}
		switch {
		case i < e.pos || e.pos < 0:
			before.WriteRune(v[i])
		case i == e.pos:
			at = string(v[i])
		default:
			after.WriteRune(v[i])
		}
		used += cw
	}
	if e.pos == len(v) && used < w {
		at = " "
	}
	out := text.Render(before.String())
	if at != "" {
		out += cursor.Render(at)
	}
	return out + text.Render(after.String())
}

// textEditor is a multi-line editor with a cursor, for :compose. Lines are
// cut at the edge, not wrapped, so what is seen is what is sent.
type textEditor struct {
	keys          editKeys
	lines         [][]rune
	row, col      int
	top           int // first line on screen
	width, height int
	up, down      key.Binding
	pgUp, pgDown  key.Binding
	newline       key.Binding
}

func newTextEditor() textEditor {
	return textEditor{
		keys: newEditKeys(), lines: [][]rune{{}},
		up: key.NewBinding(key.WithKeys("up")), down: key.NewBinding(key.WithKeys("down")),
		pgUp: key.NewBinding(key.WithKeys("pgup")), pgDown: key.NewBinding(key.WithKeys("pgdown")),
		newline: key.NewBinding(key.WithKeys("enter")),
	}
}

// SetSize sets the area the text is drawn in.
func (t *textEditor) SetSize(w, h int) { t.width, t.height = max(w, 1), max(h, 1) }

// Value is the text, lines joined with "\n".
func (t textEditor) Value() string {
	parts := make([]string, len(t.lines))
	for i, l := range t.lines {
		parts[i] = string(l)
	}
	return strings.Join(parts, "\n")
}

// SetValue replaces the text; the cursor goes to the end.
func (t textEditor) SetValue(s string) textEditor {
	t.lines = nil
	for l := range strings.SplitSeq(s, "\n") {
		t.lines = append(t.lines, []rune(l))
	}
	t.row = len(t.lines) - 1
	t.col = len(t.lines[t.row])
	return t.scrolled()
}

// Insert types s at the cursor; "\n" (or CR, or CRLF) starts a new line.
func (t textEditor) Insert(s string) textEditor {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	for i, part := range strings.Split(s, "\n") {
		if i > 0 {
			t = t.split()
		}
		le := lineEditor{keys: t.keys, value: t.lines[t.row], pos: t.col}.Insert(part)
		t.lines[t.row], t.col = le.value, le.pos
	}
	return t.scrolled()
}

// split breaks the line at the cursor.
func (t textEditor) split() textEditor {
	cur := t.lines[t.row]
	head, tail := append([]rune{}, cur[:t.col]...), append([]rune{}, cur[t.col:]...)
	lines := make([][]rune, 0, len(t.lines)+1)
	lines = append(append(append(lines, t.lines[:t.row]...), head, tail), t.lines[t.row+1:]...)
	t.lines, t.row, t.col = lines, t.row+1, 0
	return t
}

// Update applies a key or a paste.
func (t textEditor) Update(msg tea.Msg) textEditor {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		return t.Insert(msg.Content)
	case tea.KeyPressMsg:
		return t.key(msg).scrolled()
	}
	return t
}

func (t textEditor) key(msg tea.KeyPressMsg) textEditor {
	switch {
	case key.Matches(msg, t.newline):
		return t.split()
	case key.Matches(msg, t.up):
		t.row = max(t.row-1, 0)
	case key.Matches(msg, t.down):
		t.row = min(t.row+1, len(t.lines)-1)
	case key.Matches(msg, t.pgUp):
		t.row = max(t.row-t.height, 0)
	case key.Matches(msg, t.pgDown):
		t.row = min(t.row+t.height, len(t.lines)-1)
	case key.Matches(msg, t.keys.Backspace) && t.col == 0 && t.row > 0:
		prev := t.lines[t.row-1]
		t.col = len(prev)
		t.lines[t.row-1] = append(append([]rune{}, prev...), t.lines[t.row]...)
		t.lines = append(t.lines[:t.row:t.row], t.lines[t.row+1:]...)
		t.row--
		return t
	case key.Matches(msg, t.keys.Delete) && t.col == len(t.lines[t.row]) && t.row < len(t.lines)-1:
		t.lines[t.row] = append(append([]rune{}, t.lines[t.row]...), t.lines[t.row+1]...)
		t.lines = append(t.lines[:t.row+1:t.row+1], t.lines[t.row+2:]...)
		return t
	default:
		le := lineEditor{keys: t.keys, value: t.lines[t.row], pos: min(t.col, len(t.lines[t.row]))}.key(msg)
		t.lines[t.row], t.col = le.value, le.pos
		return t
	}
	t.col = min(t.col, len(t.lines[t.row]))
	return t
}

// scrolled keeps the cursor's line on screen.
func (t textEditor) scrolled() textEditor {
	switch {
	case t.row < t.top:
		t.top = t.row
	case t.row >= t.top+t.height:
		t.top = t.row - t.height + 1
	}
	return t
}

// View draws the visible lines, the cursor in cursor's style.
func (t textEditor) View(text, cursor lipgloss.Style) string {
	out := make([]string, 0, t.height)
	for i := t.top; i < len(t.lines) && len(out) < t.height; i++ {
		le := lineEditor{value: t.lines[i], pos: -1}
		if i == t.row {
			le.pos = t.col
		}
		out = append(out, le.View(t.width, text, cursor, false))
	}
	return strings.Join(out, "\n")
}

package ui

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
	"github.com/ehlo-sh/ehlo/third_party/bubbles/textinput"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
)

// inputMode is what the command line is collecting.
type inputMode int

const (
	modeCommand  inputMode = iota // SMTP lines and ":" commands
	modeUser                      // :auth's user name
	modePassword                  // :auth's password, masked
	modeConfirm                   // a y/n question
	modeSearch                    // the transcript's search (/ or :find)
)

// maxHistory bounds the command history.
const maxHistory = 500

// inputBox is the command line: a bubbles textinput with a history. The
// history never holds a secret: the root gives it only what may be kept
// (AUTH lines in their recallForm, never an AUTH response).
type inputBox struct {
	ti      textinput.Model
	mode    inputMode
	secret  bool // mask what is typed (password, AUTH responses)
	history []string
	changes int    // lines added to the history so far: the file is written when it moves
	hist    int    // position while browsing; len(history) when not
	draft   string // what was typed before browsing began
	st      *themes.Styles
}

// inputLimit is the most runes the line takes: far above RFC 5321's 512
// octets for a command line (4.5.3.1.4), so the server, not the editor,
// says a line is too long.
const inputLimit = 4096

// newInput returns an empty command line. ↑/↓ browse the history and tab
// completes from State.Completions, so textinput's suggestion keys are
// unbound; ctrl+v would read the system clipboard through xclip, which
// fails on headless and SSH hosts: terminal paste (tea.PasteMsg) is the way
// in (TUI-NOTES §1.5).
func newInput(st themes.Styles) inputBox {
	ti := textinput.New()
	ti.Prompt, ti.CharLimit = "", inputLimit
	ti.KeyMap.AcceptSuggestion.SetEnabled(false)
	ti.KeyMap.NextSuggestion.SetEnabled(false)
	ti.KeyMap.PrevSuggestion.SetEnabled(false)
	ti.KeyMap.Paste.SetEnabled(false)
	ti.SetStyles(inputStyles(st))
	ti.Focus()
	return inputBox{ti: ti, st: &st}
}

// inputStyles are textinput's styles from the theme; the cursor does not
// blink, so a frozen clock gives a stable view.
func inputStyles(st themes.Styles) textinput.Styles {
	state := textinput.StyleState{Text: st.Input, Placeholder: st.Placeholder, Suggestion: st.Placeholder, Prompt: st.Prompt}
	return textinput.Styles{Focused: state, Blurred: state,
		Cursor: textinput.CursorStyle{Color: st.Input.GetForeground(), Shape: tea.CursorBlock}}
}

// setStyles applies the theme.
func (in inputBox) setStyles(st themes.Styles) inputBox {
	in.st = &st
	in.ti.SetStyles(inputStyles(st))
	return in
}

// setWidth sets the cells the text may take, the prompt excluded; the
// cursor takes one more.
func (in inputBox) setWidth(w int) inputBox {
	if w = max(w, 1); w != in.ti.Width() {
		in.ti.SetWidth(w)
		in.ti.SetCursor(in.ti.Position()) // scroll the text again for the new width
	}
	return in
}

// setMode switches what the line collects and clears it.
func (in inputBox) setMode(mode inputMode) inputBox {
	in.mode = mode
	in.ti.SetValue("")
	in.hist, in.draft = len(in.history), ""
	return in
}

// setSecret masks the typed text.
func (in inputBox) setSecret(secret bool) inputBox {
	in.secret = secret
	in.ti.EchoMode = textinput.EchoNormal
	if secret {
		in.ti.EchoMode = textinput.EchoPassword
	}
	return in
}

// Value is the text typed so far.
func (in inputBox) Value() string { return in.ti.Value() }

// setValue replaces the text, filtered as typing is, and puts the cursor
// at its end.
func (in inputBox) setValue(s string) inputBox {
	in.ti.SetValue(printable(s))
	in.ti.CursorEnd()
	return in
}

// atEnd reports whether the cursor is after the last rune.
func (in inputBox) atEnd() bool { return in.ti.Position() >= len([]rune(in.ti.Value())) }

// clear empties the line after Enter and leaves history browsing.
func (in inputBox) clear() inputBox {
	in.ti.SetValue("")
	in.hist, in.draft = len(in.history), ""
	return in
}

// remember adds a line to the history, skipping a repeat of the last one.
func (in inputBox) remember(line string) inputBox {
	if line == "" || (len(in.history) > 0 && in.history[len(in.history)-1] == line) {
		in.hist = len(in.history)
		return in
	}
	in.history = append(in.history, line)
	if len(in.history) > maxHistory {
		in.history = in.history[len(in.history)-maxHistory:]
	}
	in.hist, in.changes = len(in.history), in.changes+1
	return in
}

// preload puts lines from an earlier run before the history of this one.
func (in inputBox) preload(lines []string) inputBox {
	browsing := in.hist < len(in.history)
	in.history = append(append([]string(nil), lines...), in.history...)
	in.history = in.history[max(len(in.history)-maxHistory, 0):]
	if !browsing {
		in.hist = len(in.history)
	}
	return in
}

// rememberPasted adds pasted commands to the history. Once an AUTH line
// has gone by (or one was under way, authAhead), the rest are left out:
// they may be its responses (SAFETY.md).
func (in inputBox) rememberPasted(lines []string, authAhead bool) inputBox {
	for _, l := range lines {
		if authAhead {
			break
		}
		in = in.remember(recallForm(l))
		authAhead = session.Verb(l) == "AUTH"
	}
	return in
}

// older and newer browse the history (↑ and ↓).
func (in inputBox) older() inputBox {
	if in.mode != modeCommand || in.hist == 0 {
		return in
	}
	if in.hist == len(in.history) {
		in.draft = in.ti.Value()
	}
	in.hist--
	return in.setValue(in.history[in.hist])
}

func (in inputBox) newer() inputBox {
	if in.mode != modeCommand || in.hist >= len(in.history) {
		return in
	}
	in.hist++
	if in.hist == len(in.history) {
		return in.setValue(in.draft)
	}
	return in.setValue(in.history[in.hist])
}

// Update edits the line. Typed and pasted text is filtered first: tabs
// become spaces, and control and format characters (ESC, C1, bidi
// overrides, zero-width characters) are dropped, so nothing pasted can act
// on the terminal when the line is drawn. A key with ctrl or alt that
// textinput does not bind types nothing.
func (in inputBox) Update(msg tea.Msg) (inputBox, tea.Cmd) {
	switch m := msg.(type) {
	case tea.KeyPressMsg:
		if m.Mod&(tea.ModCtrl|tea.ModAlt) != 0 {
			m.Text = ""
		}
		m.Text = printable(m.Text)
		msg = m
	case tea.PasteMsg:
		msg = tea.PasteMsg{Content: printable(m.Content)}
	}
	var cmd tea.Cmd
	in.ti, cmd = in.ti.Update(msg)
	return in, cmd
}

// printable keeps the printable runes of s, a tab becoming a space.
func printable(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r != ' ' && !unicode.IsPrint(r) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// View draws the line in exactly width cells: the prompt, then the text,
// or the placeholder on an empty line.
func (in inputBox) View(prompt, placeholder string, width int) string {
	ti := in.ti
	ti.Placeholder = placeholder
	return fitLine(in.st.Prompt.Render(prompt)+ti.View(), width)
}

// promptFor is the prompt text: what the session expects next, or what
// the line is collecting (State.Expect).
func promptFor(mode inputMode, s session.State, inData bool, what string, w words) string {
	switch mode {
	case modeUser:
		return what + w.T(" user › ")
	case modePassword:
		return what + w.T(" password › ")
	case modeConfirm:
		return "y/n › "
	case modeSearch:
		return w.T("search › ")
	}
	switch expect := s.Expect(); {
	case inData:
		return w.T("data › ")
	case expect == "":
		return w.T("closed › ")
	case expect == "greeting" || expect == "server reply":
		return "… › "
	default:
		return expect + " › "
	}
}

// fitLine cuts or pads s to exactly w cells.
func fitLine(s string, w int) string {
	if w <= 0 {
		return ""
	}
	s = ansi.Truncate(s, w, "…")
	if pad := w - ansi.StringWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

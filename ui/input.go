package ui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

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
)

// maxHistory bounds the command history.
const maxHistory = 500

// inputBox is the command line: a line editor with a history. The history
// never holds a secret: the root gives it only what may be kept (AUTH
// lines in their redacted form, never an AUTH response).
type inputBox struct {
	ed      lineEditor
	mode    inputMode
	secret  bool // mask what is typed (password, AUTH responses)
	history []string
	hist    int    // position while browsing; len(history) when not
	draft   string // what was typed before browsing began
	st      themes.Styles
}

// newInput returns an empty command line.
func newInput(st themes.Styles) inputBox {
	return inputBox{ed: newLineEditor(4096), st: st}
}

// setStyles applies the theme.
func (in inputBox) setStyles(st themes.Styles) inputBox {
	in.st = st
	return in
}

// setMode switches what the line collects and clears it.
func (in inputBox) setMode(mode inputMode) inputBox {
	in.mode = mode
	in.ed = in.ed.SetValue("")
	in.hist, in.draft = len(in.history), ""
	return in
}

// setSecret masks the typed text.
func (in inputBox) setSecret(secret bool) inputBox {
	in.secret = secret
	return in
}

// Value is the text typed so far.
func (in inputBox) Value() string { return in.ed.Value() }

// setValue replaces the text and puts the cursor at its end.
func (in inputBox) setValue(s string) inputBox {
	in.ed = in.ed.SetValue(s)
	return in
}

// clear empties the line after Enter and leaves history browsing.
func (in inputBox) clear() inputBox {
	in.ed = in.ed.SetValue("")
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
	in.hist = len(in.history)
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
		if secret, shown := secretForm(l, false); secret {
			l = shown
		}
		in = in.remember(l)
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
		in.draft = in.ed.Value()
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

// Update edits the line.
func (in inputBox) Update(msg tea.Msg) (inputBox, tea.Cmd) {
	in.ed = in.ed.Update(msg)
	return in, nil
}

// View draws the line in exactly width cells: the prompt, then the text,
// or the placeholder on an empty line.
func (in inputBox) View(prompt, placeholder string, width int) string {
	p := in.st.Prompt.Render(prompt)
	room := max(width-lipgloss.Width(p), 1)
	cursor := in.st.Input.Reverse(true)
	if in.ed.Value() == "" && placeholder != "" {
		ph := []rune(placeholder)
		return fitLine(p+cursor.Render(string(ph[0]))+in.st.Placeholder.Render(string(ph[1:])), width)
	}
	return fitLine(p+in.ed.View(room-1, in.st.Input, cursor, in.secret), width)
}

// promptFor is the prompt text: what the session expects next, or what
// the line is collecting (State.Expect).
func promptFor(mode inputMode, s session.State, inData bool, what string) string {
	switch mode {
	case modeUser:
		return what + " user › "
	case modePassword:
		return what + " password › "
	case modeConfirm:
		return "y/n › "
	}
	switch expect := s.Expect(); {
	case inData:
		return "data › "
	case expect == "":
		return "closed › "
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

package ui

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/ehlo-sh/ehlo/third_party/bubbles/textarea"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/wire"
)

// composer is the :compose editor: a whole message in a bubbles textarea,
// its header prefilled from the envelope. It opens only after 354, and
// what it sends is normalised by normalizeMessage. Long lines wrap on
// screen; the line numbers in the gutter tell a wrapped line from two.
type composer struct {
	open   bool
	ta     textarea.Model
	st     *themes.Styles
	note   string // a remark for the root to show, set by Update (a refused paste)
	warned bool   // F10 showed composeWarnings once: the next F10 sends anyway
	draft  string // what Esc closed unsent, for the next :compose of this message (Model.endData drops it)
	// chunkSize: opened by :bdat, F10 sends the message with BDAT in
	// chunks of this many octets (bdat.go); 0 for DATA
	chunkSize int
	queue     bool // editing the held lines (:queue edit), not a message
	// template is the header start put in the editor: text beyond it is
	// the user's, which Ctrl+C asks before losing
	template string
}

// composeMaxLines bounds the message's lines (textarea holds 10,000 at
// most). A longer message is pasted in DATA mode instead, where each line
// goes straight to the server.
const composeMaxLines = 9999

func newComposer(st themes.Styles) composer {
	ta := textarea.New()
	ta.Prompt, ta.CharLimit, ta.MaxWidth, ta.MaxHeight = "", 0, 0, composeMaxLines
	ta.ShowLineNumbers = true
	ta.KeyMap.Paste.SetEnabled(false)         // xclip: terminal paste instead (TUI-NOTES §1.5)
	ta.KeyMap.CopySelection.SetEnabled(false) // the clipboard is OSC 52's, from the transcript
	ta.SetStyles(composeStyles(st))
	ta.Focus()
	return composer{ta: ta, st: &st}
}

// composeStyles are textarea's styles from the theme.
func composeStyles(st themes.Styles) textarea.Styles {
	state := textarea.StyleState{
		Base: lipgloss.NewStyle(), Text: st.Input, CursorLine: st.Input, Placeholder: st.Placeholder,
		LineNumber: st.Dim, CursorLineNumber: st.Label, EndOfBuffer: st.Dim, Prompt: st.Prompt,
		Selection: st.Selected,
	}
	return textarea.Styles{Focused: state, Blurred: state,
		Cursor: textarea.CursorStyle{Color: st.Input.GetForeground(), Shape: tea.CursorBlock}}
}

// setStyles applies the theme.
func (c composer) setStyles(st themes.Styles) composer {
	c.st = &st
	c.ta.SetStyles(composeStyles(st))
	return c
}

// SetSize sets the editor's outer size, border and title included.
func (c *composer) SetSize(w, h int) {
	c.ta.SetWidth(max(w-4, 1))
	c.ta.SetHeight(max(h-2-c.titleRows(w), 1))
}

// composeQueueTitle is the title's text when the editor holds the lines
// held after a refused barrier (:queue edit).
const composeQueueTitle = " — one command per line; F10 or alt+enter sends them as a paste, esc leaves them held"

// composeTitle is the title's text after "Compose".
const composeTitle = " — type the Subject, a blank line, then the body; F10 or alt+enter sends (or esc, then :send); esc closes"

// composeBdatTitle is the title's text after "Compose for BDAT" (:bdat).
const composeBdatTitle = " — type the Subject, a blank line, then the body; F10 or alt+enter sends it in chunks (or esc, then :send); esc closes"

// titleRows is the lines the longer title takes, wrapped in w-4 cells: the
// editor's height does not change with its mode.
func (c composer) titleRows(w int) int {
	return max(len(wrapStyled("Compose"+composeTitle, max(w-4, 8))), len(wrapStyled("Compose for BDAT"+composeBdatTitle, max(w-4, 8))),
		len(wrapStyled("Held lines"+composeQueueTitle, max(w-4, 8))))
}

// start opens the editor with the header of session.Draft, built from the
// envelope (RFC 5322 section 3.6) and the transaction's MAIL FROM line:
// UTF-8 as 8bit when it declared an 8-bit body (RFC 6152), US-ASCII as
// 7bit otherwise (RFC 2045). The cursor waits after "Subject: ".
func (c composer) start(s session.State, helo, mail string, now time.Time) composer {
	c.chunkSize, c.queue = 0, false
	if c.draft != "" { // closed with Esc: the message comes back as it was left
		c.ta.SetValue(c.draft)
		c.ta.MoveToEnd()
		c.open, c.note, c.draft = true, "", ""
		return c
	}
	domain := helo
	if _, d, ok := strings.Cut(s.From, "@"); ok && d != "" {
		domain = d
	}
	d := session.Draft{
		From: s.From, To: s.Rcpts, Date: now,
		MessageID: "<" + strings.ToLower(rand.Text()) + "@" + domain + ">",
		EightBit:  session.MailDeclaresEightBit(mail),
	}
	c.template = strings.Join(d.Header(), "\n")
	c.ta.SetValue(c.template)
	c.ta.MoveToEnd()
	c.open, c.note = true, ""
	return c
}

// startQueue opens the editor on the held lines, one per line; a message
// draft stays for the next :compose.
func (c composer) startQueue(text string) composer {
	c.ta.SetValue(text)
	c.ta.MoveToBegin()
	c.open, c.queue, c.note, c.warned, c.chunkSize = true, true, "", false, 0
	return c
}

// dirty reports whether the editor holds a message worth keeping: text
// typed beyond the template, or a draft Esc kept.
func (c composer) dirty() bool {
	return c.draft != "" || c.open && c.Value() != c.template
}

// Update edits the message. Text is filtered as the command line filters
// it, except that line endings (CRLF, bare CR, LF) all become one line
// break: textarea would make two of a CRLF.
func (c composer) Update(msg tea.Msg) (composer, tea.Cmd) {
	c.note, c.warned = "", false
	switch m := msg.(type) {
	case tea.KeyPressMsg:
		m.Text = printable(m.Text)
		msg = m
	case tea.PasteMsg:
		text := composeText(m.Content)
		if c.ta.LineCount()+strings.Count(text, "\n") > composeMaxLines {
			c.note = fmt.Sprintf("paste refused: the editor holds %d lines at most; close it (esc) and paste the message in DATA mode, where each line goes to the server", composeMaxLines)
			return c, nil
		}
		msg = tea.PasteMsg{Content: text}
	}
	var cmd tea.Cmd
	c.ta, cmd = c.ta.Update(msg)
	return c, cmd
}

// composeText is pasted text with one "\n" per line ending and every other
// non-printable rune dropped.
func composeText(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = printable(l)
	}
	return strings.Join(lines, "\n")
}

// Value is the message as typed.
func (c composer) Value() string { return c.ta.Value() }

// View draws the editor in exactly w x h cells, one string per line.
func (c composer) View(w, h int) []string {
	name, keys := "Compose", composeTitle
	if c.queue {
		name, keys = "Held lines", composeQueueTitle
	}
	if c.chunkSize > 0 {
		name, keys = "Compose for BDAT", composeBdatTitle
	}
	head := wrapStyled(c.st.Title.Render(name)+c.st.Label.Render(keys), w-4) // read whole: the editor gives up the rows it takes
	for len(head) < c.titleRows(w) {
		head = append(head, "")
	}
	lines := append(head, splitLines(c.ta.View())...)
	return frame(c.st.PaneFocused, blockOf(indent(lines[:min(len(lines), h-2)]), w-2, h-2), w)
}

// composeWarnings says what in raw (a normalised message) a server may
// refuse or mangle, in session.CheckMessage's words.
func composeWarnings(raw []byte, mail string) []string {
	var out []string
	for _, w := range session.CheckMessage(raw, mail) {
		out = append(out, w.Text)
	}
	return out
}

// normalizeMessage turns the editor's text into DATA content ready for the
// wire: every line ending (CRLF, bare LF, bare CR) becomes CRLF, so no bare
// CR or LF is ever sent (RFC 5321 section 2.3.8; SMTP smuggling, SAFETY.md);
// a leading dot is doubled (section 4.5.2); and the message ends with
// exactly one CRLF "." CRLF (section 4.1.1.4), the only one on the wire.
func normalizeMessage(text string) []byte {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.TrimSuffix(text, "\n")
	var b bytes.Buffer
	if text != "" {
		for line := range strings.SplitSeq(text, "\n") {
			if strings.HasPrefix(line, ".") {
				b.WriteByte('.')
			}
			b.WriteString(line)
			b.WriteString("\r\n")
		}
	}
	b.WriteString(".\r\n")
	return b.Bytes()
}

// splitLines splits a rendered block into its lines.
func splitLines(s string) []string { return strings.Split(s, "\n") }

// lastSent is the last command line sent with verb, as recorded, "" when
// none: for F10, the MAIL FROM of the transaction, a few rows back.
func (m Model) lastSent(verb string) string {
	for i := m.transcript.Len() - 1; i >= 0; i-- {
		if e := m.transcript.Entry(i); e.Dir == wire.Client && !e.Secret && session.Verb(string(e.Data)) == verb {
			return string(e.Data)
		}
	}
	return ""
}

package ui

import (
	"bytes"
	"crypto/rand"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
)

// composer is the :compose editor: a whole message in a multi-line editor (editor.go),
// its header prefilled from the envelope. It opens only after 354, and
// what it sends is normalised by normalizeMessage.
type composer struct {
	open bool
	ed   textEditor
	st   themes.Styles
}

func newComposer(st themes.Styles) composer {
	return composer{ed: newTextEditor(), st: st}
}

// setStyles applies the theme.
func (c composer) setStyles(st themes.Styles) composer {
	c.st = st
	return c
}

// SetSize sets the editor's outer size, border and title included.
func (c *composer) SetSize(w, h int) { c.ed.SetSize(w-4, h-3) }

// start opens the editor with a header built from the envelope
// (RFC 5322 section 3.6): From, To, Date, Message-ID, then Subject, where
// the cursor waits.
func (c composer) start(s session.State, helo string, now time.Time) composer {
	domain := helo
	if _, d, ok := strings.Cut(s.From, "@"); ok && d != "" {
		domain = d
	}
	header := []string{
		"From: <" + s.From + ">",
		"To: " + angleList(s.Rcpts),
		"Date: " + now.Format(time.RFC1123Z),
		"Message-ID: <" + strings.ToLower(rand.Text()) + "@" + domain + ">",
		"Subject: ",
	}
	c.ed = c.ed.SetValue(strings.Join(header, "\n"))
	c.open = true
	return c
}

func angleList(addrs []string) string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = "<" + a + ">"
	}
	return strings.Join(out, ", ")
}

// Update edits the message.
func (c composer) Update(msg tea.Msg) (composer, tea.Cmd) {
	c.ed = c.ed.Update(msg)
	return c, nil
}

// Value is the message as typed.
func (c composer) Value() string { return c.ed.Value() }

// View draws the editor in exactly w x h cells, one string per line.
func (c composer) View(w, h int) []string {
	title := c.st.Title.Render("Compose") + c.st.Label.Render(
		" — type the Subject, a blank line, then the body; F10 or alt+enter sends, esc closes")
	lines := append([]string{fitLine(title, w-4)}, splitLines(c.ed.View(c.st.Input, c.st.Input.Reverse(true)))...)
	return frame(c.st.PaneFocused, blockOf(indent(lines), w-2, h-2), w)
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

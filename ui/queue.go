package ui

import (
	"fmt"
	"strings"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
)

// This file holds the lines queued behind a barrier that failed. A paste
// of MAIL, RCPT, DATA and a message must not go on after DATA is refused:
// the message lines would reach the server as commands. So when a command
// that decides what may follow (DATA, BDAT, STARTTLS, AUTH, EHLO, HELO)
// gets another reply than the one that lets the rest go, or the server
// closes, what was queued behind it is held: shown in a box above the
// input, sent only when the user says so (alt+q, :queue send), edited
// (:queue edit) or dropped (:queue drop, Esc).

// heldQueue is the lines held back, and why.
type heldQueue struct {
	items   []outItem
	why     string // "DATA got 554, not 354"
	warned  bool   // :queue send warned once that the first line looks like message text
	dropped int    // lines after a failed AUTH left out, credentials maybe
}

// barrierFailure says why the reply r to p stops the lines queued behind
// it, or "" when they may go on: a barrier is a command whose outcome
// decides what the next lines mean.
func barrierFailure(p pending, r session.Reply) string {
	if p.kind != kindCommand {
		return ""
	}
	verb := session.Verb(p.line)
	if p.secret || p.auth {
		verb = "AUTH"
	}
	var want string
	switch {
	case verb == "DATA" && r.Code != 354:
		want = "354"
	case verb == "STARTTLS" && r.Code != 220:
		want = "220"
	case verb == "AUTH" && r.Code != 334 && r.Code != 235:
		want = "334 or 235"
	case (verb == "BDAT" || verb == "EHLO" || verb == "HELO" || verb == "LHLO") && !r.OK():
		want = "2xx"
	default:
		return ""
	}
	return fmt.Sprintf("%s got %d, not %s", verb, r.Code, want)
}

// holdQueue moves the outbox to the held lines, after those already held.
// The responses of an AUTH exchange (RFC 4954 section 4), the lines after
// an AUTH failed or under way that are no SMTP command, are dropped:
// credentials maybe, they must never go out as commands nor show on screen.
func (m Model) holdQueue(why string, afterAuth bool) Model {
	var dropped int
	items := m.hold.items
	inAuth := afterAuth || m.authUnderWay()
	for _, it := range m.outbox.items {
		verb := session.Verb(it.line)
		switch {
		case it.fromAuth: // the :auth helper's, whose run is over
			dropped++
		case inAuth && !session.IsVerb(verb):
			dropped++
		default:
			inAuth = verb == "AUTH"
			items = append(items, it)
		}
	}
	m.outbox = outbox{}
	if len(items) > 0 {
		m.hold = heldQueue{items: items, why: why, dropped: m.hold.dropped + dropped}
	}
	return m
}

// lineCount is "1 line" or "n lines".
func lineCount(n int, w words) string {
	if n == 1 {
		return w.T("1 line")
	}
	return w.F("%d lines", n)
}

// cmdQueue is :queue send|edit|drop.
func (m Model) cmdQueue(arg string) (Model, tea.Cmd) {
	if len(m.hold.items) == 0 {
		m.flash = infoFlash(m.w.T("no lines are held: lines queued behind a refused DATA, STARTTLS, AUTH, EHLO or a close wait here"))
		return m, nil
	}
	switch strings.ToLower(arg) {
	case "send":
		return m.sendHeld()
	case "edit":
		return m.editHeld(), nil
	case "drop":
		return m.dropHeld(), nil
	}
	m.flash = errorFlash(m.w.F("usage: :queue send|edit|drop (%s held)", lineCount(len(m.hold.items), m.w)))
	return m, nil
}

// sendHeld releases the held lines to the outbox. When the first would go
// as a command but looks like message text, it warns once first.
func (m Model) sendHeld() (Model, tea.Cmd) {
	if m.conn.phase != phaseOpen {
		m.flash = errorFlash(m.w.T("not connected — :reconnect first; the held lines stay held"))
		return m, nil
	}
	first := m.hold.items[0].line
	if !m.hold.warned && m.effective().Phase != session.PhaseData && looksLikeMessage(first) {
		m.hold.warned = true
		m.flash = warnFlash(fmt.Sprintf("%q would go as a command, not as message text: alt+q again sends it",
			session.SanitizeString(clipText(first, 24))))
		return m, nil
	}
	items := m.hold.items
	m.hold = heldQueue{}
	m.flash = infoFlash(m.w.F("sending the %s held", lineCount(len(items), m.w)))
	return m.enqueue(items...)
}

// dropHeld forgets the held lines.
func (m Model) dropHeld() Model {
	m.flash = infoFlash(m.w.F("dropped the %s held, none sent", lineCount(len(m.hold.items), m.w)))
	m.hold = heldQueue{}
	return m
}

// editHeld opens the held lines in the editor: F10 sends what it holds as
// a paste, Esc leaves them held as they were.
func (m Model) editHeld() Model {
	lines := make([]string, len(m.hold.items))
	for i, it := range m.hold.items {
		lines[i] = it.line
	}
	m.compose = m.compose.startQueue(strings.Join(lines, "\n"))
	return m
}

// queueEdited sends what the editor holds in place of the held lines.
func (m Model) queueEdited(text string) (Model, tea.Cmd) {
	m.compose.open, m.compose.queue = false, false
	lines := strings.Split(strings.TrimRight(composeText(text), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return m.dropHeld(), nil
	}
	m.hold = heldQueue{}
	return m.sendLines(true, lines...)
}

// looksLikeMessage reports whether a line that would go as a command
// looks like message text instead: a header field ("Subject: hi", RFC
// 5322 section 2.2), a folded or indented line, a lone "." or an empty
// line, or a first word that is no SMTP command.
func looksLikeMessage(line string) bool {
	name, _, colon := strings.Cut(line, ":")
	switch {
	case line == "" || line == ".":
		return true
	case line[0] == ' ' || line[0] == '\t':
		return true
	case colon && name != "" && !strings.ContainsAny(name, " \t"):
		return true
	}
	return !session.IsVerb(session.Verb(line))
}

// clipText shortens s to n runes, marking the cut.
func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// heldHeight is the rows of the held box: none when nothing is held.
func (m Model) heldHeight() int {
	n := len(m.hold.items)
	switch {
	case n == 0:
		return 0
	case m.height < 24:
		return 4 // the title, one line, the keys
	}
	return min(n, 3) + 3
}

// heldBox draws the held lines in exactly heldHeight rows of w cells.
func (m Model) heldBox(w int) []string {
	h := m.heldHeight()
	if h == 0 {
		return nil
	}
	st := m.st
	shown := h - 3
	var body []string
	for i, it := range m.hold.items[:min(shown, len(m.hold.items))] {
		line := it.line
		if secret, shown := secretForm(line, false); secret { // an AUTH line's initial response
			line = shown
		}
		line = session.SanitizeString(line)
		if line == "" {
			line = st.Dim.Render(m.w.T("(empty line)"))
		}
		if more := len(m.hold.items) - shown; i == shown-1 && more > 0 {
			line += st.Dim.Render(fmt.Sprintf("   … and %d more", more))
		}
		body = append(body, line)
	}
	body = append(body, st.HelpKey.Render("alt+q")+st.HelpDesc.Render(m.w.T(" sends them (:queue send) · "))+
		st.HelpKey.Render(":queue edit")+st.HelpDesc.Render(" · ")+st.HelpKey.Render("esc")+st.HelpDesc.Render(m.w.T(" drops them (:queue drop)")))
	title := st.Warning.Render(m.w.T("held: ")+m.hold.why) + st.Label.Render(m.w.F(" — %s not sent", lineCount(len(m.hold.items), m.w)))
	if n := m.hold.dropped; n > 0 {
		title += st.Label.Render(m.w.F(" (%s after AUTH dropped: credentials maybe)", lineCount(n, m.w)))
	}
	return titledFrame(st.Card, title, "", body, w)
}

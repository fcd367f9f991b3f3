package ui

import (
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
)

// This file draws the root screen from the panes: the transcript and the
// side panel above, the input, hint, status and help lines below.

// View draws the whole screen in exactly width x height cells.
func (m Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	if m.mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.WindowTitle = "ehlo — " + session.SanitizeString(m.conn.target)
	return v
}

func (m Model) render() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	var main []string
	switch {
	case m.showHelp:
		main = m.fullHelp(m.width, m.mainH)
	case m.compose.open:
		main = beside(m.compose.View(m.paneW, m.mainH), m.side.View(m.sideInfo()))
	case m.showTiming:
		main = m.timingView(m.width, m.mainH)
	case m.lesson.reading:
		main = m.lessonView(m.width, m.mainH)
	default:
		main = beside(m.transcriptView(), m.side.View(m.sideInfo()))
	}
	if m.explain.open && !m.showHelp && !m.compose.open {
		main = m.explainLayer(main)
	}
	lines := append(main, m.card(m.width)...)
	lines = append(lines, m.heldBox(m.width)...)
	lines = append(lines, m.inputLine(m.width))
	lines = append(lines, m.hintLines(m.width)...)
	lines = append(lines, m.statusLine(m.width), m.helpLine(m.width))
	return strings.Join(lines, "\n")
}

// transcriptView frames the transcript pane.
func (m Model) transcriptView() []string {
	style := m.st.Pane
	if m.focus == focusTranscript {
		style = m.st.PaneFocused
	}
	return frame(style, splitLines(m.transcript.View()), m.paneW)
}

// sideInfo gathers what the side panel shows.
func (m Model) sideInfo() sideInfo {
	return sideInfo{
		target: m.sideTarget(), endpoint: m.endpoint, addr: m.conn.addr, phase: m.conn.phase,
		sess: m.sess, tls: m.conn.tls, unverified: m.conn.unverified, lmtp: m.opts.LMTP, now: m.now(), identity: m.identityLine(),
		mx: m.mxInfo(),
	}
}

// inputLine is the prompt, which says what the session expects next, and
// the line being typed.
func (m Model) inputLine(w int) string {
	return m.input.View(m.promptText(), m.placeholder(), w)
}

// promptText is the prompt before the input.
func (m Model) promptText() string {
	if m.drafting() && m.input.mode == modeCommand {
		return m.chunkPrompt()
	}
	p := promptFor(m.input.mode, m.effective(), m.inData(), m.prompt.mech, m.w)
	if m.opts.LMTP && p == "EHLO › " {
		return "LHLO › " // LMTP's hello (RFC 2033 4.1)
	}
	return p
}

// placeholder suggests the next command on an empty line.
func (m Model) placeholder() string {
	shown, _ := m.suggestion()
	return shown
}

// suggestion is the next command as shown in grey on an empty line, and
// what → or Tab puts in the input: the same line, or the part of it before
// a word the user fills in (USER), or a message's first header field.
func (m Model) suggestion() (shown, take string) {
	if m.input.mode != modeCommand {
		return "", ""
	}
	if m.drafting() { // never a command: it would be the chunk's text; nothing to take
		return chunkPlaceholder, ""
	}
	same := func(s string) (string, string) { return s, s }
	switch m.effective().Expect() {
	case "EHLO":
		return same(helloVerb(m.opts.LMTP) + " " + m.helo())
	case "STARTTLS":
		return same("STARTTLS")
	case "AUTH":
		mech := ":auth " + orDefault(session.PreferredMechanism(m.effective().Caps.AuthMechanisms()), "PLAIN") + " "
		if m.onLab() {
			return same(mech + lab.User)
		}
		return mech + "USER", mech
	case "MAIL FROM":
		return same("MAIL FROM:<you@example.org>")
	case "RCPT TO":
		return same("RCPT TO:<someone@example.org>")
	case "DATA or more RCPT TO":
		return same("DATA")
	case "message lines, then .":
		if m.inData() {
			return "Subject: hello   " + m.w.T("(a lone . ends; :compose for an editor)"), "Subject: "
		}
	case "QUIT":
		return same("QUIT")
	case "":
		return same(":reconnect")
	}
	return "", ""
}

// takeSuggestion puts the suggestion in the empty input (→ or Tab).
func (m Model) takeSuggestion() (Model, bool) {
	_, take := m.suggestion()
	if take == "" || m.input.Value() != "" || m.focus != focusInput {
		return m, false
	}
	m.input, m.taken, m.choices = m.input.setValue(take), take, nil
	return m, true
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// hintLines is the hint under the input, wrapped in at most
// maxHintRows lines of w cells: what is meant to be read (a warning, the
// line meant, a fix command) is wrapped, not cut.
func (m Model) hintLines(w int) []string {
	text := m.hint()
	lines := splitLines(ansi.Wrap(text, w, ""))
	if n := m.maxHintRows(); len(lines) > n {
		more := m.st.Dim.Render(m.w.T("… (F8 reads it all)"))
		if m.conn.phase != phaseClosed {
			more = m.st.Dim.Render("…")
		}
		lines = lines[:n]
		lines[n-1] = ansi.Truncate(lines[n-1], max(w-ansi.StringWidth(more), 0), "") + more
	}
	for i, l := range lines {
		lines[i] = fitLine(l, w)
	}
	return lines
}

// maxHintRows is the most lines the hint takes: more on a tall terminal.
func (m Model) maxHintRows() int {
	if m.height >= 30 {
		return 4
	}
	return 3
}

// hintRows is how many lines the hint takes now, for the layout.
func (m Model) hintRows() int {
	if m.width <= 0 {
		return 1
	}
	return len(m.hintLines(m.width))
}

// hint shows, in order of priority: warnings about the line being typed,
// Tab candidates, the last message.
func (m Model) hint() string {
	switch {
	case len(m.warnings) > 0:
		return m.warningHint()
	case len(m.choices) > 0:
		parts := make([]string, len(m.choices))
		for i, c := range m.choices {
			parts[i] = m.st.Value.Render(session.SanitizeString(c))
			if i == m.choiceAt && m.cycling() {
				parts[i] = m.st.Selected.Render(session.SanitizeString(c))
			}
		}
		return m.st.Dim.Render(m.w.T("tab, shift+tab: ")) + strings.Join(parts, "  ")
	case m.greetingHint() != "":
		return m.st.Warning.Render("! "+safeText(m.greetingHint())) + m.st.Dim.Render(m.w.T("  esc cancels"))
	case m.greetingLate():
		return m.st.Warning.Render("! "+m.w.F("no greeting yet: a slow server or a tarpit, or a port that expects TLS from the first byte, as 465 does (:connect %s --tls)", session.SanitizeString(m.conn.target))) +
			m.st.Dim.Render(m.w.T("  esc cancels"))
	case m.labAccountHint():
		return m.st.OK.Render(m.w.F("lab account: %s", labAccount()))
	case m.flash.text != "":
		line := m.flash.render(*m.st)
		if m.flash.closed && m.cutNote(m.transcript.Len()-1) {
			line += m.st.Dim.Render(m.w.T(" · F8 reads why"))
		}
		return line
	}
	if c, _, ok := m.lookupCommand(m.input.Value()); ok {
		return m.st.HelpKey.Render(c.usage) + " " + m.st.HelpDesc.Render(m.w.T(c.help))
	}
	return m.st.Dim.Render(m.w.T("type SMTP commands as in telnet; tab completes; :help lists ehlo's own commands"))
}

// warningHint is the warnings about the line being typed, the line they
// say was meant, and what Enter does: sends anyway, or, for a typo, keeps
// the line once (Model.holdTypo).
func (m Model) warningHint() string {
	texts := make([]string, len(m.warnings))
	for i, wr := range m.warnings {
		texts[i] = wr.Text
	}
	line := m.st.Warning.Render("! " + strings.Join(texts, " · "))
	if fix := m.warningFix(); fix != "" { // on a line of its own, so that it wraps least
		line += "\n" + m.st.Dim.Render(m.w.T("meant: ")) + m.st.Value.Render(session.SanitizeString(fix)) + m.st.Dim.Render(m.w.T(" (→ takes it)"))
	}
	switch {
	case !slices.ContainsFunc(m.warnings, isTypo):
		return line + m.st.Dim.Render(m.w.T("  (enter sends anyway)"))
	case m.typoHeld == m.input.Value():
		return line + m.st.Dim.Render(m.w.T("  (enter again sends it as typed)"))
	}
	return line + m.st.Dim.Render(m.w.T("  (enter twice sends it as typed)"))
}

// labAccountHint reports whether the hint line names the lab's account:
// on the lab, at the AUTH step, unless guided mode's card names it or an
// error or a warning has more to say.
func (m Model) labAccountHint() bool {
	return m.onLab() && !m.guide.on && m.input.mode == modeCommand && m.effective().Expect() == "AUTH" &&
		(m.flash.kind == flashInfo || m.flash.kind == flashOK || m.flash.text == "")
}

// greetingHintAfter is how long a silent server is waited for before the
// hint line says why it may be silent.
const greetingHintAfter = 3 * time.Second

// greetingLate reports a greeting awaited for longer than greetingHintAfter.
func (m Model) greetingLate() bool {
	return m.op == opRead && len(m.inflight) > 0 && m.inflight[0].kind == kindGreeting &&
		m.now().Sub(m.opStart) >= greetingHintAfter
}

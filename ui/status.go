package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/ehlo-sh/ehlo/third_party/bubbles/help"
	"github.com/ehlo-sh/ehlo/third_party/bubbles/key"
	"github.com/ehlo-sh/ehlo/third_party/bubbles/spinner"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
)

// flashKind is the tone of a one-line message to the user.
type flashKind int

const (
	flashInfo flashKind = iota
	flashOK
	flashWarn
	flashError
)

// flash is a message shown on the line under the input until replaced.
type flash struct {
	kind flashKind
	text string
	// closed: the message of a close, whose reason the transcript's last
	// note says (once: not here, not in the status line)
	closed bool
}

func infoFlash(text string) flash  { return flash{kind: flashInfo, text: text} }
func okFlash(text string) flash    { return flash{kind: flashOK, text: text} }
func warnFlash(text string) flash  { return flash{kind: flashWarn, text: text} }
func errorFlash(text string) flash { return flash{kind: flashError, text: text} }

// closedFlash tells what to do after a close: the :connect line that
// works when there is one (offerFor), else :reconnect. The reason is not
// repeated: the transcript's note says it, and F8 reads it whole when the
// pane cuts it.
func (m Model) closedFlash(what string) flash {
	text := m.w.F("%s — :reconnect to start again", m.w.T(what))
	if m.offer != "" {
		text = m.withOffer("")
	}
	return flash{kind: flashError, text: text, closed: true}
}

// render styles the message. Server text in it was sanitized where it was
// quoted; safeText is a second guard for texts built from errors.
func (f flash) render(st themes.Styles) string {
	text := safeText(f.text)
	switch f.kind {
	case flashOK:
		return st.OK.Render(text)
	case flashWarn:
		return st.Warning.Render("! " + text)
	case flashError:
		return st.Error.Render("✗ " + text)
	}
	return st.Note.Render(text)
}

// safeText escapes, with the sanitizer's tokens, the runes that could act
// on a terminal (controls, C1, format characters such as bidi overrides),
// and leaves everything else, backslashes included, as it is: for our own
// messages, which may quote text that is already sanitized.
func safeText(s string) string {
	if !strings.ContainsFunc(s, risky) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if risky(r) {
			b.WriteString(session.SanitizeString(string(r)))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func risky(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
}

// spinnerFrames animate a pending wait; the frame is computed from the
// elapsed time, so a frozen clock gives a stable view.
var spinnerFrames = spinner.MiniDot.Frames

// statusLine is the bar under the hint line: the connection, the wait in
// progress with its spinner and elapsed time, queued commands, and the
// latency of the last reply.
func (m Model) statusLine(w int) string {
	st := m.st
	left := st.StatusKey.Render(m.connWord()) + st.StatusBar.Render(" "+session.SanitizeString(m.conn.target))
	sending := m.sendingWord()
	if sending != "" {
		left += st.StatusBar.Render("  " + sending)
	}
	if m.waiting() {
		elapsed := m.now().Sub(m.opStart)
		frame := spinnerFrames[int(elapsed/(100*time.Millisecond))%len(spinnerFrames)]
		left += "  " + st.Spinner.Render(frame) + st.StatusBar.Render(" "+m.waitWord()+" "+seconds(elapsed)+m.w.T(" (esc cancels)"))
	}
	if n := len(m.inflight); sending == "" && (n > 1 || (n == 1 && !m.waiting())) {
		left += st.StatusBar.Render(m.w.F("  %d pending", n))
	}
	if n := m.outbox.len(); n > 0 {
		left += st.StatusBar.Render(m.w.F("  %d queued", n))
	}
	left += m.chunkStatus()
	if f, on := m.transcript.Filtered(); on {
		left += st.Warning.Render(m.w.T("  filter ") + f.String())
	}
	right := ""
	if m.lastLatency > 0 {
		right = st.StatusBar.Render(m.w.F("last reply %s", trLatency(m.lastLatency)))
	}
	if m.reveal {
		right = st.Warning.Render(m.w.T("SECRETS SHOWN")) + " " + right
	}
	return spread(left, right, w)
}

// connWord is the connection's state in one word.
func (m Model) connWord() string {
	switch m.conn.phase {
	case phaseDialing:
		return m.w.T("connecting")
	case phaseOpen:
		return m.w.T("connected")
	case phaseClosed:
		return m.w.T("closed")
	}
	return m.w.T("idle")
}

// sendingWord says how pasted commands go out while some are queued or a
// group's replies are due: pipelined, or one at a time and why.
func (m Model) sendingWord() string {
	pasted := m.outbox.len() > 0 && m.outbox.front().pipelined
	switch {
	case m.inData() || m.conn.phase != phaseOpen:
		return ""
	case m.pipelining() && m.group > 1 && (pasted || len(m.inflight) > 1):
		return m.w.F("pipelining %d commands (PIPELINING offered)", m.group)
	case !pasted || m.pipelining():
		return ""
	case m.sess.Phase >= session.PhaseReady:
		return m.w.T("sending one at a time: the server does not offer PIPELINING")
	}
	return m.w.F("sending one at a time until %s shows PIPELINING", helloVerb(m.opts.LMTP))
}

// waitWord says what the wait is for.
func (m Model) waitWord() string {
	switch m.op {
	case opDial:
		return m.w.T("dialing")
	case opTLS:
		return m.w.T("TLS handshake")
	case opWrite:
		return m.w.T("sending")
	}
	if len(m.inflight) > 0 {
		if m.inflight[0].kind == kindGreeting {
			return m.w.T("waiting for the greeting") // one phrase: no space inside it in Chinese
		}
		return m.w.F("waiting for %s", m.w.T(describe(m.inflight[0])))
	}
	return m.w.T("waiting")
}

// helpLine is the key-hint footer, generated from the keymap.
func (m Model) helpLine(w int) string {
	h := m.help
	h.SetWidth(w)
	k := m.keys
	k.Cancel.SetEnabled(m.waiting())
	held := len(m.hold.items) > 0
	k.SendHeld.SetEnabled(held)
	if held && !m.waiting() {
		k.Cancel.SetEnabled(true)
		k.Cancel.SetHelp("esc", m.w.T("drop held"))
	}
	bindings := k.ShortHelp()
	switch _, take := m.suggestion(); {
	case take != "" && m.input.Value() == "":
		bindings = k.suggestHelp()
	case m.input.Value() == m.taken: // empty without a suggestion, or the suggestion as taken
		bindings = k.inputHelp("next pane")
	}
	if held && !m.waiting() { // what to do with the held lines comes first
		bindings = []key.Binding{k.Send, k.SendHeld, k.Cancel, k.Complete, k.Help, k.Quit}
	}
	switch {
	case m.compose.open:
		bindings = k.composeHelp()
	case m.explain.open || m.showTiming:
		bindings = k.panelHelp(m.explain.open)
	case m.focus != focusInput:
		bindings = k.paneHelp(m.focus, m.transcript.KeyMap, m.waiting())
	case m.drafting():
		bindings = k.chunkHelp(m.waiting(), m.input.Value() != "")
	case m.guide.on:
		bindings = k.guidedHelp(len(m.guide.step.Choices) > 0)
	}
	return fitLine(h.ShortHelpView(fitBindings(h, bindings, w, k.Help, k.Quit)), w)
}

// fitBindings drops bindings from the end of the list, keeping the first
// and those in keep, until their help fits w cells: the footer names
// fewer keys rather than cut one ("ctrl+c quit" was cut at 80 columns).
func fitBindings(h help.Model, bindings []key.Binding, w int, keep ...key.Binding) []key.Binding {
	kept := func(b key.Binding) bool {
		for _, k := range keep {
			if slices.Equal(b.Keys(), k.Keys()) {
				return true
			}
		}
		return false
	}
	h.SetWidth(0)
	out := slices.Clone(bindings)
	for ansi.StringWidth(h.ShortHelpView(out)) > w {
		i := len(out) - 1
		for i > 0 && (kept(out[i]) || !out[i].Enabled()) {
			i--
		}
		if i <= 0 {
			break
		}
		out = slices.Delete(out, i, i+1)
	}
	return out
}

// helpStyles are the help bubble's styles from the theme.
func helpStyles(st themes.Styles) help.Styles {
	return help.Styles{
		Ellipsis: st.Dim, ShortKey: st.HelpKey, ShortDesc: st.HelpDesc, ShortSeparator: st.Dim,
		FullKey: st.HelpKey, FullDesc: st.HelpDesc, FullSeparator: st.Dim,
	}
}

// fullHelp is the `?` screen: every key from the keymap, then every local
// command from the command table, scrolled by m.helpTop.
func (m Model) fullHelp(w, h int) []string {
	lines := m.helpLines(w - 4)
	body := h - 3
	top := min(max(m.helpTop, 0), max(len(lines)-body, 0))
	end := min(top+body, len(lines))
	footer := m.w.T("esc or ? closes this help")
	if len(lines) > body {
		footer += m.w.F(" · ↑/↓ pgup/pgdn scroll (%d-%d of %d)", top+1, end, len(lines))
	}
	shown := append(append([]string{}, lines[top:end]...), m.st.Dim.Render(footer))
	return frame(m.st.PaneFocused, blockOf(indent(shown), w-2, h-2), w)
}

// helpLines is the help text, generated from the keymaps and the command
// table, for w cells.
func (m Model) helpLines(w int) []string {
	hm := m.help
	hm.SetWidth(w)
	var all []key.Binding
	for _, g := range m.keys.FullHelp() {
		all = append(all, g...)
	}
	lines := []string{m.st.Title.Render(m.w.T("Keys"))}
	lines = append(lines, keyColumns(hm, all, w)...)
	lines = append(lines, "", m.st.Title.Render(m.w.T("Transcript pane (tab to focus it)")))
	lines = append(lines, splitLines(hm.FullHelpView(m.w.helpOf(m.transcript.KeyMap.FullHelp())))...)
	lines = append(lines, "", m.st.Title.Render(m.w.T("Local commands (type them in the input)")))
	cmds, width := m.commandList(), 0
	for _, c := range cmds {
		width = max(width, len(c.usage))
	}
	for _, c := range cmds { // the description wraps under itself: help is read, never cut
		for i, d := range wrap(m.w.T(c.help), max(w-width-1, 16)) {
			usage := ""
			if i == 0 {
				usage = c.usage
			}
			lines = append(lines, m.st.HelpKey.Render(fmt.Sprintf("%-*s", width, usage))+" "+m.st.HelpDesc.Render(d))
		}
	}
	return lines
}

// keyColumns lays the bindings out in as many columns as fit w cells,
// three at most: no key nor its description is cut.
func keyColumns(hm help.Model, all []key.Binding, w int) []string {
	hm.SetWidth(0)
	for cols := 3; ; cols-- {
		var groups [][]key.Binding
		rest := all
		for per := (len(rest) + cols - 1) / cols; len(rest) > 0; rest = rest[min(per, len(rest)):] {
			groups = append(groups, rest[:min(per, len(rest))])
		}
		lines := splitLines(hm.FullHelpView(groups))
		if cols == 1 || slices.IndexFunc(lines, func(l string) bool { return ansi.StringWidth(l) > w }) < 0 {
			return lines
		}
	}
}

// helpKey scrolls the help screen or closes it.
func (m Model) helpKey(msg tea.KeyPressMsg) Model {
	page := max(m.mainH-5, 1)
	switch msg.String() {
	case "up", "k":
		m.helpTop--
	case "down", "j":
		m.helpTop++
	case "pgup":
		m.helpTop -= page
	case "pgdown", "space":
		m.helpTop += page
	case "home", "g":
		m.helpTop = 0
	case "esc", "?", "f1", "q":
		m.showHelp, m.helpTop = false, 0
	}
	n := len(m.helpLines(m.width - 4))
	m.helpTop = min(max(m.helpTop, 0), max(n-(m.mainH-3), 0))
	return m
}

// spread puts left and right at the two ends of w cells.
func spread(left, right string, w int) string {
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	if right == "" || lw+1+rw > w {
		return fitLine(left, w)
	}
	return left + fmt.Sprintf("%*s", w-lw-rw, "") + right
}

// seconds formats an elapsed wait: 0.4s, 12.0s, 2m03s.
func seconds(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

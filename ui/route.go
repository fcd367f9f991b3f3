package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ehlo-sh/ehlo/third_party/bubbles/key"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/session"
)

// This file routes the keyboard, the mouse and pastes: to the focused
// pane, to the global toggles, or to the command line and what it sends.

// key routes a key press.
func (m Model) key(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.quitAsked {
		next, cmd, done := m.quitAnswer(msg)
		if done {
			return next, cmd
		}
		m = next
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.quit()
	case m.compose.open:
		return m.composeKey(msg)
	case m.showHelp:
		return m.helpKey(msg), nil
	case m.explain.open:
		return m.explainKey(msg)
	case m.showTiming && key.Matches(msg, m.keys.Close):
		m.showTiming = false
		return m, nil
	case m.lesson.reading && key.Matches(msg, m.keys.Close):
		m.lesson.reading = false
		return m, nil
	case m.lesson.reading && key.Matches(msg, m.keys.Scroll):
		return m.scrollText(msg.String() == "pgdown"), nil
	case key.Matches(msg, m.keys.Cancel):
		return m.escape()
	}
	if model, cmd, ok := m.globalKey(msg); ok {
		return model, cmd
	}
	switch m.focus {
	case focusTranscript:
		if key.Matches(msg, m.transcript.KeyMap.Explain) {
			if next, ok := m.openExplain(max(m.transcript.Cursor(), 0)); ok {
				return next, nil
			}
		}
		if next, ok := m.searchKey(msg); ok {
			return next, nil
		}
		if key.Matches(msg, m.transcriptBindings()...) {
			var cmd tea.Cmd
			m.transcript, cmd = m.transcript.Update(msg)
			return m, cmd
		}
	case focusCaps:
		if key.Matches(msg, m.side.keys.Explain) {
			return m.openCapability(), nil
		}
		if key.Matches(msg, m.side.bindings()...) {
			var cmd tea.Cmd
			m.side, cmd = m.side.Update(msg, len(capRows(m.sess)))
			return m, cmd
		}
	}
	if m.focus != focusInput && msg.Text == "" && !key.Matches(msg, m.keys.Send) {
		return m, nil
	}
	m.focus = focusInput // typing always goes to the input
	return m.inputKey(msg)
}

// quit is Ctrl+C: it quits, unless something typed would be lost (a
// message in the editor, lines queued for the server); then it asks once,
// and a second Ctrl+C (or y) quits.
func (m Model) quit() (Model, tea.Cmd) {
	lose := m.wouldLose()
	if m.quitAsked || lose == "" {
		return m.cmdQuit("")
	}
	m.quitAsked = true
	m.flash = warnFlash(m.w.F("quit and lose %s? ctrl+c again or y quits; n or esc stays", lose))
	return m, nil
}

// wouldLose names what quitting now throws away, "" when nothing.
func (m Model) wouldLose() string {
	switch n := m.outbox.len(); {
	case m.compose.dirty():
		return m.w.T("the message in the editor")
	case n == 1:
		return m.w.T("1 line queued for the server")
	case n > 1:
		return m.w.F("%d lines queued for the server", n)
	}
	return ""
}

// quitAnswer takes the key after quit asked: y quits, n and esc stay, and
// any other key stays and goes on to do what it does (done is false).
func (m Model) quitAnswer(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	m.quitAsked = false
	switch {
	case msg.String() == "y" || msg.String() == "Y":
		next, cmd := m.cmdQuit("")
		return next, cmd, true
	case msg.String() == "n" || msg.String() == "N" || msg.String() == "esc":
		m.flash = infoFlash(m.w.T("not quitting"))
		return m, nil, true
	case key.Matches(msg, m.keys.Quit):
		m.quitAsked = true // the second ctrl+c: quit
		next, cmd := m.quit()
		return next, cmd, true
	}
	m.flash = flash{}
	return m, nil, false
}

// globalKey handles the keys that work whatever has the focus.
func (m Model) globalKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	var run func(Model, string) (Model, tea.Cmd)
	switch {
	case key.Matches(msg, m.keys.Complete):
		if next, ok := m.takeSuggestion(); ok {
			return next, nil, true
		}
		if v := m.input.Value(); m.focus == focusInput && v != "" && m.input.mode == modeCommand && !m.guidePrefilled() && v != m.taken && v != m.offer {
			return m.complete(), nil, true
		}
		m.focus = (m.focus + 1) % focusCount
		return m, nil, true
	case key.Matches(msg, m.keys.PrevPane):
		if m.cycling() {
			return m.cycle(-1), nil, true
		}
		m.focus = (m.focus + focusCount - 1) % focusCount
		return m, nil, true
	case key.Matches(msg, m.keys.Help) && (m.focus != focusInput || (m.input.Value() == "" || m.guidePrefilled()) && m.input.mode == modeCommand):
		m.showHelp = true
		return m, nil, true
	case key.Matches(msg, m.keys.Scroll):
		focused := m.transcript
		focused.SetFocused(true)
		m.transcript, _ = focused.Update(msg)
		return m, nil, true
	case key.Matches(msg, m.keys.Mouse):
		run = Model.cmdMouse
	case key.Matches(msg, m.keys.Raw):
		run = Model.cmdRaw
	case key.Matches(msg, m.keys.Hex):
		run = Model.cmdHex
	case key.Matches(msg, m.keys.Reveal):
		run = Model.cmdReveal
	case key.Matches(msg, m.keys.Copy):
		run = Model.cmdCopy
	case key.Matches(msg, m.keys.Save):
		run = Model.cmdSave
	case key.Matches(msg, m.keys.Explain):
		run = Model.cmdExplain
	case key.Matches(msg, m.keys.Guided):
		run = Model.cmdGuided
	case key.Matches(msg, m.keys.Skip):
		run = Model.cmdSkip
	case key.Matches(msg, m.keys.Timing):
		run = Model.cmdTiming
	case key.Matches(msg, m.keys.SendHeld):
		run = func(m Model, _ string) (Model, tea.Cmd) { return m.cmdQueue("send") }
	case key.Matches(msg, m.keys.NextMX):
		run = func(m Model, _ string) (Model, tea.Cmd) { return m.nextMX() }
	case key.Matches(msg, m.keys.Choose):
		d := 1
		if msg.String() == "ctrl+p" {
			d = -1
		}
		return m.chooseNext(d), nil, true
	default:
		return m, nil, false
	}
	m, cmd := run(m, "")
	return m, cmd, true
}

// transcriptBindings are the keys the transcript pane takes when focused.
func (m Model) transcriptBindings() []key.Binding {
	k := m.transcript.KeyMap
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Wrap}
}

// escape cancels, in order: a wait, a prompt, a pane focus, the typed
// line, a BDAT chunk being typed.
func (m Model) escape() (Model, tea.Cmd) {
	switch {
	case m.waiting():
		return m.cancelWait()
	case m.input.mode != modeCommand:
		return m.cancelPrompt(), nil
	case m.focus != focusInput:
		m.focus = focusInput
	case m.input.Value() != "":
		m.input = m.input.clear()
	case m.drafting(): // once the line is clear (bdat.go)
		m = m.cancelChunk()
	case len(m.hold.items) > 0:
		m = m.dropHeld()
	default:
		m.flash, m.choices = flash{}, nil
	}
	return m, nil
}

// inputKey edits the command line, browses history, or sends.
func (m Model) inputKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Send):
		text := m.input.Value()
		m.input, m.choices, m.taken = m.input.clear(), nil, ""
		return m.submit(text)
	case key.Matches(msg, m.keys.Prev):
		m.input, m.choices = m.input.older(), nil
		return m, nil
	case key.Matches(msg, m.keys.Next):
		m.input, m.choices = m.input.newer(), nil
		return m, nil
	case key.Matches(msg, m.keys.Accept):
		if next, ok := m.takeSuggestion(); ok {
			return next, nil
		}
		if fix := m.warningFix(); fix != "" && m.input.atEnd() {
			m.input = m.input.setValue(fix)
			return m, nil
		}
	}
	if msg.Text == ":" && m.guidePrefilled() && m.input.mode == modeCommand {
		// a ":" starts one of ehlo's commands, never an edit of the step's
		// SMTP line ("STARTTLS:auth PLAIN alice" went to the server)
		m.input = m.input.clear()
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	m.choices = nil
	return m, cmd
}

// submit handles one entered line: a prompt answer, a local command,
// message content in DATA, or an SMTP command.
func (m Model) submit(text string) (Model, tea.Cmd) {
	if m.input.mode != modeCommand {
		return m.promptAnswer(text)
	}
	data := m.sess.Phase == session.PhaseData
	if c, _, ok := m.lookupCommand(text); ok {
		if c.name != "b64" && c.name != "unb64" { // their argument may be a credential
			m.input = m.input.remember(text)
		}
		return m.runLocal(text)
	}
	switch {
	case data || m.drafting(): // message text, or a BDAT chunk's (bdat.go)
		if rest, ok := strings.CutPrefix(text, "::"); ok {
			text = ":" + rest // "::x" sends a line that starts with ":x"
		}
		return m.sendLines(false, text)
	case strings.HasPrefix(text, ":"):
		return m.runLocal(text)
	case text == "":
		return m, nil
	}
	confirmed := text == m.warnedLine // Enter again after a warning sends the line as typed
	if m.dataRefused != "" && !confirmed && looksLikeMessage(text) && !m.inAuth() {
		m.warnedLine, m.input = text, m.input.setValue(text)
		m.flash = warnFlash(m.w.F("%s: this text would go as a command. Enter again sends it", m.dataRefused))
		return m, nil
	}
	m.warnedLine = ""
	if !confirmed && m.holdTypo(text) {
		m.typoHeld = text
		m.input = m.input.setValue(text)
		return m, nil
	}
	m.typoHeld = ""
	m.input = m.input.remember(m.historyForm(text))
	m.flash = flash{}
	m.lesson.reading = false // the session is what to look at now
	return m.sendLines(false, text)
}

// typoCodes are the warnings about the line as written (session's
// typo.go): the first Enter keeps such a line and says what was probably
// meant; Enter again sends it as typed. The other warnings, about the
// session's state, never hold a line.
var typoCodes = []string{"unknown-verb", "mail-syntax", "rcpt-syntax", "header-outside-data", "utf8-address"}

func isTypo(w session.Warning) bool { return slices.Contains(typoCodes, w.Code) }

// holdTypo reports whether Enter keeps text instead of sending it: a typo
// warning, and not the second Enter on the same line.
func (m Model) holdTypo(text string) bool {
	return m.typoHeld != text && slices.ContainsFunc(m.warnings, isTypo) && m.input.mode == modeCommand
}

// warningFix is the line the warnings on show say was probably meant, ""
// when none does.
func (m Model) warningFix() string {
	for _, w := range m.warnings {
		if w.Fix != "" {
			return w.Fix
		}
	}
	return ""
}

// historyForm is what the history keeps of a command: an AUTH line with
// a credential in its recallForm, AUTH responses not at all (SAFETY.md).
func (m Model) historyForm(line string) string {
	if m.inAuth() {
		return ""
	}
	return recallForm(line)
}

// sendLines queues lines for the server, after checking the connection.
// Pasted lines are pipelined (RFC 2920); a typed one waits for the replies
// in flight, and the user is told.
func (m Model) sendLines(pasted bool, lines ...string) (Model, tea.Cmd) {
	if m.conn.phase != phaseOpen {
		m.flash = errorFlash(m.w.T("not connected — :reconnect, or :connect HOST[:PORT]"))
		return m, nil
	}
	if m.chunkAhead(lines) {
		return m.chunkLines(pasted, lines)
	}
	if !pasted && len(lines) == 1 && isPlaceholder(lines[0]) && m.sess.Phase != session.PhaseData && len(m.inflight) == 0 {
		return m.refusePlaceholder(lines[0], true), nil // typed: offer the :auth line that works
	}
	items := make([]outItem, len(lines))
	for i, l := range lines {
		items[i] = outItem{line: l, pipelined: pasted}
	}
	if !pasted && len(m.inflight) > 0 {
		m.flash = infoFlash(m.w.F("queued until the reply to %s arrives (paste several lines to pipeline them)", m.w.T(describe(m.inflight[0]))))
	}
	return m.enqueue(items...)
}

// paste takes a bracketed paste: one line is typed in; several lines are
// shown in the transcript as they are sent, one line each, and an
// unfinished last line stays in the input.
func (m Model) paste(text string) (Model, tea.Cmd) {
	if m.compose.open {
		var cmd tea.Cmd
		m.compose, cmd = m.compose.Update(tea.PasteMsg{Content: text})
		return m, cmd
	}
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	if len(lines) == 1 || m.input.mode != modeCommand {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(tea.PasteMsg{Content: strings.Join(lines, " ")})
		return m, cmd
	}
	last := lines[len(lines)-1]
	lines = lines[:len(lines)-1]
	lines[0] = m.input.Value() + lines[0]
	m.input = m.input.clear().setValue(last)
	m.focus = focusInput
	m.flash = infoFlash(m.pasteNote(len(lines)))
	if m.sess.Phase != session.PhaseData {
		m.input = m.input.rememberPasted(m.pastedCommands(lines), m.inAuth())
	}
	if m.dataRefused != "" && m.effective().Phase != session.PhaseData && looksLikeMessage(lines[0]) && !m.inAuth() {
		return m.holdPaste(lines), nil
	}
	return m.sendLines(true, lines...)
}

// holdPaste holds pasted lines that look like message text while DATA
// stands refused: sent as they are, they would go as commands.
func (m Model) holdPaste(lines []string) Model {
	items := make([]outItem, len(lines))
	for i, l := range lines {
		items[i] = outItem{line: l, pipelined: true}
	}
	m.hold = heldQueue{items: append(m.hold.items, items...), why: m.dataRefused + ", and the paste looks like message text"}
	m.flash = warnFlash(m.w.T("pasted lines held: message text would go as commands"))
	return m
}

// pasteNote says how n pasted lines will go: as message text, in
// pipelined groups, or one command per reply.
func (m Model) pasteNote(n int) string {
	switch {
	case m.sess.Phase == session.PhaseData:
		return fmt.Sprintf("pasted %d lines of message text", n)
	case m.pipelining():
		return fmt.Sprintf("pasted %d lines: PIPELINING is offered, so commands go in groups as RFC 2920 allows", n)
	case m.sess.Phase >= session.PhaseReady:
		return fmt.Sprintf("pasted %d lines: the server does not offer PIPELINING, so each command waits for the reply before it", n)
	}
	return fmt.Sprintf("pasted %d lines: each command waits for the reply before it until %s shows PIPELINING", n, helloVerb(m.opts.LMTP))
}

// complete is Tab in the input: State.Completions for SMTP, the command
// table for ":" lines; several candidates extend to their common prefix
// and are listed, and Tab again puts each in the input in turn.
func (m Model) complete() Model {
	if m.cycling() {
		return m.cycle(1)
	}
	v := m.input.Value()
	var cands []string
	if strings.HasPrefix(v, ":") {
		cands = m.commandCompletions(v)
	} else {
		cands = m.effective().Completions(v)
	}
	switch len(cands) {
	case 0:
		m.choices = nil
	case 1:
		m.input, m.choices = m.input.setValue(cands[0]), nil
	default:
		if p := commonPrefix(cands); len(p) > len(v) {
			m.input = m.input.setValue(p)
		}
		m.choices, m.choiceAt = cands, -1
	}
	return m
}

// cycling reports whether Tab steps through the candidates on show: the
// input holds their common start, as the first Tab left it, or the one
// the last Tab put there.
func (m Model) cycling() bool {
	if len(m.choices) < 2 || m.focus != focusInput {
		return false
	}
	return m.choiceAt < 0 || m.input.Value() == m.choices[m.choiceAt]
}

// cycle puts the next (d = 1) or previous (d = -1) candidate in the input.
func (m Model) cycle(d int) Model {
	n := len(m.choices)
	if m.choiceAt < 0 && d < 0 {
		m.choiceAt = 0
	}
	m.choiceAt = (m.choiceAt + d + n) % n
	m.input = m.input.setValue(m.choices[m.choiceAt])
	return m
}

func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(strings.ToUpper(s), strings.ToUpper(p)) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// composeKey drives the message editor.
func (m Model) composeKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if m.compose.chunkSize > 0 && key.Matches(msg, m.keys.Submit, m.keys.Abort) { // opened by :bdat
		return m.composeChunksKey(key.Matches(msg, m.keys.Submit), "F10")
	}
	switch {
	case key.Matches(msg, m.keys.Submit) && m.compose.queue:
		return m.queueEdited(m.compose.Value())
	case key.Matches(msg, m.keys.Abort) && m.compose.queue:
		m.compose.open, m.compose.queue = false, false
		m.flash = infoFlash(m.w.T("editor closed: the held lines stay held as they were"))
		return m, nil
	case key.Matches(msg, m.keys.Submit):
		return m.sendMessage(m.compose.Value(), "F10")
	case key.Matches(msg, m.keys.Abort):
		m.compose.open, m.compose.draft = false, m.compose.Value()
		m.flash = infoFlash(m.w.T("editor closed, nothing sent; :compose reopens the draft. Still in DATA mode (a lone . ends the message)"))
		return m, nil
	}
	var cmd tea.Cmd
	m.compose, cmd = m.compose.Update(msg)
	return m, cmd
}

// sendMessage sends text, the editor's message, as DATA content; the
// first time, a message a server may refuse is explained instead, and
// again (F10, or :send) sends it anyway.
func (m Model) sendMessage(text, again string) (Model, tea.Cmd) {
	raw := normalizeMessage(text)
	if w := composeWarnings(raw, m.lastSent("MAIL")); len(w) > 0 && !m.compose.warned {
		m.compose.warned = true
		m.flash = warnFlash(strings.Join(w, "; ") + ": a server may refuse it. " + again + " again sends it anyway")
		return m, nil
	}
	m.compose.open, m.compose.warned, m.compose.draft = false, false, ""
	m.flash = infoFlash(m.w.F("sending the message: %d bytes, CRLF line endings, dot-stuffed, ending CRLF.CRLF", len(raw)))
	return m.enqueue(outItem{raw: raw})
}

// wheel scrolls the pane under the mouse.
func (m Model) wheel(msg tea.MouseWheelMsg) Model {
	if msg.Mouse().X >= m.paneW && msg.Mouse().Y < m.mainH {
		m.side, _ = m.side.Update(msg, len(capRows(m.sess)))
		return m
	}
	m.transcript, _ = m.transcript.Update(msg)
	return m
}

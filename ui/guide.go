package ui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
)

// guide is guided mode: a card above the input shows the next step of a
// real session, from session.NextStep, and its command waits in the input
// for Enter. ui only renders and drives it; the steps, their texts and the
// fixes of failed steps are session's (guide.go, rules.go, explain.go).
type guide struct {
	on       bool
	step     session.Step
	prefill  string   // the command last put in the input
	skipped  []string // the steps skipped in this session
	mech     string   // the AUTH mechanism chosen in the card
	last     *session.Reply
	answered string   // the command last answers, shown form
	refused  []string // RCPT lines refused in this transaction
}

// record keeps the reply just received and what it answers, for the
// guide: whatever the mode, so that turning it on mid-session works.
func (g guide) record(p pending, r session.Reply) guide {
	g.last, g.answered = &r, answeredForm(p)
	switch verb := session.Verb(g.answered); {
	case verb == "MAIL" && r.OK():
		g.refused = nil
	case verb == "RCPT" && !r.OK():
		g.refused = append(slices.Clip(g.refused), g.answered)
	}
	return g
}

// answeredForm is the command a reply answers, never a secret: an AUTH
// line in its redacted form, an AUTH response as "AUTH".
func answeredForm(p pending) string {
	switch {
	case p.kind == kindGreeting:
		return ""
	case p.kind == kindDataEnd:
		return "."
	case session.Verb(p.line) == "AUTH":
		return session.State{}.Sent(p.line).Pending
	case p.secret || p.auth:
		return "AUTH"
	}
	return p.line
}

// reset forgets the session's steps, keeping the mode.
func (g guide) reset() guide {
	return guide{on: g.on, mech: g.mech}
}

// options are the guide's inputs from the model. On the lab, the lab's
// account and domain fill the envelope, so Enter alone runs a session.
func (m Model) guideOptions() session.GuideOptions {
	o := session.GuideOptions{
		Helo: m.helo(), Mechanism: m.guide.mech, Answered: m.guide.answered,
		Refused: m.guide.refused, Skipped: m.guide.skipped, LMTP: m.opts.LMTP,
	}
	if m.onLab() {
		o.User, o.From, o.To = lab.User, lab.User+"@"+lab.Domain, []string{"bob@" + lab.Domain}
	}
	return o
}

// onLab reports whether the connection is to an endpoint of the built-in
// lab, whose account is public (lab.User, lab.Password).
func (m Model) onLab() bool { return m.cfg.Lab != nil && m.endpoint != "" }

// labAccount says the lab's account in words, for where the AUTH step is.
func labAccount() string {
	return "user " + lab.User + ", password " + lab.Password + ": the lab's public test account"
}

// updateGuide computes the step and, when its command changed, puts the
// new one in the input, unless the user typed something of their own.
func (m Model) updateGuide() Model {
	if !m.guide.on {
		return m
	}
	m.guide.step = session.NextStep(m.effective(), m.guide.last, m.guideOptions())
	cmd := m.guide.step.Command
	if cmd == m.guide.prefill {
		return m
	}
	if m.input.mode == modeCommand && !m.compose.open && !m.drafting() && (m.input.Value() == "" || m.input.Value() == m.guide.prefill) {
		m.input = m.input.setValue(cmd) // never into a BDAT chunk's text
	}
	m.guide.prefill = cmd
	return m
}

// guidePrefilled reports whether the input holds the step's command as
// the guide put it there: tab then moves between panes, as on an empty line.
func (m Model) guidePrefilled() bool {
	return m.guide.on && m.guide.prefill != "" && m.input.Value() == m.guide.prefill
}

// cmdGuided turns guided mode on or off.
func (m Model) cmdGuided(string) (Model, tea.Cmd) {
	m.guide.on = !m.guide.on
	if m.guide.on {
		m.flash = infoFlash("guided mode: the card says what comes next; enter sends it, edit it first, or alt+n skips")
	} else {
		if m.input.mode == modeCommand && m.input.Value() == m.guide.prefill {
			m.input = m.input.clear()
		}
		m.guide.prefill = ""
		m.flash = infoFlash("guided mode off")
	}
	return m.resize(m.width, m.height), nil
}

// cmdSkip skips the step on the card, when the session can go on without it.
func (m Model) cmdSkip(string) (Model, tea.Cmd) {
	st := m.guide.step
	switch {
	case !m.guide.on:
		m.flash = errorFlash(":skip works in guided mode (F9)")
	case !st.Skippable:
		m.flash = infoFlash("the session needs this step; to do something else, type your own command")
	default:
		m.guide.skipped = append(slices.Clip(m.guide.skipped), st.ID)
		m.flash = infoFlash("skipped: " + st.Title)
	}
	return m, nil
}

// chooseNext moves the card's choice (the AUTH mechanism) by d.
func (m Model) chooseNext(d int) Model {
	st := m.guide.step
	if !m.guide.on || len(st.Choices) == 0 {
		return m
	}
	i := (st.Choice + d + len(st.Choices)) % len(st.Choices)
	m.guide.mech = st.Choices[i]
	return m
}

// cardHeight is the card's height with its border: what its step needs to
// be read whole, as far as the panes keep minPanes rows; the layout is
// recomputed when it changes (refresh).
func (m Model) cardHeight() int {
	if !m.guide.on && !m.lesson.on || m.height < 16 {
		return 0
	}
	_, _, secs := m.cardContent()
	most := max(m.height-footerRows-m.hintRows()-max(minPanes, m.height/3), 5)
	return max(len(fitWhole(secs, m.width-4, most-2, cardLabelW, m.st.Label))+2, 5)
}

// minPanes is the fewest rows the card leaves the panes above it.
const minPanes = 10

// cardLabelW is the width of the card's label column.
const cardLabelW = 8

// card draws the step card in exactly cardHeight lines of w cells: every
// section whole, or left out whole when the card has no room for it.
func (m Model) card(w int) []string {
	h := m.cardHeight()
	if h == 0 {
		return nil
	}
	title, rfc, secs := m.cardContent()
	body := blockOf(fitWhole(secs, w-4, h-2, cardLabelW, m.st.Label), w-4, h-2)
	return titledFrame(m.st.Card, title, rfc, body, w)
}

// cardContent is the lesson card in a course, else guided mode's.
func (m Model) cardContent() (title, rfc string, secs []section) {
	if m.lesson.on {
		return m.lessonSections()
	}
	return m.cardSections()
}

// cardSections is the card's title, its RFC and its sections.
func (m Model) cardSections() (title, rfc string, secs []section) {
	st, s := m.st, m.guide.step
	title = m.st.CardTitle.Render("Guided · " + s.Title)
	if x := s.Failure; x != nil {
		title = m.st.Error.Render("✗ "+failureHead(*x)) + m.st.Label.Render(" · next: "+s.Title)
		secs = failureSections(*st, *x)
		if ansi.StringWidth(title)+ansi.StringWidth(s.RFC)+8 > m.width { // the next step in the body, whole
			title = m.st.Error.Render("✗ " + failureHead(*x))
			secs = append([]section{{label: "next", text: s.Title, style: st.Label, keep: 10}}, secs...)
		}
	}
	send := s.Command
	switch {
	case m.compose.open && s.ID == "compose":
		send = `(in the editor) F10 or alt+enter sends the message and its lone "." (or esc, then :send)`
	case send == "":
		send = "(nothing to send: the server's turn)"
	}
	secs = append(secs, section{label: "send", text: session.SanitizeString(send), style: st.Value, keep: 10})
	if s.Failure == nil {
		secs = append(secs, section{label: "why", text: s.Why, style: st.Meaning, keep: 4})
	}
	if s.Expect != "" && s.Failure == nil {
		secs = append(secs, section{label: "expect", text: s.Expect, style: st.Label, keep: 3})
	}
	if len(s.Choices) > 0 {
		secs = append(secs, section{label: "choose", text: choiceLine(s), style: st.Value, keep: 9})
	}
	if s.ID == "auth" && m.onLab() {
		secs = append(secs, section{label: "account", text: labAccount(), style: st.OK, keep: 9})
	}
	if s.Note != "" && s.Failure == nil {
		secs = append(secs, section{label: "✓", text: s.Note, style: st.OK, keep: 5})
	}
	return title, st.Label.Render(s.RFC), secs
}

// failureHead names a refusal: "535 5.7.8 The server refused the user
// name or password (535)".
func failureHead(x session.Explanation) string {
	code := fmt.Sprint(x.Code)
	if x.Enhanced != (session.EnhancedCode{}) {
		code += " " + x.Enhanced.String()
	}
	if r, ok := session.LookupRule(x.Rule); ok {
		if strings.Contains(r.Title, fmt.Sprint(x.Code)) {
			return r.Title
		}
		return code + " " + r.Title
	}
	return code + " " + x.Class
}

// failureSections are the cause and the fix of a refused step, from
// session.Explain: the same words as doctor's finding.
func failureSections(st themes.Styles, x session.Explanation) []section {
	secs := []section{
		{label: "why", text: x.Cause, style: st.Meaning, keep: 5},
		{label: "fix", text: x.Action, style: st.OK, keep: 8},
	}
	if k := x.Known; k != nil && k.Note != "" {
		secs = append(secs, section{label: "known", text: k.Note, style: st.Warning, keep: 6})
	}
	return dropEmpty(secs)
}

// choiceLine shows the choices, the chosen one bracketed.
func choiceLine(s session.Step) string {
	parts := make([]string, len(s.Choices))
	for i, c := range s.Choices {
		if i == s.Choice {
			parts[i] = "[" + c + "]"
		} else {
			parts[i] = c
		}
	}
	return strings.Join(parts, " ") + "   (ctrl+n/ctrl+p)"
}

package ui

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// explainPanel is the overlay that explains one reply of the transcript:
// what session.Explain says of its code, enhanced code, provider text,
// cause and fix. ui writes no explanation of its own: every sentence comes
// from session (the single home of that knowledge, STYLE.md principle 10).
type explainPanel struct {
	open        bool
	first, last int      // the reply's rows in the transcript
	lines       []string // the reply's lines, without line endings, raw
	answers     string   // the command it answers, shown form; "" for the greeting
	x           session.Explanation
	note        []byte // a note's text, shown whole in place of a reply; nil for a reply
	capability  bool   // the selected capability's meaning, in place of a reply
	identity    bool   // the identity check's findings and trace (:identity), in place of a reply
	top         int    // the first line of the body on screen: the panel scrolls rather than cut
}

// replyRows finds the reply at row i: the server lines from its first
// line to its last (RFC 5321 4.2: "NNN-" continues, "NNN " ends). On a
// client line or a note it takes the next reply.
func replyRows(v Transcript, i int) (first, last int, ok bool) {
	for i < v.Len() && v.Entry(i).Dir != wire.Server {
		i++
	}
	if i >= v.Len() || !serverCoded(v.Entry(i)) {
		return 0, 0, false
	}
	first, last = i, i
	for first > 0 && v.Entry(first-1).Dir == wire.Server && continues(v.Entry(first-1)) {
		first--
	}
	for continues(v.Entry(last)) && last+1 < v.Len() && v.Entry(last+1).Dir == wire.Server {
		last++
	}
	return first, last, true
}

func serverCoded(e wire.Entry) bool {
	content, _ := client.SplitEnding(e.Data)
	return trHasCode(content)
}

// continues reports a reply line that another follows: "250-".
func continues(e wire.Entry) bool {
	content, _ := client.SplitEnding(e.Data)
	return len(content) >= 4 && content[3] == '-'
}

// lineOf is an entry's text without its line ending; for an entry that
// holds a secret, its redacted form (a reply that echoed a credential).
func lineOf(e wire.Entry) string {
	if e.Secret {
		return strings.TrimSuffix(e.Shown, "\n")
	}
	content, _ := client.SplitEnding(e.Data)
	return strings.TrimSuffix(string(content), "\n")
}

// replyContext replays the connection up to row first through
// session.State, as the exchange did (pipelined commands answered in
// order, RFC 2920), and returns the command the reply answers and the
// state it answers in. Secret lines count in their redacted form.
func replyContext(v Transcript, first int) (string, session.ExplainContext) {
	start := 0
	for i := first; i >= 0; i-- {
		if e := v.Entry(i); e.Dir == wire.Note && bytes.HasPrefix(e.Data, []byte("connected to ")) {
			start = i
			break
		}
	}
	var s session.State
	var queue, reply []string
	for i := start; i < first; i++ {
		e := v.Entry(i)
		switch {
		case trIsRule(e):
			s, queue = s.TLSStarted(), nil
		case e.Dir == wire.Client:
			s, queue = replayClient(s, queue, e)
		case e.Dir == wire.Server:
			reply = append(reply, lineOf(e))
			if !continues(e) {
				s, queue = replayReply(s, queue, reply)
				reply = nil
			}
		}
	}
	if len(queue) == 0 {
		return "", s.ExplainContext("")
	}
	if queue[0] == "." {
		return ".", s.DataEnded().ExplainContext("")
	}
	return queue[0], s.Sent(queue[0]).ExplainContext("")
}

// replayClient queues a command; message content after 354 is not one,
// only its final ".".
func replayClient(s session.State, queue []string, e wire.Entry) (session.State, []string) {
	line := lineOf(e)
	if s.Phase == session.PhaseData && len(queue) == 0 && line != "." {
		return s, queue
	}
	return s, append(queue, line)
}

// replayReply applies a reply to the oldest queued command.
func replayReply(s session.State, queue, lines []string) (session.State, []string) {
	r, err := session.ParseReply(lines)
	switch {
	case err != nil && len(queue) > 0 && errors.As(err, new(*session.MixedCodesError)):
		// it answers its command with nothing, as the live session took it
		if queue[0] == "." && s.Phase == session.PhaseData {
			s = s.DataEnded().Unanswered()
		}
		queue = queue[1:]
	case err != nil:
	case len(queue) == 0 && s.Phase == session.PhaseConnected:
		s = s.Greeting(r)
	case len(queue) == 0:
	case queue[0] == "." && s.Phase == session.PhaseData:
		s, queue = s.DataEnded().Received(r), queue[1:]
	default:
		s, queue = s.Sent(queue[0]).Received(r), queue[1:]
	}
	return s, queue
}

// openExplain opens the panel on the reply at row i (or after it), or on
// the note at row i when the pane cuts it: a note such as why a connection
// failed and what to do then shows whole.
func (m Model) openExplain(i int) (Model, bool) {
	if m.cutNote(i) {
		m.explain = explainPanel{open: true, first: i, last: i, note: []byte(lineOf(m.transcript.Entry(i)))}
		m.transcript.Select(i)
		return m, true
	}
	return m.openReply(i)
}

// openReply opens the panel on the reply at row i, or the first after it:
// what ↑/↓ step through in the panel.
func (m Model) openReply(i int) (Model, bool) {
	first, last, ok := replyRows(m.transcript, i)
	if !ok {
		return m, false
	}
	p := explainPanel{open: true, first: first, last: last}
	for j := first; j <= last; j++ {
		p.lines = append(p.lines, lineOf(m.transcript.Entry(j)))
	}
	r, err := session.ParseReply(p.lines)
	if err != nil {
		return m, false
	}
	var ctx session.ExplainContext
	p.answers, ctx = replyContext(m.transcript, first)
	ctx.LMTP = m.opts.LMTP
	p.x = session.Explain(r, ctx)
	m.explain = p
	m.transcript.Select(first)
	return m, true
}

// cmdExplain opens the panel: on the selected reply when the transcript
// has the focus (or a selection was made there), else on the last reply.
func (m Model) cmdExplain(string) (Model, tea.Cmd) {
	if m.explain.open {
		m.explain.open = false
		return m, nil
	}
	row := m.lastReplyRow()
	if n := m.transcript.Len(); m.conn.phase == phaseClosed && m.cutNote(n-1) {
		row = n - 1 // why the connection closed, and what to do
	}
	if c := m.transcript.Cursor(); c >= 0 && (m.focus == focusTranscript || !m.transcript.Following()) {
		row = c
	}
	next, ok := m.openExplain(row)
	if !ok {
		m.flash = infoFlash(m.w.T("no reply to explain yet"))
		return m, nil
	}
	return next, nil
}

// lastReplyRow is the first row of the last reply in the transcript.
func (m Model) lastReplyRow() int {
	for i := m.transcript.Len() - 1; i >= 0; i-- {
		if e := m.transcript.Entry(i); e.Dir == wire.Server && serverCoded(e) && !continues(e) {
			first, _, _ := replyRows(m.transcript, i)
			return first
		}
	}
	return m.transcript.Len()
}

// openCapability opens the panel on the selected capability: its meaning
// whole, where the side panel has room for a sentence or two.
func (m Model) openCapability() Model {
	if len(capRows(m.sess)) == 0 {
		return m
	}
	m.explain = explainPanel{open: true, capability: true}
	return m
}

// explainKey drives the open panel: esc closes; ↑/↓ go to the previous
// and next reply (or capability); pgup/pgdn scroll a long one.
func (m Model) explainKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	page := max(m.mainH-6, 1)
	switch msg.String() {
	case "pgdown", "space":
		m.explain.top += page
		return m, nil
	case "pgup":
		m.explain.top = max(m.explain.top-page, 0)
		return m, nil
	}
	if m.explain.capability {
		switch msg.String() {
		case "esc", "q", "enter", "e":
			m.explain.open = false
		case "up", "k", "down", "j":
			m.side, _ = m.side.Update(msg, len(capRows(m.sess)))
			m.explain.top = 0
		}
		return m, nil
	}
	switch msg.String() {
	case "esc", "q", "f8", "alt+e":
		m.explain.open = false
	case "up", "k":
		if first, _, ok := m.prevReply(m.explain.first); ok {
			m, _ = m.openReply(first)
		}
	case "down", "j":
		if m.explain.last+1 < m.transcript.Len() {
			if next, ok := m.openReply(m.explain.last + 1); ok {
				m = next
			}
		}
	}
	return m, nil
}

// prevReply finds the reply before row i.
func (m Model) prevReply(i int) (int, int, bool) {
	for j := i - 1; j >= 0; j-- {
		if e := m.transcript.Entry(j); e.Dir == wire.Server && serverCoded(e) {
			return replyRows(m.transcript, j)
		}
	}
	return 0, 0, false
}

// cutNote reports whether row i is a note too wide for the pane.
func (m Model) cutNote(i int) bool { return m.transcript.NoteCut(i) }

// explainBox draws the panel in at most w x h cells.
func (m Model) explainBox(w, h int) []string {
	p, st := m.explain, m.st
	if p.note != nil {
		return m.noteBox(w, h)
	}
	if p.capability {
		return m.capabilityBox(w, h)
	}
	if p.identity {
		return m.identityBox(w, h)
	}
	x := p.x
	code := st.Code2xx
	switch x.Code / 100 {
	case 3:
		code = st.Code3xx
	case 4:
		code = st.Code4xx
	case 5:
		code = st.Code5xx
	}
	var reply []string
	for _, l := range p.lines {
		reply = append(reply, session.SanitizeString(l))
	}
	answers := m.w.T("the greeting")
	switch {
	case p.answers == ".":
		answers = m.w.T(`the final "." of a message`)
	case p.answers != "":
		answers = session.SanitizeString(p.answers)
	}
	secs := []section{
		{label: "S:", text: strings.Join(reply, "\n"), style: code, keep: 3},
		{label: m.w.T("answers"), text: answers, style: st.Value, keep: 2},
		{label: fmt.Sprint(x.Code), text: joinNonEmpty(". ", upper(x.Class), x.Meaning) + rfcSuffix(x.CodeRFC), style: st.Value, keep: 8},
	}
	if x.EnhancedMeaning != "" {
		secs = append(secs, section{label: x.Enhanced.String(), text: x.EnhancedMeaning + rfcSuffix(x.EnhancedRFC), style: st.Value, keep: 6})
	}
	if x.Challenge != "" {
		secs = append(secs, section{label: m.w.T("decoded"), text: x.Challenge, style: st.OK, keep: 9})
	}
	if k := x.Known; k != nil {
		secs = append(secs, section{label: m.w.T("known"), text: joinNonEmpty(": ", k.Name, k.Note), style: st.Warning, keep: 5})
	}
	secs = append(secs,
		section{label: m.w.T("cause"), text: x.Cause, style: st.Meaning, keep: 7},
		section{label: m.w.T("fix"), text: x.Action, style: st.OK, keep: 9},
	)
	body := fitSections(dropEmpty(secs), w-4, wholeText, 9, st.Label)
	title := st.CardTitle.Render(m.w.T("Explain"))
	if rule, ok := session.LookupRule(x.Rule); ok {
		title += st.Label.Render(" · " + rule.Title)
	}
	return titledFrame(st.Card, title, st.Label.Render(x.RFC), m.scrolled(body, h, m.w.T("↑/↓ previous/next reply")), w)
}

// wholeText is a height fitSections never reaches: the explain panel
// scrolls its text instead of cutting it.
const wholeText = 1 << 20

// scrolled is the window of body that fits a box of h lines, from the
// panel's top line, and a footer that says how to scroll and close.
func (m Model) scrolled(body []string, h int, keys string) []string {
	room := max(h-3, 1)
	top := min(max(m.explain.top, 0), max(len(body)-room, 0))
	footer := m.w.T("esc closes · ") + keys
	if len(body) > room {
		footer += m.w.F(" · pgup/pgdn scroll (%d-%d of %d)", top+1, min(top+room, len(body)), len(body))
	}
	return append(append([]string{}, body[top:min(top+room, len(body))]...), m.st.Dim.Render(footer))
}

// noteBox draws a note, or a DNS line, whole, wrapped, sanitized as the
// transcript shows it.
func (m Model) noteBox(w, h int) []string {
	st := m.st
	label, title := "*", "Note"
	if m.explain.first < m.transcript.Len() && m.transcript.Entry(m.explain.first).Dir == wire.DNS {
		label, title = "D", "DNS"
	}
	secs := []section{{label: label, text: session.Sanitize(m.explain.note), style: st.Value, keep: 9}}
	body := fitSections(secs, w-4, wholeText, 3, st.Label)
	return titledFrame(st.Card, st.CardTitle.Render(title), "", m.scrolled(body, h, "↑/↓ previous/next reply"), w)
}

// capabilityBox draws the selected capability's meaning whole, from the
// knowledge table, as the side panel would with room enough.
func (m Model) capabilityBox(w, h int) []string {
	st := m.st
	rows := capRows(m.sess)
	r := rows[min(max(m.side.cursor, 0), len(rows)-1)]
	title, text := capMeaning(r)
	secs := []section{
		{label: "offered", text: session.SanitizeString(strings.TrimSpace(capName(r.c) + " " + capParams(r.c))), style: st.Value, keep: 9},
		{label: "means", text: text, style: st.Meaning, keep: 9},
		{label: "here", text: capUse(r.c.Keyword), style: st.Label, keep: 9},
	}
	secs = dropEmpty(secs)
	body := fitSections(secs, w-4, wholeText, 9, st.Label)
	return titledFrame(st.Card, st.CardTitle.Render(m.w.T("Capability · "))+st.Label.Render(title), "", m.scrolled(body, h, m.w.T("↑/↓ previous/next capability")), w)
}

// explainLayer overlays the panel on the panes.
func (m Model) explainLayer(main []string) []string {
	w := min(m.width, 96)
	if w < 30 || len(main) < 6 {
		return main
	}
	box := m.explainBox(w, len(main))
	return overlay(main, box, (m.width-w)/2, max((len(main)-len(box))/2, 0))
}

func rfcSuffix(rfc string) string {
	if rfc == "" {
		return ""
	}
	return " (" + rfc + ")"
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.TrimSuffix(p, "."))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, sep) + "."
}

func dropEmpty(secs []section) []section {
	out := secs[:0:0]
	for _, s := range secs {
		if strings.TrimSpace(s.text) != "" {
			out = append(out, s)
		}
	}
	return out
}

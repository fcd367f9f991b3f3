package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/ehlo-sh/ehlo/third_party/bubbles/key"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/wire"
)

// sidePanel is the right-hand pane: the connection, the session state and
// envelope, the capabilities of the latest EHLO (selectable, each with its
// meaning), their diff against the plaintext EHLO after STARTTLS, and the
// TLS facts. Everything the server sent goes through the sanitizer.
type sidePanel struct {
	st            *themes.Styles // shared, never changed: a theme switch replaces it
	w             words          // its labels' language
	keys          sideKeys
	width, height int
	focused       bool
	cursor        int    // selected capability row
	shown         string // the capability list the cursor belongs to
}

// sideKeys move the selection in the capability list.
type sideKeys struct {
	Up, Down, Top, Bottom key.Binding
	Explain               key.Binding // handled by the root: the capability's meaning whole
}

// sideInfo is what the panel shows, gathered by the root from its state.
type sideInfo struct {
	target, endpoint, addr string
	phase                  phase
	sess                   session.State
	tls                    *wire.TLSInfo
	unverified             bool
	lmtp                   bool // LMTP (RFC 2033): the hello is LHLO
	now                    time.Time
	identity               string  // the identity check's verdict, once a MAIL FROM is answered
	mx                     *mxInfo // the MX list, nil without one (mx.go)
}

// capRow is one line of the capability list.
type capRow struct {
	c      session.Capability
	mark   string // " ", "+" added, "-" removed, "~" changed after STARTTLS
	before string // the parameters before STARTTLS, for "~"
}

func newSide(st themes.Styles, w words) sidePanel {
	return sidePanel{st: &st, w: w, keys: sideKeys{
		Up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "previous capability")),
		Down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "next capability")),
		Top:     key.NewBinding(key.WithKeys("home", "g")),
		Bottom:  key.NewBinding(key.WithKeys("end", "G")),
		Explain: key.NewBinding(key.WithKeys("enter", "e"), key.WithHelp("e/enter", "all it means")),
	}}
}

// SetSize sets the outer size, border included.
func (s *sidePanel) SetSize(w, h int) { s.width, s.height = w, h }

// bindings are the keys the panel takes when focused.
func (s sidePanel) bindings() []key.Binding {
	return []key.Binding{s.keys.Up, s.keys.Down, s.keys.Top, s.keys.Bottom}
}

// Update moves the selection among n rows.
func (s sidePanel) Update(msg tea.Msg, n int) (sidePanel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, s.keys.Up):
			s.cursor--
		case key.Matches(msg, s.keys.Down):
			s.cursor++
		case key.Matches(msg, s.keys.Top):
			s.cursor = 0
		case key.Matches(msg, s.keys.Bottom):
			s.cursor = n - 1
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			s.cursor--
		case tea.MouseWheelDown:
			s.cursor++
		}
	}
	s.cursor = min(max(s.cursor, 0), max(n-1, 0))
	return s, nil
}

// capRows lists the capabilities of the latest EHLO and, after STARTTLS,
// those it no longer advertises, with their diff markers.
func capRows(s session.State) []capRow {
	diff, ok := s.CapsDiff()
	rows := make([]capRow, 0, len(s.Caps.List)+len(diff.Removed))
	for _, c := range s.Caps.List {
		r := capRow{c: c, mark: " "}
		if ok {
			r.mark, r.before = diffMark(diff, c)
		}
		rows = append(rows, r)
	}
	for _, c := range diff.Removed {
		rows = append(rows, capRow{c: c, mark: "-"})
	}
	return rows
}

// diffMark finds c in the diff.
func diffMark(d session.CapDiff, c session.Capability) (mark, before string) {
	for _, a := range d.Added {
		if a.Keyword == c.Keyword && a.Legacy == c.Legacy && a.Params == c.Params {
			return "+", ""
		}
	}
	for _, ch := range d.Changed {
		if ch.Keyword == capName(c) && ch.After == c.Params {
			return "~", ch.Before
		}
	}
	return " ", ""
}

// capName is the keyword as the knowledge table keys it: "AUTH=" for the
// legacy form.
func capName(c session.Capability) string {
	if c.Legacy {
		return c.Keyword + "="
	}
	return c.Keyword
}

// hot reports the capabilities a newcomer must notice (RFC 3207, RFC 4954).
func hot(c session.Capability) bool { return c.Keyword == "STARTTLS" || c.Keyword == "AUTH" }

// View draws the panel in exactly width x height cells, border included,
// one string per line.
func (s sidePanel) View(info sideInfo) []string {
	if s.width < 4 || s.height < 3 {
		return blockOf(nil, max(s.width, 0), max(s.height, 0))
	}
	iw, ih := s.width-4, s.height-2
	rows := capRows(info.sess)
	cursor := min(max(s.cursor, 0), max(len(rows)-1, 0))
	conn, sess := s.connection(info, iw), s.sessionLines(info.sess, helloVerb(info.lmtp), iw)
	if info.identity != "" {
		sess = append(sess, s.envelopeLine(s.w.T("id   "), info.identity, s.st.Label, iw)...)
	}
	capsHead := s.capsHeader(info.sess, helloVerb(info.lmtp), iw)
	meaning := func(limit int) []string { return s.meaning(rows, cursor, iw, limit) }
	tls := s.tlsFacts(info, iw)
	mxRoom := max(ih/2, 4)
	if len(tls.mx) > 0 { // WebPKI, DANE and MTA-STS go before the other MX hosts, even the list's head
		mxRoom = min(mxRoom, ih-len(conn)-len(sess)-len(capsHead)-len(tls.verdict)-len(tls.mx))
	}
	conn = append(conn, s.mxLines(info.mx, chainCheck(info.tls), iw, mxRoom)...)
	want := s.listLines(rows, cursor, maxCapRows, iw)
	if s.focused { // browsing: the meaning matters, the TLS details wait
		want, tls = s.listLines(rows, cursor, 4, iw), tlsPart{}
	}
	room, meaningLines, tlsLines := budget(ih-len(conn)-len(sess)-len(capsHead), want, meaning, tls)
	caps := append(append(capsHead, s.capList(rows, cursor, room, iw)...), meaningLines...)
	lines := stack(ih, conn, sess, caps, tlsLines)
	style := s.st.Pane
	if s.focused {
		style = s.st.PaneFocused
	}
	return frame(style, blockOf(indent(lines), iw+2, ih), s.width)
}

// maxCapRows is how many capabilities the list claims before the
// explanation and the TLS details shrink.
const maxCapRows = 12

// budget shares h rows: the capability list gets what the explanation and
// the TLS facts leave, and they shrink, the least important first, until
// want lines of capabilities show: first the explanation (to whole
// sentences, meaning(limit) fits it in limit lines), then the
// certificate's details, its names last; the certificate's verdict stays.
func budget(h, want int, meaning func(limit int) []string, t tlsPart) (int, []string, []string) {
	limit := -1 // no limit
	keep := func(n int) func() { return func() { limit = n } }
	drop := func(p *[]string) func() { return func() { *p = nil } }
	var cuts []func()
	for range t.details { // the handshake's details first, the least important row first
		cuts = append(cuts, func() { t.details = t.details[:len(t.details)-1] })
	}
	cuts = append(cuts, drop(&t.sha256), drop(&t.expires), keep(9), drop(&t.issuer), keep(7), drop(&t.subject),
		keep(5), drop(&t.names), keep(3), keep(2), keep(0), drop(&t.head))
	m, tls := meaning(limit), t.lines()
	for _, cut := range cuts {
		if h-len(m)-len(tls) >= want {
			break
		}
		cut()
		m, tls = meaning(limit), t.lines()
	}
	return max(h-len(m)-len(tls), 0), m, tls
}

// stack joins the sections, with a blank line between them as far as the
// height allows, the last ones first (before the TLS facts, then before
// the capabilities).
func stack(h int, sections ...[]string) []string {
	var n, parts int
	for _, sec := range sections {
		if len(sec) > 0 {
			n += len(sec)
			parts++
		}
	}
	gaps := min(parts-1, max(h-n, 0))
	var lines []string
	part := 0
	for _, sec := range sections {
		if len(sec) == 0 {
			continue
		}
		if part > 0 && part >= parts-gaps {
			lines = append(lines, "")
		}
		lines = append(lines, sec...)
		part++
	}
	return lines
}

// follow puts the cursor on the first STARTTLS or AUTH line whenever a new
// EHLO changes the list, so the meaning shown is the one that matters.
func (s sidePanel) follow(rows []capRow) sidePanel {
	var sig strings.Builder
	for _, r := range rows {
		sig.WriteString(r.mark + capName(r.c) + "\x00")
	}
	if sig.String() == s.shown {
		return s
	}
	s.shown, s.cursor = sig.String(), 0
	for i, r := range rows {
		if hot(r.c) && r.mark != "-" {
			s.cursor = i
			break
		}
	}
	return s
}

// connection is the target, its address and the transport badge.
func (s sidePanel) connection(info sideInfo, w int) []string {
	state := map[phase]string{phaseIdle: s.w.T("not connected"), phaseDialing: s.w.T("connecting…"),
		phaseOpen: s.w.T("connected"), phaseClosed: s.w.T("closed")}[info.phase]
	lines := wrapStyled(s.badge(info)+" "+s.st.Label.Render(state), w)
	if info.endpoint != "" {
		lines = append(lines, fitLine(s.st.Label.Render(s.w.T("lab "))+s.st.Value.Render(info.endpoint), w))
	}
	lines = append(lines, fitLine(s.st.Value.Render(session.SanitizeString(info.target)), w))
	if info.addr != "" && info.addr != info.target {
		lines = append(lines, fitLine(s.st.Label.Render("→ ")+s.st.Value.Render(info.addr), w))
	}
	return lines
}

// badge is the transport: PLAINTEXT, TLS, or TLS UNVERIFIED for the rest of
// a session whose certificate did not verify (--insecure), or TLS WEAK for
// one below TLS 1.2 (--tls-min).
func (s sidePanel) badge(info sideInfo) string {
	switch {
	case info.sess.TLS && info.unverified:
		return s.st.BadgeUnverified.Render(s.w.T(" TLS UNVERIFIED "))
	case info.sess.TLS && info.tls != nil && info.tls.Weak:
		return s.st.BadgeUnverified.Render(s.w.T(" TLS WEAK "))
	case info.sess.TLS:
		return s.st.BadgeTLS.Render(" TLS ")
	}
	return s.st.BadgePlain.Render(s.w.T(" PLAINTEXT "))
}

// sessionLines shows where the session stands, in words (what it has,
// what it is doing), then the envelope: the sender, the recipients
// accepted and those refused, with their codes.
func (s sidePanel) sessionLines(st session.State, hello string, w int) []string {
	var lines []string
	for _, l := range wrap(sessionHas(st, hello, s.w), w) {
		lines = append(lines, fitLine(s.st.Value.Render(l), w))
	}
	for _, l := range wrap(sessionDoing(st, hello, s.w), w) {
		lines = append(lines, fitLine(s.st.Label.Render(l), w))
	}
	if st.From != "" || st.Phase == session.PhaseMail {
		lines = append(lines, s.envelopeLine(s.w.T("from "), "<"+session.SanitizeString(st.From)+">", s.st.Value, w)...)
	}
	for i, r := range st.Rcpts {
		if i == 2 {
			lines = append(lines, fitLine(s.st.Label.Render(s.w.F("     … %d more", len(st.Rcpts)-2)), w))
			break
		}
		lines = append(lines, s.envelopeLine(s.w.T("to   "), "<"+session.SanitizeString(r)+">", s.st.Value, w)...)
	}
	for i, r := range st.Refused {
		if i == 2 {
			lines = append(lines, fitLine(s.st.Label.Render(s.w.F("     … %d more refused", len(st.Refused)-2)), w))
			break
		}
		lines = append(lines, s.envelopeLine(s.w.T("✗ to "), s.w.F("<%s> refused %d", session.SanitizeString(r.Addr), r.Code), s.st.Error, w)...)
	}
	return lines
}

// envelopeLine is one address of the envelope after its label, wrapped
// under it when long: an address is never cut. One too long to follow the
// label starts on the next line.
func (s sidePanel) envelopeLine(label, text string, style lipgloss.Style, w int) []string {
	lw := ansi.StringWidth(label) // a Chinese label's runes are two cells each
	indent := strings.Repeat(" ", lw)
	first, _, _ := strings.Cut(text, " ")
	var out []string
	if lw+ansi.StringWidth(first) > w {
		out = append(out, fitLine(s.st.Label.Render(strings.TrimRight(label, " ")), w))
		label, indent, lw = "  ", "  ", 2
	}
	for i, r := range wrapHard(text, max(w-lw, 8), 0) {
		lab := label
		if i > 0 {
			lab = indent
		}
		out = append(out, fitLine(s.st.Label.Render(lab)+style.Render(r), w))
	}
	return out
}

// helloVerb is the extended hello of the protocol: LHLO in LMTP (RFC
// 2033 4.1), else EHLO.
func helloVerb(lmtp bool) string {
	if lmtp {
		return "LHLO"
	}
	return "EHLO"
}

// sessionHas says what the session has established: the greeting it
// answered and whether the client signed in; once closed, what it had.
// hello is EHLO, or LHLO in LMTP.
func sessionHas(st session.State, hello string, w words) string {
	closed := st.Phase == session.PhaseClosed
	auth := w.T("not signed in")
	if st.Authenticated {
		auth = w.T("signed in")
		if st.AuthUser != "" {
			auth = w.F("signed in as %s", session.SanitizeString(st.AuthUser))
		}
	}
	switch {
	case closed && st.ESMTP:
		return w.F("closed, after %s, %s", hello, auth)
	case closed:
		return w.T("session closed")
	case st.ESMTP:
		return w.F("%s done, %s", hello, auth)
	case st.Phase >= session.PhaseReady:
		return w.F("HELO only (no extensions), %s", auth)
	}
	return w.F("no %s yet", hello)
}

// sessionDoing says what the session is in the middle of; hello is EHLO,
// or LHLO in LMTP.
func sessionDoing(st session.State, hello string, w words) string {
	switch st.Phase {
	case session.PhaseConnected:
		return w.T("waiting for the greeting")
	case session.PhaseGreeted:
		if st.TLS && !st.ImplicitTLS {
			return w.F("TLS on: %s again", hello)
		}
		return w.F("greeted: %s next", hello)
	case session.PhaseReady:
		return w.T("no mail transaction")
	case session.PhaseMail:
		return w.T("transaction: sender accepted")
	case session.PhaseRcpt:
		if len(st.Rcpts) == 1 {
			return w.T("transaction: 1 recipient accepted")
		}
		return w.F("transaction: %d recipients accepted", len(st.Rcpts))
	case session.PhaseData:
		return w.T("writing the message (after 354)")
	}
	return ""
}

// capsHeader titles the list and states its headline: AUTH appearing after
// STARTTLS is the lesson of submission servers (RFC 3207 section 4.2).
func (s sidePanel) capsHeader(st session.State, hello string, w int) []string {
	title := s.st.Title.Render(s.w.F("Capabilities (%d)", len(st.Caps.List)))
	lines := []string{fitLine(title, w)}
	text, style := s.headline(st, hello)
	for _, l := range wrap(text, w) {
		lines = append(lines, fitLine(style.Render(l), w))
	}
	return lines
}

// headline is the one thing to notice about the list; hello is EHLO, or
// LHLO in LMTP.
func (s sidePanel) headline(st session.State, hello string) (string, lipgloss.Style) {
	diff, ok := st.CapsDiff()
	switch {
	case ok && authAdded(diff):
		return s.w.T("AUTH appeared after STARTTLS"), s.st.CapHot
	case ok && diff.Empty():
		return s.w.T("same as before STARTTLS"), s.st.Dim
	case ok:
		return s.w.F("after STARTTLS: +%d -%d ~%d", len(diff.Added), len(diff.Removed), len(diff.Changed)), s.st.Label
	case !st.ESMTP && st.Phase == session.PhaseClosed:
		return s.w.T("closed: :reconnect to start again"), s.st.Dim
	case !st.ESMTP:
		return s.w.F("send %s to list them", hello), s.st.Dim
	case !st.TLS && st.Caps.Has("STARTTLS") && !st.Caps.Has("AUTH"):
		return s.w.T("no AUTH before STARTTLS"), s.st.Warning
	}
	return "", s.st.Dim
}

func authAdded(d session.CapDiff) bool {
	for _, c := range d.Added {
		if c.Keyword == "AUTH" {
			return true
		}
	}
	return false
}

// capList draws the list in n lines; a capability whose parameters do not
// fit one line (AUTH and its mechanisms) wraps, never cut. Focused, it is a
// window that keeps the selection visible. Otherwise, when the list is
// longer, the rows a newcomer must notice (STARTTLS, AUTH, the changes
// after STARTTLS) are kept first, in their order, and the last line (if
// n > 1) counts those left out.
func (s sidePanel) capList(rows []capRow, cursor, n, w int) []string {
	if n <= 0 || len(rows) == 0 {
		return nil
	}
	drawn := make([][]string, len(rows))
	total := 0
	for i, r := range rows {
		drawn[i] = s.capLines(r, i == cursor, w)
		total += len(drawn[i])
	}
	if s.focused || total <= n {
		return window(drawn, cursor, n)
	}
	budget := n - 1 // and the count
	if n == 1 {
		budget = 1
	}
	keep := keptRows(rows, drawn, budget)
	var lines []string
	shown := 0
	for i := range rows {
		if keep[i] {
			lines = append(lines, drawn[i]...)
			shown++
		}
	}
	if n == 1 || shown == len(rows) {
		return lines
	}
	return append(lines, fitLine(s.st.Dim.Render(s.w.F("   … %d more", len(rows)-shown)), w))
}

// window is the rows from the first that keeps row cursor on screen, as
// many as fit n lines; a row taller than n lines shows its first n.
func window(drawn [][]string, cursor, n int) []string {
	start, used := cursor, len(drawn[cursor])
	for start > 0 && used+len(drawn[start-1]) <= n {
		start--
		used += len(drawn[start])
	}
	var lines []string
	for i := start; i < len(drawn) && len(lines)+len(drawn[i]) <= n; i++ {
		lines = append(lines, drawn[i]...)
	}
	if len(lines) == 0 {
		lines = drawn[cursor][:min(n, len(drawn[cursor]))]
	}
	return lines
}

// keptRows marks the rows that fit n lines: first those that matter, then
// the others, each group in the list's order.
func keptRows(rows []capRow, drawn [][]string, n int) []bool {
	keep := make([]bool, len(rows))
	for _, matters := range []bool{true, false} {
		for i, r := range rows {
			if !keep[i] && len(drawn[i]) <= n && (!matters || hot(r.c) || r.mark != " ") {
				keep[i], n = true, n-len(drawn[i])
			}
		}
	}
	return keep
}

// listLines is how many lines the list takes to show up to rows
// capabilities, those that matter first (focused: from the cursor).
func (s sidePanel) listLines(rows []capRow, cursor, most, w int) int {
	drawn := make([][]string, len(rows))
	for i, r := range rows {
		drawn[i] = s.capLines(r, false, w)
	}
	order := make([]int, 0, len(rows))
	if s.focused {
		for i := cursor; i < len(rows); i++ {
			order = append(order, i)
		}
	} else {
		for _, matters := range []bool{true, false} {
			for i, r := range rows {
				if matters == (hot(r.c) || r.mark != " ") {
					order = append(order, i)
				}
			}
		}
	}
	n := 0
	for _, i := range order[:min(most, len(order))] {
		n += len(drawn[i])
	}
	return n
}

// capLine is a capability's first line (see capLines).
func (s sidePanel) capLine(r capRow, selected bool, w int) string {
	return s.capLines(r, selected, w)[0]
}

// capLines is one capability: selection, diff and hot markers, then the
// keyword and its parameters (SIZE in human units, RFC 1870), wrapped
// under the keyword when they do not fit: every AUTH mechanism shows.
func (s sidePanel) capLines(r capRow, selected bool, w int) []string {
	sel := " "
	if selected && s.focused {
		sel = "›"
	}
	hotMark := " "
	kw := s.st.Cap
	switch {
	case r.mark == "-":
		kw = s.st.CapRemoved
	case hot(r.c):
		kw, hotMark = s.st.CapHot, s.st.CapHot.Render("*")
	case r.mark == "+":
		kw = s.st.CapAdded
	}
	markStyle := s.st.Dim
	switch r.mark {
	case "+":
		markStyle = s.st.CapAdded
	case "-":
		markStyle = s.st.CapRemoved
	case "~":
		markStyle = s.st.Warning
	}
	name := session.SanitizeString(capName(r.c))
	text := strings.TrimSpace(name + " " + capParams(r.c))
	var lines []string
	for i, l := range wrapHard(text, max(w-3, 4), 0) {
		lead := "   "
		if i == 0 {
			lead = sel + markStyle.Render(r.mark) + hotMark
			rest, _ := strings.CutPrefix(l, name)
			l = kw.Render(name) + s.st.Cap.Render(rest)
		} else {
			l = s.st.Cap.Render(l)
		}
		line := fitLine(lead+l, w)
		if selected && s.focused {
			line = s.st.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	return lines
}

// capParams shows the parameters, sanitized; SIZE in human units.
func capParams(c session.Capability) string {
	if c.Keyword == "SIZE" {
		caps := session.Capabilities{List: []session.Capability{c}}
		switch n, ok := caps.MaxSize(); {
		case ok && n == 0:
			return "no limit"
		case ok:
			return session.HumanSize(n)
		}
	}
	return session.SanitizeString(c.Params)
}

// meaning explains the selected capability from the knowledge table, in
// at most limit lines (-1 for no limit): whole, or its first sentences
// and a pointer to the rest (enter on it, capExplain), never a sentence
// cut short.
func (s sidePanel) meaning(rows []capRow, cursor, w, limit int) []string {
	if len(rows) == 0 || limit == 0 {
		return nil
	}
	title, sentences := capSentences(rows[cursor])
	text := strings.Join(sentences, " ")
	head := wrapStyled(s.st.Label.Render(title), w)
	if limit > 0 && limit <= len(head) {
		return head[:limit]
	}
	body := func(text string) []string {
		var out []string
		for _, l := range wrapHard(text, w, 0) {
			out = append(out, fitLine(s.st.Meaning.Render(l), w))
		}
		return out
	}
	use := wrapStyled(s.st.Label.Render(capUse(rows[cursor].c.Keyword)), w) // how to use it here (bdat.go)
	if capUse(rows[cursor].c.Keyword) == "" {
		use = nil
	}
	if all := append(append(head, body(text)...), use...); limit < 0 || len(all) <= limit {
		return all
	}
	more := s.w.T("more: shift+tab, enter")
	if s.focused {
		more = s.w.T("more: enter")
	}
	pointer := fitLine(s.st.Dim.Render(more), w)
	for k := len(sentences) - 1; k > 0; k-- {
		if lines := append(append(head, body(strings.Join(sentences[:k], " "))...), pointer); len(lines) <= limit {
			return lines
		}
	}
	return append(head, pointer)
}

// capMeaning is what the knowledge table says of a capability row: its
// title and its meaning, with what STARTTLS changed.
func capMeaning(r capRow) (title, text string) {
	title, sentences := capSentences(r)
	return title, strings.Join(sentences, " ")
}

// capSentences is capMeaning with the meaning in sentences, what STARTTLS
// changed part of the first.
func capSentences(r capRow) (title string, sentences []string) {
	ext, ok := session.LookupExtension(capName(r.c))
	if !ok {
		ext, ok = session.LookupExtension(r.c.Keyword)
	}
	title = session.SanitizeString(capName(r.c)) + ": unknown extension"
	text := "Not in ehlo's table: a private or vendor extension."
	if ok {
		title, text = ext.Name, ext.Meaning
		if ext.RFC != "" {
			title += " (" + ext.RFC + ")"
		}
	}
	sentences = splitSentences(text)
	switch r.mark {
	case "+":
		sentences[0] = "New after STARTTLS. " + sentences[0]
	case "-":
		sentences[0] = "Gone after STARTTLS. " + sentences[0]
	case "~":
		sentences[0] = "Before STARTTLS: " + session.SanitizeString(r.before) + ". " + sentences[0]
	}
	return title, sentences
}

// splitSentences cuts text after each ". " (the knowledge table's
// sentences).
func splitSentences(text string) []string {
	var out []string
	for {
		i := strings.Index(text, ". ")
		if i < 0 {
			return append(out, text)
		}
		out = append(out, text[:i+1])
		text = text[i+2:]
	}
}

// tlsPart is the TLS section, in parts the budget drops one by one.
type tlsPart struct {
	head, verdict, mx, subject, names, issuer, expires, sha256 []string   // mx: DANE and MTA-STS (mx.go)
	details                                                    [][]string // the handshake's other facts, a row each, the most important first (tlsDetails)
}

// lines is the section as shown.
func (t tlsPart) lines() []string {
	var out []string
	for _, p := range [][]string{t.head, t.verdict, t.mx, t.subject, t.names, t.issuer, t.expires, t.sha256} {
		out = append(out, p...)
	}
	for _, row := range t.details {
		out = append(out, row...)
	}
	return out
}

// tlsFacts are the TLS facts: version, cipher, verification and the leaf.
func (s sidePanel) tlsFacts(info sideInfo, w int) tlsPart {
	t := info.tls
	if t == nil {
		return tlsPart{}
	}
	p := tlsPart{
		head:    wrapStyled(s.st.Title.Render(orDefault(t.Version, "TLS"))+s.weak(*t)+" "+s.st.Label.Render(t.Cipher), w),
		verdict: wrapStyled(s.verdict(*t), w),
		mx:      s.mxTLS(info.mx, t.Verified, chainCheck(t), w),
	}
	if p.mx != nil { // three facts apart: WebPKI, DANE, MTA-STS
		p.verdict = s.webPKI(*t, w)
	}
	if len(t.Chain) == 0 {
		return p
	}
	leaf := t.Chain[0]
	names := append(append([]string{}, leaf.DNSNames...), leaf.IPs...)
	for i := range names {
		names[i] = session.SanitizeString(names[i])
	}
	vw := max(w-8, 8)
	p.subject = s.certRow("subject ", wrapHard(session.SanitizeString(leaf.Subject), vw, maxCertRows), s.st.Value, w)
	p.names = s.certRow("names   ", nameRows(names, vw, maxNameRows), s.st.Value, w)
	p.issuer = s.certRow("issuer  ", wrapHard(session.SanitizeString(leaf.Issuer), vw, maxCertRows), s.st.Value, w)
	p.expires = s.certRow("expires ", []string{s.expiry(leaf.NotAfter, info.now)}, lipgloss.NewStyle(), w)
	p.sha256 = s.certRow("sha256  ", chunk(leaf.SHA256, vw), s.st.Dim, w)
	p.details = s.tlsDetails(*t, info.now, w)
	return p
}

// weak marks a version below TLS 1.2, deprecated by RFC 8996.
func (s sidePanel) weak(t wire.TLSInfo) string {
	if !t.Weak {
		return ""
	}
	return " " + s.st.Warning.Render(s.w.T("WEAK (below 1.2)"))
}

// The most rows a certificate field wraps to: every name matters when a
// name does not match, so the names get the most.
const (
	maxCertRows = 3
	maxNameRows = 6
)

// certRow puts label before the first of parts and blanks before the rest,
// as the sha256 wraps.
func (s sidePanel) certRow(label string, parts []string, style lipgloss.Style, w int) []string {
	lines := make([]string, len(parts))
	cells := len(label) // the labels are ASCII, padded to 8: a translation is padded to as many cells
	label = s.w.T(strings.TrimSpace(label))
	label += strings.Repeat(" ", max(cells-ansi.StringWidth(label), 1))
	for i, part := range parts {
		lab := label
		if i > 0 {
			lab = strings.Repeat(" ", ansi.StringWidth(label))
		}
		lines[i] = fitLine(s.st.Label.Render(lab)+style.Render(part), w)
	}
	return lines
}

// nameRows wraps the certificate's names, comma-separated, in at most limit
// rows of w cells; when they do not fit, the last row counts the names
// left out.
func nameRows(names []string, w, limit int) []string {
	rows := wrapHard(strings.Join(names, ", "), w, 0)
	if len(rows) <= limit {
		return rows
	}
	rows = rows[:limit-1]
	shown := strings.Count(strings.Join(rows, " "), ",") // each whole name shown but the last is followed by one
	return append(rows, fmt.Sprintf("… %d more", len(names)-shown))
}

// wrapHard wraps text at spaces in lines of at most w cells, splitting a
// word longer than a line, in at most limit lines (0 for no limit), the
// last of them ending in "…" when cut.
func wrapHard(text string, w, limit int) []string {
	var out []string
	for _, l := range wrap(text, w) {
		out = append(out, strings.Split(ansi.Hardwrap(l, w, false), "\n")...)
	}
	if limit > 0 && len(out) > limit {
		out = ellipsis(out[:limit], w)
	}
	return out
}

// verdict says whether the certificate verified, and why not
// (client.ExplainVerify).
func (s sidePanel) verdict(t wire.TLSInfo) string {
	if t.Verified {
		return s.st.OK.Render(s.w.T("✓ certificate verified")) + s.st.Label.Render(s.w.F(" for %s", session.SanitizeString(t.ServerName)))
	}
	why := client.ExplainVerify(t.VerifyError)
	if why == "" {
		why = s.w.T("not verified")
	}
	return s.st.Error.Render(s.w.T("✗ NOT verified: ")) + s.st.Value.Render(why)
}

// expiry is the leaf's end date and how far away it is.
func (s sidePanel) expiry(t, now time.Time) string {
	date := t.UTC().Format(time.DateOnly)
	left := t.Sub(now)
	switch {
	case now.IsZero():
		return s.st.Value.Render(date)
	case left < 0:
		return s.st.Error.Render(s.w.F("%s (expired)", date))
	case left < 48*time.Hour:
		return s.st.Warning.Render(s.w.F("%s (in %d hours)", date, int(left.Hours())))
	case left < 14*24*time.Hour:
		return s.st.Warning.Render(s.w.F("%s (in %d days)", date, int(left.Hours()/24)))
	}
	return s.st.Value.Render(s.w.F("%s (in %d days)", date, int(left.Hours()/24)))
}

// flow packs tokens into lines of at most w cells, two spaces apart.
func flow(tokens []string, w int) []string {
	var lines []string
	cur := ""
	for _, t := range tokens {
		switch {
		case cur == "":
			cur = t
		case lipgloss.Width(cur)+2+lipgloss.Width(t) <= w:
			cur += "  " + t
		default:
			lines = append(lines, fitLine(cur, w))
			cur = t
		}
	}
	if cur != "" {
		lines = append(lines, fitLine(cur, w))
	}
	return lines
}

// wrapStyled wraps styled text in lines of exactly w cells, at spaces,
// splitting a word longer than a line: read whole, never cut.
func wrapStyled(text string, w int) []string {
	lines := splitLines(ansi.Wrap(text, w, ""))
	for i, l := range lines {
		lines[i] = fitLine(l, w)
	}
	return lines
}

// wrap breaks plain text into lines of at most w cells at spaces.
func wrap(text string, w int) []string {
	if w <= 0 {
		return nil
	}
	var lines []string
	cur := ""
	for _, word := range strings.Fields(text) {
		for i, piece := range breakable(word) {
			sep := " "
			if i > 0 { // within a word: CJK text breaks between characters, with no space
				sep = ""
			}
			switch {
			case cur == "":
				cur = piece
			case lipgloss.Width(cur)+len(sep)+lipgloss.Width(piece) <= w:
				cur += sep + piece
			default:
				lines = append(lines, cur)
				cur = piece
			}
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// breakable cuts a word where a line may break inside it: before and
// after each CJK character (two cells wide), which Chinese and Japanese
// write without spaces; closing punctuation stays with what it closes,
// an opening bracket with what it opens.
func breakable(word string) []string {
	var out []string
	cur := ""
	prevWide, prevOpen := false, false
	for _, r := range word {
		w := cjk(r)
		switch {
		case strings.ContainsRune("，。、：；！？）」』》", r) && (cur != "" || len(out) > 0):
			cur += string(r)
			continue
		case cur != "" && (w || prevWide) && !prevOpen: // never a break after an opening bracket
			out = append(out, cur)
			cur = ""
		}
		cur += string(r)
		prevWide, prevOpen = w, strings.ContainsRune("（「『《", r)
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// cjk reports a character of the CJK blocks or full-width forms.
func cjk(r rune) bool {
	return r >= 0x2e80 && r <= 0x9fff || r >= 0xf900 && r <= 0xfaff || r >= 0xff00 && r <= 0xffef || r >= 0x3000 && r <= 0x303f
}

// chunk splits s into pieces of n bytes (s is ASCII hex).
func chunk(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// indent puts one space before each line (the panel's inner padding).
func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = " " + l
	}
	return out
}

// blockOf fits lines into exactly w x h cells.
func blockOf(lines []string, w, h int) []string {
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = fitLine(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", w)
		}
	}
	return out
}

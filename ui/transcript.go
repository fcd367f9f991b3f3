package ui

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/ehlo-sh/ehlo/third_party/bubbles/key"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/wire"
)

// Transcript is the transcript pane: one row per wire.Entry, newest at the
// bottom. It keeps the raw entries and styles only the rows on screen, in
// View, so appending costs O(1), drawing costs O(height) whatever the
// length of the session, and a theme change restyles everything
// (shared/TUI-NOTES.md §3.4). Long lines are cut at the pane's edge with
// "…"; the hex view shows the bytes of the selected entry.
//
// Every byte that came from the wire reaches the screen through
// session.Escape, and nothing else: the only escape sequences in View are
// the SGR sequences of our own styles (shared/SAFETY.md).
type Transcript struct {
	KeyMap TranscriptKeyMap

	chunks     [][]trRow // trChunk rows each: appending never copies old rows
	n          int
	connStart  int       // the row of the latest "connected to" note: where the current connection begins
	lastClient time.Time // time of the latest client entry, for latencies
	sawClient  bool

	pens *trPenSet // shared by copies, replaced (never changed) by SetStyles

	width, height int
	offset        int // first row on screen (a view index)
	cursor        int // selected row (a view index); -1 while empty
	follow        bool
	focused       bool
	raw, hex      bool
	reveal        bool
	// unaskedFrom: server lines from this transcript Seq on, up to the
	// next client line, came while no command was pending; -1 for none
	unaskedFrom int
	wrap        bool // long lines wrap instead of ending in "…"

	// A filter shows some rows only: vis holds their entry indexes, in
	// order, and offset and cursor index vis. Without one, view indexes
	// are entry indexes.
	filter   Filter
	filtered bool
	vis      []int
	query    string // the search: highlighted in every row, stepped through with n/N
}

// trRow is one stored entry and what View needs beyond it.
type trRow struct {
	e       wire.Entry
	latency time.Duration // since the latest client entry, on a reply's last line; -1 for none
	unasked bool          // a server line that came while no command was pending
}

const trChunk = 1024

// TranscriptKeyMap is the transcript's keys, as data for the help view.
type TranscriptKeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Explain                                 key.Binding // handled by the root: the explain panel
	Search                                  key.Binding // handled by the root: the search prompt
	Next, Prev                              key.Binding // the next and previous match of the search
	Wrap                                    key.Binding // long lines wrap, or end in "…"
}

// DefaultTranscriptKeyMap returns the default keys: arrows and vi keys,
// page keys, home/g and end/G. There are no ctrl chords (TUI-NOTES §4.1).
func DefaultTranscriptKeyMap() TranscriptKeyMap {
	return TranscriptKeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first line")),
		Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last line, follow")),
		Explain:  key.NewBinding(key.WithKeys("e", "enter"), key.WithHelp("e/enter", "explain the reply")),
		Search:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search (:find)")),
		Next:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next match")),
		Prev:     key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "previous match")),
		Wrap:     key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wrap long lines (:wrap)")),
	}
}

// ShortHelp implements help.KeyMap.
func (k TranscriptKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Bottom}
}

// FullHelp implements help.KeyMap.
func (k TranscriptKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, {k.Top, k.Bottom, k.Explain, k.Wrap}, {k.Search, k.Next, k.Prev}}
}

// NewTranscript returns an empty transcript pane that follows the tail.
func NewTranscript(st themes.Styles) Transcript {
	v := Transcript{KeyMap: DefaultTranscriptKeyMap(), cursor: -1, follow: true, unaskedFrom: -1}
	v.SetStyles(st)
	return v
}

// Append adds entries at the bottom. While following, the view and the
// selection move to the new last row; otherwise nothing on screen moves.
func (v *Transcript) Append(entries ...wire.Entry) {
	for _, e := range entries {
		if e.Dir == wire.Note && bytes.HasPrefix(e.Data, []byte("connected to ")) {
			v.connStart, v.sawClient = v.n, false // a new connection: its greeting answers no command
			v.unaskedFrom = -1
		}
		r := trRow{e: e, latency: v.latency(e)}
		switch {
		case e.Dir == wire.Client && v.unaskedFrom >= 0 && e.Seq >= v.unaskedFrom:
			v.unaskedFrom = -1 // a command: what comes next answers it
		case e.Dir == wire.Server && v.unaskedFrom >= 0 && e.Seq >= v.unaskedFrom:
			r.unasked, r.latency = true, -1
		}
		if v.filtered && v.filter.Match(e) {
			v.vis = append(v.vis, v.n)
		}
		v.push(r)
		if e.Dir == wire.Client {
			v.lastClient, v.sawClient = e.Time, true
		}
	}
	switch {
	case v.count() == 0:
	case v.follow:
		v.cursor, v.offset = v.count()-1, v.maxOffset()
	case v.cursor < 0:
		v.cursor = 0
	}
}

func (v *Transcript) push(r trRow) {
	if v.n%trChunk == 0 {
		v.chunks = append(v.chunks, make([]trRow, 0, trChunk))
	}
	last := &v.chunks[len(v.chunks)-1]
	*last = append(*last, r)
	v.n++
}

func (v *Transcript) row(i int) *trRow { return &v.chunks[i/trChunk][i%trChunk] }

// MarkUnasked says that the server spoke while no command was pending,
// from the transcript entry seq on: server lines from there to the next
// client line or connection are marked "unasked", with no latency,
// whether the pane has them yet or not.
func (v *Transcript) MarkUnasked(seq int) {
	v.unaskedFrom = seq
	for i := v.n - 1; i >= 0 && v.row(i).e.Seq >= seq; i-- {
		if r := v.row(i); r.e.Dir == wire.Server {
			r.unasked, r.latency = true, -1
		}
	}
}

// count is the number of rows in view: all, or those the filter keeps.
func (v *Transcript) count() int {
	if v.filtered {
		return len(v.vis)
	}
	return v.n
}

// at is the entry index of view row k.
func (v *Transcript) at(k int) int {
	if v.filtered {
		return v.vis[k]
	}
	return k
}

// viewIndex is the view row of entry i, or of the first entry after it
// that the filter keeps (count() when none).
func (v *Transcript) viewIndex(i int) int {
	if !v.filtered {
		return i
	}
	k, _ := slices.BinarySearch(v.vis, i)
	return k
}

// latency is the time from the latest client entry to e, when e is the
// last line of a reply (RFC 5321 section 4.2: a code followed by SP or
// nothing); -1 otherwise.
func (v *Transcript) latency(e wire.Entry) time.Duration {
	if e.Dir != wire.Server || !v.sawClient || !trFinalLine(e.Data) {
		return -1
	}
	return max(e.Time.Sub(v.lastClient), 0)
}

func trFinalLine(b []byte) bool {
	if len(b) < 3 || !trDigit(b[0]) || !trDigit(b[1]) || !trDigit(b[2]) {
		return false
	}
	return len(b) == 3 || b[3] == ' ' || b[3] == '\r' || b[3] == '\n'
}

func trDigit(c byte) bool { return '0' <= c && c <= '9' }

// SetSize sets the pane's size in cells.
func (v *Transcript) SetSize(w, h int) {
	v.width, v.height = max(w, 0), max(h, 0)
	v.clamp()
}

// SetStyles changes the theme; the next View uses it for every row.
func (v *Transcript) SetStyles(st themes.Styles) {
	v.pens = trNewPenSet(st)
}

// SetFocused says whether the pane has the keyboard; only then does it take
// keys and show the selection.
func (v *Transcript) SetFocused(f bool) { v.focused = f }

// SetReveal shows secret lines' real bytes instead of their redacted form.
// The reveal is for this session's screen only.
func (v *Transcript) SetReveal(r bool) { v.reveal = r }

// ToggleRaw switches the display of line endings (CRLF, bare LF, none) and
// reports the new state.
func (v *Transcript) ToggleRaw() bool {
	v.raw = !v.raw
	return v.raw
}

// ToggleHex switches the hex dump of the selected entry, drawn in the lower
// third of the pane, and reports the new state.
func (v *Transcript) ToggleHex() bool {
	v.hex = !v.hex
	v.clamp()
	if v.cursor >= 0 {
		v.show(v.cursor)
	}
	return v.hex
}

// Selected returns the selected entry.
func (v Transcript) Selected() (wire.Entry, bool) {
	if v.cursor < 0 || v.cursor >= v.count() {
		return wire.Entry{}, false
	}
	return v.row(v.at(v.cursor)).e, true
}

// Cursor is the entry index of the selected row, -1 while none is.
func (v Transcript) Cursor() int {
	if v.cursor < 0 || v.cursor >= v.count() {
		return -1
	}
	return v.at(v.cursor)
}

// Entry returns the entry of row i.
func (v Transcript) Entry(i int) wire.Entry { return v.row(i).e }

// Select selects the row of entry i (with a filter, the first shown from
// it on) and scrolls it into view.
func (v *Transcript) Select(i int) { v.moveTo(v.viewIndex(i)) }

// ConnStart is the row where the current connection begins: its
// "connected to" note, or 0.
func (v Transcript) ConnStart() int { return v.connStart }

// Entries returns the entries of rows from to the end.
func (v Transcript) Entries(from int) []wire.Entry {
	out := make([]wire.Entry, 0, max(v.n-from, 0))
	for i := max(from, 0); i < v.n; i++ {
		out = append(out, v.row(i).e)
	}
	return out
}

// Len returns the number of entries.
func (v Transcript) Len() int { return v.n }

// Following reports whether new entries scroll into view.
func (v Transcript) Following() bool { return v.follow }

// Update moves the selection with the keymap when the pane is focused, and
// scrolls three rows per mouse wheel step whatever the focus (the root
// decides which pane the wheel is over).
func (v Transcript) Update(msg tea.Msg) (Transcript, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			v.scroll(-3)
		case tea.MouseWheelDown:
			v.scroll(3)
		}
	case tea.KeyPressMsg:
		if v.focused {
			v.key(msg)
		}
	}
	return v, nil
}

func (v *Transcript) key(msg tea.KeyPressMsg) {
	page := max(v.listHeight(), 1)
	switch {
	case key.Matches(msg, v.KeyMap.Up):
		v.moveTo(v.cursor - 1)
	case key.Matches(msg, v.KeyMap.Down):
		v.moveTo(v.cursor + 1)
	case key.Matches(msg, v.KeyMap.PageUp):
		v.page(-page)
	case key.Matches(msg, v.KeyMap.PageDown):
		v.page(page)
	case key.Matches(msg, v.KeyMap.Top):
		v.moveTo(0)
	case key.Matches(msg, v.KeyMap.Bottom):
		v.moveTo(v.count() - 1)
	case key.Matches(msg, v.KeyMap.Wrap):
		v.ToggleWrap()
	}
}

// moveTo selects row i and scrolls it into view. Selecting the last row
// follows the tail again.
func (v *Transcript) moveTo(i int) {
	if v.count() == 0 {
		return
	}
	v.cursor = min(max(i, 0), v.count()-1)
	v.follow = v.cursor == v.count()-1
	v.show(v.cursor)
}

// page scrolls the view by d rows and moves the selection with it, so
// every press moves a page, wherever the selection was on screen.
func (v *Transcript) page(d int) {
	if v.count() == 0 {
		return
	}
	v.offset = min(max(v.offset+d, 0), v.maxOffset())
	v.moveTo(v.cursor + d)
}

// show scrolls the least that puts row i on screen: wrapped, row i ends
// the screen at most, however many lines the rows above it take.
func (v *Transcript) show(i int) {
	h := v.listHeight()
	switch {
	case i < v.offset:
		v.offset = i
	case v.wrap && h > 0 && v.linesBetween(v.offset, i)+v.rowLines(i) > h:
		start, used := i, v.rowLines(i) // row i at the bottom: walk up while the rows fit
		for start > v.offset && used+v.rowLines(start-1) <= h {
			start--
			used += v.rowLines(start)
		}
		v.offset = start
	case h > 0 && i >= v.offset+h:
		v.offset = i - h + 1
	}
	v.clamp()
}

// linesBetween is the lines rows from to to-1 take, wrapped; it stops
// counting past the pane's height.
func (v *Transcript) linesBetween(from, to int) int {
	n := 0
	for k := from; k < to && n <= v.height; k++ {
		n += v.rowLines(k)
	}
	return n
}

// scroll moves the view by d rows, leaving the selection where it is.
// Reaching the bottom follows the tail again.
func (v *Transcript) scroll(d int) {
	before := v.offset
	v.offset = min(max(v.offset+d, 0), v.maxOffset())
	if v.offset != before {
		v.follow = v.offset == v.maxOffset()
	}
}

func (v *Transcript) clamp() {
	if v.follow {
		v.offset = v.maxOffset()
		return
	}
	v.offset = min(max(v.offset, 0), v.maxOffset())
}

// maxOffset is the first row of the last screenful; wrapped, the top row
// whose lines and those of the rows below fill the pane (its first lines
// may be off screen: bottomSkip).
func (v *Transcript) maxOffset() int {
	if !v.wrap {
		return max(v.count()-v.listHeight(), 0)
	}
	k, used := v.count(), 0
	for k > 0 && used < v.listHeight() {
		k--
		used += v.rowLines(k)
	}
	return k
}

// bottomSkip is how many lines of the row at maxOffset are above the
// screen when it shows the last screenful, wrapped.
func (v *Transcript) bottomSkip() int {
	if !v.wrap {
		return 0
	}
	return max(v.linesBetween(v.maxOffset(), v.count())-v.listHeight(), 0)
}

// listHeight is the number of rows above the hex dump.
func (v *Transcript) listHeight() int { return v.height - v.hexHeight() }

// hexHeight is the height of the hex dump: a third of the pane, when that
// leaves room for a title and a line of bytes.
func (v *Transcript) hexHeight() int {
	if !v.hex || v.height/3 < 2 {
		return 0
	}
	return v.height / 3
}

// View draws exactly height lines of exactly width cells.
func (v Transcript) View() string {
	if v.width <= 0 || v.height <= 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(v.width * v.height * 2)
	spans := make([]trSpan, 0, 32)
	if v.wrap {
		v.writeWrapped(&b)
	} else {
		for i := range v.listHeight() {
			if i > 0 {
				b.WriteByte('\n')
			}
			spans = v.writeRow(&b, v.offset+i, spans[:0])
		}
	}
	if h := v.hexHeight(); h > 0 {
		b.WriteByte('\n')
		v.writeHex(&b, h, spans[:0])
	}
	return b.String()
}

// writeRow draws view row i, or a blank line past the end.
func (v *Transcript) writeRow(b *strings.Builder, i int, spans []trSpan) []trSpan {
	if i >= v.count() {
		trPen{}.repeat(b, " ", v.width)
		return spans
	}
	spans, right, fill, with := v.rowSpans(i, spans)
	trCompose(b, spans, right, v.width, fill, with)
	return spans
}

// rowSpans is view row i as spans, what goes at its right edge (the
// latency of a reply), and how the rest of the row is filled.
func (v *Transcript) rowSpans(i int, spans []trSpan) (left []trSpan, right trSpan, fill trPen, with string) {
	r := v.row(v.at(i))
	p := &v.pens.normal
	if v.focused && i == v.cursor {
		p = &v.pens.selected
	}
	if v.width >= 100 {
		spans = append(spans, trSpan{text: r.e.Time.Format("15:04:05.000") + " ", pen: p.timestamp})
	}
	if r.e.TLS {
		spans = append(spans, trSpan{text: "▌", pen: p.tlsMark}, trSpan{text: " ", pen: p.plain})
	} else {
		spans = append(spans, trSpan{text: "  ", pen: p.plain})
	}
	if trIsRule(r.e) {
		spans = append(spans, trSpan{text: "── ", pen: p.tlsRule})
		spans = v.clip(spans, r.e.Data, p.tlsRule, p)
		spans = append(spans, trSpan{text: " ", pen: p.tlsRule})
		return spans, trSpan{}, p.tlsRule, "─"
	}
	spans = v.entrySpans(spans, r.e, p)
	switch {
	case r.unasked && trFinalLine(r.e.Data):
		right = trSpan{text: "unasked", pen: p.warning}
	case r.latency >= 0:
		right = trSpan{text: trLatency(r.latency), pen: p.latency}
	}
	return spans, right, p.plain, " "
}

// gutter is the width of what comes before a row's text: the time stamp
// on a wide pane, the TLS marker, the direction marker.
func (v *Transcript) gutter() int {
	g := len("  ") + len("C: ")
	if v.width >= 100 {
		g += len("15:04:05.000 ")
	}
	return g
}

// rowLines is how many lines view row k takes, wrapped.
func (v *Transcript) rowLines(k int) int {
	if !v.wrap || k >= v.count() {
		return 1
	}
	spans, right, _, _ := v.rowSpans(k, nil)
	return len(trWrap(spans, v.width-trRightWidth(right, v.width), v.gutter()))
}

// writeWrapped draws the rows from offset wrapped, each line of a row
// after the first indented under its text, the latency at the right of
// its last line; following the tail, the bottom row ends the pane.
func (v *Transcript) writeWrapped(b *strings.Builder) {
	h := v.listHeight()
	skip := 0
	if v.offset >= v.maxOffset() {
		skip = v.bottomSkip()
	}
	lines := 0
	for k := v.offset; lines < h; k++ {
		if k >= v.count() {
			if lines > 0 {
				b.WriteByte('\n')
			}
			trPen{}.repeat(b, " ", v.width)
			lines++
			continue
		}
		spans, right, fill, with := v.rowSpans(k, nil)
		rw := trRightWidth(right, v.width)
		rows := trWrap(spans, v.width-rw, v.gutter())
		for j, row := range rows {
			if j < skip || lines >= h {
				continue
			}
			if lines > 0 {
				b.WriteByte('\n')
			}
			r := trSpan{}
			if j == len(rows)-1 {
				r = right
			}
			trCompose(b, row, r, v.width, fill, with)
			lines++
		}
		skip = 0
	}
}

// trRightWidth is the cells right takes at a row's right edge, its space
// before it included; 0 when the pane is too narrow for it (trCompose).
func trRightWidth(right trSpan, w int) int {
	if right.text == "" {
		return 0
	}
	if rw := trWidth(right.text) + 1; rw <= w/3 {
		return rw
	}
	return 0
}

// trWrap cuts spans into lines of at most w cells, the lines after the
// first starting with indent blanks: after a word where a line has a
// space, else at the edge; every byte shown stays, spaces included.
func trWrap(spans []trSpan, w, indent int) [][]trSpan {
	if w <= indent+1 {
		return [][]trSpan{spans}
	}
	var out [][]trSpan
	var line []trSpan
	used := 0
	for _, s := range spans {
		text := s.text
		for text != "" {
			room := w - used
			if room <= 0 {
				out = append(out, line)
				line, used = []trSpan{{text: strings.Repeat(" ", indent)}}, indent
				room = w - used
			}
			part, ends := ansi.Truncate(text, room, ""), false
			if len(part) < len(text) && text[len(part)] != ' ' { // break after a word, when the line has one
				if i := strings.LastIndexByte(part, ' '); i > 0 {
					part, ends = part[:i+1], true
				}
			}
			if part == "" { // a wide rune at the end of a line
				out = append(out, line)
				line, used = []trSpan{{text: strings.Repeat(" ", indent)}}, indent
				continue
			}
			line = append(line, trSpan{text: part, pen: s.pen})
			used += trWidth(part)
			text = text[len(part):]
			if ends { // the rest of the word goes on the next line
				used = w
			}
		}
	}
	return append(out, line)
}

// NoteCut reports whether entry i is a note wider than the row that shows
// it, its time stamp, gutter and marker included (see writeRow).
func (v *Transcript) NoteCut(i int) bool {
	if i < 0 || i >= v.n {
		return false
	}
	e := v.Entry(i)
	if e.Dir != wire.Note && e.Dir != wire.DNS {
		return false
	}
	prefix := len("  ") + len("*  ") // the gutter, and the marker ("── " for a rule is as wide)
	if v.width >= 100 {
		prefix += len("15:04:05.000 ")
	}
	return prefix+ansi.StringWidth(session.Sanitize(v.noteText(e))) > v.width
}

// noteText is what a note shows: its text, or with a secret it holds
// redacted (wire.Transcript.Hide) unless revealed.
func (v *Transcript) noteText(e wire.Entry) []byte {
	if e.Secret && !v.reveal {
		return []byte(e.Shown)
	}
	return e.Data
}

// clipRedacted clips text whose Redacted marks (wire.Redacted) take the
// secret pen, the rest pen.
func (v *Transcript) clipRedacted(spans []trSpan, text string, pen trPen, p *trPens) []trSpan {
	for text != "" {
		before, after, found := strings.Cut(text, wire.Redacted)
		if before != "" {
			spans = v.clip(spans, []byte(before), pen, p)
		}
		if !found {
			break
		}
		spans = v.clip(spans, []byte(wire.Redacted), p.secret, p)
		text = after
	}
	return spans
}

// trIsRule reports whether e is the note that TLS has begun: the handshake
// summary, recorded inside TLS. A failed handshake's note is not a rule.
func trIsRule(e wire.Entry) bool {
	return e.Dir == wire.Note && e.TLS && bytes.HasPrefix(e.Data, []byte("TLS"))
}

// entrySpans appends the direction marker, the content and, in raw mode,
// the line ending of e.
func (v *Transcript) entrySpans(spans []trSpan, e wire.Entry, p *trPens) []trSpan {
	switch e.Dir {
	case wire.Note:
		spans = append(spans, trSpan{text: "*  ", pen: p.note})
		return v.highlight(v.clip(spans, v.noteText(e), p.note, p), len(spans), p)
	case wire.DNS: // a DNS exchange, summarized by ehlo: drawn as a note, its data escaped like the server's
		spans = append(spans, trSpan{text: "D: ", pen: p.note})
		return v.highlight(v.clip(spans, v.noteText(e), p.note, p), len(spans), p)
	}
	text, marker := p.server, "S: "
	if e.Dir == wire.Client {
		text, marker = p.client, "C: "
	}
	spans = append(spans, trSpan{text: marker, pen: text})
	from := len(spans)
	content, partial := client.SplitEnding(e.Data)
	bareLF := !partial && bytes.HasSuffix(content, []byte("\n"))
	shown := e.Shown
	if v.raw && bareLF {
		content = content[:len(content)-1]
		shown = strings.TrimSuffix(shown, "\n")
	}
	switch {
	case e.Secret && !v.reveal && e.Dir == wire.Server && trHasCode([]byte(shown)):
		// a reply that echoed a credential: coloured as a reply, the
		// credential in the secret style
		spans = trEscape(spans, []byte(shown[:3]), p.code[shown[0]-'2'], p.escape)
		spans = v.clipRedacted(spans, shown[3:], text, p)
	case e.Secret && !v.reveal:
		spans = v.clip(spans, []byte(shown), p.secret, p)
	case e.Secret:
		spans = v.clip(spans, content, p.secret, p)
	case e.Dir == wire.Server && trHasCode(content):
		spans = trEscape(spans, content[:3], p.code[content[0]-'2'], p.escape)
		spans = v.clip(spans, content[3:], text, p)
		if challenge, ok := trChallenge(content); ok {
			spans = append(spans, trSpan{text: "  = " + challenge, pen: p.dim})
		}
	default:
		spans = v.clip(spans, content, text, p)
	}
	spans = v.highlight(spans, from, p)
	if !v.raw {
		return spans
	}
	switch {
	case partial:
		return append(spans, trSpan{text: " (no line ending)", pen: p.warning})
	case bareLF:
		return append(spans, trSpan{text: `\n`, pen: p.warning})
	}
	return append(spans, trSpan{text: "␍␊", pen: p.dim})
}

// highlight marks the search's matches in spans[from:], a row's text
// after its markers.
func (v *Transcript) highlight(spans []trSpan, from int, p *trPens) []trSpan {
	if v.query == "" {
		return spans
	}
	marked := trHighlight(spans[from:], v.query, p.match)
	return append(spans[:from:from], marked...)
}

// trChallenge decodes the base64 text of a 334 line (RFC 4954 4) with
// session.DecodeChallenge, the decoder session.Explain uses, so the
// transcript and the explain panel agree: "334 VXNlcm5hbWU6" shows
// "Username:" beside it. The decoded text comes out sanitized.
func trChallenge(content []byte) (string, bool) {
	if len(content) < 5 || string(content[:4]) != "334 " {
		return "", false
	}
	text, ok := session.DecodeChallenge(string(content[4:]))
	return text, ok && text != ""
}

// trHasCode reports whether a server line starts with a 2xx to 5xx code.
func trHasCode(b []byte) bool {
	return len(b) >= 3 && '2' <= b[0] && b[0] <= '5' && trDigit(b[1]) && trDigit(b[2])
}

// clip escapes at most what the row can show: 8 bytes per cell is room for
// any grapheme the sanitizer lets through bar pathological stacks of
// combining marks, so a 4 KiB line costs no more than a short one. A cut
// line ends in "…".
func (v *Transcript) clip(spans []trSpan, b []byte, pen trPen, p *trPens) []trSpan {
	limit := 8*v.width + 16
	if v.wrap { // a wrapped line may fill the pane
		limit *= max(v.height, 1)
	}
	if len(b) <= limit {
		return trEscape(spans, b, pen, p.escape)
	}
	for k := 0; k < utf8.UTFMax-1 && !utf8.RuneStart(b[limit]); k++ {
		limit--
	}
	spans = trEscape(spans, b[:limit], pen, p.escape)
	return append(spans, trSpan{text: "…", pen: pen})
}

// trEscape appends b as sanitized spans: plain runs in pen, escape tokens
// such as \x1b in esc. This is the only way wire bytes reach the screen.
func trEscape(spans []trSpan, b []byte, pen, esc trPen) []trSpan {
	session.Escape(b, func(text string, escaped bool) {
		if escaped {
			spans = append(spans, trSpan{text: text, pen: esc})
		} else {
			spans = append(spans, trSpan{text: text, pen: pen})
		}
	})
	return spans
}

// trLatency formats a reply's latency for the right edge: 412µs, 12ms, 1.3s.
func trLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// writeHex draws the hex dump of the selected entry in h lines: a title,
// then offset, hex and ASCII columns. A secret stays hidden unless revealed.
func (v *Transcript) writeHex(b *strings.Builder, h int, spans []trSpan) {
	p := &v.pens.normal
	e, ok := v.Selected()
	hidden := ok && e.Secret && !v.reveal
	title := "nothing selected"
	switch {
	case hidden:
		title = fmt.Sprintf("#%d %s: secret, %d bytes hidden (reveal to show)", e.Seq, e.Dir, len(e.Data))
	case ok:
		title = fmt.Sprintf("#%d %s: %d bytes", e.Seq, e.Dir, len(e.Data))
	}
	spans = append(spans, trSpan{text: "── hex " + title + " ", pen: p.dim})
	trCompose(b, spans, trSpan{}, v.width, p.dim, "─")
	data := e.Data
	if hidden {
		data = nil
	}
	per := trHexWidth(v.width)
	lines := (len(data) + per - 1) / per
	for i := range h - 1 {
		b.WriteByte('\n')
		spans = spans[:0]
		switch {
		case i == h-2 && lines > h-1:
			more := len(data) - i*per
			spans = append(spans, trSpan{text: fmt.Sprintf("… %d more bytes", more), pen: p.dim})
		case i < lines:
			chunk := data[i*per : min((i+1)*per, len(data))]
			spans = trHexLine(spans, i*per, chunk, per, p)
		}
		trCompose(b, spans, trSpan{}, v.width, trPen{}, " ")
	}
}

// trHexWidth is the number of bytes per hex line that fits w cells.
func trHexWidth(w int) int {
	per := 16
	for per > 4 && 6+per*4+2 > w {
		per /= 2
	}
	return per
}

// trHexLine formats one line of the dump. Its text is our own: hex digits,
// and for the ASCII column the printable ASCII bytes themselves and "." for
// every other byte, so no wire byte can act on the terminal here either.
func trHexLine(spans []trSpan, off int, chunk []byte, per int, p *trPens) []trSpan {
	const digits = "0123456789abcdef"
	hex := make([]byte, 0, per*3+2)
	ascii := make([]byte, 0, per)
	for j := range per {
		if j == 8 {
			hex = append(hex, ' ')
		}
		if j >= len(chunk) {
			hex = append(hex, "   "...)
			continue
		}
		c := chunk[j]
		hex = append(hex, digits[c>>4], digits[c&0xf], ' ')
		if ' ' <= c && c < 0x7f {
			ascii = append(ascii, c)
		} else {
			ascii = append(ascii, '.')
		}
	}
	return append(spans,
		trSpan{text: fmt.Sprintf("%04x  ", off), pen: p.timestamp},
		trSpan{text: string(hex) + " ", pen: p.plain},
		trSpan{text: string(ascii), pen: p.dim})
}

// Text returns the whole transcript as sanitized C:/S: lines, the format of
// client.WriteTranscript, for copying. Secrets stay redacted unless reveal.
func (v Transcript) Text(reveal bool) string {
	var b strings.Builder
	for i := range v.n {
		e := v.row(i).e
		b.WriteString(client.Marker(e))
		b.WriteByte(' ')
		b.WriteString(client.EntryText(e, reveal))
		if e.Partial && e.Dir != wire.Note {
			b.WriteString("  (no line ending)")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// trSpan is a piece of a row: text (sanitized or our own) and its pen.
type trSpan struct {
	text string
	pen  trPen
	w    int // width in cells, set by trFit
}

// trCompose writes left, then fill, then right, in exactly w cells; left
// is cut with "…" when it does not fit. right is dropped on narrow panes.
func trCompose(b *strings.Builder, left []trSpan, right trSpan, w int, fill trPen, with string) {
	rw := trRightWidth(right, w)
	used := trFit(b, left, w-rw)
	fill.repeat(b, with, w-rw-used)
	if rw > 0 {
		fill.repeat(b, " ", 1)
		right.pen.write(b, right.text)
	}
}

// trFit writes spans within budget cells, cutting the last one that does not
// fit and ending with "…", and returns the cells used.
func trFit(b *strings.Builder, spans []trSpan, budget int) int {
	total := 0
	for i := range spans {
		spans[i].w = trWidth(spans[i].text)
		total += spans[i].w
	}
	if total <= budget {
		for _, s := range spans {
			s.pen.write(b, s.text)
		}
		return total
	}
	if budget <= 0 {
		return 0
	}
	used, room := 0, budget-1
	for _, s := range spans {
		if used+s.w <= room {
			s.pen.write(b, s.text)
			used += s.w
			continue
		}
		cut := trNumberCut(ansi.Truncate(s.text, room-used, ""), s.text)
		s.pen.write(b, cut+"…")
		return used + ansi.StringWidth(cut) + 1
	}
	return used
}

// trNumberCut drops a word that starts with a digit and that cut, a prefix
// of text, ends inside: "1.827m" of "1.827ms" reads as minutes, "495" of
// "4954" as another number.
func trNumberCut(cut, text string) string {
	if len(cut) == len(text) || text[len(cut)] == ' ' {
		return cut
	}
	i := strings.LastIndexByte(cut, ' ') + 1
	if i < len(cut) && trDigit(cut[i]) {
		return cut[:i]
	}
	return cut
}

// trWidth is ansi.StringWidth with a fast path for printable ASCII, which
// is most of what the sanitizer lets through.
func trWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// trPen is a style reduced to the SGR sequences around its text, computed
// once per theme so drawing a row never calls lipgloss.Style.Render.
type trPen struct{ on, off string }

func (p trPen) write(b *strings.Builder, s string) {
	if s == "" {
		return
	}
	b.WriteString(p.on)
	b.WriteString(s)
	b.WriteString(p.off)
}

func (p trPen) repeat(b *strings.Builder, s string, n int) {
	if n <= 0 {
		return
	}
	b.WriteString(p.on)
	for range n {
		b.WriteString(s)
	}
	b.WriteString(p.off)
}

// trNewPen renders a marker in st and keeps what comes before and after it.
// Only the text attributes count: size, padding and borders are dropped. A
// style that does not reduce to a prefix and a suffix draws plain.
func trNewPen(st lipgloss.Style) trPen {
	const mark = "\x00"
	out := st.Inline(true).UnsetWidth().UnsetHeight().UnsetMaxWidth().UnsetMaxHeight().
		UnsetTransform().UnsetPadding().UnsetMargins().Render(mark)
	on, off, ok := strings.Cut(out, mark)
	if !ok || strings.Contains(off, mark) || ansi.Strip(on+off) != "" {
		return trPen{}
	}
	return trPen{on: on, off: off}
}

// trPens holds a pen for each part of a row.
type trPens struct {
	plain, client, server, note, secret, escape trPen
	code                                        [4]trPen // 2xx, 3xx, 4xx, 5xx
	tlsMark, tlsRule, latency, timestamp, dim   trPen
	warning, match                              trPen
}

// trPenSet is the pens for ordinary rows and for the selected row, which is
// drawn in Selected throughout except for escape tokens: they stay distinct.
type trPenSet struct{ normal, selected trPens }

func trNewPenSet(st themes.Styles) *trPenSet {
	normal := trPens{
		client: trNewPen(st.Client), server: trNewPen(st.Server), note: trNewPen(st.Note),
		secret: trNewPen(st.Secret), escape: trNewPen(st.Escape),
		code:    [4]trPen{trNewPen(st.Code2xx), trNewPen(st.Code3xx), trNewPen(st.Code4xx), trNewPen(st.Code5xx)},
		tlsMark: trNewPen(st.TLSMark), tlsRule: trNewPen(st.TLSRule), latency: trNewPen(st.Latency),
		timestamp: trNewPen(st.Timestamp), dim: trNewPen(st.Dim), warning: trNewPen(st.Warning),
		match: trNewPen(st.Match),
	}
	sel := trNewPen(st.Selected)
	selected := trPens{
		plain: sel, client: sel, server: sel, note: sel, secret: sel,
		escape:  trNewPen(st.Escape.Inherit(st.Selected)),
		code:    [4]trPen{sel, sel, sel, sel},
		tlsMark: sel, tlsRule: sel, latency: sel, timestamp: sel, dim: sel, warning: sel,
		match: trNewPen(st.Match.Inherit(st.Selected)),
	}
	return &trPenSet{normal: normal, selected: selected}
}

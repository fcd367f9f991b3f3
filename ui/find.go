package ui

import (
	"strconv"
	"strings"

	"github.com/ehlo-sh/ehlo/third_party/bubbles/key"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// This file is the transcript's search, filter and wrap: what a power user
// needs to read a long session. They work on the text as shown (sanitized,
// secrets in their redacted form unless revealed), never on secret bytes.

// Filter keeps some rows of the transcript: by direction or by the class
// of a reply's code.
type Filter struct {
	Dir   wire.Dir // wire.Client or wire.Server; with Class, only server lines
	Class byte     // '2'..'5': reply lines of that class; 0 for any
}

// ParseFilter reads :filter's argument: client, server, 2xx, 3xx, 4xx,
// 5xx; ok is false for anything else ("off" is handled by the caller).
func ParseFilter(arg string) (Filter, bool) {
	switch a := strings.ToLower(strings.TrimSpace(arg)); {
	case a == "client", a == "c":
		return Filter{Dir: wire.Client}, true
	case a == "server", a == "s":
		return Filter{Dir: wire.Server}, true
	case len(a) == 3 && a[0] >= '2' && a[0] <= '5' && a[1:] == "xx":
		return Filter{Dir: wire.Server, Class: a[0]}, true
	}
	return Filter{}, false
}

// String is the filter as :filter takes it.
func (f Filter) String() string {
	switch {
	case f.Class != 0:
		return string(f.Class) + "xx"
	case f.Dir == wire.Client:
		return "client"
	}
	return "server"
}

// Match reports whether the filter keeps e.
func (f Filter) Match(e wire.Entry) bool {
	if e.Dir != f.Dir {
		return false
	}
	if f.Class == 0 {
		return true
	}
	content, _ := client.SplitEnding(e.Data)
	return trHasCode(content) && content[0] == f.Class
}

// SetFilter shows only the rows f keeps; the selection stays on the same
// entry when kept, else goes to the next one shown.
func (v *Transcript) SetFilter(f Filter) {
	sel := v.Cursor()
	v.filter, v.filtered, v.vis = f, true, []int{}
	for i := range v.n {
		if f.Match(v.row(i).e) {
			v.vis = append(v.vis, i)
		}
	}
	v.reselect(sel)
}

// ClearFilter shows every row again.
func (v *Transcript) ClearFilter() {
	sel := v.Cursor()
	v.filtered, v.vis = false, nil
	v.reselect(sel)
}

// Filtered returns the filter on, if any.
func (v Transcript) Filtered() (Filter, bool) { return v.filter, v.filtered }

// Shown is the number of rows the filter keeps (all without one).
func (v Transcript) Shown() int { return v.count() }

// reselect puts the selection on entry sel (or the next shown), or
// follows the tail when there was none.
func (v *Transcript) reselect(sel int) {
	v.offset = 0
	if sel < 0 || v.follow {
		v.follow, v.cursor = true, v.count()-1
		v.clamp()
		return
	}
	v.moveTo(v.viewIndex(sel))
}

// ToggleWrap switches long lines between wrapping and ending in "…", and
// reports the new state.
func (v *Transcript) ToggleWrap() bool {
	v.wrap = !v.wrap
	v.clamp()
	if v.cursor >= 0 {
		v.show(v.cursor)
	}
	return v.wrap
}

// Wrapped reports whether long lines wrap.
func (v Transcript) Wrapped() bool { return v.wrap }

// SetQuery sets the search, highlighted in every row ("" for none). Only
// its valid UTF-8 counts, so that a match never splits a rune.
func (v *Transcript) SetQuery(q string) { v.query = strings.ToValidUTF8(q, "") }

// Query is the search.
func (v Transcript) Query() string { return v.query }

// shownText is entry e's text as the pane shows it, for the search:
// sanitized, and a secret in its redacted form unless revealed.
func (v *Transcript) shownText(e wire.Entry) string {
	if e.Secret && !v.reveal {
		return e.Shown
	}
	content, _ := client.SplitEnding(e.Data)
	return session.Sanitize(content)
}

// Find moves the selection to the next row (d = 1) or the previous one
// (d = -1) whose text holds the search, from the selection, round the
// end; it reports the match's place among all, and their number.
func (v *Transcript) Find(d int) (nth, total int) {
	if v.query == "" || v.count() == 0 {
		return 0, 0
	}
	q := lowerASCII(v.query)
	var hits []int
	for k := range v.count() {
		if strings.Contains(lowerASCII(v.shownText(v.row(v.at(k)).e)), q) {
			hits = append(hits, k)
		}
	}
	if len(hits) == 0 {
		return 0, 0
	}
	from := v.cursor
	pick := -1
	if d > 0 {
		for i, k := range hits {
			if k > from {
				pick = i
				break
			}
		}
		if pick < 0 {
			pick = 0
		}
	} else {
		for i := len(hits) - 1; i >= 0; i-- {
			if hits[i] < from {
				pick = i
				break
			}
		}
		if pick < 0 {
			pick = len(hits) - 1
		}
	}
	v.moveTo(hits[pick])
	return pick + 1, len(hits)
}

// lowerASCII lower-cases ASCII letters only, so byte offsets stay those
// of s.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// trHighlight splits spans so that each match of query (ASCII case
// ignored) is drawn in pen. The spans are valid UTF-8 (sanitized), so a
// match of a valid query starts and ends on rune boundaries.
func trHighlight(spans []trSpan, query string, pen trPen) []trSpan {
	if query == "" {
		return spans
	}
	var all strings.Builder
	for _, s := range spans {
		all.WriteString(s.text)
	}
	text, q := lowerASCII(all.String()), lowerASCII(query)
	var ranges [][2]int
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], q)
		if j < 0 {
			break
		}
		ranges = append(ranges, [2]int{i + j, i + j + len(q)})
		i += j + len(q)
	}
	if len(ranges) == 0 {
		return spans
	}
	out := make([]trSpan, 0, len(spans)+2*len(ranges))
	pos, ri := 0, 0
	for _, s := range spans {
		start, end := pos, pos+len(s.text)
		for cur := start; cur < end; {
			for ri < len(ranges) && ranges[ri][1] <= cur {
				ri++
			}
			if ri == len(ranges) || ranges[ri][0] >= end {
				out = append(out, trSpan{text: s.text[cur-start:], pen: s.pen})
				break
			}
			a, b := max(ranges[ri][0], cur), min(ranges[ri][1], end)
			if a > cur {
				out = append(out, trSpan{text: s.text[cur-start : a-start], pen: s.pen})
			}
			out = append(out, trSpan{text: s.text[a-start : b-start], pen: pen})
			cur = b
		}
		pos = end
	}
	return out
}

// searchKey handles the transcript pane's search keys: / asks for the
// text, n and N step through the matches (with a search on: else they
// type, as letters do), w wraps.
func (m Model) searchKey(msg tea.KeyPressMsg) (Model, bool) {
	k := m.transcript.KeyMap
	switch {
	case key.Matches(msg, k.Search):
		m.input = m.input.setMode(modeSearch)
		m.input = m.input.setValue(m.transcript.Query())
		m.flash = infoFlash(m.w.T("search the transcript as shown (ASCII case ignored); enter finds, esc cancels"))
		return m, true
	case key.Matches(msg, k.Next) && m.transcript.Query() != "":
		return m.findNext(1), true
	case key.Matches(msg, k.Prev) && m.transcript.Query() != "":
		return m.findNext(-1), true
	case key.Matches(msg, k.Wrap):
		m, _ = m.cmdWrap("")
		return m, true
	}
	return m, false
}

// find sets the search and goes to its first match after the selection.
func (m Model) find(text string) Model {
	m.transcript.SetQuery(text)
	if text == "" {
		m.flash = infoFlash(m.w.T("search cleared"))
		return m
	}
	return m.findNext(1)
}

// findNext goes to the next (d = 1) or previous (d = -1) match.
func (m Model) findNext(d int) Model {
	nth, total := m.transcript.Find(d)
	if total == 0 {
		m.flash = warnFlash(m.w.F("no line holds %s", strconv.Quote(m.transcript.Query())))
		return m
	}
	m.focus = focusTranscript // the selection shows the match
	m.flash = infoFlash(m.w.F("match %d of %d for %q: n next, N previous, :find alone clears", nth, total, m.transcript.Query()))
	return m
}

func (m Model) cmdFind(arg string) (Model, tea.Cmd) {
	return m.find(arg), nil
}

func (m Model) cmdFilter(arg string) (Model, tea.Cmd) {
	switch a := strings.ToLower(strings.TrimSpace(arg)); {
	case a == "off" || a == "none":
		m.transcript.ClearFilter()
		m.flash = infoFlash(m.w.T("filter off: every line shown"))
		return m, nil
	case a == "":
		if f, on := m.transcript.Filtered(); on {
			m.flash = infoFlash(m.w.F("filter %s: %d of %d lines (:filter off shows all)", f, m.transcript.Shown(), m.transcript.Len()))
		} else {
			m.flash = infoFlash(m.w.T("no filter; :filter client|server|2xx|3xx|4xx|5xx"))
		}
		return m, nil
	}
	f, ok := ParseFilter(arg)
	if !ok {
		m.flash = errorFlash(m.w.T("usage: ") + ":filter client|server|2xx|3xx|4xx|5xx|off")
		return m, nil
	}
	m.transcript.SetFilter(f)
	m.flash = infoFlash(m.w.F("filter %s: %d of %d lines (:filter off shows all)", f, m.transcript.Shown(), m.transcript.Len()))
	return m, nil
}

func (m Model) cmdWrap(string) (Model, tea.Cmd) {
	on := m.transcript.ToggleWrap()
	m.flash = infoFlash(m.onOff("wrap long transcript lines", on))
	return m, nil
}

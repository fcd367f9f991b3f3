package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
)

// This file draws the timing waterfall of the current connection: the
// connect, the greeting, the TLS handshake and each exchange as bars, so a
// slow greeting or a tarpit is seen, not read. The spans come from
// client.Timeline, the computation doctor's waterfall uses; the time the
// user spends typing, between commands and inside DATA and AUTH, is left
// out of the axis.

// cmdTiming shows or hides the waterfall.
func (m Model) cmdTiming(string) (Model, tea.Cmd) {
	m.showTiming = !m.showTiming
	return m, nil
}

// timingSpans are the current connection's spans, and one for the wait
// under way, which grows while it lasts.
func (m Model) timingSpans() []client.Span {
	entries := m.transcript.Entries(m.transcript.ConnStart())
	spans := client.Timeline(entries, m.conn.dialAt)
	if m.waiting() && !m.opStart.IsZero() {
		origin := m.conn.dialAt
		if origin.IsZero() && len(entries) > 0 {
			origin = entries[0].Time
		}
		if !origin.IsZero() {
			spans = append(spans, client.Span{Label: "… " + m.waitWord(), Start: m.opStart.Sub(origin), Took: m.now().Sub(m.opStart)})
		}
	}
	return spans
}

// compress removes the idle time between spans, when nothing was on the
// wire, and inside them, when the server waited for the client (Span.Wait:
// the user typing an AUTH answer or a message line; nothing else is in
// flight then), and returns the spans on that axis, their Took the
// server's time, its length and the time left out. Overlapping spans
// (pipelining) keep their overlap.
func compress(spans []client.Span) ([]client.Span, time.Duration, time.Duration) {
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(spans[a].Start - spans[b].Start) })
	out := slices.Clone(spans)
	var busyUntil, idle, total time.Duration
	for k, i := range order {
		s := spans[i]
		if k > 0 && s.Start > busyUntil {
			idle += s.Start - busyUntil
		}
		if k == 0 {
			idle = s.Start
		}
		out[i].Start, out[i].Took, out[i].Wait = s.Start-idle, s.Took-s.Wait, 0
		idle += s.Wait
		busyUntil = max(busyUntil, s.End())
		total = max(total, out[i].End())
	}
	return out, total, idle
}

// timingView draws the waterfall in exactly w x h cells.
func (m Model) timingView(w, h int) []string {
	st := m.st
	spans, total, idle := compress(m.timingSpans())
	labelW, timeW := 18, 9
	barW := max(w-4-labelW-timeW, 4)
	var rows []string
	for _, s := range spans {
		rows = append(rows, m.timingRow(s, total, labelW, barW, timeW))
	}
	var body []string
	room := max(h-2-3, 1)
	if len(rows) > room {
		body = append(body, st.Dim.Render(fmt.Sprintf("… %d earlier steps", len(rows)-room+1)))
		rows = rows[len(rows)-room+1:]
	}
	body = append(body, rows...)
	if len(spans) == 0 {
		body = append(body, st.Dim.Render(m.w.T("nothing yet: the waterfall fills as the session goes")))
	}
	body = append(body,
		strings.Repeat(" ", labelW)+st.Dim.Render(axis(total, barW)),
		st.Dim.Render(m.w.F("a bar runs from a command to the end of its reply; %s or more is slow", session.Millis(session.SlowReply))),
	)
	if idle > 0 {
		body = append(body, st.Dim.Render(m.w.F("the time the server waited for you (%s: between exchanges, typing AUTH answers and message lines) is left out", session.Millis(idle))))
	}
	title := st.CardTitle.Render(m.w.T("Timing")) + st.Label.Render(m.w.F(" · %s · %s on the wire", session.SanitizeString(m.conn.target), session.Millis(total)))
	return titledFrame(st.PaneFocused, title, st.Dim.Render(m.w.T("esc closes")), blockOf(body, w-4, h-2), w)
}

// timingRow is one span: its label, its bar on the axis and its length.
func (m Model) timingRow(s client.Span, total time.Duration, labelW, barW, timeW int) string {
	st := m.st
	pen := st.Code2xx
	switch {
	case strings.Contains(s.Label, "failed") || s.Label == "no greeting":
		pen = st.Error
	case strings.HasPrefix(s.Label, "…"):
		pen = st.Spinner
	case slow(s):
		pen = st.Warning
	case strings.HasPrefix(s.Label, "TLS"):
		pen = st.TLSMark
	case s.Label == "connect":
		pen = st.Label
	}
	from, n := cells(s, total, barW)
	bar := strings.Repeat(" ", from) + pen.Render(strings.Repeat("█", n)) + strings.Repeat(" ", max(barW-from-n, 0))
	took, label := session.Millis(s.Took), s.Label
	if slow(s) {
		took, label = pen.Render(took), label+" (slow)"
	}
	return fitLine(st.Label.Render(fitLine(label, labelW-1))+" ", labelW) + bar + lipgloss.NewStyle().Width(timeW).Align(lipgloss.Right).Render(took)
}

// slow applies doctor's thresholds: slow-greeting for the greeting,
// tarpit for a command (session.SlowGreeting, session.SlowReply). The
// message itself may take long: servers check content after the final ".".
func slow(s client.Span) bool {
	switch s.Label {
	case "greeting", "no greeting":
		return s.Took >= session.SlowGreeting
	case "connect", "message", "TLS handshake":
		return false
	}
	return s.Took >= session.SlowReply
}

// cells places a span on w cells: its first cell and its length, one at
// least.
func cells(s client.Span, total time.Duration, w int) (from, n int) {
	if total <= 0 {
		return 0, 1
	}
	from = min(int(int64(w)*int64(s.Start)/int64(total)), w-1)
	end := int((int64(w)*int64(s.End()) + int64(total) - 1) / int64(total))
	return from, max(1, min(end, w)-from)
}

// axis is the time scale under the bars: 0 at the left, the total at the
// right, the middle between.
func axis(total time.Duration, w int) string {
	left, mid, right := "0", session.Millis(total/2), session.Millis(total)
	line := []rune(strings.Repeat(" ", w))
	copy(line, []rune(left))
	if w > 3*len(right)+4 {
		copy(line[w/2-len(mid)/2:], []rune(mid))
	}
	copy(line[max(w-len(right), 0):], []rune(right))
	return string(line)
}

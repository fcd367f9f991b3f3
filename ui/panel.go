package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// This file holds what the explain panel, the guided card and the timing
// view share: labelled sections of wrapped text fitted into a fixed
// number of lines, a frame with a title in its top border, and the
// overlay of a box on the panes.

// section is one labelled block of text: "cause  The server…". Its text is
// ehlo's own or already sanitized; "\n" starts a new paragraph.
type section struct {
	label string
	text  string
	style lipgloss.Style
	keep  int // priority: when lines run short, sections with a lower keep shrink first
	max   int // most lines it may take; 0 for no limit
}

// fitSections draws sections in at most h lines of w cells: labels in a
// column of labelW cells, the text wrapped after them. When the lines do
// not fit, sections lose lines down to one, the lowest keep first (the last
// kept line ends in "…"); then whole sections go, the lowest keep first.
func fitSections(secs []section, w, h, labelW int, label lipgloss.Style) []string {
	textW := max(w-labelW, 8)
	wrapped := make([][]string, len(secs))
	total := 0
	for i, s := range secs {
		wrapped[i] = wrapParagraphs(s.text, textW)
		if s.max > 0 && len(wrapped[i]) > s.max {
			wrapped[i] = ellipsis(wrapped[i][:s.max], textW)
		}
		total += len(wrapped[i])
	}
	for ; total > h; total-- {
		if i := lowest(secs, wrapped, 2); i >= 0 {
			wrapped[i] = ellipsis(wrapped[i][:len(wrapped[i])-1], textW)
		} else if i := lowest(secs, wrapped, 1); i >= 0 {
			wrapped[i] = nil
		} else {
			break
		}
	}
	var out []string
	for i, s := range secs {
		for j, l := range wrapped[i] {
			lab := strings.Repeat(" ", labelW)
			if j == 0 {
				lab = fitLine(label.Render(s.label), labelW)
			}
			out = append(out, fitLine(lab+s.style.Render(l), w))
		}
	}
	return out
}

// lowest picks the section with at least n lines and the lowest keep, the
// later one on a tie; -1 when there is none.
func lowest(secs []section, wrapped [][]string, n int) int {
	best := -1
	for i := range secs {
		if len(wrapped[i]) < n {
			continue
		}
		if best < 0 || secs[i].keep <= secs[best].keep {
			best = i
		}
	}
	return best
}

// ellipsis marks the last of lines as cut.
func ellipsis(lines []string, w int) []string {
	if len(lines) == 0 {
		return lines
	}
	lines = append([]string{}, lines...)
	last := lines[len(lines)-1]
	if ansi.StringWidth(last)+1 > w {
		last = ansi.Truncate(last, w-1, "")
	}
	lines[len(lines)-1] = last + "…"
	return lines
}

// wrapParagraphs wraps each "\n"-separated paragraph of text in w cells,
// splitting a word longer than a line (a URL, a base64 string) rather than
// cutting it.
func wrapParagraphs(text string, w int) []string {
	var out []string
	for p := range strings.SplitSeq(text, "\n") {
		out = append(out, wrapHard(p, w, 0)...)
	}
	return out
}

// fitWhole draws sections in at most h lines of w cells, as fitSections
// does, but never shortens one: when they do not fit, whole sections go,
// the lowest keep first, and then those that fit in the room left come
// back. For what is read (the guided card): a sentence is shown whole or
// not at all.
func fitWhole(secs []section, w, h, labelW int, label lipgloss.Style) []string {
	height := func(s section) int { return len(fitSections([]section{s}, w, wholeText, labelW, label)) }
	in := make([]bool, len(secs))
	used := 0
	for i, s := range secs {
		in[i], used = true, used+height(s)
	}
	for used > h {
		drop := -1
		for i := range secs {
			if in[i] && (drop < 0 || secs[i].keep <= secs[drop].keep) {
				drop = i
			}
		}
		if drop < 0 {
			break
		}
		in[drop], used = false, used-height(secs[drop])
	}
	for i := range secs { // what fits in the room the drops left
		if !in[i] && used+height(secs[i]) <= h {
			in[i], used = true, used+height(secs[i])
		}
	}
	var kept []section
	for i, s := range secs {
		if in[i] {
			kept = append(kept, s)
		}
	}
	return fitSections(kept, w, wholeText, labelW, label)
}

// titledFrame draws a border in st's characters and colour around body,
// whose lines are w-4 cells wide, with title at the left of the top border
// and right at its right; both are cut to fit. It gives len(body)+2 lines
// of w cells; the body gets one cell of padding on each side.
func titledFrame(st lipgloss.Style, title, right string, body []string, w int) []string {
	b := st.GetBorderStyle()
	pen := lipgloss.NewStyle().Foreground(st.GetBorderTopForeground()).Bold(st.GetBold())
	inner := max(w-2, 0)
	top := pen.Render(b.Top) + " " + title + " "
	if right != "" {
		right = " " + right + " " + pen.Render(b.Top)
	}
	if ansi.StringWidth(top)+ansi.StringWidth(right) > inner {
		right = ""
		top = ansi.Truncate(top, inner, "… ")
	}
	fill := max(inner-ansi.StringWidth(top)-ansi.StringWidth(right), 0)
	out := make([]string, 0, len(body)+2)
	out = append(out, pen.Render(b.TopLeft)+top+pen.Render(strings.Repeat(b.Top, fill))+right+pen.Render(b.TopRight))
	left, rightB := pen.Render(b.Left), pen.Render(b.Right)
	for _, l := range body {
		out = append(out, left+" "+fitLine(l, max(inner-2, 0))+" "+rightB)
	}
	return append(out, pen.Render(b.BottomLeft+strings.Repeat(b.Bottom, inner)+b.BottomRight))
}

// overlay draws box over base (lines of the same width) with its top-left
// corner at column x, row y, through lipgloss's compositor.
func overlay(base, box []string, x, y int) []string {
	c := lipgloss.NewCompositor(
		lipgloss.NewLayer(strings.Join(base, "\n")),
		lipgloss.NewLayer(strings.Join(box, "\n")).X(x).Y(y).Z(1),
	)
	out := splitLines(c.Render())
	if len(out) != len(base) { // never expected: keep the panes rather than a broken screen
		return base
	}
	return out
}

package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// frame draws a border around body, whose lines are already exactly w-2
// cells wide, giving exactly len(body)+2 lines of w cells. It takes the
// border's characters and colour from the pane style (themes.Styles.Pane
// or PaneFocused) and styles only the border, once per side: wrapping a
// whole pane in lipgloss.Style.Render would measure every line again, and
// the transcript pane already guarantees its size.
func frame(st lipgloss.Style, body []string, w int) []string {
	b := st.GetBorderStyle()
	pen := lipgloss.NewStyle().Foreground(st.GetBorderTopForeground()).Bold(st.GetBold())
	inner := max(w-2, 0)
	left, right := pen.Render(b.Left), pen.Render(b.Right)
	out := make([]string, 0, len(body)+2)
	out = append(out, pen.Render(b.TopLeft+strings.Repeat(b.Top, inner)+b.TopRight))
	for _, l := range body {
		out = append(out, left+l+right)
	}
	return append(out, pen.Render(b.BottomLeft+strings.Repeat(b.Bottom, inner)+b.BottomRight))
}

// beside joins two blocks of the same height line by line.
func beside(a, b []string) []string {
	out := make([]string, max(len(a), len(b)))
	for i := range out {
		if i < len(a) {
			out[i] = a[i]
		}
		if i < len(b) {
			out[i] += b[i]
		}
	}
	return out
}

package ui

import (
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
)

// TestCapHotMarkOnly: only the * of STARTTLS and AUTH takes the highlight;
// the other rows start with a plain space, not a highlighted one (which
// draws a coloured bar down the list).
func TestCapHotMarkOnly(t *testing.T) {
	for _, theme := range []string{"dark", "mono"} {
		st, err := themes.New(theme, true)
		if err != nil {
			t.Fatal(err)
		}
		s := newSide(st)
		blank, star := st.CapHot.Render(" "), st.CapHot.Render("*")
		for _, r := range []capRow{
			{c: session.Capability{Keyword: "PIPELINING"}, mark: " "},
			{c: session.Capability{Keyword: "STARTTLS"}, mark: "-"},
		} {
			if line := s.capLine(r, false, 40); strings.Contains(line, blank) || strings.Contains(line, star) {
				t.Errorf("%s: %s row %q has a highlighted marker", theme, r.c.Keyword, line)
			}
		}
		if line := s.capLine(capRow{c: session.Capability{Keyword: "STARTTLS"}, mark: " "}, false, 40); !strings.Contains(line, star) {
			t.Errorf("%s: STARTTLS row %q lacks the highlighted *", theme, line)
		}
	}
}

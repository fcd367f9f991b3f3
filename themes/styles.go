package themes

import (
	"fmt"
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"
)

// Styles is every style the UI draws with, derived from one Palette.
// It is a value: build it with New and pass it into each pane.
type Styles struct {
	Palette Palette

	// Transcript.
	Client, Server, Note               lipgloss.Style // text of client lines, server lines, notes
	Code2xx, Code3xx, Code4xx, Code5xx lipgloss.Style // reply code of a server line, by class
	TLSMark                            lipgloss.Style // gutter marker of lines inside TLS
	TLSRule                            lipgloss.Style // the "TLS begins" separator
	Escape                             lipgloss.Style // sanitizer tokens such as \x1b
	Secret                             lipgloss.Style // redacted credentials
	Latency, Timestamp, Dim            lipgloss.Style
	Selected                           lipgloss.Style // the selected transcript row
	Match                              lipgloss.Style // a match of the transcript's search

	// Panes.
	Pane, PaneFocused                          lipgloss.Style // rounded borders; focus in the accent colour
	Title, Label, Value                        lipgloss.Style
	BadgePlain, BadgeTLS, BadgeUnverified      lipgloss.Style // PLAINTEXT, TLS, TLS UNVERIFIED
	Cap, CapHot, CapAdded, CapRemoved, Meaning lipgloss.Style // CapHot: STARTTLS and AUTH

	// Input, status line and help.
	Prompt, Input, Placeholder, Warning, Error, OK   lipgloss.Style
	StatusBar, StatusKey, Spinner, HelpKey, HelpDesc lipgloss.Style
	Card, CardTitle                                  lipgloss.Style // the guided step card
}

// Names lists the theme names New accepts, "auto" first.
func Names() []string {
	names := []string{"auto"}
	for _, n := range named {
		names = append(names, n.name)
	}
	return names
}

// New builds the named theme. "auto" is "dark" or "light" by isDark; the
// named palettes that have both variants (solarized) choose by isDark too.
// Names are case-insensitive and "" means "auto".
func New(name string, isDark bool) (Styles, error) {
	p, ok := lookup(name, isDark)
	if !ok {
		return Styles{}, fmt.Errorf("themes: unknown theme %q (want one of %s)",
			name, strings.Join(Names(), ", "))
	}
	return FromPalette(p), nil
}

// Pick chooses the theme name. NO_COLOR forces "mono" (https://no-color.org:
// any non-empty value; the caller passes noColor = os.Getenv("NO_COLOR") != "").
// Otherwise the --theme flag wins over the EHLO_THEME environment variable,
// and with neither the theme follows the terminal: "auto".
func Pick(flag, env string, noColor bool) string {
	switch {
	case noColor:
		return "mono"
	case strings.TrimSpace(flag) != "":
		return strings.TrimSpace(flag)
	case strings.TrimSpace(env) != "":
		return strings.TrimSpace(env)
	}
	return "auto"
}

// lookup finds a palette by theme name.
func lookup(name string, isDark bool) (Palette, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" || name == "auto" {
		name = "light"
		if isDark {
			name = "dark"
		}
	}
	for _, n := range named {
		if n.name != name {
			continue
		}
		if isDark {
			return n.dark, true
		}
		return n.light, true
	}
	return Palette{}, false
}

// FromPalette derives the styles from a palette. Where a slot is NoColor the
// style falls back to an attribute (faint, reverse, a heavier border), so a
// palette without colours, such as mono, still shows every distinction.
func FromPalette(p Palette) Styles {
	var (
		plain  = lipgloss.NewStyle()
		bold   = plain.Bold(true)
		muted  = tint(plain, p.Muted, lipgloss.Style.Faint)
		accent = tint(bold, p.Accent, nil)
	)
	selected := plain.Reverse(true)
	if hasColor(p.SelectBg) {
		selected = plain.Background(p.SelectBg)
	}
	st := Styles{
		Palette: p,

		Client: tint(plain, p.Client, nil),
		Server: tint(plain, p.Server, nil),
		Note:   tint(plain.Italic(true), p.Info, nil),

		Code2xx: tint(plain, p.Success, nil),
		Code3xx: tint(plain, p.Info, nil),
		Code4xx: tint(bold, p.Warning, nil),
		Code5xx: tint(bold, p.Danger, lipgloss.Style.Underline),

		TLSMark: tint(bold, p.TLS, nil),
		TLSRule: tint(bold, p.TLS, nil),
		Escape:  tint(plain.Underline(true), p.Escape, nil),
		Secret:  tint(plain.Italic(true), p.Secret, lipgloss.Style.Faint),

		Latency:   muted,
		Timestamp: muted,
		Dim:       muted,
		Selected:  selected,
		Match:     plain.Reverse(true).Underline(true), // reverse and underline: visible in mono too

		Title: accent,
		Label: muted,
		Value: tint(plain, p.Fg, nil),

		BadgePlain:      tint(bold, p.Warning, nil),
		BadgeTLS:        tint(bold, p.Success, nil),
		BadgeUnverified: tint(bold.Reverse(true), p.Danger, nil),

		Cap:        tint(plain, p.Fg, nil),
		CapHot:     tint(bold.Reverse(true), p.Accent, nil),
		CapAdded:   tint(plain, p.Success, nil),
		CapRemoved: tint(plain, p.Danger, lipgloss.Style.Faint),
		Meaning:    muted,

		Prompt:      accent,
		Input:       tint(plain, p.Fg, nil),
		Placeholder: muted,
		Warning:     tint(bold, p.Warning, nil),
		Error:       tint(bold, p.Danger, nil),
		OK:          tint(plain, p.Success, nil),

		StatusBar: muted,
		StatusKey: accent,
		Spinner:   tint(plain, p.Accent, nil),
		HelpKey:   bold,
		HelpDesc:  muted,

		CardTitle: accent,
	}
	st.Pane, st.PaneFocused = panes(p)
	st.Card = border(plain.Border(lipgloss.RoundedBorder()).Padding(0, 1), p.Accent)
	return st
}

// panes builds the pane borders. Without colour the focused pane gets a
// thick border instead of an accent-coloured one.
func panes(p Palette) (pane, focused lipgloss.Style) {
	rounded := lipgloss.NewStyle().Border(lipgloss.RoundedBorder())
	pane = border(rounded, p.Border)
	if !hasColor(p.BorderFocus) {
		return pane, lipgloss.NewStyle().Border(lipgloss.ThickBorder())
	}
	return pane, border(rounded, p.BorderFocus)
}

// tint gives s the foreground c, or applies fallback when c is the default
// colour (fallback may be nil).
func tint(s lipgloss.Style, c color.Color, fallback func(lipgloss.Style, bool) lipgloss.Style) lipgloss.Style {
	if hasColor(c) {
		return s.Foreground(c)
	}
	if fallback != nil {
		return fallback(s, true)
	}
	return s
}

// border colours a style's border when c is a real colour.
func border(s lipgloss.Style, c color.Color) lipgloss.Style {
	if hasColor(c) {
		return s.BorderForeground(c)
	}
	return s
}

// Package themes turns a semantic palette into the Lip Gloss styles that
// package ui draws with. Views never name a colour: they ask for
// Styles.Code5xx or Styles.CapHot, and the theme decides what that looks like.
//
// Body text keeps the terminal's own foreground; colour goes only on
// accents. Every theme is readable in a 16-colour terminal, and everything
// that must be seen (STARTTLS and AUTH, unverified TLS, 4xx and 5xx codes,
// escape tokens, the selection) also carries bold, reverse or underline, so
// it survives NO_COLOR and the mono theme.
package themes

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Palette is a theme's colours by meaning. A slot holding lipgloss.NoColor
// means "the terminal's default"; in the mono palette every slot does.
type Palette struct {
	Name string

	Fg     color.Color // body text: NoColor in every built-in palette
	Muted  color.Color // time stamps, latency, labels, help descriptions
	Accent color.Color // titles, prompt, focus

	Client, Server color.Color // the two directions of the transcript

	Success, Info, Warning, Danger color.Color // reply classes 2xx, 3xx, 4xx, 5xx and badges

	TLS    color.Color // lines inside TLS and the TLS badge
	Secret color.Color // redacted credentials
	Escape color.Color // sanitizer tokens such as \x1b

	Border, BorderFocus color.Color
	SelectBg            color.Color // background of the selected transcript row
}

// none is the terminal's default colour.
var none color.Color = lipgloss.NoColor{}

// The built-in palettes. Dark and light use the 16 ANSI colours or hex
// values chosen to fall on the same ANSI colour when downsampled, so a
// 16-colour terminal shows the same hues (checked by TestThemeSixteenColors).
// Tables only: nothing here is ever modified.
var (
	darkPalette = Palette{
		Name: "dark", Fg: none, Muted: lipgloss.BrightBlack, Accent: lipgloss.BrightMagenta,
		Client: lipgloss.BrightCyan, Server: none,
		Success: lipgloss.BrightGreen, Info: lipgloss.BrightBlue,
		Warning: lipgloss.BrightYellow, Danger: lipgloss.BrightRed,
		TLS: lipgloss.Green, Secret: lipgloss.Magenta, Escape: lipgloss.Yellow,
		Border: lipgloss.BrightBlack, BorderFocus: lipgloss.BrightMagenta,
		SelectBg: lipgloss.Color("#444444"), // ANSI 256: 238, ANSI 16: bright black
	}

	lightPalette = Palette{
		Name: "light", Fg: none, Muted: lipgloss.Color("#767676"), Accent: lipgloss.Color("#870087"),
		Client: lipgloss.Color("#005f87"), Server: none,
		Success: lipgloss.Color("#008700"), Info: lipgloss.Color("#008787"),
		Warning: lipgloss.Color("#878700"), Danger: lipgloss.Color("#af0000"),
		TLS: lipgloss.Color("#008700"), Secret: lipgloss.Color("#870087"), Escape: lipgloss.Color("#af0000"),
		Border: lipgloss.BrightBlack, BorderFocus: lipgloss.Color("#870087"),
		SelectBg: lipgloss.White, // the terminal's own light grey
	}

	monoPalette = Palette{
		Name: "mono", Fg: none, Muted: none, Accent: none, Client: none, Server: none,
		Success: none, Info: none, Warning: none, Danger: none,
		TLS: none, Secret: none, Escape: none, Border: none, BorderFocus: none, SelectBg: none,
	}

	// Solarized (Ethan Schoonover). Accents use the ANSI slots that the
	// Solarized terminal themes assign them (yellow is ANSI yellow, orange is
	// bright red, violet is bright magenta), so they are exact in a Solarized
	// terminal and keep their hue in any other one; the base tones are hex.
	solarizedDark = Palette{
		Name: "solarized", Fg: none, Muted: lipgloss.Color("#657b83"), Accent: lipgloss.BrightMagenta,
		Client: lipgloss.Blue, Server: none,
		Success: lipgloss.Green, Info: lipgloss.Cyan, Warning: lipgloss.Yellow, Danger: lipgloss.Red,
		TLS: lipgloss.Green, Secret: lipgloss.Magenta, Escape: lipgloss.BrightRed,
		Border: lipgloss.Color("#586e75"), BorderFocus: lipgloss.BrightMagenta,
		SelectBg: lipgloss.Color("#073642"), // base02
	}
	solarizedLight = Palette{
		Name: "solarized", Fg: none, Muted: lipgloss.Color("#93a1a1"), Accent: lipgloss.BrightMagenta,
		Client: lipgloss.Blue, Server: none,
		Success: lipgloss.Green, Info: lipgloss.Cyan, Warning: lipgloss.Yellow, Danger: lipgloss.Red,
		TLS: lipgloss.Green, Secret: lipgloss.Magenta, Escape: lipgloss.BrightRed,
		Border: lipgloss.Color("#93a1a1"), BorderFocus: lipgloss.BrightMagenta,
		SelectBg: lipgloss.White, // base2 in a Solarized terminal
	}
)

// named lists the palettes by name, each for a dark and a light background.
var named = []struct {
	name        string
	dark, light Palette
}{
	{"dark", darkPalette, darkPalette},
	{"light", lightPalette, lightPalette},
	{"mono", monoPalette, monoPalette},
	{"solarized", solarizedDark, solarizedLight},
}

// hasColor reports whether c is a real colour rather than the default.
func hasColor(c color.Color) bool {
	return c != nil && c != none
}

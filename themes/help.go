package themes

import (
	"image/color"

	"charm.land/lipgloss/v2"
	"github.com/ehlo-sh/ehlo/third_party/fang"
)

// HelpColors is the colour scheme of the command line's help and error
// text (fang's): the terminal's own foreground for text and the 16 ANSI
// colours for accents, readable on a dark or a light background, so that
// the terminal need not be asked which it has. A terminal that does not
// answer that query (a pty under script(1), an editor's shell) held every
// help and error for four seconds.
func HelpColors(lipgloss.LightDarkFunc) fang.ColorScheme {
	return fang.ColorScheme{
		Base: none, Description: none, Argument: none, Help: none, Dash: none, Codeblock: none,
		Title: lipgloss.Magenta, Program: lipgloss.Cyan, Command: lipgloss.Cyan,
		Flag: lipgloss.Green, QuotedString: lipgloss.Blue,
		FlagDefault: lipgloss.BrightBlack, Comment: lipgloss.BrightBlack, DimmedArgument: lipgloss.BrightBlack,
		ErrorHeader:  [2]color.Color{lipgloss.BrightWhite, lipgloss.Red},
		ErrorDetails: lipgloss.Red,
	}
}

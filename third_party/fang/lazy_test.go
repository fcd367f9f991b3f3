package fang

import (
	"image/color"
	"testing"

	"charm.land/lipgloss/v2"
)

// TestColorschemeAsksOnlyWhenUsed: a scheme that picks no colour by the
// background does not make the terminal be asked; one that does asks once.
func TestColorschemeAsksOnlyWhenUsed(t *testing.T) {
	asked := 0
	defer func(f func() bool) { hasDarkBackground = f }(hasDarkBackground)
	hasDarkBackground = func() bool { asked++; return true }

	fixed := func(lipgloss.LightDarkFunc) ColorScheme { return ColorScheme{Base: lipgloss.Red} }
	mustColorscheme(fixed)
	if asked != 0 {
		t.Errorf("a fixed scheme asked the terminal %d times", asked)
	}
	cs := mustColorscheme(DefaultColorScheme)
	if asked != 1 {
		t.Errorf("the default scheme asked the terminal %d times, want once", asked)
	}
	var dark color.Color = DefaultColorScheme(lipgloss.LightDark(true)).Base
	if cs.Base != dark {
		t.Errorf("base %v, want the dark background's %v", cs.Base, dark)
	}
}

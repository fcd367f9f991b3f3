package themes

import (
	"bytes"
	"image/color"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// each calls f for every lipgloss.Style field of st, by field name.
func each(st Styles, f func(name string, s lipgloss.Style)) {
	v := reflect.ValueOf(st)
	for i := range v.NumField() {
		if s, ok := v.Field(i).Interface().(lipgloss.Style); ok {
			f(v.Type().Field(i).Name, s)
		}
	}
}

func mustNew(t *testing.T, name string, isDark bool) Styles {
	t.Helper()
	st, err := New(name, isDark)
	if err != nil {
		t.Fatalf("New(%q, %v): %v", name, isDark, err)
	}
	return st
}

func TestThemeEvery(t *testing.T) {
	for _, name := range Names() {
		for _, isDark := range []bool{true, false} {
			st := mustNew(t, name, isDark)
			if st.Palette.Name == "" {
				t.Errorf("%s/%v: palette has no name", name, isDark)
			}
			each(st, func(field string, s lipgloss.Style) {
				if out := s.Render("x"); !strings.Contains(ansi.Strip(out), "x") {
					t.Errorf("%s/%v: %s renders %q", name, isDark, field, out)
				}
			})
		}
	}
}

func TestThemeAuto(t *testing.T) {
	for _, c := range []struct {
		name   string
		isDark bool
		want   string
	}{
		{"auto", true, "dark"}, {"auto", false, "light"}, {"", true, "dark"},
		{"Light", true, "light"}, {" mono ", false, "mono"}, {"solarized", false, "solarized"},
	} {
		if got := mustNew(t, c.name, c.isDark).Palette.Name; got != c.want {
			t.Errorf("New(%q, %v) = %s, want %s", c.name, c.isDark, got, c.want)
		}
	}
}

func TestThemeUnknown(t *testing.T) {
	_, err := New("neon", true)
	if err == nil {
		t.Fatal("New(neon) succeeded")
	}
	for _, n := range Names() {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not list %q", err, n)
		}
	}
}

func TestThemeNames(t *testing.T) {
	names := Names()
	for _, want := range []string{"auto", "dark", "light", "mono"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %v, missing %q", names, want)
		}
	}
	if len(names) < 5 {
		t.Errorf("Names() = %v, want a fifth named palette", names)
	}
}

// TestThemeMonoNoColor renders every mono style and checks there is no colour
// at all: no 38;/48;/58; sequences, and downsampling to Ascii (which drops
// colours and keeps attributes) changes nothing.
func TestThemeMonoNoColor(t *testing.T) {
	for _, isDark := range []bool{true, false} {
		each(mustNew(t, "mono", isDark), func(field string, s lipgloss.Style) {
			out := s.Render("250 mx.example.com")
			for _, seq := range []string{"38;", "48;", "58;"} {
				if strings.Contains(out, seq) {
					t.Errorf("mono %s emits %q: %q", field, seq, out)
				}
			}
			var buf bytes.Buffer
			w := colorprofile.Writer{Forward: &buf, Profile: colorprofile.Ascii}
			if _, err := w.WriteString(out); err != nil {
				t.Fatal(err)
			}
			if buf.String() != out {
				t.Errorf("mono %s has colour: %q, without colour %q", field, out, buf.String())
			}
		})
	}
}

// TestThemeSurvivesNoColor checks the distinctions that must not rely on colour.
func TestThemeSurvivesNoColor(t *testing.T) {
	for _, name := range Names() {
		for _, isDark := range []bool{true, false} {
			st := mustNew(t, name, isDark)
			for field, s := range map[string]lipgloss.Style{"CapHot": st.CapHot, "BadgeUnverified": st.BadgeUnverified} {
				if !s.GetBold() || !s.GetReverse() {
					t.Errorf("%s/%v: %s is not bold+reverse", name, isDark, field)
				}
			}
			for field, s := range map[string]lipgloss.Style{"Code4xx": st.Code4xx, "Code5xx": st.Code5xx} {
				if !s.GetBold() {
					t.Errorf("%s/%v: %s is not bold", name, isDark, field)
				}
			}
			if !st.Escape.GetUnderline() {
				t.Errorf("%s/%v: Escape is not underlined", name, isDark)
			}
		}
	}
	mono := mustNew(t, "mono", true)
	if !mono.Selected.GetReverse() {
		t.Error("mono: Selected is not reverse")
	}
	if !mono.Timestamp.GetFaint() {
		t.Error("mono: Timestamp is not faint")
	}
	if mono.PaneFocused.GetBorderStyle() == mono.Pane.GetBorderStyle() {
		t.Error("mono: focused pane looks like the others")
	}
}

// TestThemeBodyDefaultForeground: body text keeps the terminal's foreground.
func TestThemeBodyDefaultForeground(t *testing.T) {
	for _, name := range Names() {
		st := mustNew(t, name, true)
		for field, s := range map[string]lipgloss.Style{"Server": st.Server, "Value": st.Value, "Input": st.Input} {
			if hasColor(s.GetForeground()) {
				t.Errorf("%s: %s has foreground %v", name, field, s.GetForeground())
			}
		}
	}
}

// TestThemeSixteenColors downsamples each palette to the 16 ANSI colours the way
// Bubble Tea does on a 16-colour terminal: no foreground may vanish into the
// background, the selection must stay visible, and success, warning and
// danger must stay apart.
func TestThemeSixteenColors(t *testing.T) {
	for _, n := range named {
		for _, isDark := range []bool{true, false} {
			// On a light terminal ANSI white is a light grey: fine behind
			// text, too pale for text.
			p, bg, fgBg := n.light, lipgloss.BrightWhite, []color.Color{lipgloss.White, lipgloss.BrightWhite}
			if isDark {
				p, bg, fgBg = n.dark, lipgloss.Black, []color.Color{lipgloss.Black}
			}
			if p.Name == "mono" {
				continue
			}
			to16 := func(c color.Color) color.Color { return colorprofile.ANSI.Convert(c) }
			fgs := map[string]color.Color{
				"Muted": p.Muted, "Accent": p.Accent, "Client": p.Client, "Success": p.Success,
				"Info": p.Info, "Warning": p.Warning, "Danger": p.Danger, "TLS": p.TLS,
				"Secret": p.Secret, "Escape": p.Escape, "Border": p.Border, "BorderFocus": p.BorderFocus,
			}
			for slot, c := range fgs {
				if !hasColor(c) {
					t.Errorf("%s/%v: %s has no colour", p.Name, isDark, slot)
					continue
				}
				if slices.Contains(fgBg, to16(c)) {
					t.Errorf("%s/%v: %s becomes the background colour %v in 16 colours", p.Name, isDark, slot, to16(c))
				}
			}
			if to16(p.SelectBg) == bg {
				t.Errorf("%s/%v: selection becomes invisible in 16 colours", p.Name, isDark)
			}
			s, w, d := to16(p.Success), to16(p.Warning), to16(p.Danger)
			if s == w || w == d || s == d {
				t.Errorf("%s/%v: success %v, warning %v, danger %v are not distinct in 16 colours", p.Name, isDark, s, w, d)
			}
		}
	}
}

func TestThemePick(t *testing.T) {
	for _, c := range []struct {
		flag, env string
		noColor   bool
		want      string
	}{
		{"", "", false, "auto"},
		{"dark", "", false, "dark"},
		{"", "light", false, "light"},
		{"dark", "light", false, "dark"},
		{"  ", "solarized", false, "solarized"},
		{"dark", "light", true, "mono"}, // NO_COLOR=yes beats everything
		{"", "", true, "mono"},
	} {
		if got := Pick(c.flag, c.env, c.noColor); got != c.want {
			t.Errorf("Pick(%q, %q, %v) = %q, want %q", c.flag, c.env, c.noColor, got, c.want)
		}
	}
}

// TestThemePickNoColorEnv follows the caller's contract: any non-empty NO_COLOR.
func TestThemePickNoColorEnv(t *testing.T) {
	for _, v := range []string{"1", "yes", "true", "0", "anything"} {
		t.Setenv("NO_COLOR", v)
		t.Setenv("EHLO_THEME", "dark")
		if got := Pick("", os.Getenv("EHLO_THEME"), os.Getenv("NO_COLOR") != ""); got != "mono" {
			t.Errorf("NO_COLOR=%q: Pick = %q, want mono", v, got)
		}
	}
}

// TestHelpColorsNeedNoBackground: the help's colours are chosen without
// the terminal's background, so fang never has to ask the terminal for it.
func TestHelpColorsNeedNoBackground(t *testing.T) {
	cs := HelpColors(func(light, dark color.Color) color.Color {
		t.Fatal("HelpColors asked for the background")
		return nil
	})
	if cs.Title == nil || cs.Flag == nil || cs.ErrorHeader[1] == nil {
		t.Errorf("accents missing: %+v", cs)
	}
}

package ui

import (
	"fmt"

	"github.com/ehlo-sh/ehlo/third_party/bubbles/key"
)

// words are the explorer's own words in one language: its hint, status
// and help lines, its side panel's labels, its prompts and its messages.
// The English text is the key (as gettext's msgid), so a word missing
// from the catalogue shows in English; nil is English. SMTP commands,
// reply codes, server text and RFC terms are never translated: they are
// what the user types and reads on the wire.
type words map[string]string

// wordsFor is the catalogue of lang ("en", "zh"); English for any other.
func wordsFor(lang string) words {
	if lang == "zh" {
		return zhWords()
	}
	return nil
}

// T is en in the catalogue's language.
func (w words) T(en string) string {
	if s, ok := w[en]; ok {
		return s
	}
	return en
}

// F is fmt.Sprintf of format translated; a translation keeps the verbs
// of its key, in order or indexed (%[2]s).
func (w words) F(format string, a ...any) string {
	return fmt.Sprintf(w.T(format), a...)
}

// helpOf is groups of bindings with their descriptions translated.
func (w words) helpOf(groups [][]key.Binding) [][]key.Binding {
	out := make([][]key.Binding, len(groups))
	for i, g := range groups {
		out[i] = make([]key.Binding, len(g))
		for j, b := range g {
			b.SetHelp(b.Help().Key, w.T(b.Help().Desc))
			out[i][j] = b
		}
	}
	return out
}

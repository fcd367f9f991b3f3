package fang

import "testing"

// TestTitleWordAsXText: titleWord gives what golang.org/x/text/cases.Title
// (language.AmericanEnglish, v0.24.0) gave for these words, which the
// release used.
func TestTitleWordAsXText(t *testing.T) {
	for in, want := range map[string]string{
		"1st": "1St", "e-mail": "E-Mail", "don't": "Don't", "--quit-after": "--Quit-After",
		"lesson.ehlo:9": "Lesson.ehlo:9", "ǆungla": "ǅungla", "x_y": "X_y", "a.b": "A.b",
		"a:b": "A:b", "a1b": "A1b", "ABC": "Abc", "été": "Été", "0x1F": "0X1f", "αΒΓ": "Αβγ",
		"hello,world": "Hello,World", "σς": "Σς", "a'B": "A'b", "a.B": "A.b", "HTTP/2": "Http/2",
		"a_b": "A_b", "İstanbul": "İstanbul", "你好": "你好", "Help": "Help",
	} {
		if got := titleWord([]rune(in)); got != want {
			t.Errorf("titleWord(%q) = %q, want %q", in, got, want)
		}
	}
}

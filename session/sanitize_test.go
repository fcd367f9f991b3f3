package session

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"250 OK", "250 OK"},
		{"", ""},
		{`C:\path`, `C:\\path`},
		{"250 OK\r\n", `250 OK\r\n`},
		{"a\tb", `a\tb`},
		{"550 no\r250 OK", `550 no\r250 OK`},
		{"\x1b]52;c;ZXZpbA==\x07", `\x1b]52;c;ZXZpbA==\x07`},
		{"\x1b]0;owned\x1b\\", `\x1b]0;owned\x1b\\`},
		{"\x1b[2J", `\x1b[2J`},
		{"\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", `\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\`},
		{"a\x00b\x7f", `a\x00b\x7f`},
		{"\xff\xfe", `\xff\xfe`},
		{"\xe2\x82", `\xe2\x82`},         // truncated euro sign
		{"\xed\xa0\x80", `\xed\xa0\x80`}, // UTF-8 encoded surrogate is invalid
		{"\xc0\xaf", `\xc0\xaf`},         // overlong "/"
		{"\x9b", `\x9b`},                 // raw C1 CSI byte: invalid UTF-8
		{"\u009b2J", `\u009b2J`},         // C1 CSI as a rune
		{"\u0085", `\u0085`},
		{"abc\u202edef", `abc\u202edef`},
		{"\u200b\ufeff\u2066\u2069\u061c", `\u200b\ufeff\u2066\u2069\u061c`},
		{"\u2028\u2029", `\u2028\u2029`},
		{"\ue000", `\ue000`},         // private use
		{"\U000e0041", `\U000e0041`}, // tag latin capital A (Cf)
		{"\U0010ffff", `\U0010ffff`}, // noncharacter, unassigned
		{"a\u00a0b\u3000c", `a\u00a0b\u3000c`},
		{"\u3164\u115f", `\u3164\u115f`}, // Hangul fillers: invisible
		{"x\ufe0f", `x\ufe0f`},           // variation selector
		{"héllo wörld € 日本 😀", "héllo wörld € 日本 😀"},
		{"e\u0301", "e\u0301"}, // combining mark is graphic
		{"\ufffd", "\ufffd"},   // a real U+FFFD is valid and shown
	}
	for _, tt := range tests {
		if got := SanitizeString(tt.in); got != tt.want {
			t.Errorf("SanitizeString(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Sanitize([]byte(tt.in)); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := Unescape(tt.want)
		if err != nil || string(back) != tt.in {
			t.Errorf("Unescape(%q) = %q, %v; want %q", tt.want, back, err, tt.in)
		}
	}
}

func TestEscapeRuns(t *testing.T) {
	type run struct {
		text    string
		escaped bool
	}
	var got []run
	Escape([]byte("550 no\r\n\x1b[31mred\\x"), func(text string, escaped bool) {
		got = append(got, run{text, escaped})
	})
	want := []run{
		{"550 no", false}, {`\r`, true}, {`\n`, true}, {`\x1b`, true},
		{"[31mred", false}, {`\\`, true}, {"x", false},
	}
	if len(got) != len(want) {
		t.Fatalf("runs %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("run %d = %v, want %v", i, got[i], want[i])
		}
	}
	Escape(nil, func(string, bool) { t.Error("visit called for empty input") })
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`plain`, "plain"},
		{`\x41`, "A"},
		{`\xFF`, "\xff"},
		{`\u00e9`, "é"},
		{`\U0001f600`, "😀"},
		{"raw\x1b", "raw\x1b"}, // text that Sanitize would not produce still reads back
	}
	for _, tt := range tests {
		got, err := Unescape(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("Unescape(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`\`, `abc\`, `\q`, `\x`, `\x4`, `\xg0`, `\u12`, `\ud800`, `\U00110000`, `\Uffffffff`, `\x+1`, `\u+123`} {
		if _, err := Unescape(bad); !errors.Is(err, ErrBadEscape) {
			t.Errorf("Unescape(%q) error = %v, want ErrBadEscape", bad, err)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"\x1b]52;c;ZXZpbA==\x07",
		"\x1b]0;you have been owned\x07",
		"\x1b[2J\x1b[H",
		"\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
		"a\x00b",
		"\xff\xfe\xc3",
		"abc\u202edef",
		"550 no\r250 OK",
		"\u009b31m",
		`back\slash \x1b`,
		"日本語 😀 e\u0301",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out := Sanitize(b)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 in %q", out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control %U in %q", r, out)
			}
			if r >= 0x80 && (!unicode.IsGraphic(r) || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs, unicode.Zl, unicode.Zp)) {
				t.Fatalf("unsafe rune %U in %q", r, out)
			}
		}
		back, err := Unescape(out)
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("Unescape(Sanitize(%q)) = %q, %v", b, back, err)
		}
		var sb strings.Builder
		Escape(b, func(text string, _ bool) {
			if text == "" {
				t.Fatal("empty run")
			}
			sb.WriteString(text)
		})
		if sb.String() != out {
			t.Fatalf("Escape runs %q != Sanitize %q", sb.String(), out)
		}
		if SanitizeString(string(b)) != out {
			t.Fatal("SanitizeString differs from Sanitize")
		}
	})
}

func BenchmarkSanitize(b *testing.B) {
	in := []byte(strings.Repeat("250-smtp.example.org \x1b[2J\xa9 héllo \u202e\r\n", 64))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		Sanitize(in)
	}
}

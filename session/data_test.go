package session

import (
	"bytes"
	"strings"
	"testing"
)

func dataOf(t *testing.T, chunks ...string) string {
	t.Helper()
	var out bytes.Buffer
	d := NewDataWriter(&out)
	for _, c := range chunks {
		if _, err := d.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestDataWriter(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   string
	}{
		{"crlf kept", []string{"a\r\nb\r\n"}, "a\r\nb\r\n.\r\n"},
		{"bare lf", []string{"a\nb\n"}, "a\r\nb\r\n.\r\n"},
		{"bare cr", []string{"a\rb"}, "a\r\nb\r\n.\r\n"},
		{"no final newline", []string{"a"}, "a\r\n.\r\n"},
		{"empty", nil, ".\r\n"},
		{"dot stuffed", []string{".\n..x\n.a"}, "..\r\n...x\r\n..a\r\n.\r\n"},
		{"dot mid line", []string{"a.b\n"}, "a.b\r\n.\r\n"},
		{"crlf split across writes", []string{"a\r", "\nb"}, "a\r\nb\r\n.\r\n"},
		{"smuggling attempt", []string{"x\n.\r\nMAIL FROM:<e>\r\n"}, "x\r\n..\r\nMAIL FROM:<e>\r\n.\r\n"},
		{"cr lf lf", []string{"a\r\n\n"}, "a\r\n\r\n.\r\n"},
		// Runs of CRLF lines go out whole; what ends a run is handled alone.
		{"run, then a dot line", []string{"a\r\nb\r\n.c\r\nd\r\n"}, "a\r\nb\r\n..c\r\nd\r\n.\r\n"},
		{"run, then a bare cr inside a line", []string{"a\r\nb\rc\r\nd\r\n"}, "a\r\nb\r\nc\r\nd\r\n.\r\n"},
		{"run, then a bare lf", []string{"a\r\nb\nc\r\n"}, "a\r\nb\r\nc\r\n.\r\n"},
		{"a line's tail starting with a dot is no line", []string{"a", ".b\r\n.c\r\n"}, "a.b\r\n..c\r\n.\r\n"},
		{"a run larger than the buffer", []string{strings.Repeat("0123456789abcde\r\n", 600) + ".x\r\n"},
			strings.Repeat("0123456789abcde\r\n", 600) + "..x\r\n.\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dataOf(t, tt.chunks...); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// unstuff is what a server does with DATA (RFC 5321 4.5.2): split at CRLF,
// stop at the lone ".", drop one leading dot.
func unstuff(wire string) (body string, rest string, ok bool) {
	var lines []string
	for {
		i := strings.Index(wire, "\r\n")
		if i < 0 {
			return "", wire, false
		}
		line := wire[:i]
		wire = wire[i+2:]
		if line == "." {
			return strings.Join(lines, "\r\n"), wire, true
		}
		lines = append(lines, strings.TrimPrefix(line, "."))
	}
}

func normalise(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimSuffix(s, "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func FuzzDataWriter(f *testing.F) {
	for _, s := range []string{"", ".", "a\n.\nb", "x\r\n.\r\nMAIL FROM:<e>\r\n", "\r\r\n\n", "..\r\n.", "a\rb\n\rc"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, body string, split int) {
		var out bytes.Buffer
		d := NewDataWriter(&out)
		if split <= 0 {
			split = 1
		}
		for rest := body; rest != ""; {
			n := min(split, len(rest))
			d.Write([]byte(rest[:n]))
			rest = rest[n:]
		}
		d.Close()
		w := out.String()
		if strings.Contains(strings.ReplaceAll(w, "\r\n", ""), "\r") || strings.Contains(strings.ReplaceAll(w, "\r\n", ""), "\n") {
			t.Fatalf("bare CR or LF in %q", w)
		}
		got, rest, ok := unstuff(w)
		if !ok || rest != "" {
			t.Fatalf("end of data not exactly at the end of %q (rest %q)", w, rest)
		}
		if want := normalise(body); got != want {
			t.Fatalf("server decodes %q, want %q", got, want)
		}
	})
}

// TestCRLFWriter: line endings normalised as for DATA, dots left alone,
// no end-of-data line: the octets BDAT counts (RFC 3030).
func TestCRLFWriter(t *testing.T) {
	tests := []struct {
		chunks []string
		want   string
	}{
		{[]string{"a\nb\rc\r\n"}, "a\r\nb\r\nc\r\n"},
		{[]string{".\n..x\n.a"}, ".\r\n..x\r\n.a\r\n"},
		{[]string{"a\r\nb\r\n.c\r\nd\r\n"}, "a\r\nb\r\n.c\r\nd\r\n"},
		{[]string{"a\r", "\nb"}, "a\r\nb\r\n"},
		{nil, ""},
		{[]string{"x\r\n.\r\n"}, "x\r\n.\r\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		d := NewCRLFWriter(&out)
		for _, c := range tt.chunks {
			if _, err := d.Write([]byte(c)); err != nil {
				t.Fatal(err)
			}
			if out.Len() > 0 && !strings.HasPrefix(tt.want, out.String()) {
				t.Fatalf("%q: after a write, %q", tt.chunks, out.String())
			}
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want || d.Stuffed() != 0 {
			t.Errorf("%q: got %q (%d stuffed), want %q", tt.chunks, out.String(), d.Stuffed(), tt.want)
		}
	}
}

package session

import (
	"io"
	"os"
	"strings"
	"testing"
)

// Parsing costs, per reply and per line: go test -bench . -benchmem ./session
// (bench/run.sh reports them in BENCHMARKS.md). ns/line is ns/op divided by
// the lines of the reply.

// benchReply reads a captured reply from testdata as its lines.
func benchReply(b *testing.B, name string) []string {
	b.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return strings.Split(strings.TrimRight(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n"), "\n")
}

// reportPerLine adds ns/line and allocs/line.
func reportPerLine(b *testing.B, lines int, allocs func() float64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lines), "ns/line")
	b.ReportMetric(allocs()/float64(lines), "allocs/line")
}

// BenchmarkParseReply parses Gmail's 8-line EHLO reply after STARTTLS, and a
// one-line reply with an enhanced status code.
func BenchmarkParseReply(b *testing.B) {
	cases := []struct {
		name  string
		lines []string
	}{
		{"ehlo-8-lines", benchReply(b, "gmail-ehlo-tls.txt")},
		{"one-line-enhanced", []string{"250 2.1.0 Ok"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseReply(c.lines); err != nil {
					b.Fatal(err)
				}
			}
			reportPerLine(b, len(c.lines), func() float64 {
				return testing.AllocsPerRun(100, func() { ParseReply(c.lines) })
			})
		})
	}
}

// BenchmarkParseEHLO reads the capabilities of a parsed EHLO reply.
func BenchmarkParseEHLO(b *testing.B) {
	r, err := ParseReply(benchReply(b, "gmail-ehlo-tls.txt"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ParseEHLO(r)
	}
	reportPerLine(b, len(r.Lines), func() float64 {
		return testing.AllocsPerRun(100, func() { ParseEHLO(r) })
	})
}

// BenchmarkParseReplyAndEHLO is the whole of what a client does with the
// framed lines of an EHLO reply.
func BenchmarkParseReplyAndEHLO(b *testing.B) {
	lines := benchReply(b, "gmail-ehlo-tls.txt")
	b.ReportAllocs()
	for b.Loop() {
		r, err := ParseReply(lines)
		if err != nil {
			b.Fatal(err)
		}
		ParseEHLO(r)
	}
	reportPerLine(b, len(lines), func() float64 {
		return testing.AllocsPerRun(100, func() {
			r, _ := ParseReply(lines)
			ParseEHLO(r)
		})
	})
}

// BenchmarkDataWriter pushes a text body with CRLF line endings, one line in
// a thousand starting with a dot, through DataWriter in 32 KiB writes: the
// cost per byte of sending a message.
func BenchmarkDataWriter(b *testing.B) {
	line := "The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqr\r\n"
	var body strings.Builder
	for i := range 1 << 14 {
		if i%1000 == 999 {
			body.WriteString("." + line[1:])
		} else {
			body.WriteString(line)
		}
	}
	p := []byte(body.String())
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDataWriter(io.Discard)
		for rest := p; len(rest) > 0; {
			n := min(len(rest), 32<<10)
			d.Write(rest[:n])
			rest = rest[n:]
		}
		d.Close()
	}
}

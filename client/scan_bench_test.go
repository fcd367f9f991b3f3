package client

import (
	"strings"
	"testing"
)

// BenchmarkScanText scans a text body before sending: CRLF lines of 78
// octets, one in a thousand starting with a dot.
func BenchmarkScanText(b *testing.B) {
	line := "The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqr\r\n"
	text := strings.Repeat(line, 1<<14)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scanText(Content{Text: text}, "text/plain"); err != nil {
			b.Fatal(err)
		}
	}
}

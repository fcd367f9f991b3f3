package client

import (
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ehlo-sh/ehlo/session"
)

// scanOracle is scanText's first, byte-at-a-time form: what the fast scan
// must agree with.
func scanOracle(s string) (eight, nul, long bool) {
	line := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '\r' || b == '\n':
			line = 0
			continue
		case b == 0:
			nul = true
		case b >= 0x80:
			eight = true
		}
		if line++; line > maxLine {
			long = true
		}
	}
	return eight, nul, long
}

func FuzzScanText(f *testing.F) {
	for _, s := range []string{"", "a\r\nb", "\x00", "é", strings.Repeat("x", maxLine) + "\r\n", strings.Repeat("x", maxLine+1),
		strings.Repeat("x", 600) + "\r" + strings.Repeat("y", 600), strings.Repeat("abcdefg\x80", 9), "caf\xe9", "\xe2\x82", "\uFFFD\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := scanText(Content{Text: s}, "text/plain")
		if err != nil {
			t.Fatal(err)
		}
		eight, nul, long := scanOracle(s)
		if p.eightBit != eight || p.nul != nul || p.longLine != long {
			t.Errorf("scan of %q: 8bit %v nul %v long %v; want %v %v %v", s, p.eightBit, p.nul, p.longLine, eight, nul, long)
		}
		if bad := firstInvalidUTF8(s); p.badUTF8 != bad {
			t.Errorf("scan of %q: first byte not UTF-8 at %d, want %d", s, p.badUTF8, bad)
		}
	})
}

// firstInvalidUTF8 is the offset of the first byte of s that is not part
// of a valid UTF-8 character, or -1.
func firstInvalidUTF8(s string) int64 {
	for i, r := range s {
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			return int64(i)
		}
	}
	return -1
}

// TestScanTextAcrossReads checks a line that spans the 32 KiB reads.
func TestScanTextAcrossReads(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("x", 32<<10-500) + "\r\n" + strings.Repeat("y", 990) + "\r\n",     // short lines
		strings.Repeat("x", 32<<10-500) + "\r\n" + strings.Repeat("y", 999) + "\r\n",     // 999 across the boundary
		strings.Repeat("x\n", 16<<10) + "\x00" + strings.Repeat("z", 70000) + "\x80\r\n", // NUL, 8-bit, long
		strings.Repeat("x", 32<<10-1) + "€ ok",                                           // a character across the reads
		strings.Repeat("x", 32<<10-2) + "\xe2\x82" + "x",                                 // one cut short there
		strings.Repeat("é", 20<<10) + "\xe9",                                             // one cut short at the end
	} {
		p, err := scanText(Content{Text: s}, "text/plain")
		if err != nil {
			t.Fatal(err)
		}
		eight, nul, long := scanOracle(s)
		if p.eightBit != eight || p.nul != nul || p.longLine != long {
			t.Errorf("8bit %v nul %v long %v; want %v %v %v", p.eightBit, p.nul, p.longLine, eight, nul, long)
		}
		if bad := firstInvalidUTF8(s); p.badUTF8 != bad {
			t.Errorf("first byte not UTF-8 at %d, want %d", p.badUTF8, bad)
		}
	}
}

// sizeOracle is Size's first form: the whole message through DataWriter.
func sizeOracle(t *testing.T, m *Message) int64 {
	t.Helper()
	var cw counter
	dw := session.NewDataWriter(&cw)
	if _, err := m.WriteTo(dw); err != nil {
		t.Fatal(err)
	}
	if err := dw.Close(); err != nil {
		t.Fatal(err)
	}
	return cw.n - int64(dw.Stuffed()) - int64(len(".\r\n"))
}

// FuzzSizeOfText checks that Size, which counts a 7bit or 8bit text from
// what scan learnt instead of reading it again, agrees with writing it all.
func FuzzSizeOfText(f *testing.F) {
	for _, s := range []string{"", "a", "a\r\n", "a\n", "a\r", "\r\n\r\n", ".\r\n..x\r", "x\r\ny\rz\n\n", "é\r\n"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, eightBit bool) {
		m := &Message{From: &mail.Address{Address: "a@example.org"}, To: []*mail.Address{{Address: "b@example.org"}},
			Subject: "size", Text: Content{Text: s}, Charset: "iso-8859-1"} // any bytes
		if err := m.Scan(); err != nil {
			t.Fatal(err)
		}
		m.Use8Bit(eightBit)
		got, err := m.Size()
		if err != nil {
			t.Fatal(err)
		}
		if want := sizeOracle(t, m); got != want {
			t.Errorf("Size of a message with text %q = %d, want %d", s, got, want)
		}
	})
}

// TestSizeAcrossReads splits a CRLF, and a bare CR, across scan's reads.
func TestSizeAcrossReads(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("x", 32<<10-1) + "\r\n" + "tail",
		strings.Repeat("x", 32<<10-1) + "\r" + "tail\r",
		strings.Repeat("y\r\n", 40000) + ".dot\r\n",
	} {
		m := &Message{From: &mail.Address{Address: "a@example.org"}, To: []*mail.Address{{Address: "b@example.org"}},
			Subject: "size", Text: Content{Text: s}}
		if err := m.Scan(); err != nil {
			t.Fatal(err)
		}
		m.Use8Bit(true)
		got, err := m.Size()
		if err != nil {
			t.Fatal(err)
		}
		if want := sizeOracle(t, m); got != want {
			t.Errorf("Size = %d, want %d", got, want)
		}
	}
}

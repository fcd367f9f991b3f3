package wire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

var ctx = context.Background()

func TestReadReplyFraming(t *testing.T) {
	long := "250 " + strings.Repeat("x", 600)
	tests := []struct {
		name  string
		in    string
		lines []string
		flags Flag
	}{
		{"one line", "250 OK\r\n", []string{"250 OK"}, 0},
		{"bare code", "250\r\n", []string{"250"}, 0},
		{"multi-line", "250-mx.example.com\r\n250-SIZE 1000\r\n250 8BITMIME\r\n",
			[]string{"250-mx.example.com", "250-SIZE 1000", "250 8BITMIME"}, 0},
		{"bare code ends a multi-line reply", "250-a\r\n250\r\n", []string{"250-a", "250"}, 0},
		{"mixed codes", "250-a\r\n251-b\r\n250 c\r\n", []string{"250-a", "251-b", "250 c"}, FlagMixedCodes},
		{"odd code 999", "999 x\r\n", []string{"999 x"}, FlagOddCode},
		{"odd code 100", "100 x\r\n", []string{"100 x"}, FlagOddCode},
		{"bare LF", "250 ok\n", []string{"250 ok"}, FlagBareLF},
		{"bare LF inside", "250-a\n250 b\r\n", []string{"250-a", "250 b"}, FlagBareLF},
		{"bare CR kept in text", "250 a\rb\r\n", []string{"250 a\rb"}, 0},
		{"long line", long + "\r\n", []string{long}, FlagLongLine},
		{"512 octets is not long", "250 " + strings.Repeat("x", 506) + "\r\n",
			[]string{"250 " + strings.Repeat("x", 506)}, 0},
		{"several flags", "999-a\n250 b\r\n", []string{"999-a", "250 b"}, FlagBareLF | FlagOddCode | FlagMixedCodes},
		{"empty text after SP", "250 \r\n", []string{"250 "}, 0},
	}
	for _, tt := range tests {
		for _, split := range []string{"whole", "one byte per read"} {
			t.Run(tt.name+"/"+split, func(t *testing.T) {
				in := tt.in + "221 next\r\n"
				c, _ := replyConn(in, Options{})
				if split != "whole" {
					c = oneByteConn(in, Options{})
				}
				r, err := c.ReadReply(ctx)
				if err != nil {
					t.Fatalf("ReadReply: %v", err)
				}
				if !reflect.DeepEqual(r.Lines, tt.lines) || r.Flags != tt.flags || string(r.Raw) != tt.in {
					t.Errorf("got %q flags %q raw %q\nwant %q flags %q raw %q", r.Lines, r.Flags, r.Raw, tt.lines, tt.flags, tt.in)
				}
				next, err := c.ReadReply(ctx)
				if err != nil || string(next.Raw) != "221 next\r\n" {
					t.Errorf("next reply = %q, %v; want the stream to continue", next.Raw, err)
				}
			})
		}
	}
}

// TestReadReplyMixedCodesNoted: a reply whose lines carry different codes
// frames, flagged, and the transcript says so after it: the mark every
// view of the transcript shows.
func TestReadReplyMixedCodesNoted(t *testing.T) {
	c, _ := replyConn("250-queued as 4F2A\r\n554 5.7.1 rejected\r\n250 ok\r\n", Options{})
	r, err := c.ReadReply(ctx)
	if err != nil || r.Flags != FlagMixedCodes {
		t.Fatalf("ReadReply = %q flags %q, %v", r.Lines, r.Flags, err)
	}
	n := notes(c.Transcript().Entries())
	if len(n) != 1 || !strings.Contains(n[0], "different codes (250, 554)") || !strings.Contains(n[0], "RFC 5321") {
		t.Errorf("notes %q, want the mixed codes named", n)
	}
	if _, err := c.ReadReply(ctx); err != nil || len(notes(c.Transcript().Entries())) != 1 {
		t.Errorf("a reply with one code: %v, notes %q", err, notes(c.Transcript().Entries()))
	}
}

func TestReadReplyMalformed(t *testing.T) {
	tests := []struct{ in, bytes string }{
		{"25 ok\r\n", "25 ok\r\n"},
		{"2500 x\r\n", "2500 x\r\n"},
		{"abc\r\n", "abc\r\n"},
		{"250ok\r\n", "250ok\r\n"},
		{"\r\n", "\r\n"},
		{"\n", "\n"},
		{"25\r\n", "25\r\n"},
		{"2a0 x\r\n", "2a0 x\r\n"},
		{"250-a\r\nabc\r\n", "250-a\r\nabc\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, _ := replyConn(tt.in+"250 fine\r\n", Options{})
			_, err := c.ReadReply(ctx)
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ProtocolError", err)
			}
			if string(pe.Bytes) != tt.bytes {
				t.Errorf("Bytes = %q, want %q", pe.Bytes, tt.bytes)
			}
			r, err := c.ReadReply(ctx)
			if err != nil || string(r.Raw) != "250 fine\r\n" {
				t.Errorf("after the bad line: %q, %v; want the stream to continue", r.Raw, err)
			}
		})
	}
}

func TestReadReplyClosed(t *testing.T) {
	c, _ := replyConn("", Options{})
	_, err := c.ReadReply(ctx)
	var ce *ClosedError
	if !errors.As(err, &ce) || !errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("empty stream: err = %v, want a ClosedError wrapping io.EOF", err)
	}

	c, _ = replyConn("250-a\r\n250 b", Options{})
	r, err := c.ReadReply(ctx)
	if !errors.As(err, &ce) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("mid-reply: err = %v, want a ClosedError wrapping io.ErrUnexpectedEOF", err)
	}
	if string(ce.Partial) != "250-a\r\n250 b" || string(r.Raw) != "250-a\r\n250 b" {
		t.Errorf("Partial = %q, Raw = %q", ce.Partial, r.Raw)
	}
	got := render(c.Transcript().Entries())
	want := "S    \"250-a\\r\\n\"\nS ~  \"250 b\"\n"
	if got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

func TestReadReplyLimits(t *testing.T) {
	tests := []struct {
		name string
		in   string
		lim  Limits
		want LimitError
	}{
		{"line", "250 " + strings.Repeat("x", 100) + "\r\n", Limits{MaxLine: 50}, LimitError{"line", 50}},
		{"line exactly at the limit is fine", "250 " + strings.Repeat("x", 44) + "\r\n250 y\r\n" + "250 " + strings.Repeat("x", 45) + "\r\n",
			Limits{MaxLine: 50}, LimitError{"line", 50}},
		{"lines", strings.Repeat("250-a\r\n", 5) + "250 z\r\n", Limits{MaxLines: 3}, LimitError{"lines", 3}},
		{"bytes", "250-aaaaaaaaaa\r\n250 bbbbbbbbbbb\r\n", Limits{MaxReply: 20}, LimitError{"bytes", 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := replyConn(tt.in, Options{Limits: tt.lim})
			var err error
			for err == nil {
				_, err = c.ReadReply(ctx)
			}
			var le *LimitError
			if !errors.As(err, &le) || *le != tt.want || !errors.Is(err, ErrLimit) {
				t.Errorf("err = %v, want %+v", err, tt.want)
			}
		})
	}
}

func TestReadReplyMaxLinesExactly(t *testing.T) {
	c, _ := replyConn("250-a\r\n250-b\r\n250 c\r\n", Options{Limits: Limits{MaxLines: 3}})
	if r, err := c.ReadReply(ctx); err != nil || len(r.Lines) != 3 {
		t.Errorf("ReadReply = %q, %v; want 3 lines", r.Lines, err)
	}
}

func TestFlagString(t *testing.T) {
	tests := map[Flag]string{
		0:                           "",
		FlagBareLF:                  "bare LF",
		FlagBareLF | FlagMixedCodes: "bare LF, mixed codes",
		FlagOddCode | FlagLongLine:  "odd code, long line",
		FlagLongLine | 1<<7:         "long line, unknown",
		FlagBareLF | FlagMixedCodes | FlagOddCode | FlagLongLine: "bare LF, mixed codes, odd code, long line",
	}
	for f, want := range tests {
		if got := f.String(); got != want {
			t.Errorf("Flag(%#x).String() = %q, want %q", uint8(f), got, want)
		}
	}
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		text string
		code int
		more bool
		ok   bool
	}{
		{"250 OK", 250, false, true},
		{"250-OK", 250, true, true},
		{"250", 250, false, true},
		{"000 x", 0, false, true},
		{"25", 0, false, false},
		{"250ok", 0, false, false},
		{"2500", 0, false, false},
		{"", 0, false, false},
		{"+OK", 0, false, false},
	}
	for _, tt := range tests {
		code, more, problem := parseLine([]byte(tt.text))
		if code != tt.code || more != tt.more || (problem == "") != tt.ok {
			t.Errorf("parseLine(%q) = %d, %v, %q", tt.text, code, more, problem)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&InjectionError{Bytes: []byte("250 x\r\n")}, "wire: possible response injection: 7 bytes after STARTTLS 220 before the TLS handshake"},
		{&ProtocolError{Msg: "reply line does not start with a three-digit code", Bytes: []byte("250-a\r\nabc\r\n")},
			`wire: reply line does not start with a three-digit code: "abc\r\n"`},
		{&LimitError{"line", 2048}, "wire: reply line longer than 2048 bytes"},
		{&LimitError{"lines", 256}, "wire: reply longer than 256 lines"},
		{&LimitError{"bytes", 65536}, "wire: reply longer than 65536 bytes"},
		{&ClosedError{}, "wire: the server closed the connection"},
		{&ClosedError{Partial: []byte("250-a\r\n250 b")}, `wire: the server closed the connection in the middle of a reply after 12 bytes: "250 b"`},
		{&PlaintextError{Bytes: []byte("220 hi\r\n")}, `wire: the server answered in plaintext where TLS was expected: "220 hi\r\n"`},
		{&TimeoutError{Op: "read reply", After: 200e6}, "wire: read reply: timed out after 200ms"},
		{&PlaintextError{Bytes: bytes.Repeat([]byte("a"), 100)}, `wire: the server answered in plaintext where TLS was expected: "` + strings.Repeat("a", 80) + `..."`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q\nwant       %q", got, tt.want)
		}
	}
}

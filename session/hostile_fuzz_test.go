package session

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// These fuzz targets strengthen the oracles of FuzzSanitize, FuzzParseReply
// and the AUTH helpers against the hostile-server list of SAFETY.md and
// issue 6. Seeds live in testdata/fuzz; `go test` replays them.

// unsafeRune reports a rune the terminal must never receive from a server,
// by an explicit list independent of the sanitizer's unicode tables: C0,
// DEL, C1, bidi controls and marks, zero-width and line/paragraph
// separators, the BOM, and non-characters (U+FFFD is a fine character).
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r >= 0x200b && r <= 0x200d, r == 0x2028, r == 0x2029, r == 0xfeff, r == 0x2060:
		return true
	case r&0xfffe == 0xfffe:
		return true
	}
	return false
}

// FuzzSanitizeDisplay checks what Sanitize gives a display:
//   - valid UTF-8 with no unsafe rune (explicit list above);
//   - nothing left for the sanitizer itself to escape except backslashes,
//     so a second pass only doubles them (no control or format character
//     survives by its own standard);
//   - every run of Escape unescapes on its own, and the runs put back
//     together give the input: each token stands for exactly its bytes.
func FuzzSanitizeDisplay(f *testing.F) {
	for _, s := range []string{
		"250 \x1b]52;c;ZXZpbA==\x07", "\x1b]0;owned\x07", "\x1b[2J\x1b[10;20H\x1b[A",
		"\x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\", "a\x00b", "\xff\xfe\xc3\x28",
		"ab\u202ecd\u2066\u200e\u200f", "550 no\r250 OK", "\u0085\u009b31m\xc2\x9b", `\x1b`, "\u00a0\u3000\ufeff\u200b",
		"\xed\xa0\x80", "\xc0\xaf", "\U0010ffff\U000e0001",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out := Sanitize(b)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 in %q", out)
		}
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("unsafe rune %U survives in %q", r, out)
			}
		}
		if again := Sanitize([]byte(out)); again != strings.ReplaceAll(out, `\`, `\\`) {
			t.Fatalf("a second pass escapes more than backslashes: %q -> %q", out, again)
		}
		var back []byte
		Escape(b, func(text string, escaped bool) {
			if !escaped && strings.Contains(text, `\`) {
				t.Fatalf("plain run %q holds a backslash", text)
			}
			part, err := Unescape(text)
			if err != nil {
				t.Fatalf("run %q does not unescape: %v", text, err)
			}
			if escaped && Sanitize(part) != text {
				t.Fatalf("token %q stands for %q, which sanitizes to %q", text, part, Sanitize(part))
			}
			back = append(back, part...)
		})
		if !bytes.Equal(back, b) {
			t.Fatalf("runs give back %q, want %q", back, b)
		}
	})
}

// validReplyLine is RFC 5321 section 4.2's Reply-line, by hand:
// %x32-35 2DIGIT [ (SP / "-") text ].
func validReplyLine(l string) bool {
	if len(l) < 3 || l[0] < '2' || l[0] > '5' || !isDigit(l[1]) || !isDigit(l[2]) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '-'
}

// FuzzParseReplyGrammar checks ParseReply against the grammar: it accepts
// exactly the line lists whose every line is a Reply-line carrying the same
// code (RFC 5321 4.2.1; valid lines with differing codes are a
// MixedCodesError), takes that code, and gives each line's text after the
// code, less an enhanced code of the reply's class that it reports.
func FuzzParseReplyGrammar(f *testing.F) {
	for _, s := range []string{
		"250 OK", "250", "25 ok", "2500 x", "abc", "999 x", "250ok", "199 x", "600 x",
		"250-a\n250 b", "250-a\n251 b", "550 5.1.1 no\n550 5.1.1 really", "250 2.0.0", "250 2.0.0OK",
		"421 4.3.2 closing\x1b[2J", "334 VXNlcm5hbWU6", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		valid, same := true, true
		for _, l := range lines {
			valid = valid && validReplyLine(l)
			same = same && valid && l[:3] == lines[0][:3]
		}
		r, err := ParseReply(lines)
		if (err == nil) != (valid && same) {
			t.Fatalf("ParseReply(%q) error %v, grammar says valid=%v, one code=%v", lines, err, valid, same)
		}
		var mixed *MixedCodesError
		if errors.As(err, &mixed) != (valid && !same) {
			t.Fatalf("ParseReply(%q) error %v: a MixedCodesError exactly when the lines are valid and their codes differ", lines, err)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformedReply) {
				t.Fatalf("error %v does not wrap ErrMalformedReply", err)
			}
			return
		}
		if code, _ := strconv.Atoi(lines[0][:3]); r.Code != code {
			t.Fatalf("code %d, first line %q", r.Code, lines[0])
		}
		for i, l := range lines {
			rest := ""
			if len(l) > 4 {
				rest = l[4:]
			}
			if !strings.HasSuffix(rest, r.Lines[i]) {
				t.Fatalf("line %d: text %q is not the end of %q", i, r.Lines[i], l)
			}
			cut := strings.TrimSuffix(rest[:len(rest)-len(r.Lines[i])], " ")
			if e, ok := ParseEnhancedCode(cut); cut != "" && (!ok || e != r.Enhanced) {
				t.Fatalf("line %d: %q cut from %q is not the enhanced code %v", i, cut, l, r.Enhanced)
			}
		}
	})
}

// FuzzAuthFlow plays a hostile server against each AUTH mechanism: any
// sequence of replies. The flow must answer at most MaxAuthRounds
// challenges, send each secret at most once, never show a secret in a
// shown form or an error, and send only lines that are valid commands.
func FuzzAuthFlow(f *testing.F) {
	f.Add(uint8(0), "wonderland-secret", "235 ok")
	f.Add(uint8(1), "wonderland-secret", "334 VXNlcm5hbWU6\n334 UGFzc3dvcmQ6\n334 UGFzc3dvcmQ6\n235 ok")
	f.Add(uint8(2), "wonderland-secret", "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\n235 ok")
	f.Add(uint8(3), "ya29.token-abcdef", "334 eyJzdGF0dXMiOiI0MDAifQ==\n535 no")
	f.Add(uint8(1), "wonderland-secret", strings.Repeat("334 UGFzc3dvcmQ6\n", 9)+"501 cancelled")
	f.Add(uint8(0), "wonderland-secret", "334 \n334 !!!\n501 x")
	f.Fuzz(func(t *testing.T, which uint8, secret, script string) {
		b64 := base64.StdEncoding.EncodeToString([]byte(secret))
		shownScript := script + "\n" + SanitizeString(script) // server text is shown sanitized
		if len(secret) < 8 || strings.ContainsAny(secret, "\x00\x01") || strings.Contains(shownScript, secret) || strings.Contains(shownScript, b64) {
			return
		}
		names := []string{"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"}
		mech, err := NewMechanism(names[int(which)%len(names)], "alice", secret)
		if err != nil {
			t.Fatal(err)
		}
		flow := NewAuthFlow(mech, "alice")
		line, shown, err := flow.Start()
		if err != nil {
			return // the mechanism refused the credentials
		}
		sent := []string{line}
		shownAll := []string{shown}
		answers := 0
		done := false
		for _, text := range strings.Split(script, "\n") {
			r, perr := ParseReply([]string{text})
			if perr != nil {
				continue
			}
			line, shown, done, err = flow.Next(r)
			if err != nil {
				shownAll = append(shownAll, err.Error())
			}
			if done {
				break
			}
			if r.Code == 334 && line != "*" {
				answers++
			}
			sent, shownAll = append(sent, line), append(shownAll, shown)
		}
		if done {
			if _, _, _, err := flow.Next(Reply{Code: 334}); !errors.Is(err, ErrAuthState) {
				t.Fatalf("Next after the end: %v", err)
			}
		}
		if answers > MaxAuthRounds {
			t.Fatalf("%d challenges answered, at most %d allowed", answers, MaxAuthRounds)
		}
		checkSentOnce(t, sent, secret)
		for _, s := range shownAll {
			if strings.Contains(s, secret) || strings.Contains(s, b64) {
				t.Fatalf("shown form %q reveals the secret", s)
			}
		}
	})
}

// maxAuthResponse is the longest AUTH response line a server must take
// (RFC 4954 section 4: 12288 octets), CRLF excluded.
const maxAuthResponse = 12288 - 2

// checkSentOnce fails when the secret is in more than one client line, the
// AUTH command is not a valid command line, or a response line holds CR or
// LF or passes RFC 4954's limit.
func checkSentOnce(t *testing.T, sent []string, secret string) {
	t.Helper()
	n := 0
	for i, l := range sent {
		if err := ValidateLine(l); i == 0 && err != nil {
			t.Fatalf("sent %q: %v", l, err)
		}
		if strings.ContainsAny(l, "\r\n") || len(l) > maxAuthResponse {
			t.Fatalf("sent a bad response line of %d octets: %q", len(l), l)
		}
		arg := l
		if f := strings.Fields(l); len(f) == 3 && f[0] == "AUTH" {
			arg = f[2]
		}
		if dec, err := base64.StdEncoding.DecodeString(arg); err == nil && bytes.Contains(dec, []byte(secret)) {
			n++
		}
	}
	if n > 1 {
		t.Fatalf("the secret went out %d times in %q", n, sent)
	}
}

// lowerASCII lower-cases the ASCII letters of s only, as upperASCII.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// TestKeywordsAreASCII: a keyword is compared in the ASCII sense only, so
// Unicode look-alikes of STARTTLS and AUTH do not count as them, and its
// bytes stay as sent.
func TestKeywordsAreASCII(t *testing.T) {
	c := ParseEHLO(Reply{Code: 250, Lines: []string{"mx", "\u017ftarttls", "\u212aUTH PLAIN", "auth login", "x\xff"}})
	if c.Has("STARTTLS") || !c.Has("auth") || c.List[1].Keyword != "\u212aUTH" || c.List[3].Keyword != "X\xff" {
		t.Errorf("capabilities %+v", c.List)
	}
	if got := c.AuthMechanisms(); len(got) != 1 || got[0] != "LOGIN" {
		t.Errorf("mechanisms %q", got)
	}
}

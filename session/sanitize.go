package session

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrBadEscape reports text that Unescape cannot read back.
var ErrBadEscape = errors.New("session: bad escape")

// Sanitize is the one sanitizer between server bytes and any display
// (SAFETY.md: kubectl CVE-2021-25743, git CVE-2024-52005, xterm
// CVE-2022-45063). It is lossless: Unescape(Sanitize(b)) == b.
//
//   - Printable ASCII passes, except the backslash, which becomes `\\`.
//   - CR, LF and TAB become `\r`, `\n`, `\t`, so a bare CR never paints
//     "250 OK" over "550 no"; other C0 controls and DEL become `\xNN`
//     (ESC is `\x1b`).
//   - Each byte of invalid UTF-8 (surrogates and overlong forms included)
//     becomes `\xNN`.
//   - Valid runes pass when unicode.IsGraphic holds, which already refuses C1
//     controls (U+0080-U+009F), format characters (Cf: bidi controls such as
//     U+202E and U+2066-U+2069, zero-width U+200B, U+FEFF), private use,
//     unassigned code points and the separators U+2028/U+2029. Also refused:
//     spaces other than U+0020 (U+00A0, U+3000...: they look like a space
//     but are not one, and an SMTP reply parser would not take them as one)
//     and the invisible default-ignorable code points (variation selectors,
//     Hangul fillers). Refused runes become `\uXXXX`, or `\UXXXXXXXX`
//     above U+FFFF, in lower-case hex.
func Sanitize(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	Escape(b, func(text string, _ bool) { sb.WriteString(text) })
	return sb.String()
}

// SanitizeString is Sanitize for a string.
func SanitizeString(s string) string { return Sanitize([]byte(s)) }

// Escape streams what Sanitize produces as runs of plain text (escaped
// false) and single escape tokens such as `\x1b` or `\\` (escaped true), so
// that a display can style the tokens. The concatenated texts equal
// Sanitize(b); visit never receives an empty text.
func Escape(b []byte, visit func(text string, escaped bool)) {
	start := 0
	for i := 0; i < len(b); {
		token, size := escapeAt(b, i)
		if token == "" {
			i += size
			continue
		}
		if i > start {
			visit(string(b[start:i]), false)
		}
		visit(token, true)
		i += size
		start = i
	}
	if start < len(b) {
		visit(string(b[start:]), false)
	}
}

// escapeAt returns the token for the byte or rune at b[i] ("" when it
// passes unchanged) and its length in bytes.
func escapeAt(b []byte, i int) (string, int) {
	if c := b[i]; c < utf8.RuneSelf {
		return escapeASCII(c), 1
	}
	r, size := utf8.DecodeRune(b[i:])
	switch {
	case r == utf8.RuneError && size == 1:
		return hexByte(b[i]), 1
	case printable(r):
		return "", size
	case r > 0xffff:
		return fmt.Sprintf(`\U%08x`, r), size
	}
	return fmt.Sprintf(`\u%04x`, r), size
}

func escapeASCII(c byte) string {
	switch {
	case c == '\\':
		return `\\`
	case ' ' <= c && c < 0x7f:
		return ""
	case c == '\r':
		return `\r`
	case c == '\n':
		return `\n`
	case c == '\t':
		return `\t`
	}
	return hexByte(c)
}

func hexByte(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{'\\', 'x', digits[c>>4], digits[c&0xf]})
}

// printable reports whether a non-ASCII rune may reach the terminal as is.
func printable(r rune) bool {
	if !unicode.IsGraphic(r) || unicode.Is(unicode.Zs, r) {
		return false
	}
	return !unicode.In(r, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// Unescape reverses Sanitize: Unescape(Sanitize(b)) == b for every b. It
// reads `\\`, `\r`, `\n`, `\t`, `\xNN`, `\uXXXX` and `\UXXXXXXXX`; any other
// text passes as its bytes. A backslash followed by anything else, too few
// hex digits, or a `\u`/`\U` that is not a Unicode scalar value is an error
// wrapping ErrBadEscape.
func Unescape(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '\\')
		if j < 0 {
			return append(out, s[i:]...), nil
		}
		out = append(out, s[i:i+j]...)
		i += j
		var n int
		var err error
		if out, n, err = unescapeAt(out, s[i:]); err != nil {
			return nil, fmt.Errorf("%w at offset %d", err, i)
		}
		i += n
	}
	return out, nil
}

// unescapeAt appends the bytes of the token at the start of s (which begins
// with a backslash) and returns the token's length.
func unescapeAt(out []byte, s string) ([]byte, int, error) {
	if len(s) < 2 {
		return out, 0, ErrBadEscape
	}
	switch s[1] {
	case '\\':
		return append(out, '\\'), 2, nil
	case 'r':
		return append(out, '\r'), 2, nil
	case 'n':
		return append(out, '\n'), 2, nil
	case 't':
		return append(out, '\t'), 2, nil
	case 'x':
		v, err := parseHex(s, 2)
		return append(out, byte(v)), 4, err
	case 'u':
		v, err := parseHex(s, 4)
		return appendRune(out, v, 6, err)
	case 'U':
		v, err := parseHex(s, 8)
		return appendRune(out, v, 10, err)
	}
	return out, 0, ErrBadEscape
}

// parseHex reads exactly n hex digits after the two-byte prefix of s.
func parseHex(s string, n int) (uint64, error) {
	if len(s) < 2+n {
		return 0, ErrBadEscape
	}
	digits := s[2 : 2+n]
	for i := 0; i < len(digits); i++ {
		if !isHex(digits[i]) {
			return 0, ErrBadEscape
		}
	}
	return strconv.ParseUint(digits, 16, 32)
}

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func appendRune(out []byte, v uint64, n int, err error) ([]byte, int, error) {
	if err != nil {
		return out, 0, err
	}
	if v > unicode.MaxRune || !utf8.ValidRune(rune(v)) {
		return out, 0, ErrBadEscape
	}
	return utf8.AppendRune(out, rune(v)), n, nil
}

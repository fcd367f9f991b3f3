package identity

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// maxExpanded bounds what a macro-string may expand to before it is cut to
// a domain: a local part of 64 octets repeated cannot get near it, a
// hostile record's "%{s}%{s}%{s}..." can.
const maxExpanded = 4096

// checkMacroString checks the syntax of a macro-string (RFC 7208 7.1)
// without expanding it.
func checkMacroString(s string) *spfError {
	_, err := expand(s, func(byte) string { return "" }, false)
	return err
}

// expand expands the macros of s, taking each letter's value from value
// (RFC 7208 7.3, 7.4). exp allows c, r and t, which only exp= may use.
func expand(s string, value func(letter byte) string, exp bool) (string, *spfError) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			return "", &spfError{result: PermError, reason: fmt.Sprintf("\"%s\" holds a character a macro-string cannot", s), cause: CauseSyntax}
		}
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", &spfError{result: PermError, reason: "a lone % at the end of " + s, cause: CauseSyntax}
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case '_':
			b.WriteByte(' ')
		case '-':
			b.WriteString("%20")
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", &spfError{result: PermError, reason: "an unclosed %{ in " + s, cause: CauseSyntax}
			}
			v, err := expandOne(s[i+1:i+end], value, exp)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i += end
		default:
			return "", &spfError{result: PermError, reason: fmt.Sprintf("%%%c is not a macro (use %%%% for a percent sign)", s[i]), cause: CauseSyntax}
		}
		if b.Len() > maxExpanded {
			return "", &spfError{result: PermError, reason: fmt.Sprintf("the macros expand to more than %d octets", maxExpanded), cause: CauseSyntax}
		}
	}
	return b.String(), nil
}

// expandOne expands the inside of one %{...}: a letter, digits, "r", and
// delimiters.
func expandOne(m string, value func(byte) string, exp bool) (string, *spfError) {
	if m == "" {
		return "", &spfError{result: PermError, reason: "an empty %{}", cause: CauseSyntax}
	}
	letter := m[0]
	lower := letter | 0x20
	if !strings.ContainsRune("slodipvh", rune(lower)) && !(exp && strings.ContainsRune("crt", rune(lower))) {
		return "", &spfError{result: PermError, reason: fmt.Sprintf("%%{%c} is not a macro letter here", letter), cause: CauseSyntax}
	}
	rest := m[1:]
	digits := 0
	for len(rest) > 0 && isDigit(rest[0]) {
		digits = digits*10 + int(rest[0]-'0')
		if digits > 128 {
			digits = 128 // more parts than any name has: all of them
		}
		rest = rest[1:]
	}
	if len(rest) < len(m)-1 && digits == 0 {
		return "", &spfError{result: PermError, reason: "%{" + m + "}: the number of parts must not be 0", cause: CauseSyntax}
	}
	reverse := false
	if len(rest) > 0 && (rest[0] == 'r' || rest[0] == 'R') {
		reverse, rest = true, rest[1:]
	}
	if strings.Trim(rest, ".-+,/_=") != "" {
		return "", &spfError{result: PermError, reason: "%{" + m + "}: bad delimiters", cause: CauseSyntax}
	}
	v := transform(value(lower), digits, reverse, rest)
	if letter != lower { // an upper-case letter: URL-escaped (RFC 7208 7.3)
		v = strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
	}
	return v, nil
}

// transform splits v on the delimiters (default "."), reverses the parts
// when asked, keeps the rightmost n (all when 0) and joins them with dots.
func transform(v string, n int, reverse bool, delims string) string {
	if delims == "" {
		delims = "."
	}
	parts := splitAny(v, delims) // empty parts stay: "a..b" has three
	if reverse {
		slices.Reverse(parts)
	}
	if n > 0 && n < len(parts) {
		parts = parts[len(parts)-n:]
	}
	return strings.Join(parts, ".")
}

func splitAny(v, delims string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(v); i++ {
		if strings.IndexByte(delims, v[i]) >= 0 {
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

// macro is the value of a macro letter in this evaluation, for the
// record of domain.
func (e *evaluator) macro(domain string) func(byte) string {
	return func(letter byte) string {
		switch letter {
		case 's':
			return e.sender
		case 'l':
			return e.local
		case 'o':
			return e.senderDomain
		case 'd':
			return domain
		case 'i':
			return dottedIP(e)
		case 'p':
			return e.validatedName(domain)
		case 'v':
			if e.ip.Is4() {
				return "in-addr"
			}
			return "ip6"
		case 'h':
			return e.helo
		case 'c':
			return e.ip.String()
		case 'r':
			return "unknown"
		case 't':
			return fmt.Sprint(time.Now().Unix())
		}
		return ""
	}
}

// dottedIP is %{i}: an IPv4 address as is, an IPv6 address as its 32
// nibbles separated by dots (RFC 7208 7.3).
func dottedIP(e *evaluator) string {
	if e.ip.Is4() {
		return e.ip.String()
	}
	b := e.ip.As16()
	nibbles := make([]string, 0, 32)
	for _, x := range b {
		nibbles = append(nibbles, fmt.Sprintf("%x", x>>4), fmt.Sprintf("%x", x&0xf))
	}
	return strings.Join(nibbles, ".")
}

// expandDomain expands a domain-spec (domain when spec is empty) and cuts
// it to 253 octets by dropping labels from the left (RFC 7208 7.3).
func (e *evaluator) expandDomain(spec, domain string) (string, error) {
	if spec == "" {
		return domain, nil
	}
	s, err := expand(spec, e.macro(domain), false)
	if err != nil {
		return "", err
	}
	s = strings.TrimSuffix(s, ".")
	for len(s) > 253 {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return "", permerror("%s expands to a name longer than 253 octets", spec)
		}
		s = s[i+1:]
	}
	return s, nil
}

package session

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrMalformedReply reports reply lines that break RFC 5321 section 4.2:
// no lines at all, or a line that does not start with a three-digit code
// followed by SP, "-" or the end of the line.
var ErrMalformedReply = errors.New("session: malformed reply")

// Class is the first digit of a reply code (RFC 5321 section 4.2.1).
type Class int

// The reply classes of RFC 5321 section 4.2.1.
const (
	ClassPositive     Class = 2 // 2yz: positive completion
	ClassIntermediate Class = 3 // 3yz: positive intermediate
	ClassTransient    Class = 4 // 4yz: transient negative completion
	ClassPermanent    Class = 5 // 5yz: permanent negative completion
)

// String names the class, e.g. "transient negative".
func (c Class) String() string {
	switch c {
	case ClassPositive:
		return "positive completion"
	case ClassIntermediate:
		return "positive intermediate"
	case ClassTransient:
		return "transient negative"
	case ClassPermanent:
		return "permanent negative"
	}
	return fmt.Sprintf("class %d", int(c))
}

// Class returns the class of the reply code, Code/100.
func (r Reply) Class() Class { return Class(r.Code / 100) }

// Text returns the text of all lines joined with "\n".
func (r Reply) Text() string { return strings.Join(r.Lines, "\n") }

// OK reports whether the reply is a positive completion (2yz).
func (r Reply) OK() bool { return r.Class() == ClassPositive }

// MixedCodesError reports a multi-line reply whose lines do not all carry
// the same code. RFC 5321 section 4.2.1 requires one code on every line of
// a reply, so such a reply says two things at once ("250-queued" then "554
// rejected") and answers nothing: it must be shown as a protocol error,
// never acted on as its first or its last line would have it. It wraps
// ErrMalformedReply.
type MixedCodesError struct {
	Lines []string // the reply's lines as received, codes included, without line endings
}

func (e *MixedCodesError) Error() string {
	codes := make([]string, 0, len(e.Lines))
	for _, c := range e.Codes() {
		codes = append(codes, fmt.Sprintf("%03d", c))
	}
	return fmt.Sprintf("%v: its lines carry different codes (%s); RFC 5321 4.2.1 requires the same code on every line",
		ErrMalformedReply, strings.Join(codes, ", "))
}

// Unwrap returns ErrMalformedReply.
func (e *MixedCodesError) Unwrap() error { return ErrMalformedReply }

// Codes returns the codes of the lines, each once, in the order they come.
func (e *MixedCodesError) Codes() []int {
	var codes []int
	for _, line := range e.Lines {
		if code, _, err := parseCodeLine(line); err == nil && !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	return codes
}

// ParseReply parses the lines of one reply as framed by package wire, without
// their line endings. Lines whose codes differ make a *MixedCodesError
// (RFC 5321 section 4.2.1), and no Reply: wire frames such a reply to its
// end, and flags it, but it answers nothing.
//
// When the first line's text starts with an enhanced status code of the
// reply's class (RFC 2034 section 4), it becomes Reply.Enhanced and is removed,
// with one separating space, from every line that carries the same code.
// Reply.Raw keeps lines itself, as received.
func ParseReply(lines []string) (Reply, error) {
	if len(lines) == 0 {
		return Reply{}, fmt.Errorf("%w: no lines", ErrMalformedReply)
	}
	r := Reply{Lines: make([]string, len(lines)), Raw: lines}
	mixed := false
	for i, line := range lines {
		code, text, err := parseCodeLine(line)
		if err != nil {
			return Reply{}, fmt.Errorf("%w: line %d: %v", ErrMalformedReply, i+1, err)
		}
		if i == 0 {
			r.Code = code
			r.Enhanced, _, _ = cutEnhanced(text, code/100)
		}
		if code != r.Code {
			mixed = true
		}
		r.Lines[i] = stripEnhanced(text, r.Enhanced)
	}
	if mixed {
		return Reply{}, &MixedCodesError{Lines: slices.Clone(lines)}
	}
	return r, nil
}

// parseCodeLine splits one reply line into its code and text
// (RFC 5321 section 4.2: Reply-code [ SP / "-" textstring ]).
// The first digit must be 2 to 5 (%x32-35); the others are any digit.
func parseCodeLine(line string) (code int, text string, err error) {
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || !isDigit(line[1]) || !isDigit(line[2]) {
		return 0, "", fmt.Errorf("no reply code: %s", SanitizeString(clip(line, 40)))
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if len(line) == 3 {
		return code, "", nil // "250" alone is a valid line (RFC 5321 section 4.2 ABNF)
	}
	if line[3] != ' ' && line[3] != '-' {
		return 0, "", fmt.Errorf("no SP or \"-\" after the code: %s", SanitizeString(clip(line, 40)))
	}
	return code, line[4:], nil
}

// ParseEnhancedCode parses a whole string as an RFC 3463 status code:
// class "2", "4" or "5", then subject and detail of one to three digits.
func ParseEnhancedCode(s string) (EnhancedCode, bool) {
	e, n := scanEnhanced(s)
	return e, n > 0 && n == len(s)
}

// cutEnhanced removes a leading enhanced code of the given reply class and
// one separating space from text (RFC 2034 section 4: the code is followed
// by SP or ends the text).
func cutEnhanced(text string, class int) (EnhancedCode, string, bool) {
	e, n := scanEnhanced(text)
	if n == 0 || e.Class != class {
		return EnhancedCode{}, text, false
	}
	rest := text[n:]
	if rest != "" {
		rest = rest[1:] // the single SP; any further whitespace is text
	}
	return e, rest, true
}

// stripEnhanced removes e from the start of text when text starts with it.
func stripEnhanced(text string, e EnhancedCode) string {
	if e.IsZero() {
		return text
	}
	got, rest, ok := cutEnhanced(text, e.Class)
	if !ok || got != e {
		return text
	}
	return rest
}

// scanEnhanced reads D.D{1,3}.D{1,3} at the start of s, followed by SP or
// the end of s, and returns the code and its length (0 when absent).
func scanEnhanced(s string) (EnhancedCode, int) {
	if len(s) < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.' {
		return EnhancedCode{}, 0
	}
	subject, i := scanNumber(s, 2)
	if i == 2 || i >= len(s) || s[i] != '.' {
		return EnhancedCode{}, 0
	}
	detail, j := scanNumber(s, i+1)
	if j == i+1 || (j < len(s) && s[j] != ' ') {
		return EnhancedCode{}, 0
	}
	return EnhancedCode{Class: int(s[0] - '0'), Subject: subject, Detail: detail}, j
}

// scanNumber reads up to three digits of s from i and returns their value
// and the index after them. A fourth digit makes it fail (returns i).
func scanNumber(s string, i int) (int, int) {
	n, j := 0, i
	for j < len(s) && isDigit(s[j]) {
		if j-i == 3 {
			return 0, i
		}
		n = n*10 + int(s[j]-'0')
		j++
	}
	return n, j
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// clip shortens s to at most n bytes, for error messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

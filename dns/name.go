package dns

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrName is the error for a name that cannot be asked: empty, too long,
// with an empty label, or not a valid internationalized domain name.
var ErrName = errors.New("not a domain name")

// NameError is a name ParseName refused, and why when there is more to say
// than ErrName; errors.Is(err, ErrName) holds.
type NameError struct {
	Name string // as given
	Why  string // "" or the reason, such as the IDNA rule it breaks
}

func (e *NameError) Error() string {
	if e.Why == "" {
		return fmt.Sprintf("%q: %v", e.Name, ErrName)
	}
	return fmt.Sprintf("%q: %v (%s)", e.Name, ErrName, e.Why)
}

// Shown is a name as ehlo shows it in words, errors and reports: without
// the final dot of an FQDN ("mx.example.org." is "mx.example.org"); the
// root stays ".". The transcript's D: lines and the JSON's "dns" list keep
// the FQDN, as asked.
func Shown(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}

// Unwrap returns ErrName.
func (e *NameError) Unwrap() error { return ErrName }

// toASCII maps a name typed by a person to the A-labels sent on the wire
// (RFC 5890, UTS #46 lookup mapping). Underscores stay allowed, for
// _25._tcp, _mta-sts and _smtp._tls names; lengths are checked.
var toASCII = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false),
	idna.StrictDomainName(false), idna.VerifyDNSLength(true))

// toUnicode maps A-labels back to U-labels, for display.
var toUnicode = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false),
	idna.StrictDomainName(false))

// Name is a domain name in its two forms: ASCII is what goes on the wire
// (A-labels, lower case, an FQDN with the final dot), Unicode what a person
// reads (U-labels, also with the final dot). They are equal for a name
// without internationalized labels.
type Name struct {
	ASCII   string
	Unicode string
}

// ParseName reads a domain name as a person typed it: U-labels or
// A-labels, with or without the final dot. "." is the root.
func ParseName(s string) (Name, error) {
	if s == "." {
		return Name{".", "."}, nil
	}
	bare := strings.TrimSuffix(s, ".")
	if bare == "" || !utf8.ValidString(bare) || strings.ContainsFunc(bare, badNameRune) {
		return Name{}, &NameError{Name: s}
	}
	ascii, err := toASCII.ToASCII(bare)
	if err != nil {
		return Name{}, &NameError{Name: s, Why: err.Error()}
	}
	if strings.ContainsFunc(ascii, notHostRune) {
		return Name{}, &NameError{Name: s, Why: fmt.Sprintf("%q holds characters a host name cannot", ascii)}
	}
	if again, err := toASCII.ToASCII(ascii); err != nil || again != ascii {
		return Name{}, &NameError{Name: s, Why: fmt.Sprintf("its A-labels %q are not valid", ascii)}
	}
	uni, err := toUnicode.ToUnicode(ascii)
	if err != nil {
		uni = ascii // an A-label that does not decode: show it as sent
	}
	return Name{ASCII: ascii + ".", Unicode: uni + "."}, nil
}

// badNameRune reports runes no name may hold as a person types it: spaces,
// control characters and the backslash of DNS presentation escapes.
func badNameRune(r rune) bool {
	return r <= ' ' || r == 0x7f || r == '\\' || (r >= 0x80 && r < 0xa0)
}

// notHostRune reports runes outside the letters, digits, hyphen and dot
// of host names (RFC 1123 2.1), and the underscore of service names (RFC
// 8552), once a name is in A-labels.
func notHostRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_')
}

// String is the name for display: the Unicode form, followed by the ASCII
// form in parentheses when they differ.
func (n Name) String() string {
	if n.Unicode == n.ASCII || n.Unicode == "" {
		return n.ASCII
	}
	return n.Unicode + " (" + n.ASCII + ")"
}

// Display is the Unicode form of an FQDN from an answer (an MX exchange, a
// CNAME target), or the name as given when it has none.
func Display(fqdn string) string {
	n, err := ParseName(fqdn)
	if err != nil {
		return fqdn
	}
	return n.Unicode
}

// equalNames compares two FQDNs as DNS does: ASCII letters without case
// (RFC 4343).
func equalNames(a, b string) bool { return strings.EqualFold(a, b) }

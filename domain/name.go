package domain

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name is a domain name in both its forms (RFC 5890): ASCII, the A-label
// form sent in DNS questions, lower case without the final dot; Unicode,
// the U-label form shown to people (equal to ASCII when no label is an
// IDN).
type Name struct {
	ASCII   string
	Unicode string
}

// String is the name as shown: "bücher.example (xn--bcher-kva.example)"
// for an IDN, else the ASCII form.
func (n Name) String() string {
	if n.Unicode != "" && n.Unicode != n.ASCII {
		return n.Unicode + " (" + n.ASCII + ")"
	}
	return n.ASCII
}

// FQDN is the ASCII form with the final dot, as dns.Resolver asks it.
func (n Name) FQDN() string { return n.ASCII + "." }

// ErrBadName reports a name that is not a host name.
var ErrBadName = errors.New("not a domain name")

// ParseName reads a domain name as a user types it, in U-labels or
// A-labels, with or without the final dot: each label is lowered and,
// when it is not ASCII, encoded with Punycode (RFC 3492) behind "xn--".
// It refuses what no host name holds: empty labels, labels over 63 octets,
// names over 253, characters other than letters, digits, hyphens and (for
// the service labels DNS uses) underscores. Unicode normalisation (NFC,
// RFC 5891 5.2) is not applied: type the name in its composed form.
func ParseName(s string) (Name, error) {
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return Name{}, fmt.Errorf("%w: empty", ErrBadName)
	}
	if !utf8.ValidString(s) {
		return Name{}, fmt.Errorf("%w: %q is not UTF-8", ErrBadName, s)
	}
	var ascii, uni []string
	for _, label := range strings.Split(s, ".") {
		a, u, err := parseLabel(label)
		if err != nil {
			return Name{}, fmt.Errorf("%w: %q: %v", ErrBadName, s, err)
		}
		ascii, uni = append(ascii, a), append(uni, u)
	}
	n := Name{ASCII: strings.Join(ascii, "."), Unicode: strings.Join(uni, ".")}
	if len(n.ASCII) > 253 {
		return Name{}, fmt.Errorf("%w: %d octets, over the 253 a name may have", ErrBadName, len(n.ASCII))
	}
	return n, nil
}

// parseLabel gives one label's A-label and U-label forms.
func parseLabel(label string) (ascii, uni string, err error) {
	if label == "" {
		return "", "", errors.New("an empty label")
	}
	lower := strings.ToLower(label)
	ascii, uni = lower, lower
	if !isASCII(lower) {
		for _, r := range lower {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Mc, r) && r != '-' {
				return "", "", fmt.Errorf("%q is not a letter, digit or hyphen", r)
			}
		}
		enc, err := punyEncode(lower)
		if err != nil {
			return "", "", err
		}
		ascii = "xn--" + enc
	} else if rest, ok := strings.CutPrefix(lower, "xn--"); ok {
		dec, err := punyDecode(rest)
		if err != nil {
			return "", "", fmt.Errorf("label %q: bad Punycode: %v", label, err)
		}
		uni = dec
	}
	if len(ascii) > 63 {
		return "", "", fmt.Errorf("label %q has %d octets, over 63", label, len(ascii))
	}
	for _, c := range []byte(ascii) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", "", fmt.Errorf("%q is not a letter, digit, hyphen or underscore", c)
		}
	}
	if ascii[0] == '-' || ascii[len(ascii)-1] == '-' {
		return "", "", fmt.Errorf("label %q begins or ends with a hyphen", label)
	}
	return ascii, uni, nil
}

// NameFromDNS reads a name as DNS gave it (an FQDN, possibly with
// A-labels); a name that does not parse is kept as it came in both forms,
// for display through the sanitizer.
func NameFromDNS(fqdn string) Name {
	n, err := ParseName(fqdn)
	if err != nil || !isASCII(fqdn) {
		s := strings.ToLower(strings.TrimSuffix(fqdn, "."))
		return Name{ASCII: s, Unicode: s}
	}
	return n
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Address splits what probe --mx takes, DOMAIN, DOMAIN:PORT or
// user@domain (an address: its domain is the next hop, RFC 5321 5.1), into
// the domain and the port ("" for the default). An address's local part
// is dropped; it is never sent.
func Address(arg string) (name Name, port string, err error) {
	s := arg
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		s = s[at+1:]
	}
	if host, p, ok := strings.Cut(s, ":"); ok {
		n, perr := strconv.Atoi(p)
		if perr != nil || n < 1 || n > 65535 || strings.TrimLeft(p, "0123456789") != "" {
			return Name{}, "", fmt.Errorf("%q: bad port %q (want 1 to 65535)", arg, p)
		}
		s, port = host, p
	}
	if s != "" && (strings.HasPrefix(s, "[") || strings.Trim(s, "0123456789.") == "") {
		return Name{}, "", fmt.Errorf("%q: an address literal has no MX; give a domain, or probe the address itself", arg)
	}
	name, err = ParseName(s)
	return name, port, err
}

package domain

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ehlo-sh/ehlo/dns"
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
// A-labels, with or without the final dot: dns.ParseName maps it to
// A-labels (UTS #46, IDNA2008). It refuses what no host name holds: empty
// labels, labels over 63 octets, names over 253, characters other than
// letters, digits, hyphens and (for the service labels DNS uses)
// underscores.
func ParseName(s string) (Name, error) {
	bad := func(why string) error {
		if why != "" {
			why = ": " + why
		}
		return fmt.Errorf("%s is %w%s", quote(s), ErrBadName, why)
	}
	if strings.TrimSuffix(s, ".") == "" {
		return Name{}, bad("empty")
	}
	if !utf8.ValidString(s) {
		return Name{}, bad("not UTF-8")
	}
	n, err := dns.ParseName(s)
	if err != nil {
		why := ""
		if ne, ok := errors.AsType[*dns.NameError](err); ok {
			why = strings.TrimPrefix(ne.Why, "idna: ")
		}
		return Name{}, bad(why)
	}
	ascii := strings.TrimSuffix(n.ASCII, ".")
	for _, label := range strings.Split(ascii, ".") {
		if err := checkLabel(label); err != nil {
			return Name{}, bad(err.Error())
		}
	}
	if len(ascii) > 253 {
		return Name{}, bad(fmt.Sprintf("%d octets, over the 253 a name may have", len(ascii)))
	}
	return Name{ASCII: ascii, Unicode: strings.TrimSuffix(n.Unicode, ".")}, nil
}

// checkLabel checks one A-label: letters, digits, hyphens, underscores,
// 1 to 63 octets, no hyphen at either end.
func checkLabel(label string) error {
	if label == "" || len(label) > 63 {
		return fmt.Errorf("a label of %d octets", len(label))
	}
	for _, c := range []byte(label) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%q is not a letter, digit, hyphen or underscore", c)
		}
	}
	if label[0] == '-' || label[len(label)-1] == '-' {
		return fmt.Errorf("label %q begins or ends with a hyphen", label)
	}
	return nil
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

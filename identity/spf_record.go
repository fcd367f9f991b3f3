package identity

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// term is one directive or modifier of an SPF record (RFC 7208 4.6.1).
type term struct {
	raw       string
	modifier  bool
	qualifier byte   // '+', '-', '~' or '?'
	name      string // the mechanism or modifier's name, lower case
	arg       string // after ':' (a mechanism) or '=' (a modifier): a domain-spec, an address
	hasArg    bool
	cidr4     int // -1 when absent
	cidr6     int
	network   netip.Prefix // ip4, ip6
}

// result is what a matching mechanism gives (RFC 7208 4.6.2).
func (t *term) result() Result {
	switch t.qualifier {
	case '-':
		return Fail
	case '~':
		return SoftFail
	case '?':
		return Neutral
	}
	return Pass
}

// parseRecord reads a whole record first: a syntax error anywhere is a
// permerror before anything is evaluated (RFC 7208 4.6).
func parseRecord(rec string) ([]term, error) {
	var terms []term
	seen := map[string]bool{}
	for i, raw := range strings.Split(rec, " ") {
		if i == 0 || raw == "" { // "v=spf1", and the extra spaces 1*SP allows
			continue
		}
		t, err := parseTerm(raw)
		if err != nil {
			if se, ok := err.(*spfError); ok {
				se.term = raw
			}
			return nil, err
		}
		if t.modifier && (t.name == "redirect" || t.name == "exp") {
			if seen[t.name] {
				return nil, permerror("%s= appears twice (RFC 7208 6)", t.name)
			}
			seen[t.name] = true
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// parseTerm reads one term.
func parseTerm(raw string) (term, error) {
	t := term{raw: raw, qualifier: '+', cidr4: -1, cidr6: -1}
	if name, value, ok := modifierOf(raw); ok {
		t.modifier, t.name, t.arg, t.hasArg = true, strings.ToLower(name), value, true
		if err := checkMacroString(value); err != nil {
			return t, permerror("%s: %s", raw, err.reason)
		}
		if (t.name == "redirect" || t.name == "exp") && checkDomainSpec(value) != nil {
			return t, permerror("%s: not a domain", raw)
		}
		return t, nil
	}
	s := raw
	if strings.ContainsRune("+-~?", rune(s[0])) {
		t.qualifier, s = s[0], s[1:]
	}
	end := strings.IndexAny(s, ":/")
	if end < 0 {
		end = len(s)
	}
	t.name, s = strings.ToLower(s[:end]), s[end:]
	var err error
	switch t.name {
	case "all":
		if s != "" {
			return t, permerror("%s: all takes nothing after it", raw)
		}
	case "include", "exists":
		t.arg, t.hasArg = strings.CutPrefix(s, ":")
		if !t.hasArg || checkDomainSpec(t.arg) != nil {
			return t, permerror("%s: %s needs a domain (%s:example.org)", raw, t.name, t.name)
		}
	case "a", "mx":
		err = t.parseDomainCIDR(s)
	case "ptr":
		if s != "" {
			t.arg, t.hasArg = strings.CutPrefix(s, ":")
			if !t.hasArg || checkDomainSpec(t.arg) != nil {
				return t, permerror("%s: not a domain", raw)
			}
		}
	case "ip4", "ip6":
		err = t.parseNetwork(s)
	default:
		return t, permerror("%s: unknown mechanism \"%s\"", raw, t.name)
	}
	return t, err
}

// modifierOf splits name=value when raw is a modifier: a name of letters,
// digits, '-', '_' and '.', starting with a letter, then '=' (RFC 7208 12).
func modifierOf(raw string) (name, value string, ok bool) {
	i := strings.IndexByte(raw, '=')
	if i <= 0 || !isAlpha(raw[0]) {
		return "", "", false
	}
	for _, c := range []byte(raw[:i]) {
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return "", "", false
		}
	}
	return raw[:i], raw[i+1:], true
}

// parseDomainCIDR reads a or mx's [":" domain-spec] [dual-cidr-length].
// The prefix lengths are read from the end: a domain-spec may hold ':' and
// '/' (RFC 7208 7.1: "a:foo:bar/baz.example.com" names that domain).
func (t *term) parseDomainCIDR(s string) error {
	m := dualCIDR().FindStringSubmatch(s)
	spec := s[:len(s)-len(m[0])]
	if spec != "" {
		rest, ok := strings.CutPrefix(spec, ":")
		if !ok || checkDomainSpec(rest) != nil {
			return permerror("%s: not a domain", t.raw)
		}
		t.arg, t.hasArg = rest, true
	}
	var err error
	if m[1] != "" {
		if t.cidr4, err = cidr(m[1], 32); err != nil {
			return permerror("%s: bad IPv4 prefix length", t.raw)
		}
	}
	if m[2] != "" {
		if t.cidr6, err = cidr(m[2], 128); err != nil {
			return permerror("%s: bad IPv6 prefix length", t.raw)
		}
	}
	return nil
}

// dualCIDR matches a dual-cidr-length at the end of a term: "/24",
// "//64", "/24//64".
var dualCIDR = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:/([0-9]+))?(?://([0-9]+))?$`)
}) // compiled at the first SPF record, not at every start

// parseNetwork reads ip4's or ip6's ":" address ["/" length].
func (t *term) parseNetwork(s string) error {
	rest, ok := strings.CutPrefix(s, ":")
	if !ok {
		return permerror("%s: %s needs an address (%s:192.0.2.0/24)", t.raw, t.name, t.name)
	}
	addr, length, hasLen := strings.Cut(rest, "/")
	ip, err := netip.ParseAddr(addr)
	four := t.name == "ip4"
	if err != nil || ip.Zone() != "" || ip.Is4() != four || (four && strings.Contains(addr, ":")) {
		return permerror("%s: not an %s address", t.raw, map[bool]string{true: "IPv4", false: "IPv6"}[four])
	}
	bits := ip.BitLen()
	if hasLen {
		if bits, err = cidr(length, ip.BitLen()); err != nil {
			return permerror("%s: bad prefix length", t.raw)
		}
	}
	t.network = netip.PrefixFrom(ip, bits).Masked()
	return nil
}

// cidr reads a prefix length: no leading zero, at most max.
func cidr(s string, max int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || (len(s) > 1 && s[0] == '0') || n < 0 || n > max || s[0] == '+' || s[0] == '-' {
		return 0, strconv.ErrSyntax
	}
	return n, nil
}

// checkDomainSpec checks a domain-spec: a valid macro-string whose end is a
// macro or "." and a top label (RFC 7208 7.1, 12).
func checkDomainSpec(s string) error {
	if err := checkMacroString(s); err != nil {
		return err
	}
	s = strings.TrimSuffix(s, ".")
	if strings.HasSuffix(s, "}") {
		return nil // ends with a macro-expand
	}
	i := strings.LastIndexByte(s, '.')
	if i < 0 || !isTopLabel(s[i+1:]) {
		return permerror("\"%s\" does not end with a top-level label", s)
	}
	return nil
}

// isTopLabel: letters and digits with at least one letter, or a hyphenated
// label (RFC 7208 12, toplabel).
func isTopLabel(l string) bool {
	if l == "" {
		return false
	}
	alpha := false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case isAlpha(c):
			alpha = true
		case isDigit(c):
		case c == '-' && i > 0 && i < len(l)-1:
			alpha = true // 1*alphanum "-" *(alphanum / "-") alphanum
		default:
			return false
		}
	}
	return alpha
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

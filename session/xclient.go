package session

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// XClientAttrs are the attributes of Postfix's XCLIENT command
// (https://www.postfix.org/XCLIENT_README.html), with what each claims.
var XClientAttrs = []struct{ Name, Meaning string }{
	{"NAME", "the client's host name, as reverse DNS gave it ([UNAVAILABLE] or [TEMPUNAVAIL] for none)"},
	{"REVERSE_NAME", "the client's host name from the reverse lookup alone, not checked forward"},
	{"ADDR", "the client's IP address (IPv6 as IPV6:2001:db8::1)"},
	{"PORT", "the client's TCP port"},
	{"PROTO", "SMTP or ESMTP: how the client said hello"},
	{"HELO", "the name the client gave in HELO or EHLO"},
	{"LOGIN", "the SASL login name, as if the client had signed in"},
	{"DESTADDR", "the server address the client connected to"},
	{"DESTPORT", "the server port the client connected to"},
}

// xclientUnknown are the values XCLIENT takes for an attribute not known.
var xclientUnknown = []string{"[UNAVAILABLE]", "[TEMPUNAVAIL]"}

// XClientAttr reports whether name is an XCLIENT attribute, and what it
// claims.
func XClientAttr(name string) (string, bool) {
	for _, a := range XClientAttrs {
		if strings.EqualFold(a.Name, name) {
			return a.Meaning, true
		}
	}
	return "", false
}

// XClient builds "XCLIENT ATTR=VALUE ...", each value xtext-encoded (RFC
// 3461 section 4), from pairs written ATTR=VALUE. It checks each
// attribute's name and the form of ADDR, PORT, DESTADDR, DESTPORT and
// PROTO; an IPv6 ADDR gets its IPV6: prefix. Postfix answers 220 and a new
// greeting when it takes them: the client says EHLO again.
func XClient(pairs []string) (string, error) {
	if len(pairs) == 0 {
		return "", &XClientError{Why: "XCLIENT needs ATTR=VALUE, such as ADDR=192.0.2.7; the attributes are " + xclientNames()}
	}
	words := []string{"XCLIENT"}
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return "", &XClientError{Pair: p, Why: "want ATTR=VALUE, such as ADDR=192.0.2.7; the attributes are " + xclientNames()}
		}
		name = strings.ToUpper(name)
		if _, known := XClientAttr(name); !known {
			return "", &XClientError{Pair: p, Attr: name, Why: SanitizeString(name) + " is not an XCLIENT attribute; the attributes are " + xclientNames()}
		}
		v, err := xclientValue(name, value)
		if err != nil {
			return "", &XClientError{Pair: p, Attr: name, Why: err.Error()}
		}
		words = append(words, name+"="+XText(v))
	}
	return Command(words[0], words[1:]...)
}

// xclientValue checks value's form for name.
func xclientValue(name, value string) (string, error) {
	if slices.Contains(xclientUnknown, strings.ToUpper(value)) {
		return strings.ToUpper(value), nil
	}
	bad := func(want string) error {
		return fmt.Errorf("%s takes %s, or [UNAVAILABLE]", name, want)
	}
	switch name {
	case "ADDR", "DESTADDR":
		a := strings.ToLower(value)
		a = strings.TrimPrefix(a, "ipv6:")
		a = strings.TrimPrefix(a, "::ffff:") // an IPv4 address mapped into IPv6 is the IPv4 one
		switch {
		case isIPv4(a):
			return a, nil
		case isIPv6(a):
			return "IPV6:" + a, nil
		}
		return "", bad("an IP address")
	case "PORT", "DESTPORT":
		if n, err := strconv.Atoi(value); err != nil || n < 0 || n > 65535 {
			return "", bad("a port from 0 to 65535")
		}
	case "PROTO":
		if v := strings.ToUpper(value); v == "SMTP" || v == "ESMTP" {
			return v, nil
		}
		return "", bad("SMTP or ESMTP")
	}
	if value == "" {
		return "", bad("a value")
	}
	return value, nil
}

// xclientNames lists the attributes for a person: "NAME, ADDR, ... and
// DESTPORT".
func xclientNames() string {
	var names []string
	for _, a := range XClientAttrs {
		names = append(names, a.Name)
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// XClientError is an XCLIENT argument ehlo will not send: the pair as
// given, and why, naming the attribute and, for one XCLIENT does not
// have, the ones it has (Postfix's XCLIENT_README). It is an
// ErrBadCommand (errors.Is), without saying so: "bad command line" tells
// a person nothing.
type XClientError struct {
	Pair string // as given: "BOGUS=1"; "" when none was
	Attr string // the attribute, upper case, when the pair has one
	Why  string
}

func (e *XClientError) Error() string {
	if e.Pair == "" {
		return e.Why
	}
	return "XCLIENT " + SanitizeString(e.Pair) + ": " + e.Why
}

// Is makes an XClientError an ErrBadCommand.
func (e *XClientError) Is(target error) bool { return target == ErrBadCommand }

// XText encodes s as RFC 3461 section 4's xtext: "+", "=" and every byte
// outside "!" to "~" become "+" and two upper-case hex digits.
func XText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' || c == '+' || c == '=' {
			fmt.Fprintf(&b, "+%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// XClientOffered returns the attributes the server's XCLIENT capability
// lists, upper case, and whether it offers XCLIENT at all.
func XClientOffered(c Capabilities) ([]string, bool) {
	params, ok := c.Param("XCLIENT")
	if !ok {
		return nil, false
	}
	return strings.Fields(strings.ToUpper(params)), true
}

// xclientStarted applies XCLIENT's 220: Postfix starts a new session as if
// the client had just connected from the address claimed, so EHLO, its
// capabilities and any sign-in are gone; TLS stays.
func (s State) xclientStarted() State {
	s = s.reset()
	s.ESMTP, s.Caps = false, Capabilities{}
	s.Authenticated, s.AuthUser = false, ""
	s.Phase = PhaseGreeted
	return s
}

// isIPv4 reports a dotted quad, each part 0 to 255 without leading zeros.
// (session opens no sockets, and imports no net package to parse one.)
func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 || p != strconv.Itoa(n) {
			return false
		}
	}
	return true
}

// isIPv6 reports an IPv6 literal (RFC 4291 2.2): up to eight groups of one
// to four hex digits, one "::" at most standing for the groups left out,
// the last two groups possibly written as a dotted quad.
func isIPv6(s string) bool {
	if strings.Count(s, "::") > 1 || !strings.Contains(s, ":") {
		return false
	}
	groups, want := 0, 8
	head, tail, gap := strings.Cut(s, "::")
	last := head // the part that ends the address, where a dotted quad may stand
	if gap {
		last = tail
	}
	for _, part := range []string{head, tail} {
		if part == "" {
			continue
		}
		fields := strings.Split(part, ":")
		for i, f := range fields {
			switch {
			case i == len(fields)-1 && part == last && isIPv4(f):
				groups += 2
			case len(f) >= 1 && len(f) <= 4 && strings.Trim(f, "0123456789abcdef") == "":
				groups++
			default:
				return false
			}
		}
	}
	if gap {
		return groups < want
	}
	return groups == want
}

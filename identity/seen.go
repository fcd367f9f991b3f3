package identity

import (
	"net/netip"
	"strings"
)

// Seen is the client's address as the server sees it, and where ehlo
// learnt it.
type Seen struct {
	Addr netip.Addr
	// Echoed: the server named the address in its EHLO reply, as Gmail
	// ("250-mx.google.com at your service, [192.0.2.1]"), Exim ("250-mx
	// Hello me [192.0.2.1]") and Outlook do; else Addr is the local
	// address of the connection, which behind NAT is not what the server
	// sees.
	Echoed bool
	Line   string // the reply line that named it
}

// SeenAddress reads the client's address from the lines of an EHLO (or
// HELO) reply, else takes local, the connection's local address.
func SeenAddress(replyLines []string, local netip.Addr) Seen {
	for _, line := range replyLines {
		if a, ok := bracketed(line); ok {
			return Seen{Addr: a, Echoed: true, Line: line}
		}
	}
	return Seen{Addr: local.Unmap()}
}

// bracketed finds an address in square brackets: "[192.0.2.1]",
// "[IPv6:2001:db8::1]", "name[192.0.2.1]" (Postfix's client form).
func bracketed(line string) (netip.Addr, bool) {
	for {
		i := strings.IndexByte(line, '[')
		if i < 0 {
			return netip.Addr{}, false
		}
		line = line[i+1:]
		j := strings.IndexByte(line, ']')
		if j < 0 {
			return netip.Addr{}, false
		}
		s := line[:j]
		if len(s) > 5 && strings.EqualFold(s[:5], "ipv6:") {
			s = s[5:]
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			return a.Unmap(), true
		}
		line = line[j+1:]
	}
}

// Words says where the address comes from.
func (s Seen) Words() string {
	if s.Echoed {
		return "the server's EHLO reply names it"
	}
	return "the local address of the connection (the server did not echo one; behind NAT it sees another)"
}

package dns

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	mdns "github.com/miekg/dns"
)

// RcodeString is a response code's name: "NOERROR", "SERVFAIL", "NXDOMAIN".
func RcodeString(rcode int) string {
	if s, ok := mdns.RcodeToString[rcode]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rcode)
}

// String is the error as "EDE 6 (DNSSEC Bogus)", with its EXTRA-TEXT
// quoted after it when there is one, unsanitized.
func (e ExtendedError) String() string {
	s := "EDE " + strconv.Itoa(int(e.Code))
	if name, ok := mdns.ExtendedErrorCodeToString[e.Code]; ok {
		s += " (" + name + ")"
	}
	if e.Text != "" {
		s += ": " + quote(e.Text)
	}
	return s
}

// String is the record's data in presentation form (RFC 1035 5.1): "10
// mx.example.org." for an MX, `"v=spf1 -all"` for a TXT, "3 1 1 ab12…" for
// a TLSA. TXT strings are in double quotes with their bytes as sent, no
// escapes added: unsanitized, for the display's sanitizer to show every
// byte that needs it.
func (r Record) String() string {
	switch r.Type {
	case TypeA, TypeAAAA:
		return r.Addr.String()
	case TypeMX:
		return strconv.Itoa(int(r.Pref)) + " " + r.Host
	case TypeCNAME, TypePTR, TypeNS:
		return r.Host
	case TypeTXT:
		q := make([]string, len(r.TXT))
		for i, s := range r.TXT {
			q[i] = quote(s)
		}
		return strings.Join(q, " ")
	case TypeTLSA:
		if r.TLSA != nil {
			return fmt.Sprintf("%d %d %d %s", r.TLSA.Usage, r.TLSA.Selector, r.TLSA.Matching, hex.EncodeToString(r.TLSA.Data))
		}
	}
	return TypeString(r.Type)
}

// quote puts s in double quotes.
func quote(s string) string { return `"` + s + `"` }

package identity

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/ehlo-sh/ehlo/dns"
)

// Listing is one blocklist's answer about an address (RFC 5782).
type Listing struct {
	Zone   string
	Query  string // the name asked: the address reversed, then the zone
	Listed bool
	Codes  []Code
	Reason string // the TXT record's text, when listed; unsanitized
	Error  string // the lookup failed, or the list refused the query (127.255.255.x)
}

// Code is one A record of a listing and what it means.
type Code struct {
	Addr    netip.Addr
	Meaning string
}

// CheckDNSBL asks zone whether ip is listed: an A record at the reversed
// address under the zone means listed, NXDOMAIN not listed (RFC 5782 2.1).
func CheckDNSBL(ctx context.Context, r dns.Resolver, ip netip.Addr, zone string) Listing {
	zone = bare(zone)
	l := Listing{Zone: zone, Query: strings.TrimSuffix(reverseName(ip), map[bool]string{true: "in-addr.arpa.", false: "ip6.arpa."}[ip.Unmap().Is4()]) + zone + "."}
	a, err := r.Lookup(ctx, l.Query, dns.TypeA)
	switch {
	case err != nil:
		l.Error = err.Error()
		return l
	case a.Rcode == dns.RcodeNXDomain || len(a.Records) == 0:
		return l
	case a.Rcode != dns.RcodeSuccess:
		l.Error = "the resolver answered " + dns.RcodeString(a.Rcode)
		return l
	}
	for _, rr := range a.Records {
		c := Code{Addr: rr.Addr, Meaning: codeMeaning(zone, rr.Addr)}
		l.Codes = append(l.Codes, c)
		if isRefusal(rr.Addr) {
			l.Error = c.Meaning
		} else {
			l.Listed = true
		}
	}
	if l.Listed {
		if t, err := r.Lookup(ctx, l.Query, dns.TypeTXT); err == nil && len(t.Records) > 0 {
			l.Reason = strings.Join(t.Records[0].TXT, "")
		}
	}
	return l
}

// isRefusal: 127.255.255.0/24 is what Spamhaus (and others) answer when
// they refuse to answer the query.
func isRefusal(a netip.Addr) bool {
	b := a.As4()
	return a.Is4() && b[0] == 127 && b[1] == 255 && b[2] == 255
}

// spamhaus are the return codes of Spamhaus ZEN and its parts (sbl, xbl,
// pbl, zen.spamhaus.org), from Spamhaus's "DNSBL return codes" page.
var spamhaus = map[string]string{
	"127.0.0.2":       "SBL: a known spam source or spam operation",
	"127.0.0.3":       "SBL CSS: a snowshoe spam source, or an address sending low-reputation mail",
	"127.0.0.4":       "XBL: an infected or exploited machine (malware, open proxy)",
	"127.0.0.5":       "XBL",
	"127.0.0.6":       "XBL",
	"127.0.0.7":       "XBL",
	"127.0.0.9":       "SBL DROP/EDROP: a hijacked or criminal network",
	"127.0.0.10":      "PBL (ISP maintained): an end-user address that should not send mail directly; use the ISP's or your provider's submission server",
	"127.0.0.11":      "PBL (Spamhaus maintained): an address range not meant to send mail directly; use a submission server",
	"127.255.255.252": "query refused: typing error in the DNSBL name",
	"127.255.255.254": "query refused: asked through a public or open resolver (Google, Cloudflare, ...); ask through your own resolver or with a Data Query Service key",
	"127.255.255.255": "query refused: too many queries from this resolver",
}

// codeMeaning explains one answer of zone.
func codeMeaning(zone string, a netip.Addr) string {
	if strings.HasSuffix(zone, "spamhaus.org") || strings.HasSuffix(zone, "spamhaus.net") {
		if m, ok := spamhaus[a.String()]; ok {
			return m
		}
	}
	b := a.As4()
	switch {
	case !a.Is4() || b[0] != 127:
		return "not a blocklist answer (outside 127.0.0.0/8): the resolver may rewrite names that do not exist"
	case isRefusal(a):
		return "the list refused the query (127.255.255.x)"
	case a.String() == "127.0.0.2":
		return "listed (127.0.0.2, the usual code; RFC 5782 also makes it every list's test entry)"
	}
	return fmt.Sprintf("listed with code %s: the list's documentation says what it means", a)
}

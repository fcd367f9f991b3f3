package identity

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/ehlo-sh/ehlo/dns"
)

// MaxPTRChecked bounds the PTR names whose addresses are looked up to
// confirm them; an answer with more names is cut, and says so.
const MaxPTRChecked = 10

// PTR is an address's reverse DNS: its PTR names, which of them resolve
// back to it (forward-confirmed reverse DNS, FCrDNS), and whether the name
// it introduces itself with (HELO, or a server's banner) is one of them.
type PTR struct {
	IP        netip.Addr
	Names     []string // PTR names, at most MaxPTRChecked
	Total     int      // PTR names in the answer
	Confirmed []string // names whose A/AAAA records include IP
	Error     string   // the lookup failed: a temporary error, not an absence
	Name      string   // the name given (HELO or banner); "" when none
	// NameMatches: Name is one of the confirmed names; NameResolves: Name's
	// addresses include IP.
	NameMatches, NameResolves bool
	NameUnknown               bool // Name's lookup failed: no verdict
	Trace                     []string
}

// Missing reports an address without PTR records.
func (p PTR) Missing() bool { return p.Error == "" && p.Total == 0 }

// Mismatch reports PTR names none of which resolves back to the address.
func (p PTR) Mismatch() bool { return p.Total > 0 && len(p.Confirmed) == 0 }

// CheckPTR looks up ip's PTR names, confirms each forward, and compares
// name, when given, with them.
func CheckPTR(ctx context.Context, r dns.Resolver, ip netip.Addr, name string) PTR {
	ip = ip.Unmap()
	p := PTR{IP: ip, Name: bare(name)}
	a, err := r.Lookup(ctx, reverseName(ip), dns.TypePTR)
	switch {
	case err != nil:
		p.Error = err.Error()
	case a.Rcode != dns.RcodeSuccess && a.Rcode != dns.RcodeNXDomain:
		p.Error = "the resolver answered " + dns.RcodeString(a.Rcode)
	}
	if p.Error != "" {
		p.Trace = append(p.Trace, "PTR "+ip.String()+": "+p.Error)
	} else {
		p.confirm(ctx, r, a)
	}
	if p.Name != "" {
		p.NameMatches = slices.Contains(p.Confirmed, p.Name)
		p.NameResolves = p.NameMatches || p.resolves(ctx, r, p.Name)
	}
	return p
}

// confirm keeps the answer's PTR names, at most MaxPTRChecked, and the
// ones that resolve back to the address.
func (p *PTR) confirm(ctx context.Context, r dns.Resolver, a *dns.Answer) {
	p.Total = len(a.Records)
	if p.Total == 0 {
		p.Trace = append(p.Trace, "PTR "+p.IP.String()+": none ("+dns.RcodeString(a.Rcode)+")")
	}
	for _, rr := range a.Records[:min(len(a.Records), MaxPTRChecked)] {
		p.Names = append(p.Names, bare(rr.Host))
		if p.resolves(ctx, r, rr.Host) {
			p.Confirmed = append(p.Confirmed, bare(rr.Host))
		}
	}
	if p.Total > MaxPTRChecked {
		p.Trace = append(p.Trace, fmt.Sprintf("PTR %s: %d names, the first %d checked", p.IP, p.Total, MaxPTRChecked))
	}
}

// resolves reports whether name's addresses of ip's family include ip,
// noting the answer in the trace.
func (p *PTR) resolves(ctx context.Context, r dns.Resolver, name string) bool {
	qtype := dns.TypeA
	if p.IP.Is6() {
		qtype = dns.TypeAAAA
	}
	a, err := r.Lookup(ctx, name, qtype)
	if err == nil && a.Rcode != dns.RcodeSuccess && a.Rcode != dns.RcodeNXDomain {
		err = fmt.Errorf("the resolver answered %s", dns.RcodeString(a.Rcode))
	}
	if err != nil {
		p.Trace = append(p.Trace, fmt.Sprintf("%s %s: %v", dns.TypeString(qtype), bare(name), err))
		if bare(name) == p.Name {
			p.NameUnknown = true
		}
		return false
	}
	var addrs []netip.Addr
	for _, rr := range a.Records {
		addrs = append(addrs, rr.Addr.Unmap())
	}
	ok := slices.Contains(addrs, p.IP)
	p.Trace = append(p.Trace, fmt.Sprintf("%s %s → %s: %s", dns.TypeString(qtype), bare(name), joinAddrs(addrs),
		map[bool]string{true: "confirms " + p.IP.String(), false: "not " + p.IP.String()}[ok]))
	return ok
}

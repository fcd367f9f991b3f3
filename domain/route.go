package domain

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/ehlo-sh/ehlo/dns"
)

// Kind is how mail reaches a domain.
type Kind string

const (
	KindMX       Kind = "mx"       // MX records name the hosts (RFC 5321 5.1)
	KindImplicit Kind = "implicit" // no MX: the domain's own addresses, the "implicit MX" (RFC 5321 5.1)
	KindNullMX   Kind = "null-mx"  // "MX 0 .": the domain accepts no mail (RFC 7505)
	KindNone     Kind = "none"     // no route: the domain does not exist, or DNS failed
)

// Limits bound what one domain may cost, whatever its DNS says.
const (
	MaxMX    = 20 // MX hosts examined, by preference; the rest are counted
	MaxAddrs = 10 // addresses of one host kept, per family
)

// RouteOptions shape Route.
type RouteOptions struct {
	Stable   bool // MX of equal preference sorted by name, not shuffled (RFC 5321 5.1 asks for random)
	Only4    bool // IPv4 addresses only
	Only6    bool // IPv6 addresses only
	Parallel int  // hosts looked up at once; 0 means 8
}

// Route is the routing picture of a domain: where its mail goes, and how
// far DNSSEC vouches for it.
type Route struct {
	Domain    Name
	Kind      Kind
	MX        *Query   // the MX question
	CNAMEs    []string // the domain's CNAME chain, as the MX answer gave it
	Authentic bool     // the MX answer (or its denial) was DNSSEC-validated (the AD bit)
	Hosts     []Host   // by preference, the order a sender tries them
	Omitted   int      // MX hosts beyond MaxMX, not examined
	Problem   string   // why mail has no route (Kind none or null MX), in words
	Bogus     bool     // the problem is a DNSSEC validation failure
	Temporary bool     // the problem is DNS failing (no answer, SERVFAIL without a DNSSEC error): a sender retries later
	Notes     []string // what is odd but not fatal: "." beside other MX, duplicates
}

// Host is one MX host (or the implicit MX) and its addresses.
type Host struct {
	Name       Name
	Preference int      // -1 for the implicit MX
	CNAMEs     []string // the host's CNAME chain (RFC 5321 5.1 says an MX should name no alias; DANE follows it, RFC 7672 2.2.2)
	Canonical  Name     // where the chain ended; Name when there is none
	Addrs      []netip.Addr
	Omitted    int  // addresses beyond MaxAddrs
	Authentic  bool // every address answer was DNSSEC-validated
	Problem    string
	Bogus      bool // the problem is a DNSSEC validation failure
	Temporary  bool // no address because DNS failed (SERVFAIL without a DNSSEC error, no answer): a sender retries later
	A, AAAA    *Query
}

// Resolve looks up the MX records of a domain and the addresses of each host
// (RFC 5321 5.1), the null MX (RFC 7505) and the implicit MX, through r.
func Resolve(ctx context.Context, r dns.Resolver, name Name, o RouteOptions) Route {
	rt := Route{Domain: name, Kind: KindNone}
	a, err := r.Lookup(ctx, name.FQDN(), dns.TypeMX)
	rt.MX = &Query{Name: name.FQDN(), Type: dns.TypeMX, Answer: a, Err: err}
	if a != nil {
		rt.CNAMEs, rt.Authentic = a.CNAMEs, a.Authentic
	}
	if p := chainProblem(a); p != "" {
		rt.Problem = p
		return rt
	}
	switch outcome(a, err) {
	case Found:
		rt.fromMX(a, o)
	case NoData:
		rt.Kind = KindImplicit
		canon := name
		if a.Canonical != "" {
			canon = NameFromDNS(a.Canonical)
		}
		rt.Hosts = []Host{{Name: canon, Preference: -1}}
	case NXDomain:
		rt.Problem = name.String() + " does not exist (NXDOMAIN): mail to it bounces"
		return rt
	default:
		rt.Problem = "the MX lookup failed: " + describe(a, err)
		rt.Bogus = outcome(a, err) == Bogus
		rt.Temporary = !rt.Bogus
		return rt
	}
	if rt.Kind == KindNullMX {
		return rt
	}
	rt.resolveHosts(ctx, r, o)
	return rt
}

// fromMX reads the MX records: null MX, duplicates, order.
func (rt *Route) fromMX(a *dns.Answer, o RouteOptions) {
	var hosts []Host
	seen := map[string]bool{}
	null := 0
	for _, rec := range a.Records {
		if rec.Host == "." || rec.Host == "" {
			null++
			continue
		}
		n := NameFromDNS(rec.Host)
		if seen[n.ASCII] {
			rt.Notes = append(rt.Notes, fmt.Sprintf("%s is listed more than once; its first (lowest) preference is used", n))
			continue
		}
		seen[n.ASCII] = true
		hosts = append(hosts, Host{Name: n, Preference: int(rec.Pref)})
	}
	if null > 0 && len(hosts) == 0 {
		// RFC 7505 3: a single "MX 0 ." says the domain accepts no mail.
		rt.Kind = KindNullMX
		rt.Problem = rt.Domain.String() + " has a null MX (MX 0 .): it accepts no mail (RFC 7505), and a sender bounces at once"
		return
	}
	if null > 0 {
		rt.Notes = append(rt.Notes, "a null MX (\".\") stands beside other MX records, which RFC 7505 3 forbids; senders skip it")
	}
	rt.Kind = KindMX
	order(hosts, o.Stable)
	if len(hosts) > MaxMX {
		rt.Omitted = len(hosts) - MaxMX
		rt.Notes = append(rt.Notes, fmt.Sprintf("%d MX records: the %d most preferred are examined, %d are not", len(hosts), MaxMX, rt.Omitted))
		hosts = hosts[:MaxMX]
	}
	rt.Hosts = hosts
}

// order sorts hosts by preference (RFC 5321 5.1: lowest first), equal
// preferences shuffled as the RFC asks, or by name when stable.
func order(hosts []Host, stable bool) {
	if !stable {
		rand.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
	}
	slices.SortStableFunc(hosts, func(a, b Host) int {
		if c := cmp.Compare(a.Preference, b.Preference); c != 0 || !stable {
			return c
		}
		return strings.Compare(a.Name.ASCII, b.Name.ASCII)
	})
}

// resolveHosts looks up every host's addresses, a few hosts at a time.
func (rt *Route) resolveHosts(ctx context.Context, r dns.Resolver, o RouteOptions) {
	sem := make(chan struct{}, cmp.Or(o.Parallel, 8))
	var wg sync.WaitGroup
	for i := range rt.Hosts {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rt.Hosts[i].resolve(ctx, r, o)
		})
	}
	wg.Wait()
	if rt.Kind == KindImplicit && len(rt.Hosts[0].Addrs) == 0 {
		rt.Kind = KindNone
		rt.Problem = rt.Domain.String() + " has no MX and no address: mail to it bounces (" + rt.Hosts[0].Problem + ")"
		rt.Bogus = rt.Hosts[0].Bogus
	}
}

// resolve looks up a host's A and AAAA records, at once.
func (h *Host) resolve(ctx context.Context, r dns.Resolver, o RouteOptions) {
	var wg sync.WaitGroup
	ask := func(qtype uint16, q **Query) {
		wg.Go(func() {
			a, err := r.Lookup(ctx, h.Name.FQDN(), qtype)
			*q = &Query{Name: h.Name.FQDN(), Type: qtype, Answer: a, Err: err}
		})
	}
	if !o.Only6 {
		ask(dns.TypeA, &h.A)
	}
	if !o.Only4 {
		ask(dns.TypeAAAA, &h.AAAA)
	}
	wg.Wait()
	h.Canonical, h.Authentic = h.Name, true
	var problems []string
	bogus, temporary := false, false
	for _, q := range []*Query{h.A, h.AAAA} {
		if q == nil {
			continue
		}
		h.Authentic = h.Authentic && q.Answer != nil && q.Answer.Authentic
		if p := chainProblem(q.Answer); p != "" {
			problems = append(problems, p)
			continue
		}
		switch outcome(q.Answer, q.Err) {
		case Found:
			h.addAddrs(q.Answer)
		case NoData:
		case Bogus:
			bogus = true
			problems = append(problems, TypeName(q.Type)+": "+describe(q.Answer, q.Err))
		case ServFail, Failed:
			temporary = true
			fallthrough
		default:
			problems = append(problems, TypeName(q.Type)+": "+describe(q.Answer, q.Err))
		}
		if q.Answer != nil && len(q.Answer.CNAMEs) > 0 {
			h.CNAMEs = q.Answer.CNAMEs
			h.Canonical = NameFromDNS(q.Answer.Canonical)
		}
	}
	if len(h.Addrs) == 0 {
		h.Bogus, h.Temporary = bogus, temporary && !bogus
		h.Problem = "does not resolve: " + cmp.Or(strings.Join(problems, "; "), "no address records")
		if o.Only4 || o.Only6 {
			h.Problem += " (only " + map[bool]string{true: "IPv4", false: "IPv6"}[o.Only4] + " asked)"
		}
	} else if len(problems) > 0 {
		h.Problem = strings.Join(problems, "; ")
		h.Bogus = bogus
	}
}

// addAddrs keeps an answer's addresses, at most MaxAddrs.
func (h *Host) addAddrs(a *dns.Answer) {
	n := 0
	for _, rec := range a.Records {
		if !rec.Addr.IsValid() {
			continue
		}
		if n == MaxAddrs {
			h.Omitted++
			continue
		}
		h.Addrs = append(h.Addrs, rec.Addr.Unmap())
		n++
	}
}

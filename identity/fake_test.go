package identity

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/ehlo-sh/ehlo/dns"
)

// zone is a fake dns.Resolver: records by lower-case name without the
// final dot. A name absent from it is NXDOMAIN; a name present without
// records of the asked type is NODATA. It checks names as dns.Client does
// (dns.ParseName) and follows CNAMEs as a recursive resolver would.
type zone struct {
	mu       sync.Mutex
	recs     map[string][]dns.Record
	timeout  map[string]bool // any question about the name times out
	servfail map[string]bool
	asked    []string // "TYPE name", in order
}

func newZone() *zone {
	return &zone{recs: map[string][]dns.Record{}, timeout: map[string]bool{}, servfail: map[string]bool{}}
}

func key(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

func (z *zone) add(name string, r dns.Record) *zone {
	r.Name = key(name) + "."
	z.recs[key(name)] = append(z.recs[key(name)], r)
	return z
}

// txt adds one TXT record made of the given strings.
func (z *zone) txt(name string, strings ...string) *zone {
	return z.add(name, dns.Record{Type: dns.TypeTXT, TXT: strings})
}

func (z *zone) a(name string, addrs ...string) *zone {
	for _, s := range addrs {
		ip := netip.MustParseAddr(s)
		t := dns.TypeA
		if ip.Is6() {
			t = dns.TypeAAAA
		}
		z.add(name, dns.Record{Type: t, Addr: ip})
	}
	return z
}

func (z *zone) mx(name string, pref uint16, host string) *zone {
	return z.add(name, dns.Record{Type: dns.TypeMX, Pref: pref, Host: key(host) + "."})
}

func (z *zone) ptr(ip string, hosts ...string) *zone {
	for _, h := range hosts {
		z.add(reverseName(netip.MustParseAddr(ip)), dns.Record{Type: dns.TypePTR, Host: key(h) + "."})
	}
	return z
}

func (z *zone) cname(name, target string) *zone {
	return z.add(name, dns.Record{Type: dns.TypeCNAME, Host: key(target) + "."})
}

func (z *zone) Lookup(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	n, err := dns.ParseName(name)
	if err != nil {
		return nil, err
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	z.asked = append(z.asked, dns.TypeString(qtype)+" "+key(n.ASCII))
	a := &dns.Answer{Name: n.ASCII, Type: qtype, Canonical: n.ASCII}
	cur := key(n.ASCII)
	for hops := 0; ; hops++ {
		if z.timeout[cur] {
			return nil, &dns.Error{Name: n.ASCII, Type: qtype, Timeout: true}
		}
		if z.servfail[cur] {
			a.Rcode = dns.RcodeServFail
			return a, nil
		}
		rs, ok := z.recs[cur]
		if !ok {
			if len(a.CNAMEs) == 0 {
				a.Rcode = dns.RcodeNXDomain
			}
			return a, nil
		}
		if len(rs) > 0 && rs[0].Type == dns.TypeCNAME && qtype != dns.TypeCNAME {
			if hops > dns.MaxCNAMEs {
				return nil, fmt.Errorf("%s: %w", name, dns.ErrCNAMELoop)
			}
			cur = key(rs[0].Host)
			a.CNAMEs = append(a.CNAMEs, cur+".")
			a.Canonical = cur + "."
			continue
		}
		for _, r := range rs {
			if r.Type == qtype {
				a.Records = append(a.Records, r)
			}
		}
		return a, nil
	}
}

// count is how many questions of the form "TYPE name" were asked.
func (z *zone) count(q string) int {
	z.mu.Lock()
	defer z.mu.Unlock()
	n := 0
	for _, a := range z.asked {
		if a == q {
			n++
		}
	}
	return n
}

var errFake = errors.New("fake")

package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
)

// SharedProbes probes each MX address once for every domain of a fleet
// that names it: many domains share their MX hosts (a hosting provider's,
// Google's, Microsoft's), and probing them once per domain would be slow
// and impolite. A probe is shared by address and port, the MX name (the
// certificate is checked for it) and the TLSA records (the DANE check runs
// in the handshake); a second domain waits for the first's probe and
// reuses it, marked so (DomainResult.Reused). The zero value is not
// usable: NewSharedProbes. A nil *SharedProbes shares nothing.
type SharedProbes struct {
	mu sync.Mutex
	m  map[string]*sharedProbe
}

type sharedProbe struct {
	done  chan struct{}
	probe ProbeResult
	dane  *domain.DANE
	seen  int // other connections to the address started by the time this probe ended (DomainOptions.Gate)
}

// NewSharedProbes is an empty set of shared probes.
func NewSharedProbes() *SharedProbes { return &SharedProbes{m: map[string]*sharedProbe{}} }

// sharedKey names a probe that may be shared.
func sharedKey(target string, h domain.Host, t domain.TLSA) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s sni=%s", target, h.Name.ASCII, t.SNI(h))
	if t.Authenticates() {
		ta := false
		for _, r := range t.Records {
			fmt.Fprintf(&b, " %v", r)
			ta = ta || r.Usage == domain.UsageDANETA
		}
		for _, n := range t.Names { // DANE-TA's names include the next-hop domain
			if ta {
				fmt.Fprintf(&b, " %s", n.ASCII)
			}
		}
	}
	return b.String()
}

// probe runs fn for key once; later calls for key wait for it and get its
// result with reused true. A probe cut short by ctx is not kept.
func (s *SharedProbes) probe(ctx context.Context, key string, fn func() sharedProbe) (sharedProbe, bool) {
	if s == nil {
		return fn(), false
	}
	s.mu.Lock()
	if e, ok := s.m[key]; ok {
		s.mu.Unlock()
		select {
		case <-e.done:
			return *e, true
		case <-ctx.Done():
			return sharedProbe{probe: ProbeResult{Target: key, Err: ctx.Err()}}, false
		}
	}
	e := &sharedProbe{done: make(chan struct{})}
	s.m[key] = e
	s.mu.Unlock()
	r := fn()
	e.probe, e.dane, e.seen = r.probe, r.dane, r.seen
	if ctx.Err() != nil {
		s.mu.Lock()
		delete(s.m, key)
		s.mu.Unlock()
	}
	close(e.done)
	return *e, false
}

// CachingResolver answers each question once for as long as its answer's
// TTL allows (the smallest TTL of its records), so a fleet of domains
// asks for a shared MX host's addresses and TLSA records once. Answers
// without records (NXDOMAIN, NODATA) and failures are not kept. Expired
// answers are dropped as new ones come, so its size follows the distinct
// names of the last TTL. A question asked while the same one is in flight
// waits for that answer instead of asking again (two domains naming one MX
// host, probed at once).
type CachingResolver struct {
	Resolver dns.Resolver
	mu       sync.Mutex
	m        map[dnsKey]cached
	flight   map[dnsKey]*inflight
	adds     int
	hits     int
}

// inflight is a question being asked: done closes when a and err are set.
type inflight struct {
	done chan struct{}
	a    *dns.Answer
	err  error
}

type dnsKey struct {
	name  string
	qtype uint16
}

type cached struct {
	a       *dns.Answer
	expires time.Time
}

// NewCachingResolver caches r's answers.
func NewCachingResolver(r dns.Resolver) *CachingResolver {
	return &CachingResolver{Resolver: r, m: map[dnsKey]cached{}, flight: map[dnsKey]*inflight{}}
}

// Lookup answers from the cache while the answer lives, else asks.
func (c *CachingResolver) Lookup(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	k := dnsKey{strings.ToLower(name), qtype}
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.m[k]; ok && now.Before(e.expires) {
		c.hits++
		c.mu.Unlock()
		return e.a, nil
	}
	if f, ok := c.flight[k]; ok {
		c.hits++
		c.mu.Unlock()
		select {
		case <-f.done:
			if f.err != nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) && ctx.Err() == nil {
				// The first asker's deadline ran out, not ours: ask again.
				return c.Lookup(ctx, name, qtype)
			}
			return f.a, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &inflight{done: make(chan struct{})}
	c.flight[k] = f
	c.mu.Unlock()
	a, err := c.Resolver.Lookup(ctx, name, qtype)
	f.a, f.err = a, err
	c.mu.Lock()
	// Kept before the flight ends, so no asker falls between the two.
	if ttl, ok := cacheTTL(a, err); ok {
		c.m[k] = cached{a: a, expires: now.Add(ttl)}
		if c.adds++; c.adds%1024 == 0 {
			for k, e := range c.m {
				if !now.Before(e.expires) {
					delete(c.m, k)
				}
			}
		}
	}
	delete(c.flight, k)
	c.mu.Unlock()
	close(f.done)
	return a, err
}

// cacheTTL is how long an answer may be kept: the smallest TTL of its
// records; answers without records, with a zero TTL, or failed, not at all.
func cacheTTL(a *dns.Answer, err error) (time.Duration, bool) {
	if err != nil || a == nil || len(a.Records) == 0 {
		return 0, false
	}
	ttl := a.Records[0].TTL
	for _, r := range a.Records[1:] {
		ttl = min(ttl, r.TTL)
	}
	return time.Duration(ttl) * time.Second, ttl > 0
}

// Hits is how many questions the cache answered.
func (c *CachingResolver) Hits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

// FleetDomainJSON is one domain's line of `probe --from-file --mx`: the
// object of `probe --mx --json`, its status (the worst of its MX
// addresses', see ClassifyDomain), and the MX addresses whose probe was
// another domain's (Reused, as "host address").
type FleetDomainJSON struct {
	Target string `json:"target"` // the line as given
	DomainJSON
	Status      string   `json:"status"`
	Reason      string   `json:"reason,omitempty"`
	Elapsed     float64  `json:"elapsed"`
	Line        int      `json:"line"`
	Fingerprint string   `json:"fingerprint"`
	Reused      []string `json:"reused"`
}

// DomainJSON is r as one line of a domain fleet.
func (r FleetResult) DomainJSON(fingerprint string, withTranscript bool) FleetDomainJSON {
	d := r.Domain
	out := FleetDomainJSON{Target: clean(r.Target), DomainJSON: d.JSON(withTranscript), Status: r.Status, Reason: r.Reason,
		Elapsed: r.Elapsed.Seconds(), Line: r.Line, Fingerprint: fingerprint, Reused: []string{}}
	for i, h := range d.Route.Hosts {
		for j, a := range h.Addrs {
			if i < len(d.Reused) && j < len(d.Reused[i]) && d.Reused[i][j] {
				out.Reused = append(out.Reused, h.Name.ASCII+" "+a.String())
			}
		}
	}
	return out
}

// ClassifyDomain gives a domain's status: dns-error when it has no route
// (no MX and no address, a failed lookup), not-testable for a null MX (it
// takes no mail) or a route without an address; else ok when every MX
// address probed is ok, or the status of the first that is not, with its
// host and address in the reason.
func ClassifyDomain(d DomainResult, tarpit time.Duration) (status, reason string) {
	if d.Err != nil {
		return StatusNotTestable, Explain(d.Err)
	}
	switch d.Route.Kind {
	case domain.KindNullMX:
		return StatusNotTestable, "the domain takes no mail (null MX, RFC 7505)"
	case domain.KindNone:
		return StatusDNSError, d.Route.Problem
	}
	probed := 0
	for i, h := range d.Route.Hosts {
		for j, a := range h.Addrs {
			probed++
			seen := 0
			if i < len(d.Seen) && j < len(d.Seen[i]) {
				seen = d.Seen[i][j]
			}
			if s, why := Classify(d.Probes[i][j], tarpit, seen); s != StatusOK {
				return s, fmt.Sprintf("%s (%s): %s", h.Name.ASCII, a, why)
			}
		}
	}
	if probed == 0 {
		return StatusDNSError, "no MX host has an address"
	}
	return StatusOK, ""
}

package client

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/lab"
)

// countingDNS counts the questions that reach it.
type countingDNS struct {
	fakeDNS
	mu    sync.Mutex
	asked map[string]int
}

func (c *countingDNS) Lookup(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked[name+" "+domain.TypeName(qtype)]++
	return c.fakeDNS.Lookup(ctx, name, qtype)
}

// TestFleetDomainsShareMX: two domains whose MX is the same host are
// probed with one probe of its address, the second domain's marked reused
// in its line, and the MX host's address asked of DNS once (its TTL).
func TestFleetDomainsShareMX(t *testing.T) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ep, _ := l.Endpoint("mx")
	_, port, _ := net.SplitHostPort(ep.Addr)
	rec := func(r dns.Record) dns.Record { r.TTL = 300; return r }
	zone := &countingDNS{asked: map[string]int{}, fakeDNS: fakeDNS{
		"a.example MX":        {rec(dns.Record{Type: dns.TypeMX, Pref: 10, Host: "mx.hoster.example."})},
		"b.example MX":        {rec(dns.Record{Type: dns.TypeMX, Pref: 10, Host: "mx.hoster.example."})},
		"mx.hoster.example A": {rec(dns.Record{Type: dns.TypeA, Addr: netip.MustParseAddr("127.0.0.1")})},
	}}
	o := DomainOptions{Options: Options{RootCAs: l.CertPool(), Timeout: 10 * time.Second},
		Resolver: NewCachingResolver(zone), Shared: NewSharedProbes()}
	f := &Fleet{Parallel: 2, Domain: &o}
	in := make(chan FleetTarget, 2)
	in <- FleetTarget{Target: "a.example:" + port, Line: 1, Domain: true}
	in <- FleetTarget{Target: "postmaster@b.example:" + port, Line: 2, Domain: true}
	close(in)
	var lines []FleetDomainJSON
	f.Run(context.Background(), in, func(r FleetResult) { lines = append(lines, r.DomainJSON("x", false)) })
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	reused := 0
	for _, j := range lines {
		if j.Status != StatusOK {
			t.Errorf("%s: %s (%s)", j.Target, j.Status, j.Reason)
		}
		if len(j.MX) != 1 || j.MX[0].Host != "mx.hoster.example" {
			t.Errorf("%s: MX %+v", j.Target, j.MX)
		}
		if slices.Equal(j.Reused, []string{"mx.hoster.example 127.0.0.1"}) {
			reused++
		} else if len(j.Reused) != 0 {
			t.Errorf("%s: reused %v", j.Target, j.Reused)
		}
	}
	if reused != 1 {
		t.Errorf("%d domains say they reused the MX probe, want 1: %+v", reused, lines)
	}
	if n := zone.asked["mx.hoster.example. A"]; n != 1 {
		t.Errorf("the MX host's address asked %d times, want once (cached for its TTL): %v", n, zone.asked)
	}
}

// gatedDNS holds every question until release is closed, counting them.
type gatedDNS struct {
	countingDNS
	arrived chan struct{}
	release chan struct{}
}

func (g *gatedDNS) Lookup(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	g.arrived <- struct{}{}
	<-g.release
	return g.countingDNS.Lookup(ctx, name, qtype)
}

// TestCachingResolverJoinsQuestionInFlight: a question asked while the
// same one is on its way waits for that answer and does not ask again; a
// waiter whose own deadline runs out stops waiting with its error.
func TestCachingResolverJoinsQuestionInFlight(t *testing.T) {
	g := &gatedDNS{countingDNS: countingDNS{asked: map[string]int{}, fakeDNS: fakeDNS{
		"mx.example A": {{Type: dns.TypeA, TTL: 60, Addr: netip.MustParseAddr("192.0.2.1")}},
	}}, arrived: make(chan struct{}, 4), release: make(chan struct{})}
	c := NewCachingResolver(g)
	first := make(chan *dns.Answer)
	go func() {
		a, _ := c.Lookup(context.Background(), "mx.example.", dns.TypeA)
		first <- a
	}()
	<-g.arrived // the first question is with the server
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Lookup(gone, "MX.example.", dns.TypeA); err != context.Canceled {
		t.Errorf("a waiter whose context is done got %v, want context.Canceled", err)
	}
	second := make(chan *dns.Answer)
	go func() {
		a, _ := c.Lookup(context.Background(), "MX.example.", dns.TypeA)
		second <- a
	}()
	close(g.release)
	a1, a2 := <-first, <-second
	if a1 == nil || a2 != a1 {
		t.Errorf("the waiter got %v, the asker %v: want the same answer", a2, a1)
	}
	if n := g.asked["mx.example. A"]; n != 1 {
		t.Errorf("asked %d times, want once", n)
	}
}

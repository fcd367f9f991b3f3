package domain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/dns"
)

var ctx = context.Background()

// hosts lists a route's hosts as "pref name addr,addr".
func hosts(rt Route) string {
	var out []string
	for _, h := range rt.Hosts {
		var as []string
		for _, a := range h.Addrs {
			as = append(as, a.String())
		}
		s := fmt.Sprintf("%d %s %s", h.Preference, h.Name.ASCII, strings.Join(as, ","))
		if h.Problem != "" {
			s += " (" + h.Problem + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(z *zone)
		opts      RouteOptions
		kind      Kind
		hosts     string // substring of hosts(rt)
		problem   string // substring of rt.Problem
		authentic bool
		bogus     bool
	}{
		{"MX by preference, every address", func(z *zone) {
			z.set("example.org", dns.TypeMX, true, mx(20, "mx2.example.org"), mx(10, "mx1.example.org"))
			z.host("mx1.example.org", true, "192.0.2.1", "2001:db8::1")
			z.host("mx2.example.org", true, "192.0.2.2")
		}, RouteOptions{Stable: true}, KindMX, "10 mx1.example.org 192.0.2.1,2001:db8::1; 20 mx2.example.org 192.0.2.2", "", true, false},
		{"ties by name when stable", func(z *zone) {
			z.set("example.org", dns.TypeMX, false, mx(10, "b.example.org"), mx(10, "a.example.org"))
			z.host("a.example.org", false, "192.0.2.1")
			z.host("b.example.org", false, "192.0.2.2")
		}, RouteOptions{Stable: true}, KindMX, "10 a.example.org 192.0.2.1; 10 b.example.org 192.0.2.2", "", false, false},
		{"IPv4 only", func(z *zone) {
			z.set("example.org", dns.TypeMX, true, mx(10, "mx1.example.org"))
			z.host("mx1.example.org", true, "192.0.2.1", "2001:db8::1")
		}, RouteOptions{Only4: true}, KindMX, "10 mx1.example.org 192.0.2.1", "", true, false},
		{"IPv6 only, host without v6", func(z *zone) {
			z.set("example.org", dns.TypeMX, true, mx(10, "mx1.example.org"))
			z.host("mx1.example.org", true, "192.0.2.1")
		}, RouteOptions{Only6: true}, KindMX, "does not resolve: no address records (only IPv6 asked)", "", true, false},
		{"implicit MX", func(z *zone) {
			z.set("example.org", dns.TypeMX, true)
			z.host("example.org", true, "192.0.2.9")
		}, RouteOptions{}, KindImplicit, "-1 example.org 192.0.2.9", "", true, false},
		{"no MX, no address", func(z *zone) {
			z.set("example.org", dns.TypeMX, true)
			z.host("example.org", true)
		}, RouteOptions{}, KindNone, "", "no MX and no address", true, false},
		{"null MX", func(z *zone) {
			z.set("example.org", dns.TypeMX, true, dns.Record{Type: dns.TypeMX, Host: "."})
		}, RouteOptions{}, KindNullMX, "", "accepts no mail (RFC 7505)", true, false},
		{"null MX beside others", func(z *zone) {
			z.set("example.org", dns.TypeMX, true, dns.Record{Type: dns.TypeMX, Host: "."}, mx(10, "mx1.example.org"))
			z.host("mx1.example.org", true, "192.0.2.1")
		}, RouteOptions{}, KindMX, "10 mx1.example.org 192.0.2.1", "", true, false},
		{"NXDOMAIN", func(z *zone) {}, RouteOptions{}, KindNone, "", "does not exist (NXDOMAIN)", false, false},
		{"bogus", func(z *zone) { z.servfail("example.org", dns.TypeMX, 6) }, RouteOptions{}, KindNone, "",
			"DNSSEC validation failed (SERVFAIL, EDE 6 DNSSEC Bogus)", false, true},
		{"SERVFAIL without EDE", func(z *zone) { z.servfail("example.org", dns.TypeMX) }, RouteOptions{}, KindNone, "",
			"SERVFAIL: DNSSEC bogus, or the name's servers unreachable", false, false},
		{"resolver timeout", func(z *zone) { z.errs["example.org MX"] = context.DeadlineExceeded }, RouteOptions{}, KindNone, "",
			"no answer from the resolver in time", false, false},
		{"unresolvable MX host", func(z *zone) {
			z.set("example.org", dns.TypeMX, true, mx(10, "gone.example.org"), mx(20, "mx2.example.org"))
			z.host("mx2.example.org", true, "192.0.2.2")
		}, RouteOptions{Stable: true}, KindMX, "10 gone.example.org  (does not resolve: A: no such name (NXDOMAIN); AAAA: no such name (NXDOMAIN)); 20 mx2", "", true, false},
		{"CNAME'd MX host", func(z *zone) {
			z.set("example.org", dns.TypeMX, true, mx(10, "mail.example.org"))
			a := z.set("mail.example.org", dns.TypeA, true, addr("192.0.2.5"))
			a.CNAMEs, a.Canonical = []string{"real.example.net."}, "real.example.net."
			b := z.set("mail.example.org", dns.TypeAAAA, true)
			b.CNAMEs, b.Canonical = []string{"real.example.net."}, "real.example.net."
		}, RouteOptions{}, KindMX, "10 mail.example.org 192.0.2.5", "", true, false},
		{"CNAME loop on the domain", func(z *zone) {
			a := z.set("example.org", dns.TypeMX, false)
			a.CNAMEs, a.Canonical = []string{"a.example.org.", "b.example.org.", "a.example.org."}, "a.example.org."
		}, RouteOptions{}, KindNone, "", "CNAME loop: a.example.org is met twice", false, false},
		{"CNAME loop back to the name", func(z *zone) {
			a := z.set("example.org", dns.TypeMX, false)
			a.CNAMEs, a.Canonical = []string{"a.example.org.", "example.org."}, "example.org."
		}, RouteOptions{}, KindNone, "", "CNAME loop: example.org is met twice", false, false},
		{"IDN MX host", func(z *zone) {
			z.set("example.org", dns.TypeMX, true, mx(10, "xn--bcher-kva.example"))
			z.host("xn--bcher-kva.example", true, "192.0.2.7")
		}, RouteOptions{}, KindMX, "10 xn--bcher-kva.example 192.0.2.7", "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := newZone()
			tt.setup(z)
			rt := Resolve(ctx, z, mustName(t, "example.org"), tt.opts)
			if rt.Kind != tt.kind || !strings.Contains(hosts(rt), tt.hosts) || !strings.Contains(rt.Problem, tt.problem) ||
				rt.Authentic != tt.authentic || rt.Bogus != tt.bogus {
				t.Errorf("kind %s, hosts %q, problem %q, authentic %v, bogus %v", rt.Kind, hosts(rt), rt.Problem, rt.Authentic, rt.Bogus)
			}
			if tt.problem == "" && rt.Problem != "" {
				t.Errorf("problem %q, want none", rt.Problem)
			}
		})
	}
}

func TestResolveIDNAndCNAME(t *testing.T) {
	z := newZone()
	z.set("xn--bcher-kva.example", dns.TypeMX, true, mx(10, "mail.xn--bcher-kva.example"))
	a := z.set("mail.xn--bcher-kva.example", dns.TypeA, true, addr("192.0.2.5"))
	a.CNAMEs, a.Canonical = []string{"real.example.net."}, "real.example.net."
	z.set("mail.xn--bcher-kva.example", dns.TypeAAAA, true)
	rt := Resolve(ctx, z, mustName(t, "bücher.example"), RouteOptions{})
	if rt.Domain.String() != "bücher.example (xn--bcher-kva.example)" {
		t.Errorf("domain shown as %q", rt.Domain)
	}
	h := rt.Hosts[0]
	if h.Name.Unicode != "mail.bücher.example" || h.Canonical.ASCII != "real.example.net" || len(h.CNAMEs) != 1 {
		t.Errorf("host %+v", h)
	}
	for _, q := range z.asked {
		if !isASCII(q) {
			t.Errorf("asked %q: questions go out in A-labels", q)
		}
	}
}

// TestResolve500MX: a domain with 500 MX records costs the questions of
// MaxMX hosts, and says how many were left out.
func TestResolve500MX(t *testing.T) {
	z := newZone()
	var recs []dns.Record
	for i := range 500 {
		recs = append(recs, mx(uint16(i), fmt.Sprintf("mx%d.example.org", i)))
		z.host(fmt.Sprintf("mx%d.example.org", i), true, fmt.Sprintf("192.0.%d.%d", i/250, i%250+1))
	}
	z.set("example.org", dns.TypeMX, true, recs...)
	rt := Resolve(ctx, z, mustName(t, "example.org"), RouteOptions{})
	if len(rt.Hosts) != MaxMX || rt.Omitted != 500-MaxMX || rt.Hosts[0].Name.ASCII != "mx0.example.org" {
		t.Fatalf("%d hosts, %d omitted, first %s", len(rt.Hosts), rt.Omitted, rt.Hosts[0].Name)
	}
	if len(z.asked) != 1+2*MaxMX {
		t.Errorf("%d questions asked, want %d", len(z.asked), 1+2*MaxMX)
	}
	if !strings.Contains(strings.Join(rt.Notes, " "), "500 MX records: the 20 most preferred are examined, 480 are not") {
		t.Errorf("notes %q", rt.Notes)
	}
}

// TestResolveShufflesTies: equal preferences come in random order (RFC
// 5321 5.1), lower preferences always first.
func TestResolveShufflesTies(t *testing.T) {
	z := newZone()
	z.set("example.org", dns.TypeMX, true, mx(10, "a.example.org"), mx(10, "b.example.org"), mx(10, "c.example.org"), mx(5, "first.example.org"))
	for _, h := range []string{"a", "b", "c", "first"} {
		z.host(h+".example.org", true, "192.0.2.1")
	}
	seen := map[string]bool{}
	for range 200 {
		rt := Resolve(ctx, z, mustName(t, "example.org"), RouteOptions{})
		if rt.Hosts[0].Name.ASCII != "first.example.org" {
			t.Fatalf("first host %s", rt.Hosts[0].Name)
		}
		seen[rt.Hosts[1].Name.ASCII] = true
	}
	if len(seen) != 3 {
		t.Errorf("second place held only by %v in 200 runs: ties are not shuffled", seen)
	}
}

func TestLogAsksOnce(t *testing.T) {
	z := newZone()
	z.host("mx.example.org", true, "192.0.2.1")
	l := NewLog(z)
	for range 3 {
		if a, err := l.Lookup(ctx, "mx.example.org.", dns.TypeA); err != nil || len(a.Records) != 1 {
			t.Fatal(a, err)
		}
	}
	z.errs["down.example.org A"] = errors.New("network unreachable")
	if _, err := l.Lookup(ctx, "down.example.org.", dns.TypeA); err == nil {
		t.Fatal("error lost")
	}
	if len(z.asked) != 2 || len(l.Queries()) != 2 || l.Queries()[1].Err == nil {
		t.Errorf("asked %q, logged %+v", z.asked, l.Queries())
	}
}

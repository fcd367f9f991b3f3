package ui

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/wire"
)

// noDNS is a resolver the tests never reach: they deliver the lookups'
// answers as messages.
type noDNS struct{}

func (noDNS) Lookup(context.Context, string, uint16) (*dns.Answer, error) {
	return nil, fmt.Errorf("not in tests")
}

// mxSim is a model started with --mx example.org, the lookup asked for
// (its command not run).
func mxSim(t *testing.T, w, h int) *sim {
	t.Helper()
	s := newSim(t, "dark", w, h)
	m, err := New(Config{Theme: "dark", Mouse: true, MX: MXConfig{Domain: "example.org",
		Resolver: func(dns.Observer) (dns.Resolver, error) { return noDNS{}, nil }}})
	if err != nil {
		t.Fatal(err)
	}
	m.now, m.observe = s.m.now, s.m.observe
	s.m = m
	s.send(tea.WindowSizeMsg{Width: w, Height: h})
	s.send(mxAskMsg{arg: "example.org"})
	if !s.m.mx.looking || s.m.conn.target != "" {
		t.Fatalf("--mx: looking %v, target %q: want a lookup before any connection", s.m.mx.looking, s.m.conn.target)
	}
	return s
}

// exampleRoute is a DNSSEC-signed domain with two MX: mx1 with a usable
// TLSA record, mx2 with none and two addresses.
func exampleRoute() mxRouteMsg {
	name := func(s string) domain.Name { return domain.Name{ASCII: s, Unicode: s} }
	rt := domain.Route{Domain: name("example.org"), Kind: domain.KindMX, Authentic: true, Hosts: []domain.Host{
		{Name: name("mx1.example.org"), Canonical: name("mx1.example.org"), Preference: 10, Authentic: true,
			Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}},
		{Name: name("mx2.example.org"), Canonical: name("mx2.example.org"), Preference: 20, Authentic: true,
			Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.20"), netip.MustParseAddr("2001:db8::20")}},
	}}
	tlsa := []domain.TLSA{
		{Records: []dns.TLSA{{Usage: 3, Selector: 1, Matching: 1, Data: make([]byte, 32)}}, Usable: []bool{true}},
		{Verdict: domain.DANENoTLSA, Why: "no TLSA records at _25._tcp.mx2.example.org"},
	}
	return mxRouteMsg{route: rt, tlsa: tlsa}
}

// enforce is an MTA-STS policy in enforce mode that lists mx1 only.
func enforce() mxSTSMsg {
	return mxSTSMsg{sts: domain.STS{Verdict: domain.STSOK, Policy: &domain.Policy{Version: "STSv1", Mode: domain.ModeEnforce,
		MaxAge: 86400, MX: []string{"mx1.example.org"}}}}
}

// routed delivers the route and the policy, and the dial of the first MX.
func routed(s *sim) {
	s.t.Helper()
	r := exampleRoute()
	r.req = s.m.mx.req
	s.send(r)
	p := enforce()
	p.req = s.m.mx.req
	s.send(p)
	s.link.addr = s.m.conn.target
	s.send(dialedMsg{gen: s.m.conn.gen, link: s.link})
	s.entry(wire.Note, "connected to "+s.link.addr)
	s.reply("220 mx1.example.org ESMTP")
}

// daneOnly is mx1's certificate: not WebPKI-trusted for the name (a
// private CA), matched by the TLSA record.
func daneOnly() wire.TLSInfo {
	info := gmailCert()
	info.ServerName, info.Verified = "mx1.example.org", false
	info.VerifyError = x509.UnknownAuthorityError{}
	info.Chain[0].Subject, info.Chain[0].DNSNames = "CN=mx1.example.org", []string{"mx1.example.org"}
	info.Chain[0].Issuer = "CN=Example Private CA"
	info.Check = &wire.CheckResult{Name: "DANE", OK: true, Detail: "matched by record 1"}
	return info
}

// mxTLS continues routed through STARTTLS with cert and the second EHLO.
func mxTLS(s *sim, cert wire.TLSInfo) {
	s.t.Helper()
	s.enter("EHLO client.example")
	s.reply("250-mx1.example.org", "250-PIPELINING", "250 STARTTLS")
	s.enter("STARTTLS")
	s.reply("220 2.0.0 Ready to start TLS")
	s.starttls(cert)
	s.enter("EHLO client.example")
	s.reply("250-mx1.example.org", "250 PIPELINING")
}

// TestMXConnectsToFirst: the route's first MX address is dialed on port
// 25 as a sender would (STARTTLS, the MX name for SNI and WebPKI, DANE
// checked when its TLSA records authenticate); the side panel lists both
// MX with preference, addresses, DNSSEC, DANE and MTA-STS; :mx 2 and
// alt+o pick another.
func TestMXConnectsToFirst(t *testing.T) {
	s := mxSim(t, 120, 40)
	routed(s)
	if s.m.conn.target != "192.0.2.10:25" || s.m.opts.ServerName != "mx1.example.org" || s.m.opts.ImplicitTLS || s.m.opts.Check == nil {
		t.Fatalf("first MX: target %q, servername %q, implicit %v, DANE check %v", s.m.conn.target, s.m.opts.ServerName,
			s.m.opts.ImplicitTLS, s.m.opts.Check != nil)
	}
	sc := s.screen()
	for _, want := range []string{"MX example.org DNSSEC ✓", "▸ 1 10 mx1.example.org", "▸192.0.2.10  DNSSEC ✓  DANE 1 TLSA", "STS listed",
		"  2 20 mx2.example.org", "192.0.2.20  2001:db8::20", "DANE no TLSA", "STS NOT listed", "mx1.example.org:25", "→ 192.0.2.10:25"} {
		if !strings.Contains(sc, want) {
			t.Errorf("%q not on screen:\n%s", want, sc)
		}
	}

	s.enter(":mx 2")
	if s.m.conn.target != "192.0.2.20:25" || s.m.opts.ServerName != "mx2.example.org" || s.m.opts.Check != nil {
		t.Errorf(":mx 2: target %q, servername %q, DANE check %v (mx2 has no TLSA)", s.m.conn.target, s.m.opts.ServerName, s.m.opts.Check != nil)
	}
	s.press('o', tea.ModAlt)
	if s.m.conn.target != "[2001:db8::20]:25" {
		t.Errorf("alt+o after mx2's first address: %q, want its second", s.m.conn.target)
	}
	s.press('o', tea.ModAlt)
	if s.m.conn.target != "192.0.2.10:25" {
		t.Errorf("alt+o after the last address: %q, want the first MX again", s.m.conn.target)
	}
	s.enter(":mx 3")
	if !strings.Contains(told(s.m), "N from 1 to 2") || s.m.conn.target != "192.0.2.10:25" {
		t.Errorf(":mx 3 of 2: flash %q, target %q", told(s.m), s.m.conn.target)
	}
}

// TestMXTLSFacts: after STARTTLS with a certificate WebPKI does not trust
// but DANE matched, the TLS facts say the three apart: WebPKI ✗, DANE ✓
// by record 1, MTA-STS enforce, this MX listed, certificate NOT valid for
// it; the badge says TLS, not UNVERIFIED.
func TestMXTLSFacts(t *testing.T) {
	s := mxSim(t, 120, 40)
	routed(s)
	mxTLS(s, daneOnly())
	sc := s.screen()
	for _, want := range []string{"WebPKI  ✗ signed by an unknown", "DANE    ✓ matched by record 1",
		"MTA-STS enforce; MX listed;", "certificate NOT valid for the", " TLS  connected", "DANE matched #1"} {
		if !strings.Contains(sc, want) {
			t.Errorf("%q not on screen:\n%s", want, sc)
		}
	}
	if strings.Contains(sc, "UNVERIFIED") {
		t.Errorf("a DANE-matched session is badged UNVERIFIED:\n%s", sc)
	}
}

// TestMXNoRoute: a null MX connects nowhere and says why.
func TestMXNoRoute(t *testing.T) {
	s := mxSim(t, 80, 24)
	s.send(mxRouteMsg{req: s.m.mx.req, route: domain.Route{Domain: domain.Name{ASCII: "example.org", Unicode: "example.org"},
		Kind: domain.KindNullMX, Problem: "example.org publishes a null MX (RFC 7505): it accepts no mail"}})
	if s.m.conn.phase != phaseIdle || !strings.Contains(told(s.m), "null MX") {
		t.Errorf("null MX: phase %v, flash %q", s.m.conn.phase, told(s.m))
	}
	if sc := s.screen(); !strings.Contains(sc, "publishes a null MX") {
		t.Errorf("the side panel does not say why:\n%s", sc)
	}
	s.send(mxRouteMsg{req: s.m.mx.req - 1, route: exampleRoute().route, tlsa: exampleRoute().tlsa})
	if s.m.conn.phase != phaseIdle {
		t.Errorf("a stale lookup's answer connected")
	}
}

// TestMXGolden compares the screen with the MX list, before and after
// STARTTLS, at 120x40 and 80x24. Run with -update to rewrite
// testdata/TestMXGolden/*.golden.
func TestMXGolden(t *testing.T) {
	moments := map[string]func(*sim){
		"list": routed,
		"tls":  func(s *sim) { routed(s); mxTLS(s, daneOnly()) },
	}
	for name, play := range moments {
		for _, size := range [][2]int{{120, 40}, {80, 24}} {
			t.Run(fmt.Sprintf("%s_%dx%d", name, size[0], size[1]), func(t *testing.T) {
				s := mxSim(t, size[0], size[1])
				play(s)
				checkSize(t, s.m.View().Content, size[0], size[1])
				golden.RequireEqual(t, s.screen())
			})
		}
	}
}

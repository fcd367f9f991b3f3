package domain

import (
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
)

// TestEvaluate: each verdict, from a route, TLSA, MTA-STS and the facts
// of one probe of mx1.example.org.
func TestEvaluate(t *testing.T) {
	p := pkiOnce()
	spki := spkiSHA256(t, p.mx1)
	matched := &DANE{Verdict: DANEMatched, Record: 1}
	nomatch := &DANE{Verdict: DANENoMatch, Why: "no usable record matches"}
	hostErr := x509.HostnameError{Certificate: chain(t, p.other)[0], Host: "mx1.example.org"}
	_, expiredErr := chain(t, p.expired)[0].Verify(x509.VerifyOptions{Roots: p.roots, DNSName: "mx1.example.org", CurrentTime: time.Now()})
	untrusted := x509.UnknownAuthorityError{}
	tlsOK := Conn{Addr: "192.0.2.1:25", Connected: true, STARTTLS: true, TLS: true}
	enforce := "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmax_age: 60\n"
	testing_ := "version: STSv1\nmode: testing\nmx: mx1.example.org\nmax_age: 60\n"
	otherMX := "version: STSv1\nmode: enforce\nmx: mx9.example.org\nmax_age: 60\n"
	with := func(c Conn, f func(*Conn)) Conn { f(&c); return c }
	tests := []struct {
		name     string
		mxAuth   bool
		tlsa     []dns.Record
		policy   string // "" for none
		conn     Conn
		dane     Tri
		sts      Tri
		results  []string
		starttls Tri
		trusted  Tri
	}{
		{"plain opportunistic MX, nothing published", true, nil, "", with(tlsOK, func(c *Conn) { c.STARTTLS, c.TLS = false, false }),
			Yes, Yes, nil, No, Unknown},
		{"DANE matched, certificate not WebPKI-trusted", true, []dns.Record{tlsa(3, 1, 1, spki)}, "",
			with(tlsOK, func(c *Conn) { c.WebPKI, c.DANE = untrusted, matched }), Yes, Yes, nil, Yes, No},
		{"DANE no record matched", true, []dns.Record{tlsa(3, 1, 1, make([]byte, 32))}, "",
			with(tlsOK, func(c *Conn) { c.DANE = nomatch }), No, Yes, []string{"tlsa-invalid"}, Yes, Yes},
		{"TLSA but no STARTTLS", true, []dns.Record{tlsa(3, 1, 1, spki)}, "",
			with(tlsOK, func(c *Conn) { c.STARTTLS, c.TLS = false, false }), No, Yes, []string{"starttls-not-supported"}, No, Unknown},
		{"TLSA in an unsigned zone is ignored", false, []dns.Record{tlsa(3, 1, 1, make([]byte, 32))}, "",
			with(tlsOK, func(c *Conn) { c.STARTTLS, c.TLS = false, false }), Yes, Yes, nil, No, Unknown},
		{"only unusable TLSA: TLS needed, not checked", true, []dns.Record{tlsa(1, 1, 1, spki)}, "", tlsOK, Yes, Yes, []string{"tlsa-invalid"}, Yes, Yes},
		{"MTA-STS enforce met", true, nil, enforce, tlsOK, Yes, Yes, nil, Yes, Yes},
		{"MTA-STS enforce, MX not listed", true, nil, otherMX, tlsOK, Yes, No, []string{"validation-failure"}, Yes, Yes},
		{"MTA-STS enforce, certificate for another name", true, nil, enforce, with(tlsOK, func(c *Conn) { c.WebPKI = hostErr }),
			Yes, No, []string{"certificate-host-mismatch"}, Yes, No},
		{"MTA-STS enforce, expired certificate", true, nil, enforce, with(tlsOK, func(c *Conn) { c.WebPKI = expiredErr }),
			Yes, No, []string{"certificate-expired"}, Yes, No},
		{"MTA-STS enforce, untrusted certificate", true, nil, enforce, with(tlsOK, func(c *Conn) { c.WebPKI = untrusted }),
			Yes, No, []string{"certificate-not-trusted"}, Yes, No},
		{"MTA-STS enforce, plaintext-only MX", true, nil, enforce, with(tlsOK, func(c *Conn) { c.STARTTLS, c.TLS = false, false }),
			Yes, No, []string{"starttls-not-supported"}, No, Unknown},
		{"MTA-STS testing: failures reported, mail delivered", true, nil, testing_, with(tlsOK, func(c *Conn) { c.WebPKI = untrusted }),
			Yes, Yes, []string{"certificate-not-trusted"}, Yes, No},
		{"not probed: unknown", true, nil, enforce, Conn{Addr: "192.0.2.1:25", Err: "connection refused"}, Yes, Unknown, nil, Unknown, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, rt := daneZone(tt.mxAuth, true, true, tt.tlsa...)
			ta := LookupTLSA(ctx, z, rt, rt.Hosts[0])
			var sts STS
			sts.Verdict = STSNone
			if tt.policy != "" {
				pol, err := ParsePolicy(tt.policy)
				if err != nil {
					t.Fatal(err)
				}
				sts = STS{Verdict: STSOK, Policy: &pol}
			}
			v := Evaluate(rt, []TLSA{ta}, sts, [][]Conn{{tt.conn}})
			h := v.Hosts[0]
			if v.DANE.Deliver != tt.dane || v.STS.Deliver != tt.sts || !slices.Equal(v.Results, tt.results) ||
				h.STARTTLS != tt.starttls || h.Trusted != tt.trusted {
				t.Errorf("DANE %s (%s), MTA-STS %s (%s), results %q, STARTTLS %s, trusted %s",
					v.DANE.Deliver, v.DANE.Why, v.STS.Deliver, v.STS.Why, v.Results, h.STARTTLS, h.Trusted)
			}
		})
	}
}

func TestEvaluateNoRoute(t *testing.T) {
	z := newZone()
	z.set("example.org", dns.TypeMX, true, dns.Record{Type: dns.TypeMX, Host: "."})
	rt := Resolve(ctx, z, Name{ASCII: "example.org"}, RouteOptions{})
	v := Evaluate(rt, nil, STS{Verdict: STSNone}, nil)
	if v.DANE.Deliver != No || v.STS.Deliver != No || !strings.Contains(v.DANE.Why, "null MX") {
		t.Errorf("%+v", v)
	}
	z = newZone()
	z.servfail("example.org", dns.TypeMX, 7)
	rt = Resolve(ctx, z, Name{ASCII: "example.org"}, RouteOptions{})
	if v := Evaluate(rt, nil, STS{Verdict: STSNone}, nil); !slices.Equal(v.Results, []string{"dnssec-invalid"}) || v.DANE.Deliver != No {
		t.Errorf("bogus MX: %+v", v)
	}
}

// TestEvaluateSecondMX: a sender that cannot use the first MX goes on to
// the next; the domain's verdict names the MX it would use.
func TestEvaluateSecondMX(t *testing.T) {
	z := newZone()
	z.set("example.org", dns.TypeMX, true, mx(10, "mx1.example.org"), mx(20, "mx2.example.org"))
	z.host("mx1.example.org", true, "192.0.2.1")
	z.host("mx2.example.org", true, "192.0.2.2")
	rt := Resolve(ctx, z, Name{ASCII: "example.org"}, RouteOptions{Stable: true})
	pol, _ := ParsePolicy("version: STSv1\nmode: enforce\nmx: mx2.example.org\nmax_age: 60\n")
	good := Conn{Addr: "x", Connected: true, STARTTLS: true, TLS: true}
	v := Evaluate(rt, []TLSA{{Verdict: DANENoTLSA}, {Verdict: DANENoTLSA}}, STS{Verdict: STSOK, Policy: &pol}, [][]Conn{{good}, {good}})
	if v.STS.Deliver != Yes || v.STS.Via != "mx2.example.org" || !slices.Equal(v.Results, []string{"validation-failure"}) {
		t.Errorf("%+v", v)
	}
}

// TestKnowledgeHasEveryResult: every result type a verdict can name is
// explained in session's table (one home for each fact).
func TestKnowledgeHasEveryResult(t *testing.T) {
	for _, n := range []string{"starttls-not-supported", "certificate-host-mismatch", "certificate-expired", "certificate-not-trusted",
		"validation-failure", "tlsa-invalid", "dnssec-invalid", "dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid"} {
		if _, ok := lookupResult(n); !ok {
			t.Errorf("%s is not in session's knowledge table", n)
		}
	}
}

// TestEvaluateRequireDANE: a sender that requires DANE refuses an MX
// without validated TLSA records (dane-required), not one with them.
func TestEvaluateRequireDANE(t *testing.T) {
	good := Conn{Addr: "x", Connected: true, STARTTLS: true, TLS: true, DANE: &DANE{Verdict: DANEMatched, Record: 1}}
	for _, tt := range []struct {
		tlsa    []dns.Record
		mxAuth  bool
		deliver Tri
	}{
		{nil, true, No},
		{[]dns.Record{tlsa(3, 1, 1, make([]byte, 32))}, false, No},
		{[]dns.Record{tlsa(3, 1, 1, make([]byte, 32))}, true, Yes},
	} {
		z, rt := daneZone(tt.mxAuth, true, true, tt.tlsa...)
		ta := LookupTLSA(ctx, z, rt, rt.Hosts[0])
		v := EvaluateFor(Sender{RequireDANE: true}, rt, []TLSA{ta}, STS{Verdict: STSNone}, [][]Conn{{good}})
		if v.DANE.Deliver != tt.deliver || (tt.deliver == No) != slices.Contains(v.Results, "dane-required") {
			t.Errorf("TLSA %v, MX authentic %v: %s (%s), %q", tt.tlsa != nil, tt.mxAuth, v.DANE.Deliver, v.DANE.Why, v.Results)
		}
	}
}

// TestEvaluateHostLookupFails: an MX host whose lookup fails without a
// DNSSEC error (a CNAME loop's SERVFAIL, a timeout) leaves delivery
// unknown, for a sender retries; a bogus one is refused.
func TestEvaluateHostLookupFails(t *testing.T) {
	for _, tt := range []struct {
		ede     []uint16
		deliver Tri
		results []string
	}{{nil, Unknown, nil}, {[]uint16{6}, No, []string{"dnssec-invalid"}}} {
		z := newZone()
		z.set("example.org", dns.TypeMX, true, mx(10, "a.example.org"))
		z.servfail("a.example.org", dns.TypeA, tt.ede...)
		z.servfail("a.example.org", dns.TypeAAAA, tt.ede...)
		rt := Resolve(ctx, z, Name{ASCII: "example.org"}, RouteOptions{})
		v := Evaluate(rt, []TLSA{{Verdict: DANENoTLSA}}, STS{Verdict: STSNone}, [][]Conn{nil})
		if v.DANE.Deliver != tt.deliver || v.STS.Deliver != tt.deliver || !slices.Equal(v.Results, tt.results) {
			t.Errorf("EDE %v: DANE %s (%s), MTA-STS %s, %q", tt.ede, v.DANE.Deliver, v.DANE.Why, v.STS.Deliver, v.Results)
		}
	}
}

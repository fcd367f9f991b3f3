package domain

import (
	"crypto/sha512"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/dns"
)

// daneZone is example.org with MX mx1.example.org (authentic unless
// said) and the given TLSA answer.
func daneZone(mxAuth, hostAuth, tlsaAuth bool, recs ...dns.Record) (*zone, Route) {
	z := newZone()
	z.set("example.org", dns.TypeMX, mxAuth, mx(10, "mx1.example.org"))
	z.host("mx1.example.org", hostAuth, "192.0.2.1")
	if recs != nil {
		z.set("_25._tcp.mx1.example.org", dns.TypeTLSA, tlsaAuth, recs...)
	}
	return z, Resolve(ctx, z, Name{ASCII: "example.org", Unicode: "example.org"}, RouteOptions{})
}

func TestDANE(t *testing.T) {
	p := pkiOnce()
	mx1 := chain(t, p.mx1)
	spki := spkiSHA256(t, p.mx1)
	wrong := make([]byte, 32)
	sha512Cert := func() []byte { s := sha512.Sum512(p.mx1.Certificate[0]); return s[:] }()
	tests := []struct {
		name            string
		mxAuth, tlsAuth bool
		records         []dns.Record // nil: NXDOMAIN
		servfail        bool
		before          string // the TLSA verdict before any handshake
		after           string // DANE.Text() for mx1's chain
	}{
		{"no TLSA", true, true, nil, false, DANENoTLSA, DANENoTLSA},
		{"NODATA", true, true, []dns.Record{}, false, DANENoTLSA, DANENoTLSA},
		{"DANE-EE SPKI SHA-256", true, true, []dns.Record{tlsa(3, 1, 1, spki)}, false, "", "matched by record 1"},
		{"DANE-EE full certificate SHA-512", true, true, []dns.Record{tlsa(3, 0, 2, sha512Cert)}, false, "", "matched by record 1"},
		{"DANE-EE exact certificate", true, true, []dns.Record{tlsa(3, 0, 0, p.mx1.Certificate[0])}, false, "", "matched by record 1"},
		{"rollover: the second record matches", true, true, []dns.Record{tlsa(3, 1, 1, wrong), tlsa(3, 1, 1, spki)}, false, "", "matched by record 2"},
		{"no record matched", true, true, []dns.Record{tlsa(3, 1, 1, wrong)}, false, "", DANENoMatch},
		{"DANE-TA: the CA in the chain", true, true, []dns.Record{tlsa(2, 0, 1, certSHA256(p.caDER))}, false, "", "matched by record 1"},
		{"DANE-TA: the CA in the record", true, true, []dns.Record{tlsa(2, 0, 0, p.caDER)}, false, "", "matched by record 1"},
		{"PKIX-EE only: unusable", true, true, []dns.Record{tlsa(1, 1, 1, spki)}, false, DANEUnusable, DANEUnusable},
		{"PKIX-TA only: unusable", true, true, []dns.Record{tlsa(0, 0, 1, certSHA256(p.caDER))}, false, DANEUnusable, DANEUnusable},
		{"unknown usage 7: unusable", true, true, []dns.Record{tlsa(7, 1, 1, spki)}, false, DANEUnusable, DANEUnusable},
		{"unknown usage beside a usable record", true, true, []dns.Record{tlsa(255, 1, 1, wrong), tlsa(3, 1, 1, spki)}, false, "", "matched by record 2"},
		{"digest of the wrong length: unusable", true, true, []dns.Record{tlsa(3, 1, 1, spki[:20])}, false, DANEUnusable, DANEUnusable},
		{"unknown matching type: unusable", true, true, []dns.Record{tlsa(3, 1, 9, spki)}, false, DANEUnusable, DANEUnusable},
		{"TLSA not authentic", true, false, []dns.Record{tlsa(3, 1, 1, spki)}, false, DANEInsecure, DANEInsecure},
		{"MX not authentic", false, true, []dns.Record{tlsa(3, 1, 1, spki)}, false, DANEInsecure, DANEInsecure},
		{"bogus TLSA", true, true, nil, true, DANEBogus, DANEBogus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, rt := daneZone(tt.mxAuth, true, tt.tlsAuth, tt.records...)
			if tt.records != nil && len(tt.records) == 0 {
				z.set("_25._tcp.mx1.example.org", dns.TypeTLSA, true)
			}
			if tt.servfail {
				z.servfail("_25._tcp.mx1.example.org", dns.TypeTLSA, 6)
			}
			ta := LookupTLSA(ctx, z, rt, rt.Hosts[0])
			if ta.Verdict != tt.before {
				t.Errorf("verdict %q (%s), want %q", ta.Verdict, ta.Why, tt.before)
			}
			if got := ta.Check(mx1, rt.Hosts[0]).Text(); got != tt.after {
				t.Errorf("check: %q, want %q", got, tt.after)
			}
		})
	}
}

// TestDANETANames: DANE-TA checks the name (the MX host or its CNAME
// target, RFC 7672 3.2.2); DANE-EE checks none, nor the dates.
func TestDANETANames(t *testing.T) {
	p := pkiOnce()
	ta := []dns.Record{tlsa(2, 1, 1, spkiOf(t, p.caDER))}
	z, rt := daneZone(true, true, true, ta...)
	tl := LookupTLSA(ctx, z, rt, rt.Hosts[0])
	if d := tl.Check(chain(t, p.other), rt.Hosts[0]); d.Verdict != DANENoMatch || !strings.Contains(d.Why, "mx1.example.org") {
		t.Errorf("DANE-TA, certificate for another name: %+v", d)
	}
	if d := tl.Check(chain(t, p.mx1), rt.Hosts[0]); d.Verdict != DANEMatched {
		t.Errorf("DANE-TA, right name: %+v", d)
	}
	ee := []dns.Record{tlsa(3, 1, 1, spkiSHA256(t, p.other))}
	z, rt = daneZone(true, true, true, ee...)
	if d := LookupTLSA(ctx, z, rt, rt.Hosts[0]).Check(chain(t, p.other), rt.Hosts[0]); d.Verdict != DANEMatched {
		t.Errorf("DANE-EE, certificate for another name: %+v, want matched (no name check)", d)
	}
	ee = []dns.Record{tlsa(3, 1, 1, spkiSHA256(t, p.expired))}
	z, rt = daneZone(true, true, true, ee...)
	if d := LookupTLSA(ctx, z, rt, rt.Hosts[0]).Check(chain(t, p.expired), rt.Hosts[0]); d.Verdict != DANEMatched {
		t.Errorf("DANE-EE, expired certificate: %+v, want matched (no date check)", d)
	}
}

// TestDANECNAME: a CNAME'd MX host has its TLSA looked up at the target
// first when the chain is authentic, then at its own name (RFC 7672
// 2.2.2); DANE-TA accepts the target's name.
func TestDANECNAME(t *testing.T) {
	p := pkiOnce()
	z := newZone()
	z.set("example.org", dns.TypeMX, true, mx(10, "mail.example.org"))
	for _, ty := range []uint16{dns.TypeA, dns.TypeAAAA} {
		var recs []dns.Record
		if ty == dns.TypeA {
			recs = append(recs, addr("192.0.2.1"))
		}
		a := z.set("mail.example.org", ty, true, recs...)
		a.CNAMEs, a.Canonical = []string{"mx1.example.org."}, "mx1.example.org."
	}
	z.set("_25._tcp.mail.example.org", dns.TypeTLSA, true, tlsa(2, 0, 1, certSHA256(p.caDER)))
	rt := Resolve(ctx, z, Name{ASCII: "example.org"}, RouteOptions{})
	tl := LookupTLSA(ctx, z, rt, rt.Hosts[0])
	if len(tl.Tried) != 2 || tl.Base.ASCII != "mail.example.org" || tl.Verdict != "" {
		t.Fatalf("tried %d, base %s, verdict %q", len(tl.Tried), tl.Base, tl.Verdict)
	}
	if d := tl.Check(chain(t, p.mx1), rt.Hosts[0]); d.Verdict != DANEMatched {
		t.Errorf("DANE-TA with the CNAME target's name: %+v", d)
	}
}

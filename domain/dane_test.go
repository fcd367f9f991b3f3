package domain

import (
	"crypto/sha512"
	"strings"
	"testing"
	"time"

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
// 2.2.2). DANE-TA accepts the TLSA base domain, the MX host's own name
// and the next-hop domain (RFC 7672 3.2.2), not the target when its
// records were not the ones used; SNI is the TLSA base domain (RFC 7672
// 8.1) when DANE applies, else the MX name.
func TestDANECNAME(t *testing.T) {
	p := pkiOnce()
	ta := tlsa(2, 0, 1, certSHA256(p.caDER))
	cnamed := func(tlsaAt string, tlsaAuth bool) (*zone, Route) {
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
		z.set("_25._tcp."+tlsaAt, dns.TypeTLSA, tlsaAuth, ta)
		return z, Resolve(ctx, z, Name{ASCII: "example.org"}, RouteOptions{})
	}
	names := func(tl TLSA) string {
		var s []string
		for _, n := range tl.Names {
			s = append(s, n.ASCII)
		}
		return strings.Join(s, " ")
	}

	// TLSA at the target: it is the base domain, and the SNI.
	z, rt := cnamed("mx1.example.org", true)
	h := rt.Hosts[0]
	tl := LookupTLSA(ctx, z, rt, h)
	if len(tl.Tried) != 1 || tl.Base.ASCII != "mx1.example.org" || tl.Verdict != "" || tl.SNI(h) != "mx1.example.org" ||
		names(tl) != "mx1.example.org mail.example.org example.org" {
		t.Fatalf("tried %d, base %s, verdict %q, SNI %s, names %q", len(tl.Tried), tl.Base, tl.Verdict, tl.SNI(h), names(tl))
	}
	for _, leaf := range []string{"mx1.example.org", "mail.example.org", "example.org"} {
		if d := tl.Check(chain(t, p.leaf(40, leaf, time.Now().Add(time.Hour))), h); d.Verdict != DANEMatched || !strings.Contains(d.Why, leaf) {
			t.Errorf("DANE-TA, certificate for %s: %+v", leaf, d)
		}
	}
	if d := tl.Check(chain(t, p.other), h); d.Verdict != DANENoMatch {
		t.Errorf("DANE-TA, certificate for another name: %+v", d)
	}

	// None at the target: the MX host's own name is the base; the target
	// is no reference identifier then.
	z, rt = cnamed("mail.example.org", true)
	h = rt.Hosts[0]
	tl = LookupTLSA(ctx, z, rt, h)
	if len(tl.Tried) != 2 || tl.Base.ASCII != "mail.example.org" || tl.Verdict != "" || tl.SNI(h) != "mail.example.org" ||
		names(tl) != "mail.example.org example.org" {
		t.Fatalf("tried %d, base %s, verdict %q, SNI %s, names %q", len(tl.Tried), tl.Base, tl.Verdict, tl.SNI(h), names(tl))
	}
	if d := tl.Check(chain(t, p.mx1), h); d.Verdict != DANENoMatch {
		t.Errorf("DANE-TA with the target's name, records at the MX name: %+v", d)
	}

	// Records not authentic: DANE does not apply, the SNI is the MX name.
	z, rt = cnamed("mx1.example.org", false)
	if tl := LookupTLSA(ctx, z, rt, rt.Hosts[0]); tl.Verdict != DANEInsecure || tl.SNI(rt.Hosts[0]) != "mail.example.org" {
		t.Errorf("insecure TLSA: verdict %q, SNI %s", tl.Verdict, tl.SNI(rt.Hosts[0]))
	}
}

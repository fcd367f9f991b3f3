package client

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/lab"
)

// fakeDNS answers from a map of "name TYPE" (name without the final dot)
// to records, authentic; anything else is NXDOMAIN.
type fakeDNS map[string][]dns.Record

func (f fakeDNS) Lookup(_ context.Context, name string, qtype uint16) (*dns.Answer, error) {
	key := strings.TrimSuffix(name, ".") + " " + domain.TypeName(qtype)
	recs, ok := f[key]
	a := &dns.Answer{Name: name, Type: qtype, Canonical: name, Authentic: true, Records: recs}
	if !ok {
		a.Rcode = dns.RcodeNXDomain
	}
	return a, nil
}

// TestProbeDomain routes example.org to the built-in lab's MX endpoint
// (its port given as DOMAIN:PORT), with TLSA records that match the lab's
// certificate or do not: a DANE-verified session is shown as such though
// the certificate does not name the MX (WebPKI), and the verdicts follow.
func TestProbeDomain(t *testing.T) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ep, _ := l.Endpoint("mx")
	_, port, _ := net.SplitHostPort(ep.Addr)
	opts := Options{RootCAs: l.CertPool(), Timeout: 10 * time.Second}
	first := Probe(context.Background(), ep.Addr, opts)
	if first.TLS == nil || len(first.TLS.Chain) == 0 {
		t.Fatalf("the lab's MX endpoint gave no certificate: %v", first.Err)
	}
	certSum, _ := hex.DecodeString(first.TLS.Chain[0].SHA256)
	zone := func(tlsaData []byte) fakeDNS {
		return fakeDNS{
			"example.org MX":               {{Type: dns.TypeMX, Pref: 10, Host: "mx.example.org."}, {Type: dns.TypeMX, Pref: 20, Host: "gone.example.org."}},
			"mx.example.org A":             {{Type: dns.TypeA, Addr: netip.MustParseAddr("127.0.0.1")}},
			"mx.example.org AAAA":          {},
			"_25._tcp.mx.example.org TLSA": {{Type: dns.TypeTLSA, TLSA: &dns.TLSA{Usage: 3, Selector: 0, Matching: 1, Data: tlsaData}}},
			"_smtp._tls.example.org TXT":   {{Type: dns.TypeTXT, TXT: []string{"v=TLSRPTv1; rua=mailto:tls@example.org"}}},
		}
	}
	tests := []struct {
		name    string
		data    []byte
		dane    string
		deliver domain.Tri
		results []string
	}{
		{"matching TLSA", certSum, "matched by record 1", domain.Yes, nil},
		{"mismatching TLSA", make([]byte, 32), domain.DANENoMatch, domain.No, []string{"tlsa-invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DomainOptions{Options: opts, Resolver: zone(tt.data), Route: domain.RouteOptions{Stable: true}}
			r := ProbeDomain(context.Background(), "bob@example.org:"+port, o)
			if r.Err != nil || len(r.Route.Hosts) != 2 || len(r.Probes[0]) != 1 {
				t.Fatalf("err %v, hosts %+v", r.Err, r.Route.Hosts)
			}
			p := r.Probes[0][0]
			if p.TLS == nil || p.TLS.Check == nil || p.TLS.Verified {
				t.Fatalf("TLS %+v, err %v", p.TLS, p.Err)
			}
			v := r.Result
			av := v.Hosts[0].Addrs[0]
			if av.DANE != tt.dane || v.DANE.Deliver != tt.deliver || av.Trusted != domain.No || av.STARTTLS != domain.Yes ||
				strings.Join(v.Results, ",") != strings.Join(tt.results, ",") {
				t.Errorf("DANE %q, deliver %s (%s), trusted %s, STARTTLS %s, results %q", av.DANE, v.DANE.Deliver, v.DANE.Why,
					av.Trusted, av.STARTTLS, v.Results)
			}
			if v.Hosts[1].DANEDeliver != domain.No || !strings.Contains(v.Hosts[1].DANEWhy, "does not resolve") {
				t.Errorf("the unresolvable MX: %+v", v.Hosts[1])
			}
			if r.RPT.Verdict != domain.RPTOK || r.STS.Verdict != domain.STSNone {
				t.Errorf("TLS-RPT %q, MTA-STS %q", r.RPT.Verdict, r.STS.Verdict)
			}
			var out strings.Builder
			WriteDomain(&out, r, DomainFormat{Transcript: true})
			for _, want := range []string{"mx.example.org  127.0.0.1:" + port, "DANE         " + tt.dane, "NOT trusted for mx.example.org",
				"gone.example.org  does not resolve", "D: MX example.org.", "DNS MX example.org", "probe mx.example.org 127.0.0.1:" + port} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
			var verbose strings.Builder
			WriteDomain(&verbose, r, DomainFormat{Verbose: true})
			if v := verbose.String(); !strings.Contains(v, "NOT verified: name mismatch") || strings.Contains(v, "--insecure") ||
				!strings.Contains(v, "    DANE     "+tt.dane) {
				t.Errorf("verbose report: NOT verified (not --insecure) and the DANE verdict wanted:\n%s", v)
			}
			b, err := json.Marshal(r.JSON(false))
			if err != nil {
				t.Fatal(err)
			}
			var js DomainJSON
			if err := json.Unmarshal(b, &js); err != nil || js.MX[0].Probes[0].DANE != tt.dane || js.MX[0].TLSA.Records[0].Matching != 1 ||
				js.MX[0].Probes[0].TLS == nil || js.DNS[0].Type == "" || js.Route != "mx" {
				t.Errorf("JSON %s, %v", b, err)
			}
		})
	}
}

// TestProbeDomainHostileDNS: names and TXT data from DNS reach neither the
// report nor the JSON raw: escape sequences and bidi characters show
// escaped.
func TestProbeDomainHostileDNS(t *testing.T) {
	zone := fakeDNS{
		"example.org MX":             {{Type: dns.TypeMX, Pref: 10, Host: "evil\x1b[2J\u202e.example."}},
		"_mta-sts.example.org TXT":   {{Type: dns.TypeTXT, TXT: []string{"v=STSv1; id=1\x1b]0;pwned\x07"}}},
		"_smtp._tls.example.org TXT": {{Type: dns.TypeTXT, TXT: []string{"v=TLSRPTv1; rua=mailto:a@example.org\u202e\r\n250 OK"}}},
	}
	r := ProbeDomain(context.Background(), "example.org", DomainOptions{Resolver: zone, Options: Options{Timeout: 2 * time.Second}})
	var out strings.Builder
	WriteDomain(&out, r, DomainFormat{Verbose: true, Transcript: true})
	b, err := json.Marshal(r.JSON(true))
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"report": out.String(), "JSON": string(b)} {
		if strings.ContainsAny(s, "\x1b\u202e\x07\r") {
			t.Errorf("%s holds raw bytes from DNS:\n%q", what, s)
		}
	}
	if !strings.Contains(out.String(), `evil\x1b[2j\u202e.example`) || r.Result.DANE.Deliver != domain.No {
		t.Errorf("the MX is not shown escaped, or judged deliverable:\n%s", out.String())
	}
}

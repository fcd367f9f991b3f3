package dnslab

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/testenv"
	"github.com/miekg/dns"
)

// ask sends one question with the DO bit (RFC 3225), over UDP and again
// over TCP when the answer is truncated.
func ask(t *testing.T, server, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.SetEdns0(1232, true)
	c := &dns.Client{Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.Exchange(m, server)
	}
	if err != nil {
		t.Fatalf("%s %s at %s: %v", name, dns.TypeToString[qtype], server, err)
	}
	return r
}

// records is the data of the answer's records of type qtype, in the
// order the server sent them ("10 mx1.dane-ok.test.", "3 1 1 d6cd...").
func records(r *dns.Msg, qtype uint16) []string {
	var out []string
	for _, rr := range r.Answer {
		if rr.Header().Rrtype == qtype {
			out = append(out, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
	}
	return out
}

// edeCodes is the Extended DNS Error codes of the answer (RFC 8914).
func edeCodes(r *dns.Msg) []uint16 {
	var codes []uint16
	if opt := r.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				codes = append(codes, e.InfoCode)
			}
		}
	}
	return codes
}

// question is what one question to the resolver must get.
type question struct {
	name  string
	qtype uint16
	rcode int
	ad    bool
	want  []string // the records of qtype, in order; nil: any, but at least one when rcode is NOERROR
	none  bool     // NOERROR without records of qtype (NODATA)
	ede   []uint16 // Extended DNS Error codes of which the answer must carry one (nil: none asked)
}

func questions(tlsa string) []question {
	const (
		ok  = dns.RcodeSuccess
		nx  = dns.RcodeNameError
		bad = dns.RcodeServerFailure
	)
	A, MX, TXT, TLSA, PTR := dns.TypeA, dns.TypeMX, dns.TypeTXT, dns.TypeTLSA, dns.TypePTR
	one := func(s ...string) []string { return s }
	return []question{
		{name: ".", qtype: dns.TypeNS, rcode: ok, ad: true, want: one("ns.root.")},
		// DANE (RFC 7672).
		{name: "dane-ok.test", qtype: MX, rcode: ok, ad: true, want: one("10 mx1.dane-ok.test.", "20 mx2.dane-ok.test.")},
		{name: "mx1.dane-ok.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.1")},
		{name: "mx2.dane-ok.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.2")},
		{name: "_25._tcp.mx1.dane-ok.test", qtype: TLSA, rcode: ok, ad: true, want: one(tlsa)},
		{name: "_smtp._tls.dane-ok.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=TLSRPTv1; rua=mailto:tlsrpt@dane-ok.test"`)},
		{name: "dane-mismatch.test", qtype: MX, rcode: ok, ad: true, want: one("10 mx.dane-mismatch.test.")},
		{name: "mx.dane-bogus.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.4")},
		{name: "_25._tcp.mx.dane-bogus.test", qtype: TLSA, rcode: bad, ede: []uint16{6}}, // DNSSEC Bogus
		{name: "dane-insecure.test", qtype: MX, rcode: ok, ad: false, want: one("10 mx.dane-insecure.test.")},
		{name: "_25._tcp.mx.dane-insecure.test", qtype: TLSA, rcode: ok, ad: false, want: one(tlsa)},
		{name: "_25._tcp.mx.dane-plaintext.test", qtype: TLSA, rcode: ok, ad: true, want: one(tlsa)},
		{name: "mx.dane-plaintext.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.6")},
		{name: "_25._tcp.mx.dane-unusable.test", qtype: TLSA, rcode: ok, ad: true,
			want: one("1 1 1 "+strings.Fields(tlsa)[3], "4 1 1 "+strings.Fields(tlsa)[3])},
		// 7 Signature Expired when Unbound validates afresh; 6 DNSSEC Bogus
		// while it remembers the key as bad (val-bogus-ttl).
		{name: "dnssec-bogus.test", qtype: MX, rcode: bad, ede: []uint16{6, 7}},
		// MX routing (RFC 5321 5.1, RFC 7505).
		{name: "mx-null.test", qtype: MX, rcode: ok, ad: true, want: one("0 .")},
		{name: "mx-implicit.test", qtype: MX, rcode: ok, ad: true, none: true},
		{name: "mx-implicit.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.9")},
		{name: "mx-cname.test", qtype: MX, rcode: ok, ad: true, want: one("10 mail.mx-cname.test.")},
		{name: "mail.mx-cname.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.10")},
		{name: "mail.mx-cname.test", qtype: dns.TypeCNAME, rcode: ok, ad: true, want: one("real.mx-cname.test.")},
		{name: "_25._tcp.real.mx-cname.test", qtype: TLSA, rcode: ok, ad: true, want: one(tlsa)},
		{name: "mx-dangling.test", qtype: MX, rcode: ok, ad: true, want: one("10 nowhere.mx-dangling.test.", "20 mx.mx-dangling.test.")},
		{name: "nowhere.mx-dangling.test", qtype: A, rcode: nx, ad: true},
		{name: "mx.mx-dangling.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.11")},
		{name: "a.mx-loop.test", qtype: A, rcode: bad},
		{name: "mx-loop.test", qtype: MX, rcode: ok, ad: true, want: one("10 a.mx-loop.test.")},
		{name: "mx1.mx-many.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.26")},
		{name: "mx2.mx-many.test", qtype: A, rcode: nx, ad: true},
		// Hostile text, as presentation format escapes it.
		{name: "_mta-sts.txt-hostile.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=STSv1; id=\027[2J\226\128\174evil;"`)},
		{name: "_smtp._tls.txt-hostile.test", qtype: TXT, rcode: ok, ad: true,
			want: one(`"v=TLSRPTv1; rua=mailto:\027]0;pwned\007tlsrpt@txt-hostile.test"`)},
		{name: "txt-hostile.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 \000 ip4:127.0.0.1 \027[8m-all"`)},
		// MTA-STS (RFC 8461) and TLS-RPT (RFC 8460).
		{name: "sts-enforce.test", qtype: MX, rcode: ok, ad: true, want: one("10 mx1.sts-enforce.test.", "20 mx2.sts-enforce.test.")},
		{name: "_mta-sts.sts-enforce.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=STSv1; id=20261207T000000;"`)},
		{name: "_smtp._tls.sts-enforce.test", qtype: TXT, rcode: ok, ad: true,
			want: one(`"v=TLSRPTv1; rua=mailto:tlsrpt@sts-enforce.test,https://tlsrpt.sts-enforce.test/v1"`)},
		{name: "_smtp._tls.sts-mismatch.test", qtype: TXT, rcode: nx, ad: true},
		{name: "sts-mismatch.test", qtype: MX, rcode: ok, ad: true, want: one("10 mx1.sts-mismatch.test.", "20 mx2.sts-mismatch.test.")},
		{name: "sts-plaintext.test", qtype: MX, rcode: ok, ad: true, want: one("10 mx.sts-plaintext.test.")},
		{name: "mx.sts-plaintext.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.24")},
		{name: "_25._tcp.mx1.sts-enforce.test", qtype: TLSA, rcode: nx, ad: true},
		// SPF (RFC 7208).
		{name: "spf-pass.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 ip4:127.0.0.1 -all"`)},
		{name: "spf-fail.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 ip4:192.0.2.1 -all"`)},
		{name: "spf-softfail.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 ip4:192.0.2.1 ~all"`)},
		{name: "spf-neutral.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 ?all"`)},
		{name: "spf-none.test", qtype: TXT, rcode: ok, ad: true, want: one(`"google-site-verification=ehlo-dns-lab"`)},
		{name: "spf-include.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 include:_a.spf-include.test -all"`)},
		{name: "_a.spf-include.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 include:_b.spf-include.test -all"`)},
		{name: "_b.spf-include.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.1 -all"`)},
		{name: "spf-macro.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 exists:%{ir}.%{l}._spf.%{d} -all"`)},
		{name: "1.0.0.127.alice._spf.spf-macro.test", qtype: A, rcode: ok, ad: true, want: one("127.0.0.2")},
		{name: "1.0.0.127.bob._spf.spf-macro.test", qtype: A, rcode: nx, ad: true},
		{name: "h1.spf-permerror-lookups.test", qtype: A, rcode: ok, ad: true, want: one("192.0.2.1")},
		{name: "h11.spf-permerror-lookups.test", qtype: A, rcode: ok, ad: true, want: one("192.0.2.11")},
		{name: "spf-permerror-syntax.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 ip4:127.0.0.1/33 -all"`)},
		{name: "spf-permerror-two.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 -all"`, `"v=spf1 ip4:127.0.0.1 -all"`)},
		{name: "spf-void.test", qtype: TXT, rcode: ok, ad: true,
			want: one(`"v=spf1 a:nx1.spf-void.test a:nx2.spf-void.test a:nx3.spf-void.test ip4:127.0.0.1 -all"`)},
		{name: "nx1.spf-void.test", qtype: A, rcode: nx, ad: true},
		{name: "_a.spf-loop.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 include:spf-loop.test -all"`)},
		{name: "spf-split.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 " "ip4:127." "0.0.1" " -a" "ll"`)},
		{name: "_dmarc.dmarc-badtags.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=DMARC1; p=reject; x-unknown=1; pct=100"`)},
		{name: "_dmarc.dmarc-nop.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=DMARC1; rua=mailto:dmarc@dmarc-nop.test"`)},
		// DMARC (RFC 7489).
		{name: "_dmarc.dmarc-reject.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=DMARC1; p=reject; rua=mailto:dmarc@dmarc-reject.test"`)},
		{name: "_dmarc.dmarc-quarantine.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=DMARC1; p=quarantine"`)},
		{name: "_dmarc.dmarc-none.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=DMARC1; p=none"`)},
		{name: "_dmarc.dmarc-pass.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=DMARC1; p=reject"`)},
		{name: "dmarc-pass.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 ip4:127.0.0.1 -all"`)},
		{name: "_dmarc.dmarc-org.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=DMARC1; p=reject; sp=quarantine"`)},
		{name: "_dmarc.sub.dmarc-org.test", qtype: TXT, rcode: nx, ad: true},
		{name: "sub.dmarc-org.test", qtype: TXT, rcode: ok, ad: true, want: one(`"v=spf1 -all"`)},
		// Reverse DNS and a blocklist (RFC 5782).
		{name: "1.0.0.127.in-addr.arpa", qtype: PTR, rcode: ok, ad: true, want: one("localhost.")},
		{name: "1.55.0.127.in-addr.arpa", qtype: PTR, rcode: ok, ad: true, want: one("mx1.dane-ok.test.")},
		{name: "40.55.0.127.in-addr.arpa", qtype: PTR, rcode: ok, ad: true, want: one("confirmed.ptr.test.")},
		{name: "confirmed.ptr.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.40")},
		{name: "41.55.0.127.in-addr.arpa", qtype: PTR, rcode: ok, ad: true, want: one("unconfirmed.ptr.test.")},
		{name: "unconfirmed.ptr.test", qtype: A, rcode: ok, ad: true, want: one("127.0.55.49")},
		{name: "42.55.0.127.in-addr.arpa", qtype: PTR, rcode: nx, ad: true},
		{name: "name1.ptr.test", qtype: A, rcode: nx, ad: true},
		{name: "2.0.0.127.dnsbl.test", qtype: A, rcode: ok, ad: false, want: one("127.0.0.2")},
		{name: "43.55.0.127.dnsbl.test", qtype: A, rcode: ok, ad: false, want: one("127.0.0.10")},
		{name: "1.0.0.127.dnsbl.test", qtype: A, rcode: nx, ad: false},
	}
}

// TestZones asks the validating resolver each question the README's
// table rests on: the records, the AD bit (signed zones validate,
// dane-insecure.test and dnsbl.test are provably insecure) and the
// failures (SERVFAIL with the Extended DNS Error for the bogus ones,
// NXDOMAIN proven by NSEC).
func TestZones(t *testing.T) {
	lab := Need(t)
	for _, q := range questions(lab.TLSA) {
		r := ask(t, lab.Resolver, q.name, q.qtype)
		what := q.name + " " + dns.TypeToString[q.qtype]
		if r.Rcode != q.rcode {
			t.Errorf("%s: rcode %s, want %s", what, dns.RcodeToString[r.Rcode], dns.RcodeToString[q.rcode])
			continue
		}
		if q.rcode != dns.RcodeServerFailure && r.AuthenticatedData != q.ad {
			t.Errorf("%s: AD %v, want %v", what, r.AuthenticatedData, q.ad)
		}
		got := records(r, q.qtype)
		switch {
		case q.want != nil && !slices.Equal(got, q.want):
			t.Errorf("%s: records %q, want %q (in this order)", what, got, q.want)
		case q.none && len(got) > 0:
			t.Errorf("%s: records %q, want none (NODATA)", what, got)
		case q.rcode == dns.RcodeSuccess && !q.none && len(got) == 0:
			t.Errorf("%s: no records", what)
		}
		if q.ede != nil && !slices.ContainsFunc(edeCodes(r), func(c uint16) bool { return slices.Contains(q.ede, c) }) {
			t.Errorf("%s: Extended DNS Errors %v, want one of %v", what, edeCodes(r), q.ede)
		}
	}
}

// TestRollover: mx2.dane-ok.test has two TLSA records, another
// certificate's first and the one that matches second, in that order in
// every answer (Unbound's rrset-roundrobin is off), so "matched by record
// 2" is a stable verdict.
func TestRollover(t *testing.T) {
	lab := Need(t)
	for range 3 {
		got := records(ask(t, lab.Resolver, "_25._tcp.mx2.dane-ok.test", dns.TypeTLSA), dns.TypeTLSA)
		if len(got) != 2 || !strings.HasPrefix(got[0], "3 0 1 ") || got[1] != lab.TLSA {
			t.Fatalf("_25._tcp.mx2.dane-ok.test TLSA = %q, want [3 0 1 <other certificate>, %s]", got, lab.TLSA)
		}
	}
	mismatch := records(ask(t, lab.Resolver, "_25._tcp.mx.dane-mismatch.test", dns.TypeTLSA), dns.TypeTLSA)
	if len(mismatch) != 1 || !strings.HasPrefix(mismatch[0], "3 1 1 ") || mismatch[0] == lab.TLSA {
		t.Errorf("_25._tcp.mx.dane-mismatch.test TLSA = %q, want one 3 1 1 record for another key than %s", mismatch, lab.TLSA)
	}
}

// TestTruncated: mx-many.test's 500 MX records do not fit a UDP answer:
// the resolver sets TC, and over TCP all 500 come, authentic.
func TestTruncated(t *testing.T) {
	lab := Need(t)
	m := new(dns.Msg)
	m.SetQuestion("mx-many.test.", dns.TypeMX)
	m.SetEdns0(1232, true)
	r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(m, lab.Resolver)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Truncated {
		t.Errorf("mx-many.test MX over UDP: TC not set, %d records", len(records(r, dns.TypeMX)))
	}
	r = ask(t, lab.Resolver, "mx-many.test", dns.TypeMX) // over TCP after TC
	got := records(r, dns.TypeMX)
	if len(got) != 500 || !r.AuthenticatedData || got[0] != "1 mx1.mx-many.test." || got[499] != "500 mx500.mx-many.test." {
		t.Errorf("mx-many.test MX over TCP: %d records (AD %v), first %q; want 500 from 1 mx1 to 500 mx500, authentic",
			len(got), r.AuthenticatedData, got[:min(len(got), 1)])
	}
	ptr := ask(t, lab.Resolver, "44.55.0.127.in-addr.arpa", dns.TypePTR)
	if n := len(records(ptr, dns.TypePTR)); n != 100 || !ptr.AuthenticatedData {
		t.Errorf("44.55.0.127.in-addr.arpa PTR: %d records (AD %v), want 100, authentic", n, ptr.AuthenticatedData)
	}
}

// TestAuthNotValidated: Knot, asked directly, serves the bogus zones'
// data (with AA and without AD): they are bogus only to a validator.
func TestAuthNotValidated(t *testing.T) {
	lab := Need(t)
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{"dnssec-bogus.test", dns.TypeMX}, {"_25._tcp.mx.dane-bogus.test", dns.TypeTLSA}} {
		r := ask(t, lab.Auth, q.name, q.qtype)
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || r.AuthenticatedData || len(records(r, q.qtype)) != 1 {
			t.Errorf("%s at %s: rcode %s AA %v AD %v records %q; want NOERROR, AA, no AD, one record",
				q.name, lab.Auth, dns.RcodeToString[r.Rcode], r.Authoritative, r.AuthenticatedData, records(r, q.qtype))
		}
	}
}

// lookupA is the lab resolver's one A record for name.
func lookupA(lab Lab, name string) (string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(m, lab.Resolver)
	if err != nil {
		return "", err
	}
	if a := records(r, dns.TypeA); len(a) == 1 {
		return a[0], nil
	}
	return "", fmt.Errorf("%s A at %s: %s %q, want one address", name, lab.Resolver, dns.RcodeToString[r.Rcode], records(r, dns.TypeA))
}

// addrOf is lookupA for the test's goroutine.
func addrOf(t *testing.T, lab Lab, name string) string {
	t.Helper()
	a, err := lookupA(lab, name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func caPool(t *testing.T, lab Lab) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(lab.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", lab.CA)
	}
	return pool
}

// TestPolicyHosts fetches each zone's MTA-STS policy as RFC 8461 3.3 says
// (HTTPS, certificate checked against the lab CA, no redirect followed),
// from the address the lab's DNS gives for mta-sts.<zone>.
func TestPolicyHosts(t *testing.T) {
	lab := Need(t)
	pool := caPool(t, lab)
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, port, _ := net.SplitHostPort(addr)
				a, err := lookupA(lab, host)
				if err != nil {
					return nil, err
				}
				return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort(a, port))
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	get := func(zone string) (*http.Response, []byte, error) {
		resp, err := client.Get("https://mta-sts." + zone + "/.well-known/mta-sts.txt")
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return resp, body, err
	}
	policies := map[string]string{
		"sts-enforce.test":      "version: STSv1\r\nmode: enforce\r\nmx: mx1.sts-enforce.test\r\nmx: *.sts-enforce.test\r\nmax_age: 604800\r\n",
		"sts-mismatch.test":     "version: STSv1\nmode: enforce\nmx: mx1.sts-mismatch.test\nmax_age: 604800\n",
		"sts-testing.test":      "version: STSv1\nmode: testing\nmx: mx.elsewhere.test\nmax_age: 604800\n",
		"sts-invalid.test":      "version: STSv1\nmode: enforced\nmx: mx.sts-invalid.test\nmax_age: 604800\n",
		"sts-certmismatch.test": "version: STSv1\nmode: enforce\nmx: mx.sts-certmismatch.test\nmax_age: 604800\n",
		"sts-plaintext.test":    "version: STSv1\nmode: enforce\nmx: mx.sts-plaintext.test\nmax_age: 604800\n",
		"sts-huge.test":         "version: STSv1\nmode: enforce\nmx: mx.sts-huge.test\nmax_age: 604800\nx-padding: aaaa",
		"sts-hostile.test": "version: STSv1\nmode: enforce\nmx: mx.sts-hostile.test\rmode: none\nmx: not a host name!\n" +
			"mx: \x1b[31mred.sts-hostile.test\nmax_age: 604800\n",
		"sts-badcert-name.test":      "",
		"sts-badcert-untrusted.test": "",
	}
	for zone, want := range policies {
		resp, body, err := get(zone)
		var hostErr x509.HostnameError
		var authErr x509.UnknownAuthorityError
		switch zone {
		case "sts-badcert-name.test":
			if !errors.As(err, &hostErr) {
				t.Errorf("%s: error %v, want a certificate for another name", zone, err)
			}
		case "sts-badcert-untrusted.test":
			if !errors.As(err, &authErr) {
				t.Errorf("%s: error %v, want a certificate from an unknown authority", zone, err)
			}
		case "sts-huge.test":
			if err != nil || resp.StatusCode != 200 || resp.ContentLength != 10<<20 || !strings.HasPrefix(string(body), want) {
				t.Errorf("%s: %v; want 200 with 10 MiB starting %q", zone, describe(resp, body, err), want)
			}
		default:
			if err != nil || resp.StatusCode != 200 || string(body) != want ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Errorf("%s: %v; want 200 text/plain %q", zone, describe(resp, body, err), want)
			}
		}
	}
	if resp, body, err := get("sts-404.test"); err != nil || resp.StatusCode != 404 {
		t.Errorf("sts-404.test: %v; want 404", describe(resp, body, err))
	}
	resp, body, err := get("sts-redirect.test")
	if err != nil || resp.StatusCode != 301 || resp.Header.Get("Location") != "https://mta-sts.sts-enforce.test/.well-known/mta-sts.txt" {
		t.Errorf("sts-redirect.test: %v; want 301 to sts-enforce.test's policy", describe(resp, body, err))
	}
}

func describe(resp *http.Response, body []byte, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	return resp.Status + " " + resp.Header.Get("Content-Type") + " " + resp.Header.Get("Location") + " " + string(body[:min(len(body), 80)])
}

// smtpGreet connects to addr, reads the greeting, says EHLO and returns
// the EHLO reply's lines, with the connection and its reader.
func smtpGreet(t *testing.T, addr string) (net.Conn, *bufio.Reader, []string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("%s: %v (is the nftables DNAT of the DNS lab there?)", addr, err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	reply := func() []string {
		var lines []string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v after %q", addr, err, lines)
			}
			lines = append(lines, strings.TrimRight(line, "\r\n"))
			if len(line) < 4 || line[3] != '-' {
				return lines
			}
		}
	}
	if g := reply(); !strings.HasPrefix(g[0], "220 ") {
		t.Fatalf("%s greeted %q", addr, g)
	}
	io.WriteString(c, "EHLO dnslab-test.invalid\r\n")
	return c, r, reply()
}

var starttls = regexp.MustCompile(`^250[- ]STARTTLS$`)

// TestMXHosts: port 25 of every MX address reaches the Postfix lab; the
// plaintext ones offer no STARTTLS; the others present the key the TLSA
// records name, in a certificate that names exactly the MX hosts whose
// MTA-STS policies need it (and not mx.sts-certmismatch.test).
func TestMXHosts(t *testing.T) {
	lab := Need(t)
	pool := caPool(t, lab)
	want := strings.Fields(lab.TLSA)[3]
	for _, mx := range []struct {
		host      string
		plaintext bool
		nameOK    bool // the certificate names host
	}{
		{"mx1.dane-ok.test", false, false}, {"mx2.dane-ok.test", false, false},
		{"mx.dane-mismatch.test", false, false}, {"mx.dane-insecure.test", false, false},
		{"mx.dane-plaintext.test", true, false}, {"mx-implicit.test", false, false},
		{"real.mx-cname.test", false, false}, {"mx.mx-dangling.test", false, false},
		{"mx1.sts-enforce.test", false, true}, {"mx2.sts-enforce.test", false, true},
		{"mx1.sts-mismatch.test", false, true}, {"mx2.sts-mismatch.test", false, true},
		{"mx.sts-testing.test", false, true}, {"mx.sts-404.test", false, true},
		{"mx.sts-certmismatch.test", false, false}, {"mx.sts-plaintext.test", true, false},
	} {
		addr := net.JoinHostPort(addrOf(t, lab, mx.host), "25")
		c, r, ehlo := smtpGreet(t, addr)
		offered := slices.ContainsFunc(ehlo, starttls.MatchString)
		if offered == mx.plaintext {
			t.Errorf("%s (%s): STARTTLS offered %v, want %v: %q", mx.host, addr, offered, !mx.plaintext, ehlo)
			c.Close()
			continue
		}
		if mx.plaintext {
			c.Close()
			continue
		}
		io.WriteString(c, "STARTTLS\r\n")
		if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "220 ") {
			t.Errorf("%s: STARTTLS answered %q", mx.host, line)
			c.Close()
			continue
		}
		tc := tls.Client(c, &tls.Config{ServerName: mx.host, InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			t.Errorf("%s: handshake: %v", mx.host, err)
			c.Close()
			continue
		}
		leaf := tc.ConnectionState().PeerCertificates[0]
		sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: key SHA-256 %s, want %s (EHLO_DNS_TLSA)", mx.host, got, want)
		}
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: mx.host, Roots: pool})
		if (err == nil) != mx.nameOK && strings.Contains(mx.host, "sts-") {
			t.Errorf("%s: certificate verifies for the MX name: %v, want %v", mx.host, err == nil, mx.nameOK)
		}
		tc.Close()
	}
}

// TestREADMEListsEveryZone: the README's table of the DNS lab has a row
// for each zone dns-lab.sh serves, and no row for a zone it does not.
func TestREADMEListsEveryZone(t *testing.T) {
	script, err := os.ReadFile("../../scripts/dns-lab.sh")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\t([a-z0-9.-]+):(?:signed|unsigned|expired|badtlsa)$`).FindAllStringSubmatch(string(script), -1) {
		served[m[1]] = true
	}
	if len(served) < 40 {
		t.Fatalf("found %d zones in scripts/dns-lab.sh's ZONES; the pattern no longer reads it", len(served))
	}
	_, section, ok := strings.Cut(string(readme), "\n### The DNS lab\n")
	if !ok {
		t.Fatal(`README.md has no "### The DNS lab" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9.-]+)` \\|").FindAllStringSubmatch(section, -1) {
		listed[m[1]] = true
		if !served[m[1]] {
			t.Errorf("README lists %s, which scripts/dns-lab.sh does not serve", m[1])
		}
	}
	for z := range served {
		if !listed[z] {
			t.Errorf("README's DNS lab table has no row for %s", z)
		}
	}
}

// TestSPFZonesAgreeWithPyspf evaluates the SPF zones with a second
// implementation, pyspf (Debian's python3-spf, which dns-lab.sh installs),
// through the lab's resolver, for mail from 127.0.0.1: each result must be
// the one README's table gives.
func TestSPFZonesAgreeWithPyspf(t *testing.T) {
	lab := Need(t)
	python, err := exec.LookPath("/usr/bin/python3")
	if err != nil || exec.Command(python, "-c", "import spf, DNS").Run() != nil {
		testenv.Need(t, "pyspf (python3-spf)", "apt-get install python3-spf (scripts/dns-lab.sh up installs it)")
	}
	want := map[string]string{
		"x@spf-pass.test":              "pass",
		"x@spf-fail.test":              "fail",
		"x@spf-softfail.test":          "softfail",
		"x@spf-neutral.test":           "neutral",
		"x@spf-none.test":              "none",
		"x@spf-include.test":           "pass",
		"alice@spf-macro.test":         "pass",
		"bob@spf-macro.test":           "fail",
		"x@spf-permerror-lookups.test": "permerror",
		"x@spf-permerror-syntax.test":  "permerror",
		"x@spf-permerror-two.test":     "permerror",
		"x@spf-void.test":              "permerror",
		"x@dmarc-reject.test":          "fail",
		"x@dmarc-pass.test":            "pass",
		"x@sub.dmarc-org.test":         "fail",
		"x@spf-loop.test":              "permerror",
		"x@spf-split.test":             "pass",
		"x@txt-hostile.test":           "permerror",
		"x@dmarc-badtags.test":         "fail",
	}
	host, port, err := net.SplitHostPort(lab.Resolver)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"testdata/pyspf.py", host, port, "127.0.0.1"}
	for sender := range want {
		args = append(args, sender)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, args...).Output()
	if err != nil {
		t.Fatalf("pyspf: %v\n%s", err, out)
	}
	got := map[string]string{}
	for line := range strings.Lines(string(out)) {
		if sender, result, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			got[sender] = result
		}
	}
	for sender, w := range want {
		if got[sender] != w {
			t.Errorf("pyspf: %s from 127.0.0.1 is %q, want %s", sender, got[sender], w)
		}
	}
}

// TestDANEWithPosttlsFinger checks the README's DANE rows with Postfix's
// own DANE client: posttls-finger, run in a private mount namespace whose
// /etc/resolv.conf names the lab's Unbound (with trust-ad), so the machine's
// resolver is untouched. posttls-finger stops at the first MX that
// completes a handshake; a [host] is that host without an MX lookup.
func TestDANEWithPosttlsFinger(t *testing.T) {
	Need(t)
	if os.Geteuid() != 0 {
		testenv.Need(t, "root, for posttls-finger in a mount namespace with the lab's resolv.conf", "run the tests as root (CI does)")
	}
	finger, err := exec.LookPath("posttls-finger")
	if err != nil {
		finger = "/usr/sbin/posttls-finger"
	}
	if _, err := os.Stat(finger); err != nil {
		testenv.Need(t, "posttls-finger (Debian's postfix)", "sudo bash scripts/postfix-lab.sh up installs it")
	}
	resolv := os.Getenv("EHLO_DNS_RESOLV_CONF")
	if resolv == "" {
		testenv.Need(t, "EHLO_DNS_RESOLV_CONF", "load the DNS lab's env file: set -a; . /var/lib/ehlo-dns-lab/env; set +a")
	}
	conf := t.TempDir()
	if err := os.WriteFile(conf+"/main.cf", []byte("inet_protocols = ipv4\nsmtp_dns_support_level = dnssec\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dest string
		want []string // each a line posttls-finger must print
		not  string   // and a text it must not
	}{
		{"dane-ok.test", []string{"Verified TLS connection established to mx1.dane-ok.test[127.0.55.1]:25"}, ""},
		{"[mx2.dane-ok.test]", []string{"Verified TLS connection established to mx2.dane-ok.test[127.0.55.2]:25"}, ""},
		{"dane-mismatch.test", []string{"no matching DANE TLSA records", "Untrusted TLS connection established to mx.dane-mismatch.test"}, "Verified"},
		{"dane-bogus.test", []string{"TLSA lookup error for mx.dane-bogus.test:25"}, "TLS connection established"},
		{"dane-insecure.test", []string{"Untrusted TLS connection established to mx.dane-insecure.test"}, "Verified"},
		{"dane-unusable.test", []string{"unsupported TLSA certificate usage: 1 1 1", "unsupported TLSA certificate usage: 4 1 1",
			"Untrusted TLS connection established to mx.dane-unusable.test"}, "Verified"},
		{"mx-cname.test", []string{"Verified TLS connection established to mail.mx-cname.test[127.0.55.10]:25"}, ""},
		{"dnssec-bogus.test", []string{"Destination address lookup failed"}, "TLS connection established"},
		{"mx-null.test", []string{"does not accept mail (nullMX)"}, "TLS connection established"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, "unshare", "-m", "--propagation", "private", "sh", "-c",
			`mount --bind "$1" /etc/resolv.conf && exec "$2" -c -l dane -L summary,certmatch "$3"`,
			"sh", resolv, finger, c.dest)
		cmd.Env = append(os.Environ(), "MAIL_CONFIG="+conf)
		out, _ := cmd.CombinedOutput() // its exit status says little: the lines do
		cancel()
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("posttls-finger %s: no %q in:\n%s", c.dest, w, out)
			}
		}
		if c.not != "" && strings.Contains(string(out), c.not) {
			t.Errorf("posttls-finger %s: %q in:\n%s", c.dest, c.not, out)
		}
	}
}

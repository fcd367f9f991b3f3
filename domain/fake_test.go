package domain

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/session"
)

// zone is a fake dns.Resolver: answers by "name TYPE" (name without the
// final dot). A question it has no entry for is NXDOMAIN; one it has an
// error for fails with it.
type zone struct {
	answers map[string]*dns.Answer
	errs    map[string]error
	mu      sync.Mutex
	asked   []string
}

func newZone() *zone { return &zone{answers: map[string]*dns.Answer{}, errs: map[string]error{}} }

func (z *zone) Lookup(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	key := strings.TrimSuffix(name, ".") + " " + TypeName(qtype)
	z.mu.Lock()
	z.asked = append(z.asked, key)
	a, err := z.answers[key], z.errs[key]
	z.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if a == nil {
		return &dns.Answer{Name: name, Type: qtype, Rcode: dns.RcodeNXDomain, Canonical: name}, nil
	}
	c := *a
	c.Name, c.Type = name, qtype
	if c.Canonical == "" {
		c.Canonical = name
	}
	return &c, nil
}

// set gives name's answer of type t: records, authentic or not.
func (z *zone) set(name string, t uint16, authentic bool, recs ...dns.Record) *dns.Answer {
	a := &dns.Answer{Rcode: dns.RcodeSuccess, Authentic: authentic, Records: recs}
	z.answers[name+" "+TypeName(t)] = a
	return a
}

func (z *zone) servfail(name string, t uint16, ede ...uint16) {
	a := &dns.Answer{Rcode: dns.RcodeServFail}
	for _, c := range ede {
		a.EDE = append(a.EDE, dns.ExtendedError{Code: c})
	}
	z.answers[name+" "+TypeName(t)] = a
}

func mx(pref uint16, host string) dns.Record {
	return dns.Record{Type: dns.TypeMX, Pref: pref, Host: host + "."}
}

func addr(s string) dns.Record {
	a := netip.MustParseAddr(s)
	if a.Is4() {
		return dns.Record{Type: dns.TypeA, Addr: a}
	}
	return dns.Record{Type: dns.TypeAAAA, Addr: a}
}

func txt(parts ...string) dns.Record { return dns.Record{Type: dns.TypeTXT, TXT: parts} }

func tlsa(usage, sel, match uint8, data []byte) dns.Record {
	return dns.Record{Type: dns.TypeTLSA, TLSA: &dns.TLSA{Usage: usage, Selector: sel, Matching: match, Data: data}}
}

// host gives a host A and AAAA answers (AAAA NODATA when no v6).
func (z *zone) host(name string, authentic bool, addrs ...string) {
	var v4, v6 []dns.Record
	for _, s := range addrs {
		r := addr(s)
		if r.Type == dns.TypeA {
			v4 = append(v4, r)
		} else {
			v6 = append(v6, r)
		}
	}
	z.set(name, dns.TypeA, authentic, v4...)
	z.set(name, dns.TypeAAAA, authentic, v6...)
}

// testPKI is a CA and leaf certificates made for the tests.
type testPKI struct {
	ca      *x509.Certificate
	caDER   []byte
	caKey   *ecdsa.PrivateKey
	roots   *x509.CertPool
	mx1     tls.Certificate // mx1.example.org, by the CA
	other   tls.Certificate // other.example.net, by the CA
	expired tls.Certificate // mx1.example.org, expired
	policy  tls.Certificate // mta-sts.example.org
}

var pkiOnce = sync.OnceValue(newTestPKI)

func newTestPKI() *testPKI {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	p := &testPKI{ca: ca, caDER: caDER, caKey: caKey, roots: x509.NewCertPool()}
	p.roots.AddCert(ca)
	p.mx1 = p.leaf(2, "mx1.example.org", now.Add(24*time.Hour))
	p.other = p.leaf(3, "other.example.net", now.Add(24*time.Hour))
	p.expired = p.leaf(4, "mx1.example.org", now.Add(-time.Hour))
	p.policy = p.leaf(5, "mta-sts.example.org", now.Add(24*time.Hour))
	return p
}

func (p *testPKI) leaf(serial int64, name string, notAfter time.Time) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, p.caDER}, PrivateKey: key}
}

// chain parses a tls.Certificate's chain, as a server sends it.
func chain(t testing.TB, c tls.Certificate) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for _, der := range c.Certificate {
		x, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
	}
	return out
}

func spkiSHA256(t testing.TB, c tls.Certificate) []byte {
	sum := sha256.Sum256(chain(t, c)[0].RawSubjectPublicKeyInfo)
	return sum[:]
}

func certSHA256(der []byte) []byte {
	sum := sha256.Sum256(der)
	return sum[:]
}

func mustName(t testing.TB, s string) Name {
	t.Helper()
	n, err := ParseName(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func spkiOf(t testing.TB, der []byte) []byte {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return sum[:]
}

func lookupResult(n string) (session.TLSResult, bool) { return session.LookupTLSResult(n) }

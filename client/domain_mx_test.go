package client

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
)

// selfSigned is a certificate no WebPKI trusts, for name.
func selfSigned(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDANECheck: the explorer's chain check of an MX matches a DANE-EE
// record of the leaf's key whatever its name and issuer, says which record,
// refuses another key, and is nil when the records cannot authenticate
// (insecure, none), so WebPKI alone decides.
func TestDANECheck(t *testing.T) {
	h := domain.Host{Name: domain.Name{ASCII: "mx1.example.org"}, Canonical: domain.Name{ASCII: "mx1.example.org"}}
	leaf, other := selfSigned(t, "elsewhere.example"), selfSigned(t, "mx1.example.org")
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	wrong := sha256.Sum256(other.RawSubjectPublicKeyInfo)
	tl := domain.TLSA{Records: []dns.TLSA{{Usage: 3, Selector: 1, Matching: 1, Data: wrong[:]}, {Usage: 3, Selector: 1, Matching: 1, Data: spki[:]}},
		Usable: []bool{true, true}}
	chk := DANECheck(tl, h)
	if chk == nil || chk.Name != "DANE" {
		t.Fatalf("usable records: check %+v", chk)
	}
	if ok, detail := chk.Check([]*x509.Certificate{leaf}); !ok || detail != "matched by record 2" {
		t.Errorf("the leaf whose key record 2 names: %v %q", ok, detail)
	}
	if ok, detail := chk.Check([]*x509.Certificate{selfSigned(t, "mx1.example.org")}); ok || detail != domain.DANENoMatch {
		t.Errorf("a key no record names: %v %q", ok, detail)
	}
	for _, v := range []string{domain.DANEInsecure, domain.DANENoTLSA, domain.DANEBogus, domain.DANEUnusable} {
		tl.Verdict = v
		if DANECheck(tl, h) != nil {
			t.Errorf("%s: a check, though the records do not authenticate", v)
		}
	}
}

package hostile

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"
)

// pki is the harness's CA and the certificates scenarios present.
type pki struct {
	caPEM []byte
	roots *x509.CertPool
	certs map[string]tls.Certificate
}

var thePKI = sync.OnceValue(newPKI)

// Roots trusts the harness's CA, which signed "good", "expired" and
// "wrongname" (not "selfsigned").
func Roots() *x509.CertPool { return thePKI().roots }

// CAPEM is the CA certificate in PEM, for --ca FILE.
func CAPEM() []byte { return thePKI().caPEM }

// Certificate returns a named server certificate:
//
//	good        localhost, mx.hostile.test, 127.0.0.1, ::1; valid
//	expired     the same names; expired an hour ago
//	wrongname   mx.example.org only
//	selfsigned  the good names, signed by itself
func Certificate(name string) (tls.Certificate, error) {
	c, ok := thePKI().certs[name]
	if !ok {
		return tls.Certificate{}, fmt.Errorf("hostile: no certificate %q", name)
	}
	return c, nil
}

var goodNames = []string{"localhost", "mx.hostile.test"}

func newPKI() *pki {
	now := time.Now()
	caKey := mustKey()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hostile test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER := must(x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey))
	ca := must(x509.ParseCertificate(caDER))
	p := &pki{
		caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		roots: x509.NewCertPool(),
		certs: map[string]tls.Certificate{},
	}
	p.roots.AddCert(ca)
	day := 24 * time.Hour
	p.certs["good"] = leaf(2, goodNames, now.Add(-day), now.Add(day), ca, caKey)
	p.certs["expired"] = leaf(3, goodNames, now.Add(-2*day), now.Add(-time.Hour), ca, caKey)
	p.certs["wrongname"] = leaf(4, []string{"mx.example.org"}, now.Add(-day), now.Add(day), ca, caKey)
	p.certs["selfsigned"] = leaf(5, goodNames, now.Add(-day), now.Add(day), nil, nil)
	return p
}

// leaf makes a server certificate signed by ca, or by itself when ca is
// nil. The good names also cover the loopback addresses.
func leaf(serial int64, names []string, from, until time.Time, ca *x509.Certificate, caKey *ecdsa.PrivateKey) tls.Certificate {
	key := mustKey()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: names[0], Organization: []string{"hostile"}},
		DNSNames: names, NotBefore: from, NotAfter: until,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if names[0] == "localhost" {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	parent, signer := ca, caKey
	if ca == nil {
		parent, signer = tmpl, key
		tmpl.BasicConstraintsValid = true
	}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func mustKey() *ecdsa.PrivateKey { return must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

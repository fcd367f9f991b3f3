package client

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/ehlo-sh/ehlo/wire"
)

// testCA is a CA and a leaf it issued, with their keys.
type testCA struct {
	ca, leaf       *x509.Certificate
	caKey, leafKey *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	ca := mustCert(t, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := mustCert(t, &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "client.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}, ca, &leafKey.PublicKey, caKey)
	return testCA{ca: ca, leaf: leaf, caKey: caKey, leafKey: leafKey}
}

func mustCert(t *testing.T, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func writePEM(t *testing.T, name string, blocks ...*pem.Block) string {
	t.Helper()
	var b bytes.Buffer
	for _, bl := range blocks {
		_ = pem.Encode(&b, bl)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func keyBlock(t *testing.T, k *ecdsa.PrivateKey) *pem.Block {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return &pem.Block{Type: "PRIVATE KEY", Bytes: der}
}

func TestLoadClientCert(t *testing.T) {
	pki := newTestCA(t)
	cert := &pem.Block{Type: "CERTIFICATE", Bytes: pki.leaf.Raw}
	certFile := writePEM(t, "cert.pem", cert)
	keyFile := writePEM(t, "key.pem", keyBlock(t, pki.leafKey))
	both := writePEM(t, "both.pem", cert, keyBlock(t, pki.leafKey))
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherKey := writePEM(t, "other.pem", keyBlock(t, other))
	encPKCS8 := writePEM(t, "enc8.pem", &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0}})
	encOld := writePEM(t, "enc.pem", &pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{1}})

	for _, ok := range [][2]string{{certFile, keyFile}, {both, ""}} {
		pair, err := LoadClientCert(ok[0], ok[1])
		if err != nil || !bytes.Equal(pair.Certificate[0], pki.leaf.Raw) {
			t.Errorf("LoadClientCert(%s, %q) = %v: want the pair", filepath.Base(ok[0]), ok[1], err)
		}
	}
	for _, tc := range []struct{ cert, key, want string }{
		{certFile, otherKey, "does not match the certificate"},
		{certFile, encPKCS8, "is encrypted with a passphrase, and ehlo asks for none"},
		{certFile, encOld, "is encrypted with a passphrase"},
		{certFile, "", "holds no private key: give its key with --key"},
		{keyFile, keyFile, "holds no PEM certificate"},
		{certFile, certFile, "holds no PEM private key"},
		{filepath.Join(t.TempDir(), "none.pem"), "", "none.pem: does not exist"},
	} {
		_, err := LoadClientCert(tc.cert, tc.key)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadClientCert(%s, %s) = %v, want %q", filepath.Base(tc.cert), filepath.Base(tc.key), err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "tls:") {
			t.Errorf("a package prefix in %q", err)
		}
	}
}

func TestParseCiphersAndCurves(t *testing.T) {
	ids, err := ParseCiphers("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:tls_rsa_with_aes_128_cbc_sha")
	if err != nil || len(ids) != 2 || ids[0] != tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 || ids[1] != tls.TLS_RSA_WITH_AES_128_CBC_SHA {
		t.Errorf("ParseCiphers = %x, %v", ids, err)
	}
	for in, want := range map[string]string{"TLS_AES_128_GCM_SHA256": "is a TLS 1.3 suite", "NOPE": `unknown suite "NOPE"`, ",": "at least one"} {
		if _, err := ParseCiphers(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseCiphers(%q) = %v, want %q", in, err, want)
		}
	}
	curves, err := ParseCurves("x25519, secp384r1,P-256")
	if err != nil || len(curves) != 3 || curves[0] != tls.X25519 || curves[1] != tls.CurveP384 || curves[2] != tls.CurveP256 {
		t.Errorf("ParseCurves = %v, %v", curves, err)
	}
	if _, err := ParseCurves("P-999"); err == nil || !strings.Contains(err.Error(), "known: X25519, P-256") {
		t.Errorf("ParseCurves(P-999) = %v", err)
	}
}

// ocspFor staples an OCSP response about the leaf, signed by signer.
func ocspFor(t *testing.T, pki testCA, status int, this, next time.Time, signer crypto.Signer) []byte {
	t.Helper()
	der, err := ocsp.CreateResponse(pki.ca, pki.ca, ocsp.Response{Status: status, SerialNumber: pki.leaf.SerialNumber,
		ThisUpdate: this, NextUpdate: next, RevokedAt: this, RevocationReason: ocsp.KeyCompromise}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCheckOCSP(t *testing.T) {
	pki := newTestCA(t)
	now := time.Now()
	chain := []wire.CertInfo{{DER: pki.leaf.Raw}, {DER: pki.ca.Raw}}
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		name   string
		info   wire.TLSInfo
		status string
		valid  bool
		words  string
	}{
		{"none", wire.TLSInfo{Chain: chain}, "", false, "no response stapled"},
		{"good", wire.TLSInfo{Chain: chain, OCSP: ocspFor(t, pki, ocsp.Good, now.Add(-time.Hour), now.Add(time.Hour), pki.caKey)}, "good", true, "stapled: good, signed by the issuer"},
		{"stale", wire.TLSInfo{Chain: chain, OCSP: ocspFor(t, pki, ocsp.Good, now.Add(-3*time.Hour), now.Add(-time.Hour), pki.caKey)}, "good", false, "INVALID: it is stale"},
		{"future", wire.TLSInfo{Chain: chain, OCSP: ocspFor(t, pki, ocsp.Good, now.Add(time.Hour), now.Add(2*time.Hour), pki.caKey)}, "good", false, "INVALID: it is dated in the future"},
		{"revoked", wire.TLSInfo{Chain: chain, OCSP: ocspFor(t, pki, ocsp.Revoked, now.Add(-time.Hour), now.Add(time.Hour), pki.caKey)}, "revoked", true, "stapled: REVOKED on"},
		{"forged", wire.TLSInfo{Chain: chain, OCSP: ocspFor(t, pki, ocsp.Good, now.Add(-time.Hour), now.Add(time.Hour), stranger)}, "good", false, "INVALID: its signature does not verify"},
		{"no issuer", wire.TLSInfo{Chain: chain[:1], OCSP: ocspFor(t, pki, ocsp.Good, now.Add(-time.Hour), now.Add(time.Hour), pki.caKey)}, "good", false, "no issuer certificate"},
		{"junk", wire.TLSInfo{Chain: chain, OCSP: []byte("junk")}, "", false, "stapled, INVALID: it does not parse"},
	} {
		s := CheckOCSP(tc.info, now)
		if s.Status != tc.status || s.Valid() != tc.valid || !strings.Contains(ocspWords(s), tc.words) {
			t.Errorf("%s: status %q valid %v (%q), want %q %v %q", tc.name, s.Status, s.Valid(), ocspWords(s), tc.status, tc.valid, tc.words)
		}
	}
}

func TestWriteChainPEM(t *testing.T) {
	pki := newTestCA(t)
	chain := []wire.CertInfo{{Subject: "CN=client.test", Issuer: "CN=test CA", DER: pki.leaf.Raw}, {Subject: "CN=test CA", Issuer: "CN=test CA\x1b[2J", DER: pki.ca.Raw}}
	var b bytes.Buffer
	if err := WriteChainPEM(&b, chain); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, " 0 s:CN=client.test\n   i:CN=test CA\n-----BEGIN CERTIFICATE-----\n") || strings.Contains(out, "\x1b") {
		t.Errorf("not as s_client -showcerts prints it, or server text unsanitized:\n%s", out)
	}
	rest := b.Bytes()
	for i := range chain {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil || !bytes.Equal(blk.Bytes, chain[i].DER) {
			t.Fatalf("certificate %d does not round-trip", i)
		}
	}
}

func TestAlertWords(t *testing.T) {
	alert := func(name string) error {
		return &StepError{Step: StepStartTLS, Err: &net.OpError{Op: "remote error", Err: errors.New("tls: " + name)}}
	}
	for name, want := range map[string]string{
		"certificate required":    "STARTTLS: the server ended TLS with the alert \"certificate required\": it requires a client certificate; give one with --cert FILE --key FILE",
		"handshake failure":       "it shares no cipher suite, group or signature scheme",
		"bad certificate":         "it refused the client certificate sent (--cert)",
		"no application protocol": "none of the protocols offered with --alpn",
	} {
		if got := Explain(alert(name)); !strings.Contains(got, want) {
			t.Errorf("Explain(%s) = %q, want %q", name, got, want)
		}
	}
}

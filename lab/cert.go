package lab

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// authority is the lab's certificate authority and the server certificates
// it signed. All live in memory only.
type authority struct {
	caDER []byte
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	leaf  tls.Certificate
	sts   tls.Certificate // the MTA-STS policy host's
}

// newAuthority makes a fresh ECDSA P-256 CA named "ehlo lab CA", a leaf
// for localhost, mail.lab.test, the MX hosts (which MTA-STS checks it
// against, RFC 8461 section 4.1), 127.0.0.1 and ::1, and one for the
// MTA-STS policy host, all valid from an hour ago (clock skew) to a day from
// now.
func newAuthority(now time.Time) (*authority, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("lab: CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "ehlo lab CA", Organization: []string{"ehlo lab"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, ca, err := sign(caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("lab: leaf key: %w", err)
	}
	leafTmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "mail." + Domain, Organization: []string{"ehlo lab"}},
		DNSNames:    []string{"localhost", "mail." + Domain, MXHosts[0], MXHosts[1]},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, leaf, err := sign(leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	sts, err := policyCert(ca, caKey, now)
	if err != nil {
		return nil, err
	}
	return &authority{
		caDER: caDER,
		ca:    ca,
		caKey: caKey,
		leaf:  tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey, Leaf: leaf},
		sts:   sts,
	}, nil
}

// policyCert makes the MTA-STS policy host's certificate, for PolicyHost
// only, signed by the CA.
func policyCert(ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("lab: policy key: %w", err)
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: PolicyHost, Organization: []string{"ehlo lab"}},
		DNSNames:    []string{PolicyHost},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, cert, err := sign(tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, nil
}

// sign issues tmpl, signed by parent's key, with a random 128-bit serial.
func sign(tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, key *ecdsa.PrivateKey) ([]byte, *x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("lab: serial: %w", err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, nil, fmt.Errorf("lab: sign %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("lab: parse %q: %w", tmpl.Subject.CommonName, err)
	}
	return der, cert, nil
}

// pem returns the CA certificate in PEM form.
func (a *authority) pem() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.caDER})
}

// pool returns a new pool holding only the CA.
func (a *authority) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.ca)
	return p
}

// configFor is the TLS configuration STARTTLS serves: the good leaf, or
// one made wrong on purpose: "expired" (ended yesterday), "wrong-name"
// (for www.example.net only), "self-signed" (not from the lab CA).
func (a *authority) configFor(kind string) (*tls.Config, error) {
	if kind == "" {
		return a.serverConfig(), nil
	}
	now := time.Now()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("lab: leaf key: %w", err)
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "mail." + Domain, Organization: []string{"ehlo lab"}},
		DNSNames:    []string{"localhost", "mail." + Domain},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := a.ca, a.caKey
	switch kind {
	case "expired":
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-30*24*time.Hour), now.Add(-24*time.Hour)
	case "wrong-name":
		tmpl.Subject.CommonName, tmpl.DNSNames, tmpl.IPAddresses = "www.example.net", []string{"www.example.net"}, nil
	case "self-signed":
		tmpl.Subject.Organization = []string{"nobody you know"}
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		parent, signer = tmpl, key
	default:
		return nil, fmt.Errorf("lab: no certificate kind %q (expired, wrong-name, self-signed)", kind)
	}
	der, leaf, err := sign(tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}},
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// serverConfig is the TLS configuration every TLS endpoint serves.
func (a *authority) serverConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{a.leaf},
		MinVersion:   tls.VersionTLS12,
	}
}

// spkiSHA256 is the SHA-256 digest of the SMTP certificate's public key
// (SubjectPublicKeyInfo): the data of a TLSA 3 1 1 record (RFC 7671
// section 5.1).
func (a *authority) spkiSHA256() []byte {
	sum := sha256.Sum256(a.leaf.Leaf.RawSubjectPublicKeyInfo)
	return sum[:]
}

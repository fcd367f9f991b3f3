package lab

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
	"time"
)

// authority is the lab's certificate authority and the server certificate
// it signed. Both live in memory only.
type authority struct {
	caDER []byte
	ca    *x509.Certificate
	leaf  tls.Certificate
}

// newAuthority makes a fresh ECDSA P-256 CA named "ehlo lab CA" and a leaf
// for localhost, mail.lab.test, 127.0.0.1 and ::1, both valid from an hour
// ago (clock skew) to a day from now.
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
		DNSNames:    []string{"localhost", "mail." + Domain},
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
	return &authority{
		caDER: caDER,
		ca:    ca,
		leaf:  tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey, Leaf: leaf},
	}, nil
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

// serverConfig is the TLS configuration every TLS endpoint serves.
func (a *authority) serverConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{a.leaf},
		MinVersion:   tls.VersionTLS12,
	}
}

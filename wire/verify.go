package wire

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// TLSInfo describes a TLS session.
type TLSInfo struct {
	Version     string       // "TLS 1.3"
	Cipher      string       // tls.CipherSuiteName
	ServerName  string       // the name verified (WebPKI), and sent as SNI unless SNI says otherwise
	SNI         string       // the name sent as SNI when it is not ServerName (Options.SNI); "" when the same
	Verified    bool         // chain and name verified
	VerifyError error        // why not; nil when verified
	Check       *CheckResult // what Options.Check said of the chain (DANE), apart from Verified; nil when none ran
	Insecure    bool         // Options.Insecure was set: a failed verification did not stop the connection
	Weak        bool         // the version is below TLS 1.2, deprecated (RFC 8996): Options.MinVersion allowed it
	Handshake   time.Duration
	Chain       []CertInfo // as sent by the server, leaf first; empty when Resumed

	// What else the handshake agreed (tlsconfig.go, addDetails).
	ALPN       string     // the protocol agreed by ALPN (RFC 7301); "" when none
	Group      string     // key exchange group: "X25519", "P-256"; "" for RSA key exchange
	ServerKey  string     // the server's ephemeral key, as s_client's "Server Temp Key": "X25519, 253 bits"
	Signature  string     // the server's handshake signature scheme: "rsa_pss_rsae_sha256"; "" when none
	HelloRetry bool       // the server asked for another key share (HelloRetryRequest)
	Resumed    bool       // an earlier session was resumed (TLSOptions.Sessions): no certificate was sent
	OCSP       []byte     // the stapled OCSP response (RFC 6066 section 8), DER; nil when none
	ClientAuth ClientAuth // whether the server asked for a client certificate, and what was sent
	KeyLog     bool       // the session's secrets went to TLSOptions.KeyLog
}

// CertInfo describes one certificate of a chain.
type CertInfo struct {
	Subject, Issuer     string // pkix.Name String()
	DNSNames, IPs       []string
	NotBefore, NotAfter time.Time
	SHA256              string // lowercase hex of the DER
	SPKISHA256          string // lowercase hex of the SubjectPublicKeyInfo's SHA-256: DANE 3 1 1
	SelfSigned          bool
	DER                 []byte // the certificate as sent
}

// verifyChain verifies the leaf against roots (nil: the system roots) with
// the server's other certificates as intermediates, and its name: DNS names
// per RFC 6125, or IP SANs when name is an IP literal.
func verifyChain(certs []*x509.Certificate, name string, roots *x509.CertPool) error {
	_, err := verifyChains(certs, name, roots, time.Time{})
	return err
}

// verifyChains is verifyChain at a time (zero: now), also returning the
// chains built to the roots when it verified.
func verifyChains(certs []*x509.Certificate, name string, roots *x509.CertPool, at time.Time) ([][]*x509.Certificate, error) {
	if len(certs) == 0 {
		return nil, errors.New("the server sent no certificate")
	}
	if name == "" {
		return nil, errors.New("no server name to verify the certificate against")
	}
	inter := x509.NewCertPool()
	for _, cert := range certs[1:] {
		inter.AddCert(cert)
	}
	if roots == nil && !platformVerifier && certs[0].VerifyHostname(name) != nil {
		// A name the leaf does not cover fails whatever the roots: Go's
		// verifier checks the leaf's dates and name before it builds a
		// chain, so an empty pool gives the very error the system roots
		// would, without loading them (~15 ms of CPU, first use in the
		// process; more than the rest of a probe).
		roots = x509.NewCertPool()
	}
	return certs[0].Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: inter, CurrentTime: at})
}

// platformVerifier: where the system's own verifier judges chains built on
// the system roots (crypto/x509's Verify), which may order its checks
// otherwise.
const platformVerifier = runtime.GOOS == "windows" || runtime.GOOS == "darwin" || runtime.GOOS == "ios"

// describe builds the TLSInfo of a connection state and a verification
// result.
func (c *Conn) describe(cs tls.ConnectionState, verr error) TLSInfo {
	info := TLSInfo{
		Version:     tls.VersionName(cs.Version),
		Cipher:      tls.CipherSuiteName(cs.CipherSuite),
		ServerName:  c.name,
		Verified:    verr == nil,
		VerifyError: verr,
		Insecure:    c.opts.Insecure,
		Weak:        cs.Version < tls.VersionTLS12,
		Check:       c.checked,
	}
	if c.sni() != c.name {
		info.SNI = c.sni()
	}
	for _, cert := range cs.PeerCertificates {
		info.Chain = append(info.Chain, c.opts.Certs.describe(cert))
	}
	return info
}

// certInfo describes one certificate.
func certInfo(cert *x509.Certificate) CertInfo {
	return certInfoSum(cert, sha256.Sum256(cert.Raw))
}

// certInfoSum is certInfo given the SHA-256 of the certificate's DER.
func certInfoSum(cert *x509.Certificate, sum [sha256.Size]byte) CertInfo {
	ci := CertInfo{
		Subject:    cert.Subject.String(),
		Issuer:     cert.Issuer.String(),
		DNSNames:   cert.DNSNames,
		NotBefore:  cert.NotBefore,
		NotAfter:   cert.NotAfter,
		SHA256:     hex.EncodeToString(sum[:]),
		SPKISHA256: SPKISHA256(cert),
		DER:        cert.Raw,
		SelfSigned: bytes.Equal(cert.RawIssuer, cert.RawSubject) &&
			cert.CheckSignatureFrom(cert) == nil,
	}
	for _, ip := range cert.IPAddresses {
		ci.IPs = append(ci.IPs, ip.String())
	}
	return ci
}

// summary is the transcript note of a completed handshake.
func (i TLSInfo) summary() string {
	verdict := "certificate verified"
	if !i.Verified {
		// Options.Insecure completed the handshake; whether the caller goes on
		// over it is the caller's to say (ehlo doctor stops unless the
		// user said --insecure), so this note does not claim it.
		verdict = fmt.Sprintf("certificate NOT verified (%s); the handshake completed regardless", VerifyWords(i.VerifyError))
	}
	if i.Check != nil {
		verdict += "; " + i.Check.String()
	}
	version := i.Version
	if i.Weak {
		version += " (weak: below TLS 1.2, deprecated by RFC 8996)"
	}
	with := fmt.Sprintf("%q", i.ServerName)
	if i.SNI != "" {
		with = fmt.Sprintf("%q (SNI %q)", i.ServerName, i.SNI)
	}
	return fmt.Sprintf("%s handshake with %s in %v: %s; %s",
		version, with, i.Handshake.Round(time.Microsecond), i.Cipher, verdict)
}

// VerifyWords says why a certificate did not verify, in a person's words
// rather than crypto/x509's ("x509: certificate signed by unknown
// authority"): for the transcript's notes here, and for every screen
// through client.ExplainVerify, which sanitizes it. "" for nil. The names
// are the certificate's as sent: raw.
func VerifyWords(err error) string {
	var (
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &unknown):
		return "signed by an unknown authority (self-signed, or a private CA)"
	case errors.As(err, &host):
		names := "no names"
		if n := CertNames(host.Certificate); len(n) > 0 {
			names = strings.Join(n, ", ")
		}
		return "name mismatch: the certificate covers " + names + ", not " + host.Host
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired && invalid.Cert != nil:
		return "expired or not yet valid: valid " + invalid.Cert.NotBefore.UTC().Format(time.DateOnly) +
			" to " + invalid.Cert.NotAfter.UTC().Format(time.DateOnly)
	}
	return strings.TrimPrefix(err.Error(), "x509: ")
}

// CertNames are the names a certificate covers: its DNS names and IP
// addresses, or its subject's common name when it has neither.
func CertNames(c *x509.Certificate) []string {
	if c == nil {
		return nil
	}
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	return names
}

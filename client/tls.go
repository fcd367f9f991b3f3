package client

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/ehlo-sh/ehlo/wire"
)

// maxPEMFile bounds a certificate or key file read for --cert and --key.
const maxPEMFile = 1 << 20

// LoadClientCert reads a client certificate (PEM, its chain after it) and
// its private key from keyFile, or from certFile too when keyFile is "".
// Its errors say what is wrong in words: no certificate, no key, a key
// encrypted with a passphrase (ehlo asks for none), a key that is not the
// certificate's.
func LoadClientCert(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := readPEMFile("--cert", certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, keyFrom, keyFlag := certPEM, certFile, "--cert"
	if keyFile != "" {
		keyFlag = "--key"
		if keyPEM, err = readPEMFile(keyFlag, keyFile); err != nil {
			return tls.Certificate{}, err
		}
		keyFrom = keyFile
	}
	if !hasBlock(certPEM, "CERTIFICATE") {
		return tls.Certificate{}, FileErr("--cert", certFile, errors.New("holds no PEM certificate (a -----BEGIN CERTIFICATE----- block)"))
	}
	if err := checkKeyPEM(keyPEM, keyFrom, keyFile == ""); err != nil {
		return tls.Certificate{}, FileErr(keyFlag, keyFrom, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return tls.Certificate{}, fmt.Errorf("the key in %s does not match the certificate in %s: it is the private key of another certificate", keyFrom, certFile)
		}
		return tls.Certificate{}, fmt.Errorf("--cert %s with the key in %s: %v", certFile, keyFrom, strings.TrimPrefix(err.Error(), "tls: "))
	}
	return pair, nil
}

// readPEMFile reads a file given to --cert or --key (flag), at most
// maxPEMFile.
func readPEMFile(flag, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, FileErr(flag, path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	switch {
	case err != nil:
		return nil, FileErr(flag, path, err)
	case len(b) > maxPEMFile:
		return nil, FileErr(flag, path, errors.New("is over 1 MiB: not a PEM certificate or key"))
	}
	return b, nil
}

// hasBlock says whether data holds a PEM block of type typ.
func hasBlock(data []byte, typ string) bool {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return false
		}
		if b.Type == typ {
			return true
		}
	}
}

// checkKeyPEM finds the private key in data, read from file, and refuses
// one encrypted with a passphrase: PKCS#8's "ENCRYPTED PRIVATE KEY", or
// the old OpenSSL "Proc-Type: 4,ENCRYPTED" header. inCert says the key was
// looked for in the certificate's file.
func checkKeyPEM(data []byte, file string, inCert bool) error {
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		switch {
		case b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED"):
			return fmt.Errorf("its private key is encrypted with a passphrase, and ehlo asks for none: "+
				"write it decrypted to a file only you can read (openssl pkey -in %s -out key.pem) and give that with --key", file)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			return nil
		}
	}
	if inCert {
		return errors.New("holds no private key: give its key with --key FILE (or put the key in the same PEM file)")
	}
	return errors.New("holds no PEM private key (a -----BEGIN PRIVATE KEY----- block)")
}

// ParseCiphers reads --ciphers: TLS 1.0 to 1.2 suites by their IANA names
// as crypto/tls names them (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
// separated by commas or colons, in order of preference. TLS 1.3's suites
// cannot be chosen (crypto/tls always offers its own).
func ParseCiphers(list string) ([]uint16, error) {
	all := append(tls.CipherSuites(), tls.InsecureCipherSuites()...)
	var ids []uint16
	for _, name := range splitList(list) {
		i := slices.IndexFunc(all, func(s *tls.CipherSuite) bool { return strings.EqualFold(s.Name, name) })
		switch {
		case i < 0:
			return nil, fmt.Errorf("--ciphers: unknown suite %q; known: %s", name, strings.Join(CipherNames(), ", "))
		case all[i].SupportedVersions[0] == tls.VersionTLS13:
			return nil, fmt.Errorf("--ciphers: %s is a TLS 1.3 suite, and TLS 1.3's suites cannot be chosen (Go's crypto/tls offers its own); --ciphers sets TLS 1.2 and older", all[i].Name)
		}
		ids = append(ids, all[i].ID)
	}
	if len(ids) == 0 {
		return nil, errors.New("--ciphers: name at least one suite")
	}
	return ids, nil
}

// CipherNames are the TLS 1.0 to 1.2 suites --ciphers knows.
func CipherNames() []string {
	var names []string
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if s.SupportedVersions[0] < tls.VersionTLS13 {
			names = append(names, s.Name)
		}
	}
	return names
}

// ParseCurves reads --curves: key exchange groups by name (wire.CurveByName),
// separated by commas or colons, in order of preference.
func ParseCurves(list string) ([]tls.CurveID, error) {
	var ids []tls.CurveID
	for _, name := range splitList(list) {
		id, ok := wire.CurveByName(name)
		if !ok {
			return nil, fmt.Errorf("--curves: unknown group %q; known: %s", name, strings.Join(wire.CurveNames, ", "))
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, errors.New("--curves: name at least one group")
	}
	return ids, nil
}

// splitList splits a list at commas and colons, dropping empty items.
func splitList(list string) []string {
	return strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ':' || r == ' ' })
}

// OCSPStatus is what a stapled OCSP response says (RFC 6960), and whether
// it can be believed.
type OCSPStatus struct {
	Stapled    bool      // the server stapled a response
	Status     string    // "good", "revoked", "unknown"; "" when it does not parse
	ThisUpdate time.Time // when the responder said so
	NextUpdate time.Time // when a newer one is due; zero when not said
	RevokedAt  time.Time // for "revoked"
	Problem    string    // why it cannot be believed; "" when it is valid
}

// Valid says a stapled response parsed, was signed by the certificate's
// issuer (or its delegate) and is current.
func (s OCSPStatus) Valid() bool { return s.Stapled && s.Problem == "" }

// CheckOCSP reads the stapled response of info: its status, whether it
// is signed by the issuer of the leaf (the next certificate of the chain),
// and whether now lies between its thisUpdate and nextUpdate.
func CheckOCSP(info wire.TLSInfo, now time.Time) OCSPStatus {
	if info.OCSP == nil {
		return OCSPStatus{}
	}
	st := OCSPStatus{Stapled: true}
	var leaf, issuer *x509.Certificate
	if len(info.Chain) > 0 {
		leaf, _ = x509.ParseCertificate(info.Chain[0].DER)
	}
	if len(info.Chain) > 1 {
		issuer, _ = x509.ParseCertificate(info.Chain[1].DER)
	}
	r, err := ocsp.ParseResponse(info.OCSP, nil) // the fields; the signature below
	if err != nil {
		st.Problem = "it does not parse: " + strings.TrimPrefix(err.Error(), "ocsp: ")
		return st
	}
	st.Status, st.ThisUpdate, st.NextUpdate, st.RevokedAt = ocspStatusName(r.Status), r.ThisUpdate, r.NextUpdate, r.RevokedAt
	if issuer != nil {
		_, err = ocsp.ParseResponseForCert(info.OCSP, leaf, issuer)
	}
	switch {
	case err != nil:
		st.Problem = "its signature does not verify: " + strings.TrimPrefix(err.Error(), "ocsp: ")
	case issuer == nil:
		st.Problem = "the server sent no issuer certificate to check its signature with"
	case now.Before(r.ThisUpdate):
		st.Problem = "it is dated in the future (thisUpdate " + r.ThisUpdate.UTC().Format(time.DateTime) + " UTC)"
	case !r.NextUpdate.IsZero() && now.After(r.NextUpdate):
		st.Problem = "it is stale: its nextUpdate was " + r.NextUpdate.UTC().Format(time.DateTime) + " UTC"
	case leaf != nil && r.SerialNumber != nil && r.SerialNumber.Cmp(leaf.SerialNumber) != 0:
		st.Problem = "it is about another certificate (serial " + r.SerialNumber.String() + ")"
	}
	return st
}

func ocspStatusName(s int) string {
	switch s {
	case ocsp.Good:
		return "good"
	case ocsp.Revoked:
		return "revoked"
	}
	return "unknown"
}

// WriteChainPEM writes the server's chain as PEM, leaf first, each block
// after a subject and issuer line, as openssl s_client -showcerts prints
// it.
func WriteChainPEM(w io.Writer, chain []wire.CertInfo) error {
	var b bytes.Buffer
	for i, c := range chain {
		fmt.Fprintf(&b, " %d s:%s\n   i:%s\n", i, clean(c.Subject), clean(c.Issuer))
		if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.DER}); err != nil {
			return err
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// TLSSettings are the TLS choices of Options beyond verification and the
// lowest version.
type TLSSettings struct {
	Wire wire.TLSOptions // passed to wire as they are
	// KeyLogFile is where Wire.KeyLog writes (SSLKEYLOGFILE), to say so;
	// "" when no key log is written.
	KeyLogFile string
	// Reconnect asks probe and doctor to connect a second time, offering
	// the first session's ticket, to see whether the server resumes it.
	Reconnect bool
}

// AddPEM puts each certificate's PEM into the JSON of its chain.
func AddPEM(out *TLSJSON, chain []wire.CertInfo) {
	for i := range out.Certificates {
		if i < len(chain) {
			out.Certificates[i].PEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[i].DER}))
		}
	}
}

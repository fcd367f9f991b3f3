package wire

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"io"
	"net"
	"strings"
)

// TLSOptions are the TLS settings beyond verification and the lowest
// version (Options.MinVersion): what openssl s_client lets one choose. The
// zero value is crypto/tls's defaults.
type TLSOptions struct {
	// MaxVersion is the highest TLS version offered; 0 means TLS 1.3.
	MaxVersion uint16
	// CipherSuites are the TLS 1.0 to 1.2 suites offered, in order; nil
	// means crypto/tls's defaults (plus, with MinVersion below 1.2, the
	// older suites such servers need). TLS 1.3's suites are not
	// configurable in crypto/tls.
	CipherSuites []uint16
	// Curves are the key exchange groups offered, in order; nil means
	// crypto/tls's defaults.
	Curves []tls.CurveID
	// ALPN are the protocols offered by ALPN (RFC 7301); nil offers none.
	ALPN []string
	// Certificate is the client certificate, sent when the server asks
	// for one (RFC 8446 section 4.4.2); nil sends none.
	Certificate *tls.Certificate
	// KeyLog receives the session's secrets in the NSS key log format
	// (SSLKEYLOGFILE), with which a capture can be decrypted; nil writes
	// none. It is a secret.
	KeyLog io.Writer
	// Sessions, when set, keeps session tickets and offers them again:
	// a later connection with the same cache tries to resume (RFC 8446
	// section 2.2). nil never resumes and asks for no ticket.
	Sessions tls.ClientSessionCache
	// Handshaked, when set, is called with the facts of each completed
	// handshake, from the goroutine that ran it: to write the chain out.
	Handshaked func(TLSInfo)
}

// ClientAuth says whether the server asked for a client certificate
// (a CertificateRequest, RFC 8446 section 4.3.2, RFC 5246 section
// 7.4.4) and what was sent.
type ClientAuth struct {
	Asked bool     // the server asked for a certificate
	CAs   []string // the authorities it named, as pkix.Name strings; none means any
	Sent  string   // the subject of the certificate sent; "" when none was
}

// handshakeFacts collects during a handshake what crypto/tls tells only
// then: the server's certificate request.
type handshakeFacts struct {
	auth    ClientAuth
	secrets *secretTap // the server's handshake secret, to read its TLS 1.3 signature (tlssig13.go)
}

// applyTLS puts the TLSOptions on cfg; facts collects the certificate
// request.
func (c *Conn) applyTLS(cfg *tls.Config, facts *handshakeFacts) {
	t := c.opts.TLS
	cfg.MaxVersion = t.MaxVersion
	if t.CipherSuites != nil {
		cfg.CipherSuites = t.CipherSuites
	}
	cfg.CurvePreferences = t.Curves
	cfg.NextProtos = t.ALPN
	facts.secrets = &secretTap{next: t.KeyLog}
	cfg.KeyLogWriter = facts.secrets
	if t.Sessions != nil {
		cfg.ClientSessionCache = t.Sessions
		cfg.SessionTicketsDisabled = false
	}
	cfg.GetClientCertificate = func(req *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		facts.auth.Asked = true
		facts.auth.CAs = caNames(req.AcceptableCAs)
		if t.Certificate == nil || len(t.Certificate.Certificate) == 0 {
			return &tls.Certificate{}, nil // none: the server decides whether to go on
		}
		if leaf, err := x509.ParseCertificate(t.Certificate.Certificate[0]); err == nil {
			facts.auth.Sent = leaf.Subject.String()
		}
		return t.Certificate, nil
	}
}

// caNames reads the DER distinguished names of a CertificateRequest; one
// that does not parse is shown as its hex.
func caNames(ders [][]byte) []string {
	var names []string
	for _, der := range ders {
		var rdn pkix.RDNSequence
		if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) > 0 {
			names = append(names, "DER "+hex.EncodeToString(der))
			continue
		}
		var n pkix.Name
		n.FillFromRDNSequence(&rdn)
		names = append(names, n.String())
	}
	return names
}

// addDetails fills the facts of cs beyond version, suite and chain: ALPN,
// the key exchange and the server's signature as far as they can be
// known (flight holds the server's handshake bytes as they came),
// resumption, the stapled OCSP response and the certificate request.
func (i *TLSInfo) addDetails(cs tls.ConnectionState, flight []byte, facts handshakeFacts, keyLog bool) {
	i.ALPN = cs.NegotiatedProtocol
	i.Group = groupName(cs.CurveID)
	i.ServerKey = serverKey(cs.CurveID)
	i.HelloRetry = cs.HelloRetryRequest
	i.Resumed = cs.DidResume
	i.OCSP = cs.OCSPResponse
	i.ClientAuth = facts.auth
	i.KeyLog = keyLog
	var leaf *x509.Certificate
	if len(cs.PeerCertificates) > 0 {
		leaf = cs.PeerCertificates[0]
	}
	switch {
	case cs.DidResume: // nothing signed: the certificates are the first session's
	case cs.Version < tls.VersionTLS13:
		i.Signature = tls12Signature(flight, cs.Version, leaf)
	default:
		i.Signature = tls13Signature(leaf)
		if s, ok := tls13VerifiedScheme(flight, facts.secrets.take()); ok {
			i.Signature = SchemeName(s)
		}
	}
}

// groupName names a key exchange group as RFC 8446 and OpenSSL do:
// "X25519", "P-256", "X25519MLKEM768"; "" for none (RSA key exchange).
func groupName(id tls.CurveID) string {
	switch id {
	case 0:
		return ""
	case tls.CurveP256:
		return "P-256"
	case tls.CurveP384:
		return "P-384"
	case tls.CurveP521:
		return "P-521"
	}
	return id.String()
}

// serverKey describes the server's ephemeral key as openssl s_client's
// "Server Temp Key" does: the group and its size. The group fixes the size,
// so it is known even where the key itself is encrypted.
func serverKey(id tls.CurveID) string {
	switch id {
	case 0:
		return ""
	case tls.X25519:
		return "X25519, 253 bits"
	case tls.CurveP256:
		return "ECDH P-256, 256 bits"
	case tls.CurveP384:
		return "ECDH P-384, 384 bits"
	case tls.CurveP521:
		return "ECDH P-521, 521 bits"
	case tls.X25519MLKEM768:
		return "X25519MLKEM768 (hybrid: X25519 with ML-KEM-768, post-quantum)"
	}
	return groupName(id)
}

// CurveByName reads a group as --curves names it: X25519, P-256 (or
// prime256v1, secp256r1), P-384 (secp384r1), P-521 (secp521r1),
// X25519MLKEM768; case is ignored.
func CurveByName(name string) (tls.CurveID, bool) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "X25519":
		return tls.X25519, true
	case "P-256", "P256", "PRIME256V1", "SECP256R1":
		return tls.CurveP256, true
	case "P-384", "P384", "SECP384R1":
		return tls.CurveP384, true
	case "P-521", "P521", "SECP521R1":
		return tls.CurveP521, true
	case "X25519MLKEM768":
		return tls.X25519MLKEM768, true
	}
	return 0, false
}

// CurveNames are the groups CurveByName reads, by their first name.
var CurveNames = []string{"X25519", "P-256", "P-384", "P-521", "X25519MLKEM768"}

// SPKISHA256 is the SHA-256 of a certificate's SubjectPublicKeyInfo, in
// lowercase hex: what a DANE "3 1 1" TLSA record holds (RFC 7671 section
// 5.1) and what HPKP pinned.
func SPKISHA256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// maxFlight bounds what handshakeTap keeps of the server's handshake: its
// certificates and key exchange, in clear before TLS 1.3.
const maxFlight = 64 << 10

// handshakeTap keeps the bytes the server sends during the handshake, up
// to maxFlight, so that what crypto/tls does not expose can be read from
// them (the TLS 1.2 ServerKeyExchange's signature scheme). stop ends it.
type handshakeTap struct {
	net.Conn
	got     []byte
	stopped bool
}

func (t *handshakeTap) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	if room := maxFlight - len(t.got); !t.stopped && room > 0 {
		t.got = append(t.got, p[:min(n, room)]...)
	}
	return n, err
}

// stop ends the capture and gives what was kept; the handshake is over,
// and the application data is none of its business.
func (t *handshakeTap) stop() []byte {
	t.stopped = true
	got := t.got
	t.got = nil
	return got
}

// detailNotes are the transcript notes of a completed handshake beyond
// its summary: the key exchange, the signature, what was resumed or
// stapled, a certificate request, and the key log, a secret.
func (i TLSInfo) detailNotes() []string {
	kx := "RSA key exchange (no ephemeral key: no forward secrecy)"
	if i.Group != "" {
		kx = "key exchange " + i.Group
	}
	parts := []string{kx}
	if i.Signature != "" {
		parts = append(parts, "server signature "+i.Signature)
	}
	if i.ALPN != "" {
		parts = append(parts, "ALPN "+i.ALPN)
	}
	if i.Resumed {
		parts = append(parts, "session resumed")
	}
	if i.OCSP != nil {
		parts = append(parts, "OCSP response stapled")
	}
	notes := []string{"TLS: " + strings.Join(parts, "; ")}
	if a := i.ClientAuth; a.Asked {
		sent := "none sent"
		if a.Sent != "" {
			sent = "sent " + a.Sent
		}
		cas := "naming no CA"
		if len(a.CAs) > 0 {
			cas = "naming " + strings.Join(a.CAs, "; ")
		}
		notes = append(notes, "the server asked for a client certificate ("+cas+"): "+sent)
	}
	if i.KeyLog {
		notes = append(notes, "TLS secrets written to the key log (SSLKEYLOGFILE): it is a secret, anyone who has it can decrypt this session")
	}
	return notes
}

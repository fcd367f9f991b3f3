package wire

import (
	"crypto/x509"
	"errors"
)

// Verdict is what WebPKI verification said of a server's certificate, as
// the handshake's note in the transcript carries it (Entry.Verdict): the
// fact, for programs that read a transcript, beside the words for people.
type Verdict uint8

// The verdicts. The names (String) follow the IANA "STARTTLS Validation
// Result Types" where one fits: certificate-expired, certificate-host-mismatch,
// certificate-not-trusted (RFC 8460 section 4.3).
const (
	NoVerdict            Verdict = iota // not a handshake's note
	CertVerified                        // chain and name verified
	CertExpired                         // expired, or not yet valid
	CertWrongName                       // valid, but for other names than the one asked for
	CertUnknownAuthority                // from no CA the client trusts: self-signed, or a private CA
	CertUnverified                      // not verified, for another reason
)

// String is the verdict in one word: "verified", "expired", "wrong-name",
// "unknown-authority", "unverified"; "" for NoVerdict.
func (v Verdict) String() string {
	switch v {
	case CertVerified:
		return "verified"
	case CertExpired:
		return "expired"
	case CertWrongName:
		return "wrong-name"
	case CertUnknownAuthority:
		return "unknown-authority"
	case CertUnverified:
		return "unverified"
	}
	return ""
}

// verdictOf is the verdict of a verification error (verifyChain's); nil
// is CertVerified.
func verdictOf(verr error) Verdict {
	var (
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		inv x509.CertificateInvalidError
	)
	switch {
	case verr == nil:
		return CertVerified
	case errors.As(verr, &ua):
		return CertUnknownAuthority
	case errors.As(verr, &hn):
		return CertWrongName
	case errors.As(verr, &inv) && inv.Reason == x509.Expired:
		return CertExpired
	}
	return CertUnverified
}

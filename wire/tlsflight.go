package wire

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

// Values of the TLS 1.2 handshake read from the server's flight (RFC 5246
// sections 6.2.1 and 7.4; RFC 8422 section 5.4).
const (
	recordChangeCipher   = 0x14
	handshakeServerKeyEx = 12
	curveTypeNamed       = 3
)

// tls12Signature reads the signature scheme of the server's
// ServerKeyExchange from its flight, in clear before TLS 1.3. Before TLS
// 1.2 the message names none: RSA signs MD5+SHA-1, ECDSA SHA-1 (RFC 4346
// section 7.4.3; RFC 8422 section 5.4). No ServerKeyExchange is RSA key
// exchange: nothing signed, "" (and no forward secrecy).
func tls12Signature(flight []byte, version uint16, leaf *x509.Certificate) string {
	ske, ok := findHandshake(flight, handshakeServerKeyEx)
	if !ok {
		return ""
	}
	if version < tls.VersionTLS12 {
		if leaf != nil && leaf.PublicKeyAlgorithm == x509.ECDSA {
			return "ecdsa_sha1 (before TLS 1.2)"
		}
		return "rsa_pkcs1_md5_sha1 (before TLS 1.2)"
	}
	// ECParameters (curve_type, named_curve), ECPoint (length, point),
	// then SignatureAndHashAlgorithm
	if len(ske) < 4 || ske[0] != curveTypeNamed {
		return ""
	}
	at := 4 + int(ske[3])
	if len(ske) < at+2 {
		return ""
	}
	return SchemeName(tls.SignatureScheme(uint16(ske[at])<<8 | uint16(ske[at+1])))
}

// tls13Signature is the scheme of the server's CertificateVerify as far as
// its certificate fixes it (RFC 8446 section 4.2.3): ECDSA's curve names
// its hash, Ed25519 is one scheme. It stands when the message could not be
// decrypted (tls13VerifiedScheme: a ChaCha20-Poly1305 suite); then for
// RSA, always RSA-PSS in TLS 1.3, the hash is not known.
func tls13Signature(leaf *x509.Certificate) string {
	if leaf == nil {
		return ""
	}
	switch k := leaf.PublicKey.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve.Params().Name {
		case "P-256":
			return SchemeName(tls.ECDSAWithP256AndSHA256)
		case "P-384":
			return SchemeName(tls.ECDSAWithP384AndSHA384)
		case "P-521":
			return SchemeName(tls.ECDSAWithP521AndSHA512)
		}
	}
	switch leaf.PublicKeyAlgorithm {
	case x509.Ed25519:
		return SchemeName(tls.Ed25519)
	case x509.RSA:
		return "rsa_pss_rsae_* (which hash: not known with this suite)"
	}
	return ""
}

// findHandshake finds the first handshake message of type typ in the
// plaintext records at the start of flight, and returns its body.
func findHandshake(flight []byte, typ byte) ([]byte, bool) {
	var hs []byte
	for len(flight) >= recordHeaderLength {
		n := int(flight[3])<<8 | int(flight[4])
		if flight[0] != recordHandshake || len(flight) < recordHeaderLength+n {
			break // encrypted from here on, or cut
		}
		hs = append(hs, flight[recordHeaderLength:recordHeaderLength+n]...)
		flight = flight[recordHeaderLength+n:]
	}
	for len(hs) >= 4 {
		n := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
		if len(hs) < 4+n {
			return nil, false
		}
		if hs[0] == typ {
			return hs[4 : 4+n], true
		}
		hs = hs[4+n:]
	}
	return nil, false
}

// schemeNames are the IANA names of the signature schemes (RFC 8446
// section 4.2.3), as openssl prints them.
var schemeNames = map[tls.SignatureScheme]string{
	tls.PKCS1WithSHA1:          "rsa_pkcs1_sha1",
	tls.PKCS1WithSHA256:        "rsa_pkcs1_sha256",
	tls.PKCS1WithSHA384:        "rsa_pkcs1_sha384",
	tls.PKCS1WithSHA512:        "rsa_pkcs1_sha512",
	tls.ECDSAWithSHA1:          "ecdsa_sha1",
	tls.ECDSAWithP256AndSHA256: "ecdsa_secp256r1_sha256",
	tls.ECDSAWithP384AndSHA384: "ecdsa_secp384r1_sha384",
	tls.ECDSAWithP521AndSHA512: "ecdsa_secp521r1_sha512",
	tls.PSSWithSHA256:          "rsa_pss_rsae_sha256",
	tls.PSSWithSHA384:          "rsa_pss_rsae_sha384",
	tls.PSSWithSHA512:          "rsa_pss_rsae_sha512",
	tls.Ed25519:                "ed25519",
	0x0808:                     "ed448",
	0x0809:                     "rsa_pss_pss_sha256",
	0x080a:                     "rsa_pss_pss_sha384",
	0x080b:                     "rsa_pss_pss_sha512",
}

// SchemeName is the IANA name of a signature scheme, or its number.
func SchemeName(s tls.SignatureScheme) string {
	if name, ok := schemeNames[s]; ok {
		return name
	}
	return fmt.Sprintf("0x%04x", uint16(s))
}

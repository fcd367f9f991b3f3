package wire

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// TLS record and message values read from a server's first answer to our
// ClientHello (RFC 5246 sections 6.2.1, 7.2 and 7.4; RFC 8446 section 6).
const (
	recordAlert        = 0x15
	recordHandshake    = 0x16
	alertProtocolVer   = 70 // protocol_version: no version in common
	handshakeServerHi  = 2
	recordHeaderLength = 5
)

// VersionError reports a server that shares no TLS version with us: it
// answered the ClientHello with the alert protocol_version (RFC 8446
// section 6.2), or its ServerHello chose a version below the lowest we
// offered. Such a server speaks only TLS 1.0 or 1.1, deprecated by RFC 8996;
// Options.MinVersion may allow them.
type VersionError struct {
	Offered []string // the versions we offered, highest first: "TLS 1.3", "TLS 1.2"
	Chosen  string   // the version the server's ServerHello chose; "" when it sent the alert
	Err     error    // crypto/tls's error
}

func (e *VersionError) Error() string {
	if e.Chosen != "" {
		return fmt.Sprintf("wire: the server chose %s, older than every TLS version offered (%s)", e.Chosen, strings.Join(e.Offered, ", "))
	}
	return fmt.Sprintf("wire: the server supports none of the TLS versions offered (%s): it answered with the alert protocol_version", strings.Join(e.Offered, ", "))
}

// Unwrap returns crypto/tls's error.
func (e *VersionError) Unwrap() error { return e.Err }

func (*VersionError) wire() {}

// minVersion is the lowest TLS version the connection offers.
func (c *Conn) minVersion() uint16 {
	if c.opts.MinVersion == 0 {
		return tls.VersionTLS12
	}
	return c.opts.MinVersion
}

// offered names the versions from tls.VersionTLS13 down to min.
func offered(min uint16) []string {
	var names []string
	for v := uint16(tls.VersionTLS13); v >= min && v >= tls.VersionTLS10; v-- {
		names = append(names, versionName(v))
	}
	return names
}

// versionName is "TLS 1.2" for tls.VersionTLS12; "" for 0.
func versionName(v uint16) string {
	if v == 0 {
		return ""
	}
	return tls.VersionName(v)
}

// cipherSuites is nil (crypto/tls's defaults) unless min allows TLS 1.0 or
// 1.1: servers that old often know nothing better than RSA key exchange or
// 3DES, which the defaults leave out, so those are offered too. RC4 never
// is (RFC 7465).
func cipherSuites(min uint16) []uint16 {
	if min >= tls.VersionTLS12 {
		return nil
	}
	var ids []uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if !strings.Contains(s.Name, "RC4") && s.SupportedVersions[0] < tls.VersionTLS13 {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// refusedVersion reads the server's first record, captured during a failed
// handshake, for a sign that it shares no version with us: the alert
// protocol_version, or a ServerHello whose version is below min (then
// chosen is that version). A ServerHello's legacy_version says 1.2 for TLS
// 1.3 too (RFC 8446 section 4.1.3), so with min 1.3 it proves nothing.
func refusedVersion(got []byte, min uint16) (chosen uint16, ok bool) {
	if len(got) < recordHeaderLength+2 {
		return 0, false
	}
	body := got[recordHeaderLength:]
	if n := int(got[3])<<8 | int(got[4]); len(body) > n {
		body = body[:n]
	}
	switch {
	case got[0] == recordAlert && len(body) >= 2:
		return 0, body[1] == alertProtocolVer
	case got[0] == recordHandshake && len(body) >= 6 && body[0] == handshakeServerHi:
		v := uint16(body[4])<<8 | uint16(body[5]) // after type and the 3-byte length
		return v, v < min && min < tls.VersionTLS13
	}
	return 0, false
}

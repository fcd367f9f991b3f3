package wire

import (
	"crypto/tls"
	"testing"
)

// FuzzServerFlight: the server's handshake bytes, kept by handshakeTap, are
// the server's to choose; reading a signature scheme from them never
// panics, and finds one only in a flight that holds a ServerKeyExchange (or,
// in TLS 1.3, a record that decrypts).
func FuzzServerFlight(f *testing.F) {
	f.Add([]byte{0x16, 3, 3, 0, 12, 12, 0, 0, 8, 3, 0, 29, 2, 0xaa, 0xbb, 0x08, 0x04}, []byte("secret"))
	f.Add([]byte{0x16, 3, 3, 0, 8, 12, 0, 0, 4, 3, 0, 29, 0}, []byte(nil))
	f.Add([]byte{0x16, 3, 3, 0, 42, 2, 0, 0, 38, 3, 3}, []byte("0123456789abcdef0123456789abcdef"))
	f.Add([]byte{0x17, 3, 3, 0, 17, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, []byte("k"))
	f.Fuzz(func(t *testing.T, flight, secret []byte) {
		for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS12} {
			if s := tls12Signature(flight, v, nil); s != "" {
				if _, ok := findHandshake(flight, handshakeServerKeyEx); !ok {
					t.Fatalf("signature %q from a flight without a ServerKeyExchange", s)
				}
			}
		}
		_, _ = tls13VerifiedScheme(flight, secret)
		_, _ = helloSuite(flight)
		_, _ = findScheme(flight)
	})
}

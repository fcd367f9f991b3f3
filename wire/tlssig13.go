package wire

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"strings"
	"sync"
)

// In TLS 1.3 the server's CertificateVerify, which names its signature
// scheme, is encrypted, and crypto/tls does not tell the scheme. ehlo
// reads it as Wireshark would with a key log: crypto/tls gives the
// handshake's secrets to Config.KeyLogWriter, and the server's handshake
// traffic secret decrypts the records handshakeTap kept (RFC 8446
// sections 5.2, 7.1 and 7.3). The secrets stay in memory, for this
// handshake only; the user's SSLKEYLOGFILE, when set, still gets them all.

// secretTap keeps the server handshake traffic secret crypto/tls logs,
// and passes every line on to the user's key log.
type secretTap struct {
	mu     sync.Mutex
	next   io.Writer // the user's key log; nil for none
	random string    // hex client random of the line kept
	secret []byte    // SERVER_HANDSHAKE_TRAFFIC_SECRET
}

func (s *secretTap) Write(line []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := strings.Fields(string(line)); len(f) == 3 && f[0] == "SERVER_HANDSHAKE_TRAFFIC_SECRET" {
		if b, err := hex.DecodeString(f[2]); err == nil {
			s.random, s.secret = f[1], b
		}
	}
	if s.next == nil {
		return len(line), nil
	}
	return s.next.Write(line)
}

// take gives the secret kept and forgets it.
func (s *secretTap) take() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.secret
	s.secret = nil
	return b
}

// handshakeCertificateVerify is the handshake type of CertificateVerify.
const handshakeCertificateVerify = 15

// tls13VerifiedScheme decrypts the server's encrypted handshake records in
// flight with its handshake traffic secret and reads the scheme of its
// CertificateVerify. ok is false when it cannot: a suite other than
// AES-GCM (ChaCha20-Poly1305 is not in the standard library's public
// API), a flight cut short, no secret.
func tls13VerifiedScheme(flight, secret []byte) (scheme tls.SignatureScheme, ok bool) {
	if secret == nil {
		return 0, false
	}
	var key *recordKey
	var hs []byte
	for len(flight) >= recordHeaderLength {
		n := int(binary.BigEndian.Uint16(flight[3:5]))
		if len(flight) < recordHeaderLength+n {
			return 0, false
		}
		rec := flight[:recordHeaderLength+n]
		flight = flight[recordHeaderLength+n:]
		switch rec[0] {
		case recordHandshake: // ServerHello (or HelloRetryRequest), in clear: the suite
			suite, found := helloSuite(rec[recordHeaderLength:])
			if !found {
				return 0, false
			}
			if key = newRecordKey(suite, secret); key == nil {
				return 0, false
			}
		case recordApplicationData:
			if key == nil {
				return 0, false
			}
			inner, typ, err := key.open(rec)
			if err != nil || typ != recordHandshake {
				return 0, false
			}
			hs = append(hs, inner...)
			if s, found := findScheme(hs); found {
				return s, true
			}
		}
	}
	return 0, false
}

// recordApplicationData is the outer type of every TLS 1.3 encrypted record.
const recordApplicationData = 0x17

// helloSuite reads the cipher suite of a ServerHello's handshake message.
func helloSuite(msg []byte) (uint16, bool) {
	if len(msg) < 4+2+32+1 || msg[0] != handshakeServerHi {
		return 0, false
	}
	at := 4 + 2 + 32
	at += 1 + int(msg[at]) // legacy_session_id_echo
	if len(msg) < at+2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(msg[at : at+2]), true
}

// findScheme finds CertificateVerify among the complete handshake
// messages in hs and reads its algorithm (RFC 8446 section 4.4.3).
func findScheme(hs []byte) (tls.SignatureScheme, bool) {
	for len(hs) >= 4 {
		n := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
		if len(hs) < 4+n {
			return 0, false
		}
		if hs[0] == handshakeCertificateVerify && n >= 2 {
			return tls.SignatureScheme(binary.BigEndian.Uint16(hs[4:6])), true
		}
		hs = hs[4+n:]
	}
	return 0, false
}

// recordKey is a TLS 1.3 traffic key and its record sequence number.
type recordKey struct {
	aead cipher.AEAD
	iv   []byte
	seq  uint64
}

// newRecordKey derives the key and IV of an AES-GCM suite from a traffic
// secret; nil for another suite.
func newRecordKey(suite uint16, secret []byte) *recordKey {
	var h func() hash.Hash
	var size int
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256:
		h, size = sha256.New, 16
	case tls.TLS_AES_256_GCM_SHA384:
		h, size = sha512.New384, 32
	default:
		return nil
	}
	key, err1 := expandLabel(h, secret, "key", size)
	iv, err2 := expandLabel(h, secret, "iv", 12)
	if err1 != nil || err2 != nil {
		return nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil
	}
	return &recordKey{aead: aead, iv: iv}
}

// expandLabel is HKDF-Expand-Label with an empty context (RFC 8446
// section 7.1).
func expandLabel(h func() hash.Hash, secret []byte, label string, n int) ([]byte, error) {
	full := "tls13 " + label
	info := append([]byte{byte(n >> 8), byte(n), byte(len(full))}, full...)
	return hkdf.Expand(h, secret, string(append(info, 0)), n)
}

// open decrypts a record: its content, and the inner content type.
func (k *recordKey) open(rec []byte) ([]byte, byte, error) {
	nonce := bytes.Clone(k.iv)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(k.seq >> (8 * i))
	}
	k.seq++
	plain, err := k.aead.Open(nil, nonce, rec[recordHeaderLength:], rec[:recordHeaderLength])
	if err != nil {
		return nil, 0, err
	}
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 {
		return nil, 0, io.ErrUnexpectedEOF
	}
	return plain[:len(plain)-1], plain[len(plain)-1], nil
}

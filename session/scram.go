package session

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// SCRAM errors. ErrServerNotProven is the one that matters most: the
// server accepted (or answered) without showing that it knows the
// password, so it may not be the server the password was set up with.
var (
	ErrServerNotProven = errors.New("session: the server did not prove it knows the password")
	ErrSCRAMServer     = errors.New("session: SCRAM server message")
)

// ChannelBinding is what SCRAM's -PLUS variants bind the exchange to
// (RFC 5802 section 6, RFC 5056): the TLS channel's tls-unique (RFC 5929,
// TLS 1.2) or tls-exporter (RFC 9266, TLS 1.3) data. Type "" means none.
type ChannelBinding struct {
	Type string // "tls-unique" or "tls-exporter"
	Data []byte
	// Unoffered says the server offers no -PLUS mechanism: a SCRAM
	// exchange without binding then says "y" in its GS2 header (RFC 5802
	// section 6: the client could bind, the server did not offer it), so
	// that a server that does offer -PLUS, its offer stripped on the way,
	// refuses.
	Unoffered bool
}

// IsSCRAM reports whether name is a SCRAM mechanism ehlo speaks:
// SCRAM-SHA-1 or SCRAM-SHA-256, with or without -PLUS.
func IsSCRAM(name string) bool {
	switch strings.ToUpper(name) {
	case "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS":
		return true
	}
	return false
}

// IsPlus reports a -PLUS mechanism, which needs channel binding.
func IsPlus(name string) bool { return strings.HasSuffix(strings.ToUpper(name), "-PLUS") }

// SCRAM returns SCRAM-SHA-1 (RFC 5802) or SCRAM-SHA-256 (RFC 7677) by
// name; a name ending in -PLUS binds the exchange to the TLS channel cb
// and needs it. The user name and password are prepared (saslPrep), the
// password salted with PBKDF2 at the server's iteration count, the proof
// sent once, in the client-final message, and the server's signature
// checked. The password never leaves the mechanism.
func SCRAM(name, user, password string, cb ChannelBinding) (Mechanism, error) {
	return newSCRAM(name, user, password, cb, nil)
}

// scramMinIterations is the least PBKDF2 iteration count a server may ask
// for (RFC 7677 section 4: at least 4096).
const scramMinIterations = 4096

// newSCRAM is SCRAM with a fixed nonce source, for the RFC test vectors;
// nil means 24 random bytes, in base64.
func newSCRAM(name, user, password string, cb ChannelBinding, nonce func() string) (Mechanism, error) {
	upper := strings.ToUpper(name)
	if !IsSCRAM(upper) {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedMechanism, SanitizeString(clip(name, 40)))
	}
	hash := sha256.New
	if strings.HasPrefix(upper, "SCRAM-SHA-1") {
		hash = sha1.New
	}
	user, err := saslPrep(user)
	if err == nil {
		password, err = saslPrep(password)
	}
	if err != nil {
		return nil, errors.New("session: SCRAM: the user name or password is not allowed by SASLprep (RFC 4013)")
	}
	if nonce == nil {
		nonce = scramNonce
	}
	m := &scramMech{name: upper, hash: hash, user: user, password: password, nonce: nonce, gs2: "n,,"}
	switch {
	case IsPlus(upper) && (cb.Type == "" || len(cb.Data) == 0):
		return nil, fmt.Errorf("session: %s needs TLS channel binding, and this connection has none (use TLS, or %s)", upper, strings.TrimSuffix(upper, "-PLUS"))
	case IsPlus(upper):
		m.gs2 = "p=" + cb.Type + ",,"
		m.cbData = cb.Data
		m.binding = cb.Type
	case cb.Unoffered && cb.Type != "" && len(cb.Data) > 0:
		m.gs2 = "y,,"
	}
	return m, nil
}

// scramNonce is 24 random bytes in base64 (RFC 5802 section 5.1: printable,
// no comma).
func scramNonce() string {
	var raw [24]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (Go 1.24)
	return base64.StdEncoding.EncodeToString(raw[:])
}

// saslPrep prepares a SCRAM user name or password with SASLprep (RFC 4013,
// the stringprep profile of RFC 3454 that RFC 5802 names). Printable ASCII,
// what nearly every password is, is its own preparation; ASCII control
// characters are prohibited. Anything else is mapped (table B.1 to
// nothing, non-ASCII spaces to a space), normalised with NFKC, checked
// against the prohibited tables (C.1.2 to C.9) and for bidirectional text
// (RFC 3454 section 6). Unassigned code points are allowed: RFC 5802
// section 5.1 prepares both "as a query string" (RFC 3454 section 7).
// Written here rather than taken from github.com/xdg-go/stringprep, whose
// tables were built at every start of every command (and which refused
// unassigned code points).
func saslPrep(s string) (string, error) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return "", errors.New("a control character")
		} else if c >= 0x80 {
			ascii = false
		}
	}
	if ascii {
		return s, nil
	}
	if !utf8.ValidString(s) {
		return "", errors.New("not UTF-8")
	}
	mapped := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case mappedToNothing(r):
		case nonASCIISpace(r):
			mapped = append(mapped, ' ')
		default:
			mapped = append(mapped, r)
		}
	}
	out := norm.NFKC.String(string(mapped))
	var randAL, l bool
	for _, r := range out {
		if prohibited(r) {
			return "", fmt.Errorf("prohibited code point U+%04X", r)
		}
		switch bidiClass(r) {
		case bidi.R, bidi.AL:
			randAL = true
		case bidi.L:
			l = true
		}
	}
	if randAL {
		first, _ := utf8.DecodeRuneInString(out)
		last, _ := utf8.DecodeLastRuneInString(out)
		if l || !isRandAL(first) || !isRandAL(last) {
			return "", errors.New("bidirectional text not allowed (RFC 3454 section 6)")
		}
	}
	return out, nil
}

// mappedToNothing is RFC 3454 table B.1.
func mappedToNothing(r rune) bool {
	switch {
	case r == 0x00AD, r == 0x034F, r == 0x1806, r >= 0x180B && r <= 0x180D,
		r >= 0x200B && r <= 0x200D, r == 0x2060, r >= 0xFE00 && r <= 0xFE0F, r == 0xFEFF:
		return true
	}
	return false
}

// nonASCIISpace is RFC 3454 table C.1.2.
func nonASCIISpace(r rune) bool {
	switch {
	case r == 0x00A0, r == 0x1680, r >= 0x2000 && r <= 0x200B, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

// prohibited is SASLprep's prohibited output (RFC 4013 2.3): tables C.1.2,
// C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8 and C.9.
func prohibited(r rune) bool {
	switch {
	case nonASCIISpace(r),
		r < 0x20, r >= 0x7F && r <= 0x9F, // C.2.1, C.2.2
		r == 0x06DD, r == 0x070F, r == 0x180E, r == 0x200C, r == 0x200D, r == 0x2028, r == 0x2029,
		r >= 0x2060 && r <= 0x2063, r >= 0x206A && r <= 0x206F, r == 0xFEFF, r >= 0xFFF9 && r <= 0xFFFC,
		r >= 0x1D173 && r <= 0x1D17A,
		r >= 0xE000 && r <= 0xF8FF, r >= 0xF0000 && r <= 0xFFFFD, r >= 0x100000 && r <= 0x10FFFD, // C.3
		r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE, // C.4
		r >= 0xD800 && r <= 0xDFFF,                                                     // C.5
		r >= 0xFFF9 && r <= 0xFFFD,                                                     // C.6
		r >= 0x2FF0 && r <= 0x2FFB,                                                     // C.7
		r == 0x0340, r == 0x0341, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, // C.8
		r == 0xE0001, r >= 0xE0020 && r <= 0xE007F: // C.9
		return true
	}
	return false
}

func bidiClass(r rune) bidi.Class {
	p, _ := bidi.LookupRune(r)
	return p.Class()
}

func isRandAL(r rune) bool {
	c := bidiClass(r)
	return c == bidi.R || c == bidi.AL
}

// scramName escapes a SCRAM saslname (RFC 5802 section 5.1).
func scramName(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "=", "=3D"), ",", "=2C")
}

// scramMech is one SCRAM exchange: client-first, client-final, then the
// check of the server-final message (RFC 5802 section 3).
type scramMech struct {
	name      string
	hash      func() hash.Hash
	user      string
	password  string
	nonce     func() string
	gs2       string // the GS2 header: "n,,", "y,," or "p=TYPE,,"
	cbData    []byte // the channel binding data of a -PLUS exchange
	binding   string // the channel binding type of a -PLUS exchange
	first     string // client-first-message-bare
	cnonce    string // the client's nonce
	serverSig []byte
	step      int  // 0 before client-first, 1 after it, 2 after client-final, 3 after the server-final check
	proven    bool // the server's signature was right
}

func (m *scramMech) Name() string { return m.name }

func (m *scramMech) Start() ([]byte, error) {
	m.cnonce = m.nonce()
	m.first = "n=" + scramName(m.user) + ",r=" + m.cnonce
	m.step = 1
	return []byte(m.gs2 + m.first), nil
}

// clientFinal answers server-first (r=NONCE,s=SALT,i=ITERATIONS[,ext]): the
// nonce must extend the client's, the count be at least 4096.
func (m *scramMech) clientFinal(serverFirst string) (string, error) {
	if strings.HasPrefix(serverFirst, "m=") {
		return "", errors.New("SCRAM message extensions are not supported")
	}
	fields := strings.Split(serverFirst, ",")
	if len(fields) < 3 {
		return "", errors.New("not enough fields in first server message")
	}
	nonce, ok1 := strings.CutPrefix(fields[0], "r=")
	salt64, ok2 := strings.CutPrefix(fields[1], "s=")
	iters64, ok3 := strings.CutPrefix(fields[2], "i=")
	if !ok1 || !ok2 || !ok3 {
		return "", errors.New("expected r=, s= and i= fields")
	}
	if !strings.HasPrefix(nonce, m.cnonce) {
		return "", errors.New("server nonce did not extend client nonce")
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil {
		return "", fmt.Errorf("failed decoding field 's': %v", err)
	}
	iters, err := strconv.Atoi(iters64)
	if err != nil {
		return "", fmt.Errorf("error parsing field 'i': %v", err)
	}
	if iters < scramMinIterations {
		return "", fmt.Errorf("server requested too few iterations (%d)", iters)
	}
	size := m.hash().Size()
	salted, err := pbkdf2.Key(m.hash, m.password, salt, iters, size)
	if err != nil {
		return "", err
	}
	clientKey := scramHMAC(m.hash, salted, "Client Key")
	h := m.hash()
	h.Write(clientKey)
	storedKey := h.Sum(nil)
	cbind := append([]byte(m.gs2), m.cbData...)
	withoutProof := "c=" + base64.StdEncoding.EncodeToString(cbind) + ",r=" + nonce
	authMessage := m.first + "," + serverFirst + "," + withoutProof
	proof := scramHMAC(m.hash, storedKey, authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	m.serverSig = scramHMAC(m.hash, scramHMAC(m.hash, salted, "Server Key"), authMessage)
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
}

func scramHMAC(h func() hash.Hash, key []byte, msg string) []byte {
	mac := hmac.New(h, key)
	mac.Write([]byte(msg))
	return mac.Sum(nil)
}

// Next answers server-first with client-final, and checks server-final:
// its "v=" must be the server signature only the holder of the password
// (or of the stored keys) can compute; a wrong one, or an "e=" error, ends
// the exchange. The answer to a right server-final is empty (RFC 4954 4).
func (m *scramMech) Next(challenge []byte) ([]byte, error) {
	switch m.step {
	case 1:
		final, err := m.clientFinal(string(challenge))
		if err != nil {
			return nil, fmt.Errorf("%w: server-first %q: %v", ErrSCRAMServer, Sanitize(clipBytes(challenge, 200)), err)
		}
		m.step = 2
		return []byte(final), nil
	case 2:
		m.step = 3
		s := string(challenge)
		if e, ok := strings.CutPrefix(s, "e="); ok {
			return nil, fmt.Errorf("%w: the server says %s", ErrSCRAMServer, SanitizeString(clip(e, 100)))
		}
		v, ok := strings.CutPrefix(strings.Split(s, ",")[0], "v=")
		sig, err := base64.StdEncoding.DecodeString(v)
		if !ok || err != nil || !hmac.Equal(sig, m.serverSig) {
			return nil, fmt.Errorf("session: the server's SCRAM signature is wrong: %w (it is not the server the password was set up with, or it holds other credentials for this user)", ErrServerNotProven)
		}
		m.proven = true
		return []byte{}, nil
	}
	return nil, fmt.Errorf("%w: %s has finished", ErrUnexpectedChallenge, m.name)
}

// Complete is called on 235: a server that accepts before it has proved
// that it knows the password (no server-final, or a wrong one) is refused
// all the same (RFC 5802 section 5: the client authenticates the server).
func (m *scramMech) Complete() error {
	if !m.proven {
		return fmt.Errorf("session: the server said 235 without its SCRAM signature (server-final, RFC 5802 3): %w", ErrServerNotProven)
	}
	return nil
}

// Show is the decoded response with the proof taken out, for display:
// client-first as it is (user name and nonce), client-final with
// "p=<redacted>".
func (m *scramMech) Show(resp []byte) string {
	s := string(resp)
	if i := strings.Index(s, ",p="); i >= 0 {
		s = s[:i] + ",p=<redacted>"
	}
	return s
}

// Proven reports whether the server's signature was checked and right.
func (m *scramMech) Proven() bool { return m.proven }

// Binding is the channel binding type of a -PLUS exchange, "" otherwise.
func (m *scramMech) Binding() string { return m.binding }

func clipBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

package session

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xdg-go/scram"
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
// and needs it. The arithmetic is github.com/xdg-go/scram's: SASLprep of
// the password, PBKDF2, the proof, and the check of the server's
// signature. The password never leaves the mechanism; the client proof
// goes out once, in the client-final message.
func SCRAM(name, user, password string, cb ChannelBinding) (Mechanism, error) {
	return newSCRAM(name, user, password, cb, nil)
}

// newSCRAM is SCRAM with a fixed nonce source, for the RFC test vectors;
// nil means 24 random bytes (github.com/xdg-go/scram's default).
func newSCRAM(name, user, password string, cb ChannelBinding, nonce func() string) (Mechanism, error) {
	upper := strings.ToUpper(name)
	hash := scram.SHA256
	if strings.HasPrefix(upper, "SCRAM-SHA-1") {
		hash = scram.SHA1
	}
	if !IsSCRAM(upper) {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedMechanism, SanitizeString(clip(name, 40)))
	}
	c, err := hash.NewClient(user, password, "")
	if err != nil {
		return nil, errors.New("session: SCRAM: the user name or password is not allowed by SASLprep (RFC 4013)")
	}
	if nonce != nil {
		c = c.WithNonceGenerator(nonce)
	}
	m := &scramMech{name: upper}
	switch {
	case IsPlus(upper) && (cb.Type == "" || len(cb.Data) == 0):
		return nil, fmt.Errorf("session: %s needs TLS channel binding, and this connection has none (use TLS, or %s)", upper, strings.TrimSuffix(upper, "-PLUS"))
	case IsPlus(upper):
		m.conv = c.NewConversationWithChannelBinding(scram.ChannelBinding{Type: scram.ChannelBindingType(cb.Type), Data: cb.Data})
		m.binding = cb.Type
	case cb.Unoffered && cb.Type != "" && len(cb.Data) > 0:
		m.conv = c.NewConversationAdvertisingChannelBinding()
	default:
		m.conv = c.NewConversation()
	}
	return m, nil
}

// scramMech is one SCRAM exchange: client-first, client-final, then the
// check of the server-final message (RFC 5802 section 3).
type scramMech struct {
	name    string
	binding string // the channel binding type of a -PLUS exchange
	conv    *scram.ClientConversation
	step    int  // 0 before client-first, 1 after it, 2 after client-final, 3 after the server-final check
	proven  bool // the server's signature was right
}

func (m *scramMech) Name() string { return m.name }

func (m *scramMech) Start() ([]byte, error) {
	first, err := m.conv.Step("")
	if err != nil {
		return nil, fmt.Errorf("session: SCRAM: %w", err)
	}
	m.step = 1
	return []byte(first), nil
}

// Next answers server-first with client-final, and checks server-final:
// its "v=" must be the server signature only the holder of the password
// (or of the stored keys) can compute; a wrong one, or an "e=" error, ends
// the exchange. The answer to a right server-final is empty (RFC 4954 4).
func (m *scramMech) Next(challenge []byte) ([]byte, error) {
	switch m.step {
	case 1:
		final, err := m.conv.Step(string(challenge))
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
		if _, err := m.conv.Step(s); err != nil || !m.conv.Valid() {
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

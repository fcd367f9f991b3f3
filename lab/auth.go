package lab

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SASL mechanism names the lab offers (RFC 4954 AUTH).
const (
	mechPlain   = sasl.Plain // RFC 4616
	mechLogin   = sasl.Login // draft-murchison-sasl-login
	mechCRAMMD5 = "CRAM-MD5" // RFC 2195
)

// checkPassword reports whether user and password are the lab's test
// account, in constant time.
func checkPassword(user, password string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(User))
	p := subtle.ConstantTimeCompare([]byte(password), []byte(Password))
	return u&p == 1
}

// secretFor returns the shared secret CRAM-MD5 keys its digest with.
func secretFor(user string) (string, bool) {
	if user != User {
		return "", false
	}
	return Password, true
}

// loginServer is the server side of LOGIN (draft-murchison-sasl-login): the
// challenges "Username:" and "Password:", answered in turn. A client may send
// the username as an initial response, as go-sasl's client does.
type loginServer struct {
	authenticate func(user, password string) error
	user         string
	step         int // 0 nothing yet, 1 asked Username:, 2 asked Password:, 3 done
}

// Next implements sasl.Server.
func (s *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		if response == nil {
			s.step = 1
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		s.user, s.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		s.step = 3
		return nil, true, s.authenticate(s.user, string(response))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}

// cramServer is the server side of CRAM-MD5 (RFC 2195): one challenge
// shaped like a msg-id, answered by "user digest" where digest is the
// lowercase hex HMAC-MD5 (RFC 2104) of the challenge keyed with the secret.
type cramServer struct {
	challenge string
	verify    func(user, digest string) error
	step      int // 0 nothing yet, 1 challenged, 2 done
}

// newCRAMChallenge returns a fresh "<random.timestamp@mail.lab.test>"
// (RFC 2195 section 2).
func newCRAMChallenge(now time.Time) string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("<%d.%d@mail.%s>", binary.BigEndian.Uint64(b[:]), now.Unix(), Domain)
}

// Next implements sasl.Server.
func (s *cramServer) Next(response []byte) ([]byte, bool, error) {
	switch s.step {
	case 0:
		// RFC 4954 section 4: an initial response to a mechanism where
		// the server speaks first is rejected with 501.
		if response != nil {
			return nil, false, &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2},
				Message: "CRAM-MD5 takes no initial response"}
		}
		s.step = 1
		return []byte(s.challenge), false, nil
	case 1:
		s.step = 2
		i := strings.LastIndexByte(string(response), ' ')
		if i < 0 {
			return nil, true, s.verify(string(response), "")
		}
		return nil, true, s.verify(string(response[:i]), string(response[i+1:]))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}

// cramDigest is the answer RFC 2195 expects to challenge for secret.
func cramDigest(secret, challenge string) string {
	mac := hmac.New(md5.New, []byte(secret))
	mac.Write([]byte(challenge))
	return hex.EncodeToString(mac.Sum(nil))
}

// checkCRAM reports whether digest answers challenge for user.
func checkCRAM(challenge, user, digest string) bool {
	secret, ok := secretFor(user)
	want := cramDigest(secret, challenge)
	return ok && hmac.Equal([]byte(want), []byte(strings.ToLower(digest)))
}

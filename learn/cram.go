package learn

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/ehlo-sh/ehlo/session"
)

// CRAMSteps are the sums of a CRAM-MD5 response (RFC 2195 section 2), for
// the lesson card: the challenge decoded, the HMAC-MD5 keyed with the
// password, and the line to send. challenge is the server's base64;
// everything from the server is shown sanitized. ok is false when it is
// not base64.
func CRAMSteps(challenge, user, password string) (steps []string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(challenge)
	if err != nil {
		return nil, false
	}
	mac := hmac.New(md5.New, []byte(password))
	mac.Write(raw)
	digest := hex.EncodeToString(mac.Sum(nil))
	return []string{
		"challenge = base64 decoded: " + session.Sanitize(raw),
		fmt.Sprintf("HMAC-MD5(key %q, challenge) = %s", password, digest),
		fmt.Sprintf("send base64(%q) = %s", user+" "+digest, base64.StdEncoding.EncodeToString([]byte(user+" "+digest))),
	}, true
}

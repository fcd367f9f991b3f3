package session

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors of the AUTH exchange. None of them, nor any error of this file,
// carries a user's secret.
var (
	ErrUnsupportedMechanism = errors.New("session: unsupported SASL mechanism")
	ErrUnexpectedChallenge  = errors.New("session: unexpected AUTH challenge")
	ErrBadChallenge         = errors.New("session: AUTH challenge is not base64")
	ErrTooManyRounds        = errors.New("session: too many AUTH rounds")
	ErrAuthState            = errors.New("session: AUTH exchange not in progress")
)

// MaxAuthRounds is how many 334 challenges an AuthFlow answers (SAFETY.md).
const MaxAuthRounds = 5

// Mechanism is the client side of one SASL mechanism (RFC 4422), as pure
// steps: it never touches a connection. A Mechanism serves one exchange.
type Mechanism interface {
	// Name is the mechanism's registered name, e.g. "PLAIN".
	Name() string
	// Start returns the initial response, nil if the mechanism has none.
	Start() (ir []byte, err error)
	// Next answers a server challenge, already base64-decoded.
	Next(challenge []byte) (resp []byte, err error)
}

// Plain returns the PLAIN mechanism (RFC 4616): one initial response,
// identity NUL user NUL password. identity is usually "".
func Plain(identity, user, password string) Mechanism {
	return &plain{identity: identity, user: user, password: password}
}

type plain struct{ identity, user, password string }

func (*plain) Name() string { return "PLAIN" }

func (m *plain) Start() ([]byte, error) {
	// RFC 4616 section 2: authzid, authcid and passwd contain no NUL.
	if strings.ContainsRune(m.identity+m.user+m.password, 0) {
		return nil, errors.New("session: PLAIN: identity, user or password contains NUL")
	}
	return []byte(m.identity + "\x00" + m.user + "\x00" + m.password), nil
}

func (*plain) Next([]byte) ([]byte, error) {
	return nil, fmt.Errorf("%w: PLAIN has sent everything", ErrUnexpectedChallenge)
}

// Login returns the LOGIN mechanism (draft-murchison-sasl-login): the user
// name answers the first challenge and the password the second, whatever
// their text ("Username:", "Password:" or anything else). A third
// challenge is an error: each secret is sent once.
func Login(user, password string) Mechanism { return &login{user: user, password: password} }

type login struct {
	user, password string
	round          int
}

func (*login) Name() string { return "LOGIN" }

func (*login) Start() ([]byte, error) { return nil, nil }

func (m *login) Next([]byte) ([]byte, error) {
	m.round++
	switch m.round {
	case 1:
		return []byte(m.user), nil
	case 2:
		return []byte(m.password), nil
	}
	return nil, fmt.Errorf("%w: LOGIN has sent user and password", ErrUnexpectedChallenge)
}

// CramMD5 returns the CRAM-MD5 mechanism (RFC 2195): it answers the one
// challenge with the user name, a space and the hex HMAC-MD5 of the
// challenge keyed with secret.
func CramMD5(user, secret string) Mechanism { return &cramMD5{user: user, secret: secret} }

type cramMD5 struct {
	user, secret string
	done         bool
}

func (*cramMD5) Name() string { return "CRAM-MD5" }

func (*cramMD5) Start() ([]byte, error) { return nil, nil }

func (m *cramMD5) Next(challenge []byte) ([]byte, error) {
	if m.done {
		return nil, fmt.Errorf("%w: CRAM-MD5 has answered", ErrUnexpectedChallenge)
	}
	m.done = true
	mac := hmac.New(md5.New, []byte(m.secret))
	mac.Write(challenge)
	return []byte(m.user + " " + hex.EncodeToString(mac.Sum(nil))), nil
}

// XOAuth2 returns Google's XOAUTH2 mechanism: the initial response is
// "user=U^Aauth=Bearer T^A^A". A challenge carries the server's JSON error;
// it is answered once with an empty response so that the server sends its
// final reply.
func XOAuth2(user, token string) Mechanism { return &xoauth2{user: user, token: token} }

type xoauth2 struct {
	user, token string
	answered    bool
}

func (*xoauth2) Name() string { return "XOAUTH2" }

func (m *xoauth2) Start() ([]byte, error) {
	if strings.ContainsRune(m.user+m.token, 1) {
		return nil, errors.New("session: XOAUTH2: user or token contains ^A")
	}
	return []byte("user=" + m.user + "\x01auth=Bearer " + m.token + "\x01\x01"), nil
}

func (m *xoauth2) Next([]byte) ([]byte, error) {
	if m.answered {
		return nil, fmt.Errorf("%w: XOAUTH2 has answered the error", ErrUnexpectedChallenge)
	}
	m.answered = true
	return []byte{}, nil
}

// OAuthBearer returns the OAUTHBEARER mechanism (RFC 7628): the initial
// response is the GS2 header "n,a=USER," then "^Aauth=Bearer TOKEN^A^A".
// A challenge carries the server's JSON error (RFC 7628 section 3.2.2);
// it is answered once with a lone ^A, after which the server sends its
// final reply.
func OAuthBearer(user, token string) Mechanism { return &oauthBearer{user: user, token: token} }

type oauthBearer struct {
	user, token string
	answered    bool
}

func (*oauthBearer) Name() string { return "OAUTHBEARER" }

func (m *oauthBearer) Start() ([]byte, error) {
	if strings.ContainsAny(m.user+m.token, "\x01") {
		return nil, errors.New("session: OAUTHBEARER: user or token contains ^A")
	}
	// RFC 7628 section 3.1: the authzid is a saslname, "," and "=" escaped (RFC 5801).
	user := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(m.user)
	return []byte("n,a=" + user + ",\x01auth=Bearer " + m.token + "\x01\x01"), nil
}

func (m *oauthBearer) Next([]byte) ([]byte, error) {
	if m.answered {
		return nil, fmt.Errorf("%w: OAUTHBEARER has answered the error", ErrUnexpectedChallenge)
	}
	m.answered = true
	return []byte{0x01}, nil // RFC 7628 3.2.3: the dummy response
}

// Show is the initial response with the token taken out.
func (m *oauthBearer) Show(resp []byte) string {
	if len(resp) == 1 && resp[0] == 0x01 {
		return "^A (the dummy response after an error, RFC 7628 3.2.3)"
	}
	return "n,a=" + m.user + ",^Aauth=Bearer <redacted>^A^A"
}

// NewMechanism returns the mechanism for an advertised name, ignoring case:
// PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, XOAUTH2 or
// OAUTHBEARER (password is then the bearer token). The -PLUS variants of
// SCRAM need the TLS channel: NewMechanismBound.
func NewMechanism(name, user, password string) (Mechanism, error) {
	return NewMechanismBound(name, user, password, ChannelBinding{})
}

// NewMechanismBound is NewMechanism with the TLS channel binding that
// SCRAM's -PLUS variants use (cb.Type "" when there is none).
func NewMechanismBound(name, user, password string, cb ChannelBinding) (Mechanism, error) {
	switch upper := strings.ToUpper(name); {
	case upper == "PLAIN":
		return Plain("", user, password), nil
	case upper == "LOGIN":
		return Login(user, password), nil
	case upper == "CRAM-MD5":
		return CramMD5(user, password), nil
	case upper == "XOAUTH2":
		return XOAuth2(user, password), nil
	case upper == "OAUTHBEARER":
		return OAuthBearer(user, password), nil
	case IsSCRAM(upper):
		return SCRAM(upper, user, password, cb)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupportedMechanism, SanitizeString(clip(name, 40)))
}

// Speaks reports whether NewMechanism knows name, ignoring case, whether
// or not it could start now (a -PLUS variant needs a TLS channel).
func Speaks(name string) bool {
	switch strings.ToUpper(name) {
	case "PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER":
		return true
	}
	return IsSCRAM(name)
}

// Mechanisms is what NewMechanism speaks, for messages and help.
const Mechanisms = "PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256 (and their -PLUS), XOAUTH2 and OAUTHBEARER"

// IsToken reports a mechanism whose secret is an OAuth 2 bearer token,
// not a password.
func IsToken(name string) bool {
	u := strings.ToUpper(name)
	return u == "XOAUTH2" || u == "OAUTHBEARER"
}

// PreferredMechanism returns the strongest advertised mechanism this package
// implements with a password and no TLS channel binding: SCRAM-SHA-256,
// SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN, or "" if there is none. XOAUTH2
// and OAUTHBEARER need a token, not a password, so they are never chosen
// here; PreferredMechanismBound also chooses the -PLUS variants.
func PreferredMechanism(advertised []string) string {
	return PreferredMechanismBound(advertised, false)
}

// PreferredMechanismBound is PreferredMechanism that, when bound (a TLS
// channel binding is at hand), puts SCRAM-SHA-256-PLUS and
// SCRAM-SHA-1-PLUS first.
func PreferredMechanismBound(advertised []string, bound bool) string {
	order := []string{"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN"}
	if bound {
		order = append([]string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS"}, order...)
	}
	for _, want := range order {
		for _, m := range advertised {
			if strings.EqualFold(m, want) {
				return want
			}
		}
	}
	return ""
}

// AuthError is a final AUTH reply other than 235 (RFC 4954 section 6).
type AuthError struct {
	Reply Reply
}

// Error reports the reply, sanitized; it never holds what the client sent.
func (e *AuthError) Error() string {
	return "session: AUTH failed: " + summary(e.Reply)
}

// summary renders a reply on one sanitized line for error messages.
func summary(r Reply) string {
	s := fmt.Sprintf("%03d", r.Code)
	if !r.Enhanced.IsZero() {
		s += " " + r.Enhanced.String()
	}
	if text := strings.Join(r.Lines, " "); text != "" {
		s += " " + SanitizeString(clip(text, 200))
	}
	return s
}

// AuthFlow drives one AUTH exchange (RFC 4954 section 4): it makes the lines
// to send and, for each, the redacted form to show. Every line from the
// AUTH command until the final reply is secret; only the shown forms may
// reach the screen, history or files.
type AuthFlow struct {
	mech       Mechanism
	user       string
	held       []byte // initial response too long for the AUTH line
	rounds     int
	challenges []string
	started    bool
	cancelled  bool
	done       bool
	step       string // the last response decoded, secrets out (shower); "" when the mechanism shows none
}

// shower is a mechanism whose responses can be shown decoded with their
// secrets taken out: SCRAM's client messages without the proof,
// OAUTHBEARER's without the token.
type shower interface{ Show(resp []byte) string }

// completer is a mechanism that must agree with a 235 before it counts:
// SCRAM, which checks that the server proved it knows the password.
type completer interface{ Complete() error }

// Step returns the last response of the exchange decoded, with its
// secrets taken out (SCRAM's proof, a bearer token), for the explorer and
// the transcript's notes; "" when the mechanism has no such form, or the
// response was none.
func (f *AuthFlow) Step() string { return f.step }

// show records the decoded form of resp, when the mechanism has one.
func (f *AuthFlow) show(resp []byte) {
	f.step = ""
	if s, ok := f.mech.(shower); ok && resp != nil {
		f.step = s.Show(resp)
	}
}

// NewAuthFlow prepares an exchange with m. user is used only for display.
func NewAuthFlow(m Mechanism, user string) *AuthFlow {
	return &AuthFlow{mech: m, user: user}
}

// Start returns the AUTH command, e.g. "AUTH PLAIN AGFsaWNl...", and its
// shown form `AUTH PLAIN <redacted user="alice">`. A mechanism without
// initial response gives "AUTH LOGIN", shown as it is: nothing secret goes
// on that line, and the user name goes in a response. An empty initial response is sent as
// "=" (RFC 4954 section 4). When the initial response would make the line
// longer than MaxCommandLine, it is held back and sent in answer to the
// first (empty) challenge instead, as RFC 4954 section 4 requires.
func (f *AuthFlow) Start() (line, shown string, err error) {
	if f.started {
		return "", "", fmt.Errorf("%w: Start called twice", ErrAuthState)
	}
	f.started = true
	ir, err := f.mech.Start()
	if err != nil {
		f.done = true
		return "", "", err
	}
	f.show(ir)
	name := strings.ToUpper(f.mech.Name())
	line = "AUTH " + name
	if ir != nil {
		arg := base64.StdEncoding.EncodeToString(ir)
		if arg == "" {
			arg = "="
		}
		if len(line)+1+len(arg) <= MaxCommandLine {
			line += " " + arg
		} else {
			f.held = ir
		}
	}
	if err := ValidateLine(line); err != nil {
		f.done = true
		return "", "", err
	}
	if line == "AUTH "+name {
		return line, line, nil // nothing secret on the line: the user name goes in a response
	}
	return line, RedactedAuth(name, f.user), nil
}

// Next applies the server's reply to the exchange.
//
//   - 334: the challenge is base64-decoded and answered; line is the base64
//     response and shown is "<redacted>".
//   - 235: done, nil error.
//   - any other code: done, with an *AuthError holding the reply.
//
// When the challenge is not base64, the mechanism fails, or a sixth 334
// arrives (MaxAuthRounds), Next cancels the exchange: it returns line "*"
// and shown "*" with the error and done false. Send the "*" (RFC 4954
// section 4) and pass the server's reply, normally 501, to Next, which then
// reports done.
func (f *AuthFlow) Next(r Reply) (line, shown string, done bool, err error) {
	switch {
	case !f.started || f.done:
		return "", "", f.done, ErrAuthState
	case r.Code == 334 && f.cancelled:
		f.done = true
		return "", "", true, fmt.Errorf("%w after cancel", ErrUnexpectedChallenge)
	case r.Code == 334:
		return f.answer(r)
	case r.Code == 235:
		f.done = true
		if c, ok := f.mech.(completer); ok && !f.cancelled {
			return "", "", true, c.Complete()
		}
		return "", "", true, nil
	}
	f.done = true
	return "", "", true, &AuthError{Reply: r}
}

// answer handles one 334 challenge.
func (f *AuthFlow) answer(r Reply) (line, shown string, done bool, err error) {
	f.rounds++
	if f.rounds > MaxAuthRounds {
		return f.cancel(fmt.Errorf("%w: more than %d challenges", ErrTooManyRounds, MaxAuthRounds))
	}
	challenge, ok := decodeBase64(challengeText(r))
	if !ok {
		return f.cancel(ErrBadChallenge)
	}
	f.challenges = append(f.challenges, Sanitize(challenge))
	resp := f.held
	if resp != nil {
		f.held = nil
	} else if resp, err = f.mech.Next(challenge); err != nil {
		return f.cancel(err)
	}
	f.show(resp)
	return base64.StdEncoding.EncodeToString(resp), "<redacted>", false, nil
}

func (f *AuthFlow) cancel(err error) (line, shown string, done bool, _ error) {
	f.cancelled = true
	return "*", "*", false, err
}

// Challenges returns the decoded challenges so far, sanitized for display.
func (f *AuthFlow) Challenges() []string {
	return append([]string(nil), f.challenges...)
}

// challengeText is the base64 text of a 334 reply.
func challengeText(r Reply) string {
	var sb strings.Builder
	for _, l := range r.Lines {
		sb.WriteString(strings.TrimSpace(l))
	}
	return sb.String()
}

// DecodeChallenge decodes the base64 text of a 334 reply for display:
// "VXNlcm5hbWU6" gives "Username:". The result is sanitized. ok is false
// when text is not base64 (padded or not).
func DecodeChallenge(text string) (string, bool) {
	b, ok := decodeBase64(strings.TrimSpace(text))
	if !ok {
		return "", false
	}
	return Sanitize(b), true
}

func decodeBase64(s string) ([]byte, bool) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	b, err := base64.RawStdEncoding.DecodeString(s) // some servers drop the padding
	return b, err == nil
}

// RedactedAuth is the shown form of an AUTH command, for the screen,
// history and files:
//
//	AUTH PLAIN <redacted user="alice">
//	AUTH PLAIN <redacted>               (user "")
//
// mech and user are sanitized, and a double quote in user is shown as `\x22`.
func RedactedAuth(mech, user string) string {
	return redacted(SanitizeString(strings.ToUpper(mech)), displayUser(user))
}

// redacted builds the shown form from already sanitized parts.
func redacted(mech, user string) string {
	s := "AUTH"
	if mech != "" {
		s += " " + mech
	}
	if user == "" {
		return s + " <redacted>"
	}
	return s + ` <redacted user="` + user + `">`
}

// displayUser sanitizes a user name for the shown form; `\x22` for the
// quote keeps it lossless under Unescape.
func displayUser(user string) string {
	return strings.ReplaceAll(SanitizeString(user), `"`, `\x22`)
}

// SecretForms lists the forms in which the credential of line, a secret
// line of an AUTH exchange (the AUTH command with its initial response, or
// a response to a 334), might come back in a server's reply, so that they
// are hidden there too (SAFETY.md): each base64 word, padded and not; its
// decoding; and the secret inside that: PLAIN's password (RFC 4616: the
// field after the last NUL), the bearer token of XOAUTH2 or OAUTHBEARER
// (RFC 7628), CRAM-MD5's digest (RFC 2195), each with its own base64. A
// line that is not base64 (a placeholder's value) is its own form. user
// is shown on screen anyway, so it is not a secret: a LOGIN response that
// decodes to it is left out.
func SecretForms(line, user string) []string {
	words := strings.Fields(line)
	if Verb(line) == "AUTH" {
		words = words[min(2, len(words)):]
	} else if s := strings.TrimSpace(line); s != "" {
		words = []string{s}
	}
	var forms []string
	add := func(s string) {
		if s != "" && s != user && !slices.Contains(forms, s) {
			forms = append(forms, s)
		}
	}
	for _, w := range words {
		add(w)
		add(strings.TrimRight(w, "="))
		msg, ok := decodeBase64(w)
		if !ok {
			continue
		}
		if first, proof := scramMessage(string(msg)); first {
			continue // user name and nonce: nothing secret, and the nonce comes back in server-first
		} else if proof != "" {
			add(string(msg))
			add(proof)
			continue
		}
		add(string(msg))
		for _, s := range saslSecrets(msg) {
			add(s)
			add(base64.StdEncoding.EncodeToString([]byte(s)))
			add(base64.RawStdEncoding.EncodeToString([]byte(s)))
		}
	}
	return forms
}

// saslSecrets picks the secrets out of a decoded SASL response.
func saslSecrets(msg []byte) []string {
	s := string(msg)
	switch {
	case strings.Contains(s, "\x01"): // XOAUTH2 "user=U^Aauth=Bearer T^A^A", OAUTHBEARER "n,a=U,^Aauth=Bearer T^A^A"
		var out []string
		for _, kv := range strings.Split(s, "\x01") {
			if v, ok := strings.CutPrefix(kv, "auth="); ok {
				_, tok, _ := strings.Cut(v, " ")
				out = append(out, v, tok)
			}
		}
		return out
	case strings.Contains(s, "\x00"): // PLAIN: authzid NUL authcid NUL passwd
		return []string{s[strings.LastIndexByte(s, 0)+1:]}
	}
	if i := strings.LastIndexByte(s, ' '); i >= 0 && isHexDigest(s[i+1:]) { // CRAM-MD5: user SP digest
		return []string{s[i+1:]}
	}
	return []string{s} // LOGIN: the user name or the password itself
}

func isHexDigest(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// scramMessage recognises SCRAM's client messages (RFC 5802 section 7):
// client-first ("n,,n=user,r=nonce", with "y" or "p=TYPE" for the
// channel binding flag) holds no secret; client-final
// ("c=...,r=...,p=PROOF") holds the proof, which is returned.
func scramMessage(s string) (first bool, proof string) {
	if strings.ContainsAny(s, "\x00\x01") {
		return false, ""
	}
	if strings.HasPrefix(s, "c=") && strings.Contains(s, ",r=") {
		if i := strings.Index(s, ",p="); i >= 0 {
			return false, s[i+3:]
		}
	}
	gs2 := strings.HasPrefix(s, "n,") || strings.HasPrefix(s, "y,") || strings.HasPrefix(s, "p=")
	return gs2 && strings.Contains(s, ",n=") && strings.Contains(s, ",r=") && !strings.Contains(s, ",p="), ""
}

package lab

import (
	"io"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// session is one SMTP session on one endpoint. go-smtp makes a new one at the
// first EHLO and again after STARTTLS, which discards all earlier state
// (RFC 3207 section 4.2), so tls never changes during a session's life.
type session struct {
	lab  *Lab
	pol  policy
	tls  bool
	user string // set by a successful AUTH
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

// newSession starts a session on endpoint p for go-smtp's connection c.
func newSession(l *Lab, p policy, c *smtp.Conn) *session {
	_, isTLS := c.TLSConnectionState()
	return &session{lab: l, pol: p, tls: isTLS || p.implicitTLS}
}

// authReady reports whether AUTH may run now: like Gmail's 587, an endpoint
// with authNeedsTLS neither offers nor accepts AUTH before STARTTLS.
func (s *session) authReady() bool {
	return len(s.pol.mechs) > 0 && (s.tls || !s.pol.authNeedsTLS)
}

// AuthMechanisms implements smtp.AuthSession; go-smtp lists them in the EHLO
// reply's AUTH line, or leaves the line out when there are none.
func (s *session) AuthMechanisms() []string {
	if !s.authReady() {
		return nil
	}
	return s.pol.mechs
}

// Auth implements smtp.AuthSession.
func (s *session) Auth(mech string) (sasl.Server, error) {
	switch {
	case len(s.pol.mechs) == 0:
		return nil, errAuthDisabled()
	case !s.authReady():
		return nil, errMustStartTLS()
	case !slices.Contains(s.pol.mechs, mech):
		return nil, smtp.ErrAuthUnknownMechanism
	}
	switch mech {
	case mechPlain:
		return sasl.NewPlainServer(s.authPlain), nil
	case mechLogin:
		return &loginServer{authenticate: func(user, password string) error {
			return s.login(mech, user, checkPassword(user, password))
		}}, nil
	default:
		challenge := newCRAMChallenge(time.Now())
		return &cramServer{challenge: challenge, verify: func(user, digest string) error {
			return s.login(mech, user, checkCRAM(challenge, user, digest))
		}}, nil
	}
}

// authPlain checks a PLAIN response (RFC 4616): the authorization identity
// must be empty or the user itself.
func (s *session) authPlain(identity, user, password string) error {
	ok := (identity == "" || identity == user) && checkPassword(user, password)
	return s.login(mechPlain, user, ok)
}

// login records the outcome of an AUTH exchange.
func (s *session) login(mech, user string, ok bool) error {
	s.lab.logf("lab: %s: AUTH %s %q ok=%v", s.pol.name, mech, user, ok)
	if !ok {
		return errBadCredentials()
	}
	s.user = user
	return nil
}

// Mail implements smtp.Session.
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if len(s.pol.mechs) > 0 && s.user == "" {
		if !s.authReady() {
			return errMustStartTLS()
		}
		return errAuthRequired()
	}
	s.from = from
	return nil
}

// Rcpt implements smtp.Session.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.pol.localOnly && !isLocal(to) {
		return errRelayDenied(to)
	}
	s.to = append(s.to, to)
	return nil
}

// Data implements smtp.Session. go-smtp has already removed the dot-stuffing
// and enforces SIZE (RFC 1870) while we read.
func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.lab.deliver(Message{
		Endpoint: s.pol.name,
		From:     s.from,
		To:       slices.Clone(s.to),
		Data:     data,
		User:     s.user,
		Received: time.Now(),
	})
	return nil
}

// Reset implements smtp.Session; authentication survives RSET.
func (s *session) Reset() {
	s.from, s.to = "", nil
}

// Logout implements smtp.Session.
func (s *session) Logout() error { return nil }

// isLocal reports whether addr is in the lab's domain; domains are
// case-insensitive (RFC 5321 section 2.4).
func isLocal(addr string) bool {
	i := strings.LastIndexByte(addr, '@')
	return i >= 0 && strings.EqualFold(addr[i+1:], Domain)
}

// The replies below are the real-world ones the lab reproduces.

// errMustStartTLS is Gmail's answer to AUTH or MAIL before STARTTLS.
func errMustStartTLS() error {
	return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0},
		Message: "Must issue a STARTTLS command first."}
}

// errAuthRequired refuses MAIL before AUTH (RFC 4954 section 6).
func errAuthRequired() error {
	return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0},
		Message: "Authentication required"}
}

// errBadCredentials is Gmail's answer to a wrong user or password.
func errBadCredentials() error {
	return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
		Message: "Username and Password not accepted"}
}

// errAuthDisabled is Postfix's answer to AUTH where SASL is off.
func errAuthDisabled() error {
	return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1},
		Message: "Error: authentication not enabled"}
}

// errRelayDenied is Postfix's answer to a recipient it will not relay for.
func errRelayDenied(to string) error {
	return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: "<" + to + ">: Relay access denied"}
}

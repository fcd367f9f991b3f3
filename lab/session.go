package lab

import (
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// session is one SMTP session on one endpoint. go-smtp makes a new one at the
// first EHLO. STARTTLS is the tap's (tap.go), below go-smtp, so the session
// asks the tap whether TLS is on.
type session struct {
	lab    *Lab
	pol    policy
	tap    *tapConn // nil only in unit tests
	client string   // "localhost[127.0.0.1]", as Postfix names a client
	user   string   // set by a successful AUTH
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

// newSession starts a session on endpoint p for go-smtp's connection c.
func newSession(l *Lab, p policy, c *smtp.Conn) *session {
	s := &session{lab: l, pol: p, client: clientName(c)}
	if g, ok := c.Conn().(*greetConn); ok {
		s.tap = g.tap
	}
	return s
}

// tls reports whether the session runs inside TLS, implicit or STARTTLS.
func (s *session) tls() bool {
	return s.pol.implicitTLS || s.tap != nil && s.tap.Secure()
}

// clientName names the client as Postfix does in its replies,
// name[address]; the lab's clients are on loopback, so "localhost".
func clientName(c *smtp.Conn) string {
	host := "unknown"
	if a := c.Conn().RemoteAddr(); a != nil {
		if h, _, err := net.SplitHostPort(a.String()); err == nil {
			host = h
		}
	}
	return "localhost[" + host + "]"
}

// authReady reports whether AUTH may run now: like Gmail's 587, an endpoint
// with authNeedsTLS neither offers nor accepts AUTH before STARTTLS.
func (s *session) authReady() bool {
	return len(s.pol.mechs) > 0 && (s.tls() || !s.pol.authNeedsTLS)
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
		return nil, s.pol.words.authRefused()
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
		return s.pol.words.badCredentials()
	}
	s.user = user
	return nil
}

// Mail implements smtp.Session.
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	switch {
	case s.pol.mail == gateTLS && !s.tls():
		return errMustStartTLS()
	case s.pol.mail == gateAuth && s.user == "" && !s.authReady():
		return errMustStartTLS()
	case s.pol.mail == gateAuth && s.user == "":
		return errAuthRequired()
	}
	if err := s.lab.spfRefusal(s.pol, from, s.client); err != nil {
		return err
	}
	s.from = from
	return nil
}

// Rcpt implements smtp.Session.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case s.pol.rcptNeedsAuth && s.user == "":
		return errClientRejected(s.client)
	case s.pol.localOnly && s.user == "" && !isLocal(to):
		return s.pol.words.relayDenied(to)
	}
	if err, ok := s.byAddress(to); ok {
		return err
	}
	switch {
	case s.pol.mailboxes && isLocal(to) && !isMailbox(to):
		return s.pol.words.unknownUser(to)
	case s.pol.greylist && !s.greylisted(to):
		return errGreylisted(to, s.pol.domain())
	}
	s.to = append(s.to, to)
	return nil
}

// greylisted reports whether the triplet passes the greylist; a pass after
// a refusal is noted in the log, for the client tester.
func (s *session) greylisted(to string) bool {
	ok, waited := s.lab.grey.pass(s.client, s.from, to)
	if ok && s.tap != nil {
		s.tap.log.note(fmt.Sprintf("verdict: PASS: the client retried <%s> → <%s> %s after it was greylisted, and passed", s.from, to, waited.Round(time.Second)))
	}
	return ok
}

// byAddress is the reply a recipient's local part asks for, on every
// endpoint: "451@…" gets 451 (any code from 400 to 599), "greylist@…" is
// greylisted at its first try, "slow@…" is answered SlowDelay late.
func (s *session) byAddress(to string) (error, bool) {
	local, _, _ := strings.Cut(to, "@")
	switch strings.ToLower(local) {
	case "greylist":
		if !s.greylisted(to) {
			return errGreylisted(to, s.pol.domain()), true
		}
		return nil, false
	case "slow":
		time.Sleep(SlowDelay)
		return nil, false
	}
	if code, err := strconv.Atoi(local); err == nil && len(local) == 3 && code >= 400 && code <= 599 {
		return errByCode(code, to, s.pol.domain()), true
	}
	return nil, false
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

// isMailbox reports whether the local part of a local addr is one of the
// lab's mailboxes. Local parts are compared without case, as most servers
// do (RFC 5321 section 2.4 allows it).
func isMailbox(addr string) bool {
	local := addr[:strings.LastIndexByte(addr, '@')]
	return slices.ContainsFunc(mailboxNames, func(m string) bool { return strings.EqualFold(m, local) })
}

// Package client drives SMTP sessions for the non-interactive commands
// (probe, and later doctor and send): it pairs a wire connection, which
// moves bytes, with package session, which knows what they mean.
//
// The TUI does not use Client: it keeps session.State in its model and runs
// each exchange as a command, so that state changes only in Update.
package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// DefaultHelo is the name sent in EHLO when none is given.
const DefaultHelo = "ehlo.localhost"

// Options are the connection settings shared by every command.
type Options struct {
	ImplicitTLS bool // speak TLS at once (port 465 implies it)
	Plain       bool // never implicit TLS, even on port 465
	NoStartTLS  bool // do not upgrade with STARTTLS
	Insecure    bool // go on when the certificate does not verify
	// Check judges the server's certificate chain besides WebPKI, such as
	// DANE for an MX (RFC 7672): a chain it accepts completes the
	// handshake whatever WebPKI says; nil for none.
	Check      *wire.ChainCheck
	RootCAs    *x509.CertPool // nil: the system roots
	ServerName string         // SNI and the name to verify; "" means the target's host
	// SNI is sent instead of ServerName, which WebPKI still checks: the
	// TLSA base domain of a CNAME'd MX host (RFC 7672 8.1); "" means
	// ServerName.
	SNI     string
	Helo    string        // EHLO argument; "" means DefaultHelo
	Timeout time.Duration // per exchange; 0 means wire's default
	// GreetingWait is how long a plaintext connection may stay silent
	// before implicit TLS is tried too, on a second connection
	// (GreetOrTLS); 0 means DefaultGreetingWait, below 0 never.
	GreetingWait time.Duration
	// MinTLS is the lowest TLS version offered (tls.VersionTLS10 to
	// tls.VersionTLS13); 0 means TLS 1.2. Below it the session is weak.
	MinTLS uint16
	// DataTimeout is the wait for the reply to the final "." (or the last
	// BDAT chunk); 0 means DefaultDataTimeout.
	DataTimeout time.Duration
	// Transport is where the bytes go: -4/-6, --local-address, --proxy,
	// --proxy-protocol, --pipe (a target "unix:/path" is a unix socket).
	Transport wire.Transport
	// LMTP speaks LMTP (RFC 2033): LHLO, and one reply per recipient
	// after the message.
	LMTP bool
	// TLS are the other TLS settings (--tls-max, --ciphers, --curves,
	// --alpn, --cert, SSLKEYLOGFILE); see tls.go.
	TLS TLSSettings
	// Certs, when set, reuses certificate verdicts and descriptions
	// between connections (wire.CertCache), as a fleet does; nil: none.
	Certs *wire.CertCache
}

// ParseTLSVersion reads a TLS version as --tls-min gives it, "1.0" to
// "1.3", into tls.VersionTLS10 to tls.VersionTLS13.
func ParseTLSVersion(s string) (uint16, bool) {
	switch s {
	case "1.0":
		return tls.VersionTLS10, true
	case "1.1":
		return tls.VersionTLS11, true
	case "1.2":
		return tls.VersionTLS12, true
	case "1.3":
		return tls.VersionTLS13, true
	}
	return 0, false
}

// TLSVersionNumber is ParseTLSVersion's inverse: "1.2" for
// tls.VersionTLS12, "" for a version it does not read.
func TLSVersionNumber(v uint16) string {
	for _, s := range []string{"1.0", "1.1", "1.2", "1.3"} {
		if w, _ := ParseTLSVersion(s); w == v {
			return s
		}
	}
	return ""
}

// DefaultDataTimeout is how long the reply to a message's final "." may
// take: RFC 5321 section 4.5.3.2.6 asks a client to wait 10 minutes, for
// the server may check the message before it answers.
const DefaultDataTimeout = 10 * time.Minute

// DataWait is how long the reply to the final "." may take: DataTimeout,
// else DefaultDataTimeout.
func (o Options) DataWait() time.Duration {
	if o.DataTimeout > 0 {
		return o.DataTimeout
	}
	return DefaultDataTimeout
}

// LoadCA reads a PEM file of CA certificates (--ca) into a pool; its
// errors are FileErrors.
func LoadCA(file string) (*x509.CertPool, error) {
	pem, err := readPEMFile("--ca", file) // at most 1 MiB: a reading of /dev/zero ends
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, FileErr("--ca", file, errors.New("holds no PEM certificate (a -----BEGIN CERTIFICATE----- block)"))
	}
	return pool, nil
}

// timeout is the deadline of one exchange, as wire applies it.
func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return 5 * time.Minute
}

func (o Options) helo() string {
	if o.Helo == "" {
		return DefaultHelo
	}
	return o.Helo
}

// Wire turns the options into wire's, recording into t.
func (o Options) Wire(t *wire.Transcript) wire.Options {
	mode := wire.ModeAuto
	switch {
	case o.ImplicitTLS:
		mode = wire.ModeImplicitTLS
	case o.Plain:
		mode = wire.ModePlain
	}
	var dial time.Duration // wire's default, 30 s
	if o.Timeout > 0 && o.Timeout < 30*time.Second {
		dial = o.Timeout // a connect is an exchange too: --timeout 2s gives up on a dead host after 2 s
	}
	return wire.Options{
		Mode:        mode,
		Timeout:     o.Timeout,
		DialTimeout: dial,
		ServerName:  o.ServerName,
		SNI:         o.SNI,
		Check:       o.Check,
		Certs:       o.Certs,
		RootCAs:     o.RootCAs,
		Insecure:    o.Insecure,
		MinVersion:  o.MinTLS,
		TLS:         o.TLS.Wire,
		Transcript:  t,
		Transport:   o.Transport,
	}
}

// Steps of a session, named in a StepError.
const (
	StepConnect  = "connect"
	StepGreeting = "greeting"
	StepHello    = "EHLO"
	StepStartTLS = "STARTTLS"
	StepAuth     = "AUTH"
	StepDataEnd  = "end of data"
)

// StepError says which step of a session failed.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, e.Step+" ") { // "AUTH refused: ...", not "AUTH: AUTH refused: ..."
		return msg
	}
	return e.Step + ": " + msg
}
func (e *StepError) Unwrap() error { return e.Err }

// UnansweredError reports that a message's final "." (or its last BDAT
// chunk) went out and no reply came back (a timeout, a cancel, a closed
// connection): the server may have taken the message all the same (RFC
// 1047), so sending it again may deliver it twice. Its text says so,
// wherever it is printed.
type UnansweredError struct {
	Err    error
	What   string        // what went unanswered; "" is the final "."
	Within time.Duration // the wait it was given, when that ran out; 0 for another cause
}

func (e *UnansweredError) Error() string {
	why := "no reply to " + e.what() + ": " + e.Err.Error()
	if e.Within > 0 {
		why = fmt.Sprintf("no reply to %s within %v", e.what(), e.Within)
	}
	return why + "; the message may still be delivered, so sending it again may duplicate it"
}

func (e *UnansweredError) what() string {
	if e.What == "" {
		return `the final "."`
	}
	return e.What
}

// lastChunk is what an UnansweredError after BDAT says went unanswered.
const lastChunk = "the last BDAT chunk"

func (e *UnansweredError) Unwrap() error { return e.Err }

// unanswered is the error of a wait for the reply to what ended a
// message, the final "." or (what) the last BDAT chunk: an
// UnansweredError, unless a reply came and broke SMTP's rules (a
// session.MixedCodesError, ErrMalformedReply), which is that protocol
// error; Explain says then that the message's fate is unknown. wait is the
// time the wait had, said when it ran out.
func unanswered(err error, what string, wait time.Duration) error {
	if errors.Is(err, session.ErrMalformedReply) {
		return err
	}
	ue := &UnansweredError{Err: err, What: what}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		ue.Within = wait
	}
	return ue
}

// Client is one SMTP session: a connection and the state it has reached.
type Client struct {
	conn   *wire.Conn
	state  session.State
	opts   Options
	target string
	// greetedAt is when Greeting had the greeting (or failed to).
	greetedAt time.Time
}

// Dial connects to target and returns a client that has not yet read the
// greeting.
func Dial(ctx context.Context, target string, opts Options, t *wire.Transcript) (*Client, error) {
	conn, err := wire.Dial(ctx, target, opts.Wire(t))
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn, opts: opts, target: target}, nil
}

// Conn is the underlying connection.
func (c *Client) Conn() *wire.Conn { return c.conn }

// State is the session state reached so far.
func (c *Client) State() session.State { return c.state }

// Close closes the connection without QUIT.
func (c *Client) Close() error { return c.conn.Close() }

// read reads one reply while others may be due: pipelined replies. A reply
// whose lines carry different codes is an error (session.MixedCodesError);
// wire noted it in the transcript.
func (c *Client) read(ctx context.Context) (session.Reply, error) {
	raw, err := c.conn.ReadReply(ctx)
	if err != nil {
		return session.Reply{}, err
	}
	return session.ParseReply(raw.Lines)
}

// last reads the reply to the only command awaiting one, and checks that
// nothing came after it (wire.Conn.CheckIdle): a reply then answers nothing
// the client sent, so the session is out of step. On a desync the reply
// read is returned with the error, to be shown, never acted on.
func (c *Client) last(ctx context.Context) (session.Reply, error) {
	r, err := c.read(ctx)
	if err != nil {
		return r, err
	}
	return r, c.conn.CheckIdle(ctx)
}

// readFinal reads the reply that says what became of a message, to its
// final "." or (what) to its last BDAT chunk, under an absolute deadline of
// Options.DataWait (RFC 5321 4.5.3.2.6) that ctx may shorten. No reply is
// an *UnansweredError (see unanswered), which says how long it waited when
// that deadline ran out.
func (c *Client) readFinal(ctx context.Context, what string) (session.Reply, error) {
	wait := c.opts.DataWait()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	r, err := c.read(ctx)
	if err != nil {
		return r, unanswered(err, what, wait)
	}
	return r, nil
}

// Greeting reads the server's opening reply (RFC 5321 3.1). A plaintext
// connection that stays silent has implicit TLS tried meanwhile
// (GreetOrTLS): if that answers, the error is a *TLSFirstError; if it does
// not either, a *TLSTriedError wraps the plaintext failure. Bytes after the
// greeting, before any command, are a desync (wire.DesyncError).
func (c *Client) Greeting(ctx context.Context) (session.Reply, error) {
	r, err := c.greeting(ctx)
	c.greetedAt = time.Now() // before the wait after a PROXY header, which is no part of the greeting's time
	if err == nil {
		err = c.afterHeader(ctx)
	}
	return r, c.headerRefused(err)
}

func (c *Client) greeting(ctx context.Context) (session.Reply, error) {
	g := c.GreetOrTLS(ctx, false, nil)
	var old *OldTLSFirstError
	switch {
	case g.Err == nil || g.TLS == nil || errors.As(g.Err, &old):
		return g.Reply, g.Err
	case g.TLS.Greeted():
		return g.Reply, &TLSFirstError{Silent: g.Silent, Greeting: g.TLS.Greeting, TLS: g.TLS.TLS}
	case errors.Is(g.Err, context.Canceled):
		return g.Reply, g.Err
	}
	return g.Reply, &TLSTriedError{Err: g.Err, TLSErr: g.TLS.Err}
}

// Do sends one command line and reads its reply. A negative reply is not an
// error: it is returned for the caller to show. A reply with mixed codes
// (session.MixedCodesError) is an error, and so are bytes that came before
// the command went out or after its reply (wire.DesyncError): then the
// server is out of step and nothing more should be sent. After STARTTLS's
// 220, wire.Conn.StartTLS makes that check itself, as an injection check.
func (c *Client) Do(ctx context.Context, line string) (session.Reply, error) {
	if err := session.ValidateLine(line); err != nil {
		return session.Reply{}, err
	}
	c.state = c.state.Sent(line)
	raw, err := c.conn.Exchange(ctx, line)
	r, err := c.answer(ctx, raw, err, session.Verb(line) == "STARTTLS")
	if err != nil {
		return r, fmt.Errorf("%s: %w", session.Verb(line), err)
	}
	c.state = c.state.Received(r)
	return r, nil
}

// DoBare sends line ended by a bare LF instead of CRLF, which RFC 5321
// section 2.3.8 forbids, and reads the reply: how a server treats a bare
// LF (since the 2023 SMTP smuggling fixes, many refuse it and close).
func (c *Client) DoBare(ctx context.Context, line string) (session.Reply, error) {
	if err := session.ValidateLine(line); err != nil {
		return session.Reply{}, err
	}
	c.state = c.state.Sent(line)
	if err := c.conn.WriteRaw(ctx, []byte(line+"\n")); err != nil {
		return session.Reply{}, fmt.Errorf("%s: %w", session.Verb(line), err)
	}
	raw, err := c.conn.ReadReply(ctx)
	r, err := c.answer(ctx, raw, err, false)
	if err != nil {
		return r, fmt.Errorf("%s: %w", session.Verb(line), err)
	}
	c.state = c.state.Received(r)
	return r, nil
}

// answer parses the reply an exchange got and checks that nothing came
// after it; after STARTTLS's 220 (starttls) wire.Conn.StartTLS checks.
func (c *Client) answer(ctx context.Context, raw wire.Reply, err error, starttls bool) (session.Reply, error) {
	if err != nil {
		return session.Reply{}, err
	}
	r, err := session.ParseReply(raw.Lines)
	if err == nil && !(starttls && r.Code == 220) {
		err = c.conn.CheckIdle(ctx)
	}
	return r, err
}

// Hello sends EHLO, and HELO when the server does not know EHLO
// (RFC 5321 3.2). helo reports which was accepted.
func (c *Client) Hello(ctx context.Context) (r session.Reply, helo bool, err error) {
	if c.opts.LMTP { // LMTP has LHLO only (RFC 2033 section 4.1)
		line, err := session.Lhlo(c.opts.helo())
		if err != nil {
			return r, false, err
		}
		r, err = c.Do(ctx, line)
		return r, false, err
	}
	line, err := session.Ehlo(c.opts.helo())
	if err != nil {
		return r, false, err
	}
	r, err = c.Do(ctx, line)
	if err != nil || r.Class() != session.ClassPermanent {
		return r, false, err
	}
	line, err = session.Helo(c.opts.helo())
	if err != nil {
		return r, false, err
	}
	r, err = c.Do(ctx, line)
	return r, true, err
}

// ErrNoUpgrade reports a STARTTLS that the server declined.
var ErrNoUpgrade = errors.New("the server declined STARTTLS")

// StartTLS sends STARTTLS and, on 220, upgrades the connection. Any other
// reply upgrades nothing and returns ErrNoUpgrade with the reply
// (SAFETY.md: a 454, 502 or nonsense 3xx leaves the link in plaintext).
func (c *Client) StartTLS(ctx context.Context) (session.Reply, wire.TLSInfo, error) {
	r, err := c.Do(ctx, "STARTTLS")
	if err != nil {
		return r, wire.TLSInfo{}, err
	}
	if r.Code != 220 {
		return r, wire.TLSInfo{}, fmt.Errorf("%w: %d %s", ErrNoUpgrade, r.Code, session.SanitizeString(r.Text()))
	}
	info, err := c.conn.StartTLS(ctx)
	if err != nil {
		return r, info, fmt.Errorf("STARTTLS: %w", err)
	}
	c.state = c.state.TLSStarted()
	return r, info, nil
}

// Quit sends QUIT and closes the connection; errors are ignored because
// the session's work is already done.
func (c *Client) Quit(ctx context.Context) {
	_, _ = c.Do(ctx, "QUIT")
	_ = c.conn.Close()
}

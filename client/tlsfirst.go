package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// This file notices a port that speaks TLS first (implicit TLS, RFC 8314
// section 3.3) when it was asked for in plaintext: such a port says nothing
// until the client's ClientHello, so a plaintext client would wait out its
// whole timeout. Every command and the explorer use it.

// DefaultGreetingWait is how long a plaintext connection may stay silent
// before implicit TLS is tried as well, on a second connection.
const DefaultGreetingWait = 5 * time.Second

// TLSAnswer is what trying implicit TLS on a second connection found.
type TLSAnswer struct {
	Client     *Client       // the connection, open, when it greeted and was kept; else nil
	Greeting   session.Reply // the greeting inside TLS
	TLS        wire.TLSInfo  // the handshake: verification computed, never fatal
	Dial       time.Duration // connect and handshake
	Took       time.Duration // handshake to greeting
	Transcript *wire.Transcript
	Err        error // why TLS did not answer with a greeting
}

// Greeted reports whether the server answered the handshake and greeted
// inside TLS.
func (a TLSAnswer) Greeted() bool { return a.Err == nil }

// TryImplicitTLS dials target with implicit TLS and reads the greeting,
// with opts but a certificate that does not verify still counts as an
// answer (TLS says whether it verified). The connection is closed unless
// keep and it greeted.
func TryImplicitTLS(ctx context.Context, target string, opts Options, keep bool) TLSAnswer {
	opts.ImplicitTLS, opts.Plain, opts.Insecure = true, false, true
	a := TLSAnswer{Transcript: wire.NewTranscript()}
	start := time.Now()
	c, err := Dial(ctx, target, opts, a.Transcript)
	a.Dial = time.Since(start)
	if err != nil {
		a.Err = err
		return a
	}
	a.TLS, _ = c.Conn().TLS()
	start = time.Now()
	a.Greeting, a.Err = c.Greeting(ctx)
	a.Took = time.Since(start)
	if a.Greeted() && keep {
		a.Client = c
	} else {
		c.Close()
	}
	return a
}

// GreetResult is a plaintext greeting, and the implicit-TLS attempt made
// meanwhile when the connection stayed silent.
type GreetResult struct {
	Reply  session.Reply
	Err    error
	Took   time.Duration // from the start of the wait to the greeting, or the failure
	Silent time.Duration // the silence after which implicit TLS was tried; 0 when it was not
	TLS    *TLSAnswer    // the attempt, when one was made
}

// GreetOrTLS reads the greeting of a plaintext connection (RFC 5321
// section 3.1) under one absolute deadline, Options.Timeout from now. When
// nothing arrives within Options.GreetingWait (at most half that time), it
// tries implicit TLS on a second connection (TryImplicitTLS) while the
// first keeps waiting, and returns as soon as either greets; a plaintext
// greeting wins a tie. tell, unless nil, hears in words that TLS is being
// tried. keep keeps a TLS connection that greeted open, in TLS.Client.
// Nothing more than the read happens while the greeting comes in time: no
// goroutine, no second connection.
func (c *Client) GreetOrTLS(ctx context.Context, keep bool, tell func(string)) GreetResult {
	start := time.Now()
	wait := c.greetingWait()
	if _, inTLS := c.conn.TLS(); inTLS || wait <= 0 {
		r, err := c.last(ctx)
		return c.greeted(GreetResult{Reply: r, Err: err, Took: time.Since(start)})
	}
	limit := c.opts.timeout()
	dctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	wctx, stopWait := context.WithTimeout(dctx, wait)
	err := c.conn.WaitRead(wctx)
	stopWait()
	if !errors.Is(err, context.DeadlineExceeded) || dctx.Err() != nil { // bytes came, the stream failed, or ctx ended
		r, err := c.last(dctx)
		return c.greeted(GreetResult{Reply: r, Err: greetingDeadline(ctx, err, limit), Took: time.Since(start)})
	}
	msg := fmt.Sprintf("no greeting within %s in plaintext; trying implicit TLS on a second connection meanwhile", session.Millis(wait))
	c.conn.Note(msg)
	if tell != nil {
		tell(msg)
	}
	g := c.race(dctx, keep)
	g.Err, g.Took, g.Silent = greetingDeadline(ctx, g.Err, limit), time.Since(start), wait
	if ve := oldTLS(g.TLS.Err); ve != nil && errors.Is(g.Err, context.Canceled) && ctx.Err() == nil {
		g.Err = &OldTLSFirstError{Silent: wait, Err: ve}
	}
	return c.greeted(g)
}

// oldTLS is the version error of an implicit-TLS attempt that a server
// speaking only TLS 1.0 or 1.1 refused, or nil.
func oldTLS(err error) *wire.VersionError {
	var ve *wire.VersionError
	if errors.As(err, &ve) {
		return ve
	}
	return nil
}

// race reads the plaintext greeting while TryImplicitTLS runs on a second
// connection; whichever greets first stops the other.
func (c *Client) race(ctx context.Context, keep bool) GreetResult {
	pctx, stopPlain := context.WithCancel(ctx)
	defer stopPlain()
	tctx, stopTLS := context.WithCancel(ctx)
	defer stopTLS()
	answer := make(chan TLSAnswer, 1)
	go func() {
		a := TryImplicitTLS(tctx, c.target, c.opts, keep)
		if a.Greeted() || oldTLS(a.Err) != nil { // either way the port speaks TLS first: the plaintext wait is over
			stopPlain()
		}
		answer <- a
	}()
	r, err := c.last(pctx)
	if err == nil {
		stopTLS()
	}
	a := <-answer
	g := GreetResult{Reply: r, Err: err, TLS: &a}
	switch {
	case err == nil && a.Client != nil:
		a.Client.Close() // both greeted: the mode asked for wins
		g.TLS.Client = nil
	case err == nil:
		c.conn.Note("the plaintext greeting came; implicit TLS no longer needed")
	case a.Greeted():
		c.conn.Note(fmt.Sprintf("implicit TLS answered on the second connection: %s; greeting %q", tlsWords(a.TLS), oneLine(a.Greeting)))
	case !errors.Is(a.Err, context.Canceled):
		c.conn.Note("implicit TLS did not answer either: " + tlsAttemptWords(a.Err))
	}
	return g
}

// greeted moves the session past a plaintext greeting that came.
func (c *Client) greeted(g GreetResult) GreetResult {
	if g.Err == nil {
		c.state = c.state.Greeting(g.Reply)
	}
	return g
}

// greetingDeadline turns the passing of the greeting's own deadline, limit after
// its start, into the TimeoutError wire gives for its own deadlines; an
// end of ctx itself passes unchanged.
func greetingDeadline(ctx context.Context, err error, limit time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return &wire.TimeoutError{Op: "read reply", After: limit}
	}
	return err
}

// greetingWait is the silence after which implicit TLS is tried too: at
// most half the timeout, so that it has time to answer.
func (c *Client) greetingWait() time.Duration {
	wait := c.opts.GreetingWait
	if c.opts.Transport.Pipe != "" {
		return 0 // a second connection would be a second program
	}
	if wait == 0 {
		wait = DefaultGreetingWait
	}
	return min(wait, c.opts.timeout()/2)
}

// tlsWords describes a handshake in a few words: version and verdict.
func tlsWords(info wire.TLSInfo) string {
	verdict := "certificate verified"
	if !info.Verified {
		verdict = "certificate NOT verified: " + ExplainVerify(info.VerifyError)
	}
	return info.Version + ", " + verdict
}

// TLSFirstError reports a port that speaks TLS first (implicit TLS, RFC
// 8314 section 3.3): in plaintext it sent no greeting within Silent, and on
// a second connection it answered a TLS handshake and greeted. The session
// asked for did not start; with implicit TLS it does.
type TLSFirstError struct {
	Silent   time.Duration
	Greeting session.Reply // the greeting inside TLS
	TLS      wire.TLSInfo
}

func (e *TLSFirstError) Error() string {
	return fmt.Sprintf("no greeting in plaintext within %s, but implicit TLS answered on a second connection (%s; greeting %q): this port speaks TLS first",
		session.Millis(e.Silent), tlsWords(e.TLS), session.SanitizeString(oneLine(e.Greeting)))
}

// OldTLSFirstError reports a port that speaks TLS first, but only a TLS
// older than the versions offered: in plaintext it sent no greeting within
// Silent, and on a second connection it answered the handshake with the
// alert protocol_version (or chose TLS 1.0 or 1.1). That answer ends the
// plaintext wait: the port will not greet in plaintext.
type OldTLSFirstError struct {
	Silent time.Duration
	Err    *wire.VersionError
}

func (e *OldTLSFirstError) Error() string {
	return fmt.Sprintf("no greeting in plaintext within %s, and implicit TLS on a second connection answered with an older TLS than offered: %v",
		session.Millis(e.Silent), e.Err)
}

// Unwrap returns the version error.
func (e *OldTLSFirstError) Unwrap() error { return e.Err }

// TLSTriedError reports a greeting that did not come in plaintext while
// implicit TLS, tried meanwhile, did not answer either.
type TLSTriedError struct {
	Err    error // the plaintext greeting's
	TLSErr error // the implicit-TLS attempt's
}

func (e *TLSTriedError) Error() string {
	return e.Err.Error() + "; implicit TLS, tried on a second connection, did not answer either: " + tlsAttemptWords(e.TLSErr)
}

// tlsAttemptWords says why the implicit-TLS attempt did not answer.
func tlsAttemptWords(err error) string {
	var plain *wire.PlaintextError
	switch {
	case errors.As(err, &plain):
		return "it answered the TLS ClientHello in plaintext (" + session.Sanitize(plain.Bytes) + ")"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "no TLS handshake and greeting before the deadline"
	}
	return Explain(err)
}

// Unwrap returns the plaintext greeting's error.
func (e *TLSTriedError) Unwrap() error { return e.Err }

package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ehlo-sh/ehlo/session"
)

// Auth runs one AUTH exchange (RFC 4954) with m. Every client line of it is
// written as a secret, so the transcript holds only the redacted form. A
// refusal comes back as the reply and a *session.AuthError.
func (c *Client) Auth(ctx context.Context, m session.Mechanism, user string) (session.Reply, error) {
	flow := session.NewAuthFlow(m, user)
	line, shown, err := flow.Start()
	if err != nil {
		return session.Reply{}, err
	}
	mech := strings.ToUpper(m.Name())
	if shown == line { // LOGIN, CRAM-MD5: the user name goes in a response
		c.conn.Note(AuthUserNote(mech, user)) // a note is data: sanitized where it is shown
	}
	// the state keeps who signs in, whatever the line shows
	c.state = c.state.Sent(session.RedactedAuth(mech, user))
	var cancel error // why we sent "*" (RFC 4954 4), if we did
	for {
		c.noteStep(mech, flow, line)
		r, err := c.secret(ctx, line, shown, session.SecretForms(line, user)...)
		if err != nil {
			return r, &StepError{Step: StepAuth, Err: err}
		}
		if r.Code == 334 && (session.IsSCRAM(mech) || mech == "OAUTHBEARER") {
			if text, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Join(r.Lines, ""))); err == nil {
				c.conn.Note(mech + " server decoded: " + string(text)) // a note is data: sanitized where it is shown
			}
		}
		var done bool
		line, shown, done, err = flow.Next(r)
		switch {
		case done:
			c.state = c.state.Received(r)
			if cancel != nil {
				err = cancel
			}
			if err == nil && session.IsSCRAM(mech) {
				c.conn.Note(mech + ": the server's signature is right: it knows the password (RFC 5802)")
			}
			return r, err
		case err != nil && line == "":
			return r, err
		case err != nil:
			cancel = err
		}
	}
}

// noteStep writes the decoded form of the line about to go, with its
// secrets taken out (session.AuthFlow.Step), as a note: SCRAM's client
// messages without the proof, OAUTHBEARER's without the token.
func (c *Client) noteStep(mech string, flow *session.AuthFlow, line string) {
	if step := flow.Step(); step != "" && line != "*" {
		c.conn.Note(mech + " decoded: " + step) // a note is data: sanitized where it is shown
	}
}

// ChannelBinding is the connection's TLS channel binding for SCRAM's
// -PLUS mechanisms (wire.Conn.ChannelBinding); Type "" in plaintext.
// Unoffered is set when the server's AUTH offers no -PLUS mechanism.
func (c *Client) ChannelBinding() session.ChannelBinding {
	typ, data, ok := c.conn.ChannelBinding()
	if !ok {
		return session.ChannelBinding{}
	}
	plus := slices.ContainsFunc(c.state.Caps.AuthMechanisms(), session.IsPlus)
	return session.ChannelBinding{Type: typ, Data: data, Unoffered: !plus}
}

// secret sends a secret line, shown as shown, and reads its reply: not
// when the server is out of step (wire.DesyncError), where the secret
// would answer another question than the one asked. The line and forms,
// the credential as the server might echo it, are hidden wherever they
// appear from now on (wire.Transcript.Hide).
func (c *Client) secret(ctx context.Context, line, shown string, forms ...string) (session.Reply, error) {
	raw, err := c.conn.ExchangeSecret(ctx, line, shown, forms...)
	return c.answer(ctx, raw, err, false)
}

// Data sends DATA and, on 354, the message from body, normalised to CRLF
// and dot-stuffed by session.DataWriter, then reads the final reply. The
// reply to the final "." may take long (RFC 5321 4.5.3.2.6 allows 10
// minutes): Options.DataWait bounds it, and ctx.
func (c *Client) Data(ctx context.Context, body io.Reader) (session.Reply, error) {
	r, err := c.Do(ctx, "DATA")
	if err != nil || r.Code != 354 {
		return r, err
	}
	dw := session.NewDataWriter(rawWriter{ctx: ctx, c: c})
	if _, err := io.Copy(dw, body); err != nil {
		return r, fmt.Errorf("DATA: %w", err)
	}
	if err := dw.Close(); err != nil {
		return r, fmt.Errorf("DATA: %w", err)
	}
	c.state = c.state.DataEnded()
	r, err = c.readFinal(ctx, "")
	if err != nil {
		return r, &StepError{Step: StepDataEnd, Err: err}
	}
	c.state = c.state.Received(r)
	if err := c.conn.CheckIdle(ctx); err != nil {
		return r, &StepError{Step: StepDataEnd, Err: err}
	}
	return r, nil
}

type rawWriter struct {
	ctx context.Context
	c   *Client
}

func (w rawWriter) Write(p []byte) (int, error) {
	if err := w.c.conn.WriteRaw(w.ctx, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// IsAuthRefused reports whether err is the server refusing credentials.
func IsAuthRefused(err error) bool {
	var a *session.AuthError
	return errors.As(err, &a)
}

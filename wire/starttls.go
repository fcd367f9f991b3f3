package wire

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"
)

// StartTLS performs the TLS handshake after the caller sent STARTTLS and read
// a 220 (RFC 3207 section 4); wire does not check the code.
//
// STARTTLS is a barrier: if any byte was received after the 220, it may be a
// response injection (CVE-2011-0411), so StartTLS returns an InjectionError
// without a handshake and the connection stays plaintext, to be closed. A
// server that answers the ClientHello in plaintext gives a PlaintextError,
// and what it said is recorded in the transcript; a certificate that fails
// verification gives a VerifyError unless Options.Insecure. After success,
// everything read and written travels in TLS and the caller must forget
// what it learnt in plaintext (RFC 3207 section 4.2).
func (c *Conn) StartTLS(ctx context.Context) (TLSInfo, error) {
	if _, ok := c.TLS(); ok {
		return TLSInfo{}, errors.New("wire: starttls: the connection already uses TLS")
	}
	if n := c.br.Buffered(); n > 0 {
		b, _ := c.br.Peek(n)
		err := c.t.redactErr(&InjectionError{Bytes: bytes.Clone(b)})
		c.Note(fmt.Sprintf("possible response injection: %d bytes after STARTTLS 220; TLS not started", n))
		return TLSInfo{}, err
	}
	return c.handshake(ctx, "starttls")
}

// handshake runs the TLS client handshake on the raw connection under one
// deadline, then switches reading, writing and recording to TLS.
func (c *Conn) handshake(ctx context.Context, name string) (TLSInfo, error) {
	o, err := c.begin(ctx, name)
	if err != nil {
		return TLSInfo{}, err
	}
	defer o.end()
	c.in.flush()
	c.out.flush()
	var verr error
	var facts handshakeFacts
	tap := &handshakeTap{Conn: c.raw}
	cc := &captureConn{Conn: tap}
	cfg := c.tlsConfig(&verr)
	c.applyTLS(cfg, &facts)
	tc := tls.Client(cc, cfg)
	start := time.Now()
	err = tc.HandshakeContext(ctx)
	took := time.Since(start)
	if err != nil {
		return TLSInfo{}, c.handshakeFailed(o, err, cc.got, took)
	}
	cs := tc.ConnectionState()
	info := c.describe(cs, verr)
	info.Handshake = took
	info.addDetails(cs, tap.stop(), facts, c.opts.TLS.KeyLog != nil)
	c.switchTo(tc, info)
	c.t.noteVerdict(info.summary(), true, verdictOf(verr))
	for _, note := range info.detailNotes() {
		c.Note(note)
	}
	if c.opts.TLS.Handshaked != nil {
		c.opts.TLS.Handshaked(info)
	}
	return info, nil
}

// tlsConfig verifies in VerifyConnection rather than letting crypto/tls do it,
// so that a failure is computed and reported even when Insecure lets the
// connection go on. The verification error is stored in *verr.
func (c *Conn) tlsConfig(verr *error) *tls.Config {
	return &tls.Config{
		ServerName:         c.sni(),
		InsecureSkipVerify: true, // verified below, always
		VerifyConnection: func(cs tls.ConnectionState) error {
			*verr = c.opts.Certs.verify(cs.PeerCertificates, c.name, c.opts.RootCAs)
			return c.judgeChain(cs, *verr)
		},
		MinVersion:   c.minVersion(),
		CipherSuites: cipherSuites(c.minVersion()),
		// A probe never resumes a session. Without tickets a server that
		// honours RFC 8446 section 4.2.9 sends none after a TLS 1.3 handshake,
		// and so cannot hold its first reply behind Nagle's algorithm waiting
		// for our delayed ACK: the 43 ms trap of shared/PERF-NOTES.md. OpenSSL
		// servers send tickets anyway; ackConn (ack_linux.go) covers them.
		SessionTicketsDisabled: true,
	}
}

// handshakeFailed explains a failed handshake and notes it.
func (c *Conn) handshakeFailed(o *op, err error, got []byte, took time.Duration) error {
	var rhe tls.RecordHeaderError
	var ve *VerifyError
	verdict := NoVerdict
	switch {
	case errors.As(err, &rhe) && len(got) > 0:
		err = &PlaintextError{Bytes: got, STARTTLS: o.name == "starttls"}
		if got[0] < 0x14 || got[0] > 0x17 { // not a TLS record: what the server said, for the transcript
			c.in.record(got)
			c.in.flush()
		}
	case errors.As(err, &rhe):
		err = &PlaintextError{Bytes: bytes.Clone(rhe.RecordHeader[:]), STARTTLS: o.name == "starttls"}
	case errors.As(err, &ve):
		ve.Info.Handshake = took
		verdict = verdictOf(ve.Info.VerifyError) // WebPKI's, even when a required check (DANE) stopped it
	default:
		if chosen, ok := refusedVersion(got, c.minVersion()); ok {
			err = &VersionError{Offered: offered(c.minVersion()), Chosen: versionName(chosen), Err: err}
		}
	}
	err = c.t.redactErr(o.fail(err))
	why := noteText(err)
	var pe *PlaintextError
	if errors.As(err, &pe) {
		// the bytes as they came, not %q-escaped: a note is data, escaped
		// once, where it is shown
		why = `the server answered in plaintext where TLS was expected: "` + quoteTail(pe.Bytes) + `"`
	}
	c.t.noteVerdict(fmt.Sprintf("TLS handshake failed after %v: %s", took.Round(time.Microsecond), why), false, verdict)
	return err
}

// switchTo makes tc the stream: the reader is reset onto it and what is
// recorded from now on is marked TLS, as net/smtp's StartTLS swaps its text
// connection.
func (c *Conn) switchTo(tc *tls.Conn, info TLSInfo) {
	c.in.startTLS()
	c.out.startTLS()
	c.br.Reset(tapReader{tc, c.in})
	c.w = tapWriter{tc, c.out}
	c.mu.Lock()
	c.tc, c.info = tc, info
	c.mu.Unlock()
}

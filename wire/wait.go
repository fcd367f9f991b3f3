package wire

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// WaitRead waits, under ctx and the connection's timeout, until the server
// has sent something, and consumes nothing: the next ReadReply gets every
// byte. A caller can so notice a silent server (no greeting: the sign of a
// port that speaks TLS first, RFC 8314 section 3.3) without cutting a reply
// in two; after a timeout the connection is as it was, and a read may
// follow. It returns as WaitReadable does, and a TimeoutError when its
// deadline passed first.
func (c *Conn) WaitRead(ctx context.Context) error {
	return c.waitData(ctx, "wait for data", c.opts.Timeout)
}

// WaitReadable waits until the server sends something or closes the
// connection, and consumes nothing: what came stays for ReadReply. It is
// for a caller none of whose commands awaits a reply, and who wants to see
// at once a server that speaks unasked: a 421 at its idle timeout (RFC 5321
// sections 3.8 and 4.5.3.2.7), a goodbye before a close, or a server out
// of step.
//
// Only ctx ends the wait: unlike WaitRead's, it has no deadline of its own,
// whatever Options.Timeout says. It returns nil when bytes wait to be read
// (the transcript has them; ReadReply frames them), a *ClosedError when the
// server closed the connection without a word, ctx's error, wrapped, when
// ctx ended first, and any other read error, wrapped. Bytes that arrived by
// the time ctx ended win over it: the wait then returns nil, so a caller
// that cancels it to write a command learns that the server spoke first.
// After a wait ended by ctx the connection is as it was, inside TLS too.
func (c *Conn) WaitReadable(ctx context.Context) error {
	return c.waitData(ctx, "wait", 0)
}

// waitData is WaitRead and WaitReadable: within is the time the wait has
// when ctx has no deadline, 0 for none.
func (c *Conn) waitData(ctx context.Context, name string, within time.Duration) error {
	if c.br.Buffered() > 0 {
		return nil
	}
	o, err := c.beginWithin(ctx, name, within)
	if err != nil {
		if c.spokeMeanwhile() {
			return nil
		}
		return err
	}
	_, err = c.br.Peek(1)
	o.end()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &ClosedError{Ended: pipeEnded(err)}
	case (o.ctxErr() != nil || errors.Is(err, os.ErrDeadlineExceeded)) && c.spokeMeanwhile():
		return nil
	}
	return o.fail(err)
}

// spokeMeanwhile reports whether bytes from the server wait, looking at the
// socket without waiting, under a deadline of its own: the ended wait's
// has passed.
func (c *Conn) spokeMeanwhile() bool {
	o, err := c.begin(context.Background(), "wait")
	if err != nil {
		return false
	}
	defer o.end()
	waiting, _ := c.peekNow()
	return waiting
}

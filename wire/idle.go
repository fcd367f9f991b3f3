package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"
)

// CheckIdle reports bytes from the server that arrived while no reply is
// due: call it when none of the caller's commands awaits a reply (after the
// greeting, after the reply to the last command sent). It does not wait:
// it looks at what the reader holds and what the socket holds at this
// instant, inside TLS through the TLS layer. Bytes there mean the server is
// out of step with the commands (RFC 5321 section 4.2: one reply per
// command, in order): it returns a *DesyncError holding them, leaves them
// unread and notes the desync in the transcript, which has recorded them. A
// server that closed the connection is not out of step: CheckIdle returns
// nil, and the next read reports the close.
//
// Exchange makes the same check before it writes its command. Without
// access to the socket (net.Pipe), only the reader's buffer is looked at.
func (c *Conn) CheckIdle(ctx context.Context) error {
	o, err := c.begin(ctx, "check idle")
	if err != nil {
		return err
	}
	defer o.end()
	return o.fail(c.idle())
}

// idle is CheckIdle inside an operation, whose deadline lets the socket be
// read.
func (c *Conn) idle() error {
	if waiting, err := c.peekNow(); !waiting {
		return err
	}
	b, _ := c.br.Peek(c.br.Buffered())
	c.Note(fmt.Sprintf("the server sent %d bytes while no reply was due: it is out of step with the commands", len(b)))
	return c.t.redactErr(&DesyncError{Bytes: bytes.Clone(b)})
}

// peekNow reports whether bytes from the server wait in the reader, after
// taking in, without waiting, what the socket holds. The end of the stream
// is not bytes: it reports false and no error, and the next read says the
// server closed.
func (c *Conn) peekNow() (bool, error) {
	if c.br.Buffered() > 0 {
		return true, nil
	}
	c.poll.now.Store(true)
	_, err := c.br.Peek(1)
	c.poll.now.Store(false)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errNotYet), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return false, nil
	}
	return false, err
}

// pollConn is the connection under the reader, in plaintext and under TLS.
// Its Read waits as a net.Conn's does, or, while now is set, returns at once
// what the socket holds, or errNotYet.
type pollConn struct {
	net.Conn
	rc  syscall.RawConn // nil without access to the socket: nothing is ever there at once
	now atomic.Bool
}

// newPollConn wraps nc.
func newPollConn(nc net.Conn) *pollConn {
	p := &pollConn{Conn: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		p.rc, _ = sc.SyscallConn()
	}
	return p
}

func (p *pollConn) Read(b []byte) (int, error) {
	if p.now.Load() {
		return readNow(p.rc, b)
	}
	return p.Conn.Read(b)
}

// errNotYet is what a read that must not wait returns when the socket
// holds nothing. It is temporary, as a timeout is, so crypto/tls keeps the
// connection usable after it.
var errNotYet error = notYet{}

type notYet struct{}

func (notYet) Error() string   { return "wire: nothing to read yet" }
func (notYet) Timeout() bool   { return true }
func (notYet) Temporary() bool { return true }

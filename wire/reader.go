package wire

import (
	"bytes"
	"context"
	"errors"
	"io"
)

// readBufSize is the size of the reader under the framing: modest, and the
// most a line may overshoot its limit in memory.
const readBufSize = 4096

// ReadReply reads one reply under one absolute deadline (RFC 5321 section
// 4.2): lines up to the first whose code is followed by SP or the end of the
// line. It does not look at what the codes mean; lines with different codes
// get FlagMixedCodes and a note in the transcript (RFC 5321 section 4.2.1).
// On error, the Reply holds what was framed before it. After a
// ProtocolError the next read starts after the bad line; after any other
// error the connection should be closed.
func (c *Conn) ReadReply(ctx context.Context) (Reply, error) {
	o, err := c.begin(ctx, "read reply")
	if err != nil {
		return Reply{}, err
	}
	defer o.end()
	r, err := c.readReply()
	return r, o.fail(err)
}

// readReply frames a reply and hides the secrets in what it hands out
// (Transcript.Hide).
func (c *Conn) readReply() (Reply, error) {
	r, err := c.frameReply()
	return c.t.redactReply(r), c.t.redactErr(err)
}

// frameReply frames lines into a reply within c's limits.
func (c *Conn) frameReply() (Reply, error) {
	var r Reply
	lim := c.opts.Limits
	for {
		start := len(r.Raw)
		var err error
		if r.Raw, err = c.readLine(r.Raw, lim); err != nil {
			return r, closed(r.Raw, err)
		}
		done, err := r.add(r.Raw[start:])
		if done && r.Flags&FlagMixedCodes != 0 {
			c.Note("protocol error: the lines of this reply carry different codes (" + r.codes() +
				"), which RFC 5321 section 4.2.1 forbids")
		}
		if err != nil || done {
			return r, err
		}
		if len(r.Lines) >= lim.MaxLines {
			return r, &LimitError{What: "lines", Limit: lim.MaxLines}
		}
	}
}

// readLine appends one line, up to and including its LF, to the reply in
// dst. It takes what the buffer holds up to the LF and stops as soon as the
// line would pass lim.MaxLine or the reply lim.MaxReply, so it never holds
// more than that: a server cannot make it read an unbounded line. On a
// LimitError dst ends with the bytes that fitted and the rest stays unread,
// so what was consumed is exactly what dst gained.
func (c *Conn) readLine(dst []byte, lim Limits) ([]byte, error) {
	start := len(dst)
	for {
		chunk, err := c.br.Peek(max(c.br.Buffered(), 1))
		if len(chunk) == 0 {
			return dst, err
		}
		if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
			chunk = chunk[:i+1]
		}
		var lerr error
		if room := lim.MaxLine - (len(dst) - start); len(chunk) > room {
			chunk, lerr = chunk[:room], &LimitError{What: "line", Limit: lim.MaxLine}
		}
		if room := lim.MaxReply - len(dst); len(chunk) > room {
			chunk, lerr = chunk[:room], &LimitError{What: "bytes", Limit: lim.MaxReply}
		}
		dst = append(dst, chunk...)
		_, _ = c.br.Discard(len(chunk))
		if lerr != nil || dst[len(dst)-1] == '\n' {
			return dst, lerr
		}
	}
}

// closed turns the end of the stream into a ClosedError holding the partial
// reply; other errors pass.
func closed(partial []byte, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &ClosedError{Partial: partial, Ended: pipeEnded(err)}
	}
	return err
}

// pipeEnded is the *PipeExitError in err, or nil.
func pipeEnded(err error) error {
	var pe *PipeExitError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

package lab

import (
	"bytes"
	"io"
	"net"
	"strconv"
)

// noPipeConn makes go-smtp a server without PIPELINING (RFC 2920), as
// aiosmtpd is: it takes PIPELINING and CHUNKING out of the EHLO reply, and
// it refuses a client that pipelines all the same, as Exim does where it
// does not offer PIPELINING: a command that arrives before the reply to the
// previous one gets "554 SMTP synchronization error", and the connection
// closes. Like Exim, it looks for such input twice: in what it reads, and
// on the socket before it writes a reply. go-smtp reads and writes from
// the connection's own goroutine, so the counts need no lock. It works on
// plaintext only.
type noPipeConn struct {
	net.Conn
	sock    net.Conn    // the accepted socket, looked at without reading
	held    func() bool // input read from sock and held below (tapConn.buffered)
	broken  bool        // the synchronization error went: nothing more is said or read
	written []byte      // the reply line being written, until its LF
	read    []byte      // the client line being read, until its LF
	replies int         // final reply lines written, the greeting included
	lines   int         // command lines read, each owed one reply
	inData  bool        // after a 354: message content until "."
	chunk   int         // BDAT octets still to come, which are no command
}

// Write implements net.Conn: it counts the replies and drops the
// capabilities the endpoint does not offer.
func (c *noPipeConn) Write(p []byte) (int, error) {
	if c.broken {
		return len(p), nil
	}
	c.written = append(c.written, p...)
	var out []byte
	for {
		i := bytes.IndexByte(c.written, '\n')
		if i < 0 {
			break
		}
		out = c.emit(out, c.written[:i+1])
		c.written = c.written[i+1:]
	}
	if len(out) > 0 && (c.held() || waiting(c.sock)) { // the client did not wait for this reply
		return len(p), c.refuse()
	}
	if len(out) > 0 {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// refuse sends the synchronization error; from then on the connection
// reads as closed.
func (c *noPipeConn) refuse() error {
	c.broken = true
	_, err := io.WriteString(c.Conn, syncError)
	return err
}

// emit appends one reply line to out, unless it offers what the endpoint
// does not; a dropped last line makes the line before it the last.
func (c *noPipeConn) emit(out, line []byte) []byte {
	if len(line) < 4 {
		return append(out, line...)
	}
	if kw := bytes.ToUpper(bytes.TrimRight(line[4:], "\r\n")); bytes.Equal(kw, []byte("PIPELINING")) || bytes.Equal(kw, []byte("CHUNKING")) {
		// go-smtp ends its EHLO reply with SIZE or LIMITS, never with
		// these; were it to, the line before would become the last
		if line[3] == ' ' && len(out) >= 4 {
			prev := bytes.LastIndexByte(out[:len(out)-1], '\n') + 1
			out[prev+3] = ' '
			c.final(out[prev:])
		}
		return out
	}
	if line[3] == ' ' {
		c.final(line)
	}
	return append(out, line...)
}

// final counts a reply; a 354 makes what the client sends next message
// content (RFC 5321 section 4.1.1.4).
func (c *noPipeConn) final(line []byte) {
	c.replies++
	c.inData = bytes.HasPrefix(line, []byte("354"))
}

// Read implements net.Conn: every command line must come after the reply
// to the one before it (the greeting, for the first).
func (c *noPipeConn) Read(p []byte) (int, error) {
	if c.broken {
		return 0, io.EOF
	}
	n, err := c.Conn.Read(p)
	if c.early(p[:n]) {
		_ = c.refuse()
		return 0, io.EOF
	}
	return n, err
}

// early reports whether b, what the client sent next, holds a command
// line sent before the reply to the previous command.
func (c *noPipeConn) early(b []byte) bool {
	for len(b) > 0 {
		if c.chunk > 0 {
			skip := min(c.chunk, len(b))
			c.chunk, b = c.chunk-skip, b[skip:]
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.read = append(c.read, b...)
			return false
		}
		line := append(c.read, b[:i+1]...)
		c.read, b = nil, b[i+1:]
		if c.inData && !bytes.Equal(line, []byte(".\r\n")) {
			continue
		}
		c.inData = false
		c.lines++
		if c.lines > c.replies {
			return true
		}
		c.chunk = bdatSize(line)
	}
	return false
}

// bdatSize is the chunk size of a BDAT command line (RFC 3030 section 2),
// or 0.
func bdatSize(line []byte) int {
	f := bytes.Fields(line)
	if len(f) < 2 || !bytes.EqualFold(f[0], []byte("BDAT")) {
		return 0
	}
	n, err := strconv.Atoi(string(f[1]))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

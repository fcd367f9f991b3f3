package lab

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"regexp"
	"sync"
	"time"
)

// listener hands go-smtp its connections. Each one is tracked so that Close
// can cut it, wrapped in TLS on an implicit-TLS endpoint, and given the
// endpoint's own greeting.
type listener struct {
	net.Listener
	tls      *tls.Config // non-nil: implicit TLS (RFC 8314)
	greeting []byte      // the whole 220 line, CRLF included
	timeout  time.Duration
	// plainCodes takes the enhanced status codes out of every reply and
	// ENHANCEDSTATUSCODES out of EHLO's, under go-smtp, which always
	// sends them. It works on plaintext only: STARTTLS would wrap it.
	plainCodes bool
	// noPipelining takes PIPELINING and CHUNKING out of EHLO's reply and
	// refuses a client that pipelines anyway (noPipeConn); plaintext only.
	noPipelining bool

	ep      *endpoint
	openLog func(ConnInfo) (io.WriteCloser, error) // Config.OpenLog
	secrets bool                                   // Config.LogSecrets

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// newListener wraps inner; tlsConfig is non-nil for implicit TLS, and
// timeout bounds the time until go-smtp sets its own deadlines.
func newListener(inner net.Listener, tlsConfig *tls.Config, greeting string, timeout time.Duration) *listener {
	return &listener{
		Listener: inner,
		tls:      tlsConfig,
		greeting: []byte(greeting + "\r\n"),
		timeout:  timeout,
		conns:    make(map[net.Conn]struct{}),
	}
}

// Accept implements net.Listener.
func (l *listener) Accept() (net.Conn, error) {
	raw, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if !l.track(raw) {
		raw.Close()
		return nil, net.ErrClosed
	}
	// Bounds an implicit-TLS handshake, which go-smtp does not time;
	// go-smtp sets fresh deadlines before each of its reads and writes.
	raw.SetDeadline(time.Now().Add(l.timeout))
	var c net.Conn = &trackedConn{Conn: raw, l: l}
	if l.tls != nil {
		// Wrapped below greetConn, go-smtp sees no *tls.Conn: the session
		// learns about TLS from the tap instead, and the handshake
		// runs on the first write, the greeting.
		c = tls.Server(c, l.tls)
	}
	tap := newTap(c, l.ep, l.connLog(raw))
	c = tap
	if l.plainCodes {
		c = &plainCodesConn{Conn: c}
	}
	if l.noPipelining {
		c = &noPipeConn{Conn: c, sock: raw, held: tap.buffered}
	}
	return &greetConn{Conn: c, greeting: l.greeting, tap: tap}, nil
}

// connLog opens the connection's log, when the lab keeps them; a log that
// cannot be opened is said in the lab's debug log, and the session goes on.
func (l *listener) connLog(raw net.Conn) *connLog {
	if l.openLog == nil {
		return nil
	}
	info := ConnInfo{Endpoint: l.ep.pol.name, Remote: raw.RemoteAddr().String(), Start: time.Now()}
	w, err := l.openLog(info)
	if err != nil {
		l.ep.lab.logf("lab: %s: no log for %s: %v", info.Endpoint, info.Remote, err)
		return nil
	}
	return newConnLog(w, info, l.secrets)
}

// Close stops accepting and closes every connection still open. It may be
// called more than once.
func (l *listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	conns := l.conns
	l.conns = nil
	l.mu.Unlock()

	err := l.Listener.Close()
	for c := range conns {
		c.Close()
	}
	return err
}

// track records c, or reports false once the listener is closed.
func (l *listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

// untrack forgets c.
func (l *listener) untrack(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
}

// trackedConn forgets itself when closed.
type trackedConn struct {
	net.Conn
	l *listener
}

// Close implements net.Conn.
func (c *trackedConn) Close() error {
	c.l.untrack(c.Conn)
	return c.Conn.Close()
}

// greetConn replaces go-smtp's fixed "220 <domain> ESMTP Service Ready" with
// the endpoint's greeting; RFC 5321 section 4.3.1 leaves its text free.
// go-smtp writes the greeting first and in one Write, from the connection's
// own goroutine, which is the only one that writes.
type greetConn struct {
	net.Conn
	greeting []byte
	greeted  bool
	tap      *tapConn // the connection's tap, for the session
}

// Write implements net.Conn.
func (c *greetConn) Write(p []byte) (int, error) {
	if c.greeted || !bytes.HasPrefix(p, []byte("220 ")) {
		c.greeted = true
		return c.Conn.Write(p)
	}
	c.greeted = true
	if _, err := c.Conn.Write(c.greeting); err != nil {
		return 0, err
	}
	return len(p), nil
}

// plainCodesConn makes go-smtp answer like a server without
// ENHANCEDSTATUSCODES (RFC 2034): it drops that line from the EHLO reply
// and the enhanced code from the start of every reply line, "250 2.0.0 OK"
// becoming "250 OK". go-smtp writes whole lines, each from the
// connection's own goroutine; a line cut between writes waits for its end.
type plainCodesConn struct {
	net.Conn
	partial []byte
}

// Write implements net.Conn.
func (c *plainCodesConn) Write(p []byte) (int, error) {
	c.partial = append(c.partial, p...)
	var out []byte
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		out = append(out, plainLine(c.partial[:i+1])...)
		c.partial = c.partial[i+1:]
	}
	if len(out) > 0 {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// enhancedPrefix is a reply code, its separator and an enhanced code.
var enhancedPrefix = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([0-9]{3}[ -])[245]\.[0-9]{1,3}\.[0-9]{1,3} `)
}) // compiled by the lab, not at every start of every command

// plainLine is one reply line without its enhanced code, or nothing for
// EHLO's ENHANCEDSTATUSCODES line.
func plainLine(line []byte) []byte {
	if len(line) > 4 && line[3] == '-' && bytes.EqualFold(bytes.TrimRight(line[4:], "\r\n"), []byte("ENHANCEDSTATUSCODES")) {
		return nil
	}
	return enhancedPrefix().ReplaceAll(line, []byte("$1"))
}

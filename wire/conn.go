package wire

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"sync"
)

// Conn is a connection to an SMTP server. One goroutine at a time may run
// its operations; Close, Note and the accessors may be called from any.
type Conn struct {
	raw   net.Conn      // the socket, read through poll and, on Linux, an ackConn
	poll  *pollConn     // can read without waiting (CheckIdle)
	br    *bufio.Reader // reads the current stream through a tapReader
	w     tapWriter     // writes the current stream, recording what it writes
	in    *recorder     // bytes from the server
	out   *recorder     // bytes to the server
	t     *Transcript
	opts  Options
	name  string
	route Route // how the connection was made

	checked *CheckResult // what Options.Check said of the chain

	mu   sync.Mutex
	tc   *tls.Conn // nil while plaintext
	info TLSInfo
}

// NewConn wraps an established plaintext connection. opts.ServerName is the
// name TLS verifies; when empty, the host of nc.RemoteAddr.
func NewConn(nc net.Conn, opts Options) *Conn {
	opts = opts.withDefaults()
	poll := newPollConn(nc)
	raw := withQuickACK(poll, nc) // no delayed-ACK stalls: see ack_linux.go
	c := &Conn{raw: raw, poll: poll, t: opts.Transcript, opts: opts, name: opts.ServerName}
	if c.name == "" {
		c.name = hostOf(nc.RemoteAddr())
	}
	c.in = newRecorder(c.t, Server)
	c.out = newRecorder(c.t, Client)
	c.br = bufio.NewReaderSize(tapReader{raw, c.in}, readBufSize)
	c.w = tapWriter{raw, c.out}
	return c
}

// Dial connects to target (see ParseTarget) and notes "connected to ADDR".
// With ModeImplicitTLS, or ModeAuto and port 465 (RFC 8314 section 3.3), it
// completes the TLS handshake before returning. On error it returns no Conn:
// pass Options.Transcript to keep what was recorded.
func Dial(ctx context.Context, target string, opts Options) (*Conn, error) {
	host, port, err := ParseTarget(target)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if opts.ServerName == "" {
		opts.ServerName = host
	}
	nc, route, err := opts.Transport.dial(ctx, target, host, port, opts)
	if err != nil {
		return nil, err
	}
	c := NewConn(nc, opts)
	c.route = route
	c.Note("connected to " + c.Addr() + route.note())
	if !opts.Mode.implicitTLS(port) {
		return c, nil
	}
	if _, err := c.handshake(ctx, "tls handshake"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Route says how the connection was made: TCP, a unix socket or a piped
// program, through a proxy, with a PROXY header. A Conn from NewConn has
// the kind of its stream only.
func (c *Conn) Route() Route {
	if c.route.Kind == "" {
		return Route{Kind: c.raw.RemoteAddr().Network(), Remote: c.Addr()}
	}
	return c.route
}

// Transcript returns the transcript the connection records into.
func (c *Conn) Transcript() *Transcript { return c.t }

// Addr returns the remote address, "ip:port".
func (c *Conn) Addr() string { return c.raw.RemoteAddr().String() }

// LocalAddr returns this end's address, "ip:port": the client's address
// as the server sees it, unless something translates it on the way (NAT).
func (c *Conn) LocalAddr() string { return c.raw.LocalAddr().String() }

// ServerName returns the name TLS verifies, and sends as SNI unless
// Options.SNI names another.
func (c *Conn) ServerName() string { return c.name }

// sni is the name sent as SNI: Options.SNI, else ServerName.
func (c *Conn) sni() string {
	if c.opts.SNI != "" {
		return c.opts.SNI
	}
	return c.name
}

// TLS returns the facts of the TLS session, and false while plaintext.
func (c *Conn) TLS() (TLSInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.info, c.tc != nil
}

// Note records a remark in the transcript.
func (c *Conn) Note(text string) {
	_, inTLS := c.TLS()
	c.t.note(text, inTLS)
}

// Close closes the connection and records any partial lines held.
func (c *Conn) Close() error {
	c.mu.Lock()
	var stream net.Conn = c.raw
	if c.tc != nil {
		stream = c.tc
	}
	c.mu.Unlock()
	err := stream.Close()
	c.in.flush()
	c.out.flush()
	c.noteEnd()
	return err
}

// hostOf returns the host of addr, or "" when it has none (net.Pipe).
func hostOf(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	return host
}

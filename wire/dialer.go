package wire

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// Transport says how Dial reaches the server when not straight over TCP to
// the target: the address family, the source address, a SOCKS5 proxy, a
// PROXY protocol header sent first, or a program's stdin and stdout. A
// target "unix:/path" is a unix socket (see ParseTarget). The zero value is
// TCP to the target, over either family.
type Transport struct {
	Family    string       // "", "4" (-4) or "6" (-6)
	LocalAddr string       // the source IP to bind, "" for any
	Proxy     *SOCKS5      // connect through this SOCKS5 proxy (RFC 1928)
	Header    *ProxyHeader // sent before any SMTP byte (HAProxy's PROXY protocol)
	// Pipe is a command line run by the shell; its stdin and stdout are the
	// connection, and the target only names the server (for TLS).
	Pipe string
}

// Route is how a connection was made, to show and put in JSON. It holds no
// secret: a proxy's password is never in it.
type Route struct {
	Kind   string // "tcp", "unix" or "pipe"
	Remote string // the server's address: "ip:port", the socket's path, or the command
	Local  string // the source address, when there is one
	Family string // "4" or "6" when asked for
	Proxy  string // "socks5://[user@]host:port", "" without a proxy
	// Header is the PROXY protocol header's version ("v1", "v2") and
	// Claimed the source it claimed, "" without one.
	Header, Claimed string
}

// String is the route in a few words: "tcp 127.0.0.1:25 via socks5://…".
func (r Route) String() string {
	s := r.Kind + " " + r.Remote
	if r.Kind == "pipe" {
		s = "pipe to " + r.Remote
	}
	if r.Proxy != "" {
		s += " via " + r.Proxy
	}
	if r.Local != "" && r.Kind == "tcp" && r.Proxy == "" {
		s += " from " + r.Local
	}
	if r.Header != "" {
		s += ", PROXY " + r.Header + " header claiming " + r.Claimed
	}
	return s
}

// ErrFamily is wrapped by the DialError of a target with no address of
// the family asked for (-4, -6).
var ErrFamily = errors.New("no address of the family asked for")

// NotSocketError reports a unix target whose path exists but is not a
// socket: a regular file, a directory.
type NotSocketError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotSocketError) Error() string {
	what := "a regular file"
	switch {
	case e.Mode.IsDir():
		what = "a directory"
	case !e.Mode.IsRegular():
		what = "not a socket (" + e.Mode.Type().String() + ")"
	}
	return fmt.Sprintf("wire: %s is %s, not a unix socket", e.Path, what)
}

func (*NotSocketError) wire() {}

// dial opens the stream of a connection to target as t says, with the
// route it took. A PROXY header, when asked for, is already written.
func (t Transport) dial(ctx context.Context, target, host, port string, o Options) (net.Conn, Route, error) {
	ctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	defer cancel()
	var (
		nc    net.Conn
		route Route
		err   error
	)
	switch path, unix := UnixPath(target); {
	case t.Pipe != "":
		nc, err = startPipe(ctx, t.Pipe)
		route = Route{Kind: "pipe", Remote: t.Pipe}
	case unix && (t.Proxy != nil || t.LocalAddr != "" || t.Family != ""):
		err = errors.New("wire: a unix socket is local: a proxy, a source address, -4 and -6 do not apply")
	case unix:
		nc, err = dialUnix(ctx, path)
		route = Route{Kind: "unix", Remote: path}
	default:
		nc, route, err = t.dialTCP(ctx, host, port)
	}
	if err != nil {
		return nil, route, &DialError{Target: target, Err: err}
	}
	if t.Header != nil {
		if route.Claimed, err = t.Header.send(ctx, nc); err != nil {
			nc.Close()
			return nil, route, &DialError{Target: target, Err: err}
		}
		route.Header = t.Header.version()
	}
	return nc, route, nil
}

// dialTCP connects over TCP, through the proxy when there is one.
func (t Transport) dialTCP(ctx context.Context, host, port string) (net.Conn, Route, error) {
	route := Route{Kind: "tcp", Remote: net.JoinHostPort(host, port), Family: t.Family}
	d, err := t.NetDialer()
	if err != nil {
		return nil, route, err
	}
	network := "tcp" + t.Family
	var nc net.Conn
	if t.Proxy != nil {
		route.Proxy = t.Proxy.String()
		nc, err = t.Proxy.dial(ctx, d, network, host, port)
	} else {
		nc, err = d.DialContext(ctx, network, route.Remote)
		err = familyErr(ctx, err, t.Family, host)
	}
	if err != nil {
		return nil, route, err
	}
	if t.Proxy == nil {
		route.Remote = nc.RemoteAddr().String()
	}
	route.Local = nc.LocalAddr().String()
	return nc, route, nil
}

// NetDialer is the dialer a direct connection leaves from: bound to
// --local-address when one is given (an IP, bracketed or with a zone).
func (t Transport) NetDialer() (*net.Dialer, error) {
	d := &net.Dialer{}
	if t.LocalAddr == "" {
		return d, nil
	}
	ip, err := netip.ParseAddr(strings.Trim(t.LocalAddr, "[]"))
	if err != nil {
		return nil, fmt.Errorf("wire: --local-address %q is not an IP address", t.LocalAddr)
	}
	d.LocalAddr = &net.TCPAddr{IP: ip.AsSlice(), Zone: ip.Zone()}
	return d, nil
}

// familyErr tells "no such host" apart from "no address of that family",
// which Go reports as a missing host too.
func familyErr(ctx context.Context, err error, family, host string) error {
	var (
		dnsErr  *net.DNSError
		addrErr *net.AddrError
	)
	if err == nil || family == "" {
		return err
	}
	if errors.As(err, &addrErr) && strings.Contains(addrErr.Err, "no suitable address") {
		return fmt.Errorf("%s has no IPv%s address: %w", host, family, ErrFamily)
	}
	if !errors.As(err, &dnsErr) {
		return err
	}
	if _, e := net.DefaultResolver.LookupHost(ctx, host); e == nil {
		return fmt.Errorf("%s has no IPv%s address: %w", host, family, ErrFamily)
	}
	return err
}

// dialUnix connects to a unix socket; a path that is not one is a
// NotSocketError, which says what it is instead.
func dialUnix(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		return nc, nil
	}
	if fi, serr := os.Stat(path); serr == nil && fi.Mode().Type() != fs.ModeSocket {
		return nil, &NotSocketError{Path: path, Mode: fi.Mode()}
	}
	return nil, err
}

// note is what the "connected to" note adds for a route beyond plain TCP.
func (r Route) note() string {
	var s string
	switch {
	case r.Kind == "pipe":
		s = " (a program's stdin and stdout)"
	case r.Kind == "unix":
		s = " (unix socket)"
	case r.Proxy != "":
		s = " through the proxy " + r.Proxy
	}
	if r.Header != "" {
		s += "; PROXY " + r.Header + " header sent, claiming the client is " + r.Claimed
	}
	return s
}

// noteEnd notes, once closed, how a piped program ended and what it wrote
// on stderr (raw in the note; a note is data, escaped where shown).
func (c *Conn) noteEnd() {
	p, ok := c.poll.Conn.(*pipeConn)
	if !ok || !p.noted.CompareAndSwap(false, true) {
		return
	}
	e := p.Ended()
	c.Note("the program " + strconv.Quote(p.command) + " ended: " + e.State) // named: it may end after the next connection began
	if len(e.Stderr) > 0 {
		more := ""
		if e.More > 0 {
			more = fmt.Sprintf(" (and %d bytes more)", e.More)
		}
		c.Note("the program's stderr" + more + ": " + string(e.Stderr))
	}
}

package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"time"
)

// SOCKS5 is a SOCKS version 5 proxy (RFC 1928), with the username and
// password of RFC 1929 when User is set. The target's host name is sent to
// the proxy as it is, so the proxy resolves it.
type SOCKS5 struct {
	Addr     string // "host:port"
	User     string
	Password string // never shown
}

// ParseSOCKS5 reads "socks5://[user:pass@]host:port" (socks5h:// too: the
// proxy resolves names either way). The port defaults to 1080.
func ParseSOCKS5(s string) (*SOCKS5, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("wire: bad proxy %q: want socks5://[user:password@]host:port", Redact(s))
	}
	if u.Scheme != "socks5" && u.Scheme != "socks5h" {
		return nil, fmt.Errorf("wire: bad proxy %q: ehlo speaks socks5:// only", Redact(s))
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("wire: bad proxy %q: want socks5://[user:password@]host:port", Redact(s))
	}
	port := u.Port()
	if port == "" {
		port = "1080"
	}
	if !validPort(port) {
		return nil, fmt.Errorf("wire: bad proxy %q: bad port %q", Redact(s), port)
	}
	p := &SOCKS5{Addr: net.JoinHostPort(u.Hostname(), port)}
	if u.User != nil {
		p.User = u.User.Username()
		p.Password, _ = u.User.Password()
		if len(p.User) == 0 || len(p.User) > 255 || len(p.Password) > 255 {
			return nil, fmt.Errorf("wire: bad proxy %q: the user name must be 1 to 255 bytes, the password at most 255 (RFC 1929)", Redact(s))
		}
	}
	return p, nil
}

// Redact is a proxy URL with its password replaced by "<redacted>"; any
// other text comes back as it was.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); !ok {
		return s
	}
	return u.Scheme + "://" + u.User.Username() + ":<redacted>@" + u.Host
}

// String is "socks5://[user@]host:port", without the password.
func (p *SOCKS5) String() string {
	if p.User == "" {
		return "socks5://" + p.Addr
	}
	return "socks5://" + url.User(p.User).String() + "@" + p.Addr
}

// SOCKSError reports a proxy that refused, failed or did not speak SOCKS5.
type SOCKSError struct {
	Proxy string // the proxy, without its password
	Msg   string
}

func (e *SOCKSError) Error() string { return "wire: proxy " + e.Proxy + ": " + e.Msg }

func (*SOCKSError) wire() {}

// socksReplies are RFC 1928 section 6's reply codes.
var socksReplies = map[byte]string{
	1: "general SOCKS server failure",
	2: "connection not allowed by its rules",
	3: "network unreachable",
	4: "host unreachable",
	5: "connection refused by the destination",
	6: "TTL expired",
	7: "command not supported",
	8: "address type not supported",
}

// dial connects to the proxy with d, then asks it to CONNECT to host:port.
// Every read is exact and under ctx's deadline, so nothing of the server's
// is left buffered here.
func (p *SOCKS5) dial(ctx context.Context, d *net.Dialer, network, host, port string) (net.Conn, error) {
	nc, err := d.DialContext(ctx, network, p.Addr)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", p, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	err = p.handshake(nc, host, port)
	if !stop() || err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return nc, nil
}

// handshake is RFC 1928's method negotiation, RFC 1929's sub-negotiation
// when the proxy asks for it, and the CONNECT request.
func (p *SOCKS5) handshake(rw io.ReadWriter, host, port string) error {
	methods := []byte{5, 1, 0} // version 5, one method: no authentication
	if p.User != "" {
		methods = []byte{5, 2, 0, 2} // or username/password
	}
	if _, err := rw.Write(methods); err != nil {
		return p.fail(err)
	}
	var got [2]byte
	if err := p.read(rw, got[:]); err != nil {
		return err
	}
	if got[0] != 5 {
		return p.notSOCKS(got[:], rw)
	}
	switch got[1] {
	case 0:
	case 2:
		if p.User == "" {
			return &SOCKSError{Proxy: p.String(), Msg: "it asks for a user name and password: give them as socks5://user:password@host:port"}
		}
		if err := p.login(rw); err != nil {
			return err
		}
	case 0xff:
		return &SOCKSError{Proxy: p.String(), Msg: "it accepts none of the authentication methods offered" + p.offered()}
	default:
		return &SOCKSError{Proxy: p.String(), Msg: fmt.Sprintf("it chose authentication method %d, which was not offered", got[1])}
	}
	return p.connect(rw, host, port)
}

func (p *SOCKS5) offered() string {
	if p.User == "" {
		return " (none; give a user name and password if it needs them)"
	}
	return " (none, or user name and password)"
}

// login is RFC 1929: version 1, the user name, the password; status 0 is
// success.
func (p *SOCKS5) login(rw io.ReadWriter) error {
	msg := []byte{1, byte(len(p.User))}
	msg = append(msg, p.User...)
	msg = append(msg, byte(len(p.Password)))
	msg = append(msg, p.Password...)
	if _, err := rw.Write(msg); err != nil {
		return p.fail(err)
	}
	var got [2]byte
	if err := p.read(rw, got[:]); err != nil {
		return err
	}
	if got[1] != 0 {
		return &SOCKSError{Proxy: p.String(), Msg: "it refused the user name and password"}
	}
	return nil
}

// connect sends CONNECT for host:port, the host as an IP address or a
// domain name, and reads the reply with its bound address.
func (p *SOCKS5) connect(rw io.ReadWriter, host, port string) error {
	n, _ := strconv.Atoi(port)
	req := []byte{5, 1, 0}
	switch ip, err := netip.ParseAddr(host); {
	case err == nil && ip.Is4():
		req = append(append(req, 1), ip.AsSlice()...)
	case err == nil:
		req = append(append(req, 4), ip.AsSlice()...)
	case len(host) > 255:
		return &SOCKSError{Proxy: p.String(), Msg: "the host name is longer than 255 bytes"}
	default:
		req = append(append(req, 3, byte(len(host))), host...)
	}
	req = binary.BigEndian.AppendUint16(req, uint16(n))
	if _, err := rw.Write(req); err != nil {
		return p.fail(err)
	}
	var head [4]byte
	if err := p.read(rw, head[:]); err != nil {
		return err
	}
	if head[0] != 5 {
		return p.notSOCKS(head[:], rw)
	}
	if head[1] != 0 {
		why, ok := socksReplies[head[1]]
		if !ok {
			why = fmt.Sprintf("reply code %d", head[1])
		}
		return &SOCKSError{Proxy: p.String(), Msg: "it could not connect to " + net.JoinHostPort(host, port) + ": " + why}
	}
	return p.skipBound(rw, head[3])
}

// skipBound reads the address the proxy bound, which ehlo does not use.
func (p *SOCKS5) skipBound(rw io.ReadWriter, atyp byte) error {
	var size int
	switch atyp {
	case 1:
		size = 4
	case 4:
		size = 16
	case 3:
		var l [1]byte
		if err := p.read(rw, l[:]); err != nil {
			return err
		}
		size = int(l[0])
	default:
		return &SOCKSError{Proxy: p.String(), Msg: fmt.Sprintf("its reply has an unknown address type %d: it does not speak SOCKS5 as RFC 1928 says", atyp)}
	}
	return p.read(rw, make([]byte, size+2))
}

// read reads exactly len(b) bytes; the end of the stream is the proxy's
// closing, said so.
func (p *SOCKS5) read(r io.Reader, b []byte) error {
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return &SOCKSError{Proxy: p.String(), Msg: "it closed the connection in the middle of the SOCKS5 handshake"}
		}
		return p.fail(err)
	}
	return nil
}

// notSOCKS reports bytes that are no SOCKS5 answer (an SMTP server's
// "220 …" opens with "22"), with what else came within a moment.
func (p *SOCKS5) notSOCKS(got []byte, r io.Reader) error {
	if c, ok := r.(net.Conn); ok {
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		more := make([]byte, 64)
		n, _ := c.Read(more)
		got = append(append([]byte{}, got...), more[:n]...)
	}
	return &SOCKSError{Proxy: p.String(), Msg: fmt.Sprintf("it does not speak SOCKS5: it answered %q", quoteTail(got))}
}

func (p *SOCKS5) fail(err error) error { return fmt.Errorf("proxy %s: %w", p, err) }

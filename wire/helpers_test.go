package wire

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// scriptConn is a net.Conn that reads a script and keeps what is written:
// the cheapest fake server, for framing tests.
type scriptConn struct {
	r  io.Reader
	mu sync.Mutex
	w  bytes.Buffer
}

func (c *scriptConn) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(p)
}
func (c *scriptConn) written() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.String()
}
func (c *scriptConn) Close() error                     { return nil }
func (c *scriptConn) LocalAddr() net.Addr              { return fakeAddr{} }
func (c *scriptConn) RemoteAddr() net.Addr             { return fakeAddr{} }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

type fakeAddr struct{}

func (fakeAddr) Network() string { return "fake" }
func (fakeAddr) String() string  { return "192.0.2.1:25" }

// replyConn returns a Conn whose server says s.
func replyConn(s string, opts Options) (*Conn, *scriptConn) {
	sc := &scriptConn{r: strings.NewReader(s)}
	return NewConn(sc, opts), sc
}

// oneByteConn returns a Conn whose server says s one byte per read.
func oneByteConn(s string, opts Options) *Conn {
	return NewConn(&scriptConn{r: iotest.OneByteReader(strings.NewReader(s))}, opts)
}

// peer is the server side of a scripted loopback session. Its methods never
// fail the test themselves; tests compare what the peer received.
type peer struct {
	net.Conn
	br  *bufio.Reader
	got bytes.Buffer // every byte the client sent, TLS decrypted
}

// send writes s in one call.
func (p *peer) send(s string) { _, _ = io.WriteString(p.Conn, s) }

// line reads one line from the client, or "" at the end.
func (p *peer) line() string {
	l, _ := p.br.ReadString('\n')
	p.got.WriteString(l)
	return l
}

// drain reads until the client closes.
func (p *peer) drain() { _, _ = io.Copy(&p.got, p.br) }

// startTLS runs the server side of the handshake with cert and switches the
// peer onto it.
func (p *peer) startTLS(cert tls.Certificate) error {
	tc := tls.Server(p.Conn, &tls.Config{Certificates: []tls.Certificate{cert}})
	if err := tc.Handshake(); err != nil {
		return err
	}
	p.Conn, p.br = tc, bufio.NewReader(tc)
	return nil
}

// server is a loopback listener that runs one script on one connection.
type server struct {
	ln   net.Listener
	addr string
	done chan struct{}
	p    *peer
}

// startServer runs script for the first connection to a new loopback
// listener. Cleanup closes everything and waits for the script.
func startServer(t testing.TB, script func(p *peer)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln, addr: ln.Addr().String(), done: make(chan struct{})}
	accepted := make(chan net.Conn, 1)
	go s.run(accepted, script)
	t.Cleanup(func() {
		ln.Close()
		select {
		case nc := <-accepted:
			nc.Close()
		default:
		}
		<-s.done
	})
	return s
}

func (s *server) run(accepted chan<- net.Conn, script func(p *peer)) {
	defer close(s.done)
	nc, err := s.ln.Accept()
	if err != nil {
		return
	}
	accepted <- nc
	defer nc.Close()
	s.p = &peer{Conn: nc, br: bufio.NewReader(nc)}
	script(s.p)
}

// wait waits for the script to end and returns what the client sent.
func (s *server) wait() string {
	<-s.done
	if s.p == nil {
		return ""
	}
	return s.p.got.String()
}

// testTimeout bounds every exchange of a test that sets no Timeout, so a
// regression fails quickly instead of waiting 5 minutes.
const testTimeout = 5 * time.Second

// dialTest connects a Conn to s and closes it at cleanup.
func dialTest(t testing.TB, s *server, opts Options) *Conn {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = testTimeout
	}
	nc, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(nc, opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// render shows the wire entries of a transcript one per line, as
// "S  \"220 hi\\r\\n\"": direction, T for TLS, ~ for partial, ! for secret
// (with its Shown). Notes are left out: they hold times and addresses.
func render(entries []Entry) string {
	var b strings.Builder
	for _, e := range entries {
		if e.Dir == Note {
			continue
		}
		mark := func(on bool, m string) string {
			if on {
				return m
			}
			return " "
		}
		fmt.Fprintf(&b, "%s%s%s%s %q", e.Dir, mark(e.TLS, "T"), mark(e.Partial, "~"), mark(e.Secret, "!"), e.Data)
		if e.Secret {
			fmt.Fprintf(&b, " shown %q", e.Shown)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// notes returns the text of the Note entries.
func notes(entries []Entry) []string {
	var n []string
	for _, e := range entries {
		if e.Dir == Note {
			n = append(n, string(e.Data))
		}
	}
	return n
}

// pki is an in-test CA with leaf certificates.
type pki struct {
	ca        *x509.Certificate
	caKey     *ecdsa.PrivateKey
	roots     *x509.CertPool
	good      tls.Certificate // localhost, 127.0.0.1, ::1
	wrongName tls.Certificate // mx.example.org
	expired   tls.Certificate // localhost, expired an hour ago
}

var testPKI = sync.OnceValue(newPKI)

func newPKI() *pki {
	caKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ehlo test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER := must(x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey))
	ca := must(x509.ParseCertificate(caDER))
	p := &pki{ca: ca, caKey: caKey, roots: x509.NewCertPool()}
	p.roots.AddCert(ca)
	leaf := func(serial int64, names []string, notAfter time.Time) tls.Certificate {
		key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: names[0]},
			DNSNames:     names,
			NotBefore:    now.Add(-48 * time.Hour),
			NotAfter:     notAfter,
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		if names[0] == "localhost" {
			tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		}
		der := must(x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey))
		return tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}
	}
	p.good = leaf(2, []string{"localhost"}, now.Add(24*time.Hour))
	p.wrongName = leaf(3, []string{"mx.example.org"}, now.Add(24*time.Hour))
	p.expired = leaf(4, []string{"localhost"}, now.Add(-time.Hour))
	return p
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

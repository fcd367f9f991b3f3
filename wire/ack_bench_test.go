package wire

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"strings"
	"testing"
)

// These benchmarks watch the 43 ms trap of shared/PERF-NOTES.md from its
// cause (see ack_linux.go). Each runs twice: "quickack" is wire as it is;
// "delayed" hides the *net.TCPConn from NewConn, so the connection reads
// without TCP_QUICKACK, as before the fix. On Linux, delayed takes about
// 40 ms per op against a server that writes twice; quickack well under 1 ms.

// hidden hides the concrete type of a connection from withQuickACK.
type hidden struct{ net.Conn }

// ackModes are the two ways of reading: wire's, and without quick ACKs.
var ackModes = []struct {
	name string
	wrap func(net.Conn) net.Conn
}{
	{"quickack", func(c net.Conn) net.Conn { return c }},
	{"delayed", func(c net.Conn) net.Conn { return hidden{c} }},
}

// BenchmarkFirstReplyAfterSplitWrite times the reply to the first EHLO after
// STARTTLS from a server that sends a small record first, as OpenSSL's
// session tickets are, then the reply, with Nagle on: a Go server cannot be
// made to send tickets to a client that refuses them, so it sends the
// reply's first line on its own.
func BenchmarkFirstReplyAfterSplitWrite(b *testing.B) {
	pki := testPKI()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go serveSplitWrite(ln, pki.good)
	for _, m := range ackModes {
		b.Run(m.name, func(b *testing.B) {
			benchFirstReply(b, ln.Addr().String(), Options{ServerName: "localhost", RootCAs: pki.roots, Timeout: testTimeout}, m.wrap)
		})
	}
}

// BenchmarkFirstReplyAfterHandshakePostfix is the same against a real
// Postfix submission port (EHLO_POSTFIX_SUBMISSION and EHLO_POSTFIX_CA, as
// scripts/postfix-lab.sh up writes them), whose OpenSSL sends two TLS 1.3
// session tickets after every handshake.
func BenchmarkFirstReplyAfterHandshakePostfix(b *testing.B) {
	addr, caFile := os.Getenv("EHLO_POSTFIX_SUBMISSION"), os.Getenv("EHLO_POSTFIX_CA")
	if addr == "" || caFile == "" {
		b.Skip("EHLO_POSTFIX_SUBMISSION or EHLO_POSTFIX_CA not set (scripts/postfix-lab.sh up)")
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	for _, m := range ackModes {
		b.Run(m.name, func(b *testing.B) {
			benchFirstReply(b, addr, Options{ServerName: "localhost", RootCAs: roots, Timeout: testTimeout}, m.wrap)
		})
	}
}

// benchFirstReply times only the EHLO exchange right after STARTTLS.
func benchFirstReply(b *testing.B, addr string, opts Options, wrap func(net.Conn) net.Conn) {
	b.StopTimer()
	for range b.N {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c := NewConn(wrap(nc), opts)
		for _, cmd := range []string{"", "EHLO bench.localhost", "STARTTLS"} {
			if err := exchangeOrRead(c, cmd); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := c.StartTLS(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		err = exchangeOrRead(c, "EHLO bench.localhost")
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		_ = exchangeOrRead(c, "QUIT")
		c.Close()
	}
}

// exchangeOrRead sends cmd and reads its reply, or only reads when cmd is "".
func exchangeOrRead(c *Conn, cmd string) error {
	var err error
	if cmd == "" {
		_, err = c.ReadReply(ctx)
	} else {
		_, err = c.Exchange(ctx, cmd)
	}
	return err
}

// serveSplitWrite plays a STARTTLS server that, after the handshake, answers
// EHLO in two writes with Nagle on, until ln closes.
func serveSplitWrite(ln net.Listener, cert tls.Certificate) {
	first, rest, _ := strings.Cut(ehloReply, "\n")
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer nc.Close()
			nc.(*net.TCPConn).SetNoDelay(false)
			br := bufio.NewReader(nc)
			io.WriteString(nc, "220 mx.example.com ESMTP\r\n")
			br.ReadString('\n')
			io.WriteString(nc, ehloReply)
			br.ReadString('\n')
			io.WriteString(nc, "220 2.0.0 Ready to start TLS\r\n")
			tc := tls.Server(nc, &tls.Config{Certificates: []tls.Certificate{cert}})
			if tc.Handshake() != nil {
				return
			}
			tbr := bufio.NewReader(tc)
			tbr.ReadString('\n')
			io.WriteString(tc, first+"\n")
			io.WriteString(tc, rest)
			tbr.ReadString('\n')
			io.WriteString(tc, "221 2.0.0 Bye\r\n")
		}()
	}
}

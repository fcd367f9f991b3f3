package wire

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"testing"
)

const ehloReply = "250-mx.example.com Hello client.example.org [192.0.2.7]\r\n" +
	"250-SIZE 52428800\r\n" +
	"250-8BITMIME\r\n" +
	"250-PIPELINING\r\n" +
	"250-PIPE_CONNECT\r\n" +
	"250-CHUNKING\r\n" +
	"250-SMTPUTF8\r\n" +
	"250-ENHANCEDSTATUSCODES\r\n" +
	"250-AUTH PLAIN LOGIN\r\n" +
	"250 HELP\r\n"

// loopReader repeats data forever.
type loopReader struct {
	data []byte
	off  int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

// BenchmarkReadReply frames an EHLO-sized reply from memory, transcript
// recording included. A fresh Conn every 1024 replies keeps the transcript
// from growing for the whole run.
func BenchmarkReadReply(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(ehloReply)))
	var c *Conn
	for i := range b.N {
		if i%1024 == 0 {
			b.StopTimer()
			c = NewConn(&scriptConn{r: &loopReader{data: []byte(ehloReply)}}, Options{})
			b.StartTimer()
		}
		if _, err := c.ReadReply(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstReplyAfterHandshake measures, over loopback, only the time
// from the end of the STARTTLS handshake to the reply to the first EHLO: the
// 43 ms trap of PERF-NOTES.md (TLS 1.3 tickets, Nagle and delayed ACK). The
// server leaves Nagle on, as Postfix does, and would send tickets if asked.
// Expect well under a millisecond (about 0.2 ms on a 2-core machine); tens of
// milliseconds mean the trap is back. A Go server on loopback does not always
// reproduce the stall, so TestClientHelloAsksForNoTickets guards its cause.
func BenchmarkFirstReplyAfterHandshake(b *testing.B) {
	pki := testPKI()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go serveStartTLS(ln, pki.good)
	b.ResetTimer()
	b.StopTimer()
	for range b.N {
		c := upgradedConn(b, ln.Addr().String(), pki)
		b.StartTimer()
		_, err := c.Exchange(ctx, "EHLO client.example.org")
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// upgradedConn connects to a serveStartTLS server and completes STARTTLS.
func upgradedConn(b *testing.B, addr string, pki *pki) *Conn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	c := NewConn(nc, Options{ServerName: "localhost", RootCAs: pki.roots, Timeout: testTimeout})
	if _, err := c.ReadReply(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Exchange(ctx, "STARTTLS"); err != nil {
		b.Fatal(err)
	}
	if _, err := c.StartTLS(ctx); err != nil {
		b.Fatal(err)
	}
	return c
}

// serveStartTLS plays a minimal STARTTLS server for each connection until ln
// closes.
func serveStartTLS(ln net.Listener, cert tls.Certificate) {
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
			io.WriteString(nc, "220 2.0.0 Ready to start TLS\r\n")
			tc := tls.Server(nc, &tls.Config{Certificates: []tls.Certificate{cert}})
			if tc.Handshake() != nil {
				return
			}
			tbr := bufio.NewReader(tc)
			tbr.ReadString('\n')
			io.WriteString(tc, ehloReply)
			tbr.ReadString('\n')
		}()
	}
}

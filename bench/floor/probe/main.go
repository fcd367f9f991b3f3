// Command probe is the floor for `ehlo probe`: the least a Go program can do
// for the same exchange (greeting, EHLO, STARTTLS, TLS handshake, EHLO, QUIT)
// with the same TLS settings (certificate verified against -ca for
// -servername, TLS 1.2 or later, session tickets off) and no UI: net,
// crypto/tls and bufio, and one setsockopt. It prints the EHLO reply after
// TLS and how long it took after the handshake.
//
//	probe -ca FILE -servername NAME HOST:PORT
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	ca := flag.String("ca", "", "PEM `file` of the CA to trust")
	name := flag.String("servername", "", "`name` to verify")
	quickACK := flag.Bool("quickack", true, "set TCP_QUICKACK after each read, as ehlo does (false shows the 43 ms trap)")
	flag.Parse()
	if err := probe(flag.Arg(0), *ca, *name, *quickACK); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func probe(addr, caFile, name string, quickACK bool) error {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return errors.New("no certificate in " + caFile)
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	var raw net.Conn = nc
	if quickACK {
		raw = ackConn{nc.(*net.TCPConn)}
	}
	br := bufio.NewReader(raw)
	for _, cmd := range []string{"", "EHLO floor.localhost", "STARTTLS"} {
		if _, err := exchange(nc, br, cmd); err != nil {
			return err
		}
	}
	tc := tls.Client(raw, &tls.Config{ServerName: name, RootCAs: roots,
		MinVersion: tls.VersionTLS12, SessionTicketsDisabled: true})
	if err := tc.Handshake(); err != nil {
		return err
	}
	start := time.Now()
	br = bufio.NewReader(tc)
	caps, err := exchange(tc, br, "EHLO floor.localhost")
	if err != nil {
		return err
	}
	took := time.Since(start)
	if _, err := exchange(tc, br, "QUIT"); err != nil {
		return err
	}
	fmt.Printf("%sfirst reply after the handshake: %v\n", caps, took)
	return nil
}

// exchange sends cmd (none when empty) and reads one reply.
func exchange(w net.Conn, br *bufio.Reader, cmd string) (string, error) {
	if cmd != "" {
		if _, err := w.Write([]byte(cmd + "\r\n")); err != nil {
			return "", err
		}
	}
	var reply strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		reply.WriteString(line)
		if len(line) < 4 || line[3] != '-' {
			break
		}
	}
	if s := reply.String(); s[0] != '2' {
		return s, errors.New("refused: " + s)
	}
	return reply.String(), nil
}

// ackConn acknowledges at once what it reads, as wire does: see
// wire/ack_linux.go.
type ackConn struct{ *net.TCPConn }

func (c ackConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	quickACK(c.TCPConn)
	return n, err
}

// Command send is the floor for `ehlo send`: the least a Go program can do
// to submit one prepared message (greeting, EHLO, STARTTLS, TLS handshake
// with the certificate verified, EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT)
// with net, crypto/tls and bufio. It streams FILE through a 64 KiB buffer,
// dot-stuffing lines that start with "." (RFC 5321 section 4.5.2); FILE must
// already use CRLF line endings. The password comes from $EHLO_PASSWORD.
//
//	send -ca FILE -servername NAME -user U -from A -to B HOST:PORT FILE
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

func main() {
	ca := flag.String("ca", "", "PEM `file` of the CA to trust")
	name := flag.String("servername", "", "`name` to verify")
	user := flag.String("user", "", "AUTH PLAIN `user`")
	from := flag.String("from", "", "envelope sender")
	to := flag.String("to", "", "envelope recipient")
	flag.Parse()
	if err := send(flag.Arg(0), flag.Arg(1), *ca, *name, *user, os.Getenv("EHLO_PASSWORD"), *from, *to); err != nil {
		fmt.Fprintln(os.Stderr, "send:", err)
		os.Exit(1)
	}
}

func send(addr, file, caFile, name, user, password, from, to string) error {
	msg, err := os.Open(file)
	if err != nil {
		return err
	}
	defer msg.Close()
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
	c := &conn{w: nc, br: bufio.NewReader(ackConn{nc.(*net.TCPConn)})}
	if err := c.script("", "EHLO floor.localhost", "STARTTLS"); err != nil {
		return err
	}
	tc := tls.Client(ackConn{nc.(*net.TCPConn)}, &tls.Config{ServerName: name, RootCAs: roots,
		MinVersion: tls.VersionTLS12, SessionTicketsDisabled: true})
	if err := tc.Handshake(); err != nil {
		return err
	}
	c = &conn{w: tc, br: bufio.NewReader(tc)}
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if err := c.script("EHLO floor.localhost", "AUTH PLAIN "+plain, "MAIL FROM:<"+from+">", "RCPT TO:<"+to+">", "DATA"); err != nil {
		return err
	}
	out := bufio.NewWriterSize(tc, 64<<10)
	if err := stuff(out, msg); err != nil {
		return err
	}
	if _, err := out.WriteString(".\r\n"); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if err := c.script("", "QUIT"); err != nil {
		return err
	}
	fmt.Println("sent")
	return nil
}

// conn sends commands and reads replies.
type conn struct {
	w  io.Writer
	br *bufio.Reader
}

// script sends each command ("" only reads) and wants 2xx or 3xx replies.
func (c *conn) script(cmds ...string) error {
	for _, cmd := range cmds {
		if cmd != "" {
			if _, err := io.WriteString(c.w, cmd+"\r\n"); err != nil {
				return err
			}
		}
		for {
			line, err := c.br.ReadString('\n')
			if err != nil {
				return err
			}
			if line[0] != '2' && line[0] != '3' {
				return errors.New(strings.Fields(cmd + " x")[0] + ": " + line)
			}
			if len(line) < 4 || line[3] != '-' {
				break
			}
		}
	}
	return nil
}

// stuff copies r to w and doubles the "." that starts a line, reading 64 KiB
// at a time.
func stuff(w *bufio.Writer, r io.Reader) error {
	buf := make([]byte, 64<<10)
	bol := true // at the beginning of a line
	for {
		n, err := r.Read(buf)
		p := buf[:n]
		for len(p) > 0 {
			if bol && p[0] == '.' {
				w.WriteByte('.')
			}
			i := bytes.IndexByte(p, '\n') + 1
			if i == 0 {
				w.Write(p)
				bol = false
				break
			}
			w.Write(p[:i])
			p, bol = p[i:], true
		}
		if err == io.EOF {
			if !bol {
				w.WriteString("\r\n")
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// ackConn acknowledges at once what it reads, as wire does (see
// wire/ack_linux.go): without it the first reply after the TLS handshake
// waits 40 ms for Postfix's session tickets to be acknowledged.
type ackConn struct{ *net.TCPConn }

func (c ackConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	quickACK(c.TCPConn)
	return n, err
}

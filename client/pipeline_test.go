package client

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/wire"
)

// scriptedConn is a net.Conn whose server says a fixed script, and that
// counts the writes reaching it: each is a segment on a real socket.
type scriptedConn struct {
	r      io.Reader
	out    bytes.Buffer
	writes []string
}

func (c *scriptedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *scriptedConn) Write(p []byte) (int, error) {
	c.writes = append(c.writes, string(p))
	return c.out.Write(p)
}
func (c *scriptedConn) Close() error        { return nil }
func (c *scriptedConn) LocalAddr() net.Addr { return &net.TCPAddr{} }
func (c *scriptedConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 25}
}
func (c *scriptedConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptedConn) SetWriteDeadline(time.Time) error { return nil }

// scriptedClient is a Client on a scriptedConn whose server says script.
func scriptedClient(script string) (*Client, *scriptedConn) {
	sc := &scriptedConn{r: strings.NewReader(script)}
	return &Client{conn: wire.NewConn(sc, wire.Options{Timeout: time.Second})}, sc
}

// TestPipelineIsOneWrite: RFC 2920 pipelining sends the group in one
// write, and each reply is read in order and given to its command.
func TestPipelineIsOneWrite(t *testing.T) {
	c, sc := scriptedClient("250 2.1.0 ok\r\n550 5.1.1 no such user\r\n250 2.1.5 ok\r\n354 go on\r\n")
	lines := []string{"MAIL FROM:<a@example.org>", "RCPT TO:<nobody@example.org>", "RCPT TO:<b@example.org>", "DATA"}
	replies, err := c.pipeline(context.Background(), lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.writes) != 1 {
		t.Errorf("the group went out in %d writes, want 1: %q", len(sc.writes), sc.writes)
	}
	want := []int{250, 550, 250, 354}
	for i, r := range replies {
		if r.Code != want[i] {
			t.Errorf("reply %d to %s: %d, want %d", i, lines[i], r.Code, want[i])
		}
	}
	if len(replies) != len(want) {
		t.Errorf("%d replies, want %d", len(replies), len(want))
	}
}

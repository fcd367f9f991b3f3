package wire

import (
	"net"
	"syscall"
	"testing"
)

// TestNewConnAcksAtOnce guards the other half of the 43 ms trap (see
// ack_linux.go; BenchmarkFirstReplyAfterSplitWrite measures it): every TCP
// connection reads through ackConn, which leaves quick ACK mode on after a
// read.
func TestNewConnAcksAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			nc.Write([]byte("220 hi\r\n"))
			defer nc.Close()
			nc.Read(make([]byte, 1))
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(nc, Options{Timeout: testTimeout})
	defer c.Close()
	if _, ok := c.raw.(ackConn); !ok {
		t.Fatalf("NewConn over TCP reads through %T, want ackConn", c.raw)
	}
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	var quick int
	var serr error
	c.raw.(ackConn).rc.Control(func(fd uintptr) {
		quick, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK)
	})
	if serr != nil || quick != 1 {
		t.Errorf("TCP_QUICKACK after a read = %d, %v; want 1", quick, serr)
	}
}

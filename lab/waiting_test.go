//go:build unix

package lab

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestWaiting: waiting sees the client's bytes on the socket without
// taking them, and nothing when there is nothing.
func TestWaiting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if waiting(server) {
		t.Fatal("waiting with nothing sent")
	}
	if _, err := client.Write([]byte("RCPT TO:<b@x>\r\n")); err != nil {
		t.Fatal(err)
	}
	blockUntilReadable(t, server)
	if !waiting(server) || !waiting(server) {
		t.Fatal("not waiting with a line sent")
	}
	b := make([]byte, 64)
	_ = server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := server.Read(b); err != nil || string(b[:n]) != "RCPT TO:<b@x>\r\n" {
		t.Fatalf("read %q %v: waiting took bytes", b[:n], err)
	}
}

// blockUntilReadable waits, with a blocking peek, until c holds bytes.
func blockUntilReadable(t *testing.T, c net.Conn) {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var perr error
	var b [1]byte
	if err := rc.Read(func(fd uintptr) bool {
		_, _, perr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return !errors.Is(perr, syscall.EAGAIN)
	}); err != nil || perr != nil {
		t.Fatalf("waiting for the bytes: %v %v", err, perr)
	}
	_ = c.SetReadDeadline(time.Time{})
}

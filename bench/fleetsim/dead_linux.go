package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// deadListener makes target a dead host without root: a listener with a
// backlog of 0 that never accepts, its accept queue filled by a connection
// of our own, so the kernel drops every SYN that comes after (a client's
// connect times out, as to a host that is down). It returns what must stay
// open.
func deadListener(target string) ([]io.Closer, error) {
	ap, err := netip.ParseAddrPort(target)
	if err != nil {
		return nil, err
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	sa := &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	ln := os.NewFile(uintptr(fd), target)
	held := []io.Closer{ln}
	// A backlog of 0 queues one connection: ours fills it.
	c, err := net.DialTimeout("tcp", target, 2*time.Second)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("filling the accept queue: %v", err)
	}
	held = append(held, c)
	// Check that the next connection is dropped indeed.
	if c2, err := net.DialTimeout("tcp", target, 300*time.Millisecond); err == nil {
		c2.Close()
		for _, h := range held {
			h.Close()
		}
		return nil, errors.New("a connection went through a full accept queue: this kernel does not drop SYNs there")
	}
	return held, nil
}

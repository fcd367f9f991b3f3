package main

import (
	"net"
	"syscall"
)

// quickACK asks the kernel to acknowledge at once what arrived (TCP_QUICKACK
// is not sticky: it is set again after each read).
func quickACK(c *net.TCPConn) {
	if rc, err := c.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
		})
	}
}

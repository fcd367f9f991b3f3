//go:build unix

package lab

import (
	"errors"
	"net"
	"syscall"
)

// waiting reports whether the client's bytes wait on the socket, unread:
// a peek that does not wait (MSG_PEEK, MSG_DONTWAIT) and takes nothing.
func waiting(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var n int
	var perr error
	var b [1]byte
	if err := rc.Read(func(fd uintptr) bool {
		for {
			n, _, perr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if !errors.Is(perr, syscall.EINTR) {
				return true
			}
		}
	}); err != nil {
		return false
	}
	return perr == nil && n > 0
}

//go:build unix

package wire

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// readNow reads what the socket holds, without waiting: the descriptor is
// non-blocking, as Go's poller keeps it, so read(2) says EAGAIN when there
// is nothing. It fails like any read once the deadline has passed.
func readNow(rc syscall.RawConn, b []byte) (int, error) {
	if rc == nil || len(b) == 0 {
		return 0, errNotYet
	}
	var n int
	var err error
	cerr := rc.Read(func(fd uintptr) bool {
		for {
			n, err = syscall.Read(int(fd), b)
			if !errors.Is(err, syscall.EINTR) {
				return true
			}
		}
	})
	switch {
	case cerr != nil:
		return 0, cerr
	case errors.Is(err, syscall.EAGAIN):
		return 0, errNotYet
	case err != nil:
		return 0, os.NewSyscallError("read", err)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

//go:build !unix

package wire

import "syscall"

// readNow has no non-blocking read of the socket on this system: only the
// bytes already in the reader's buffer are seen (CheckIdle).
func readNow(syscall.RawConn, []byte) (int, error) { return 0, errNotYet }

//go:build unix

package client

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openOutput opens path without following a final symbolic link
// (O_NOFOLLOW), except systemLink's. O_NONBLOCK makes opening a FIFO that
// no one reads fail at once (ENXIO) instead of waiting; it is cleared once
// open, so that writes wait as usual.
func openOutput(path string, flag int) (*os.File, error) {
	if !systemLink(path) {
		flag |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flag|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.SetNonblock(int(f.Fd()), false); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// isLoop reports the error of O_NOFOLLOW on a symbolic link: ELOOP, or
// EMLINK on FreeBSD and NetBSD.
func isLoop(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}

// isNoReader reports the error of opening a FIFO with no reader for
// writing, non-blocking.
func isNoReader(err error) bool { return errors.Is(err, syscall.ENXIO) }

// ownedByUser reports a file owned by the effective user.
func ownedByUser(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

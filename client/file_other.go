//go:build !unix

package client

import (
	"io/fs"
	"os"
)

// openOutput opens path. This system has no O_NOFOLLOW: a final symbolic
// link is refused when Lstat sees one, which a link made between the look
// and the open escapes.
func openOutput(path string, flag int) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, errLink
	}
	return os.OpenFile(path, flag, 0o600)
}

// errLink stands for the error O_NOFOLLOW gives elsewhere.
var errLink = &fs.PathError{Op: "open", Err: fs.ErrInvalid}

func isLoop(err error) bool { return err == errLink }

func isNoReader(error) bool { return false }

// ownedByUser: this system's owners are not uids; the file's ACL decides.
func ownedByUser(fs.FileInfo) bool { return true }

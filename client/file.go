package client

import (
	"fmt"
	"os"
)

// OpenPrivate opens path for writing (flag adds O_TRUNC or O_APPEND) as a
// file only its owner may read: created with mode 0600, and an existing
// regular file is set to 0600 too. Anything else the path names, a
// terminal or /dev/null, keeps its mode: "--transcript /dev/stderr" must
// not make the user's terminal private, nor /dev/null unwritable.
func OpenPrivate(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|flag, 0o600)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().IsRegular() {
		err = f.Chmod(0o600)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

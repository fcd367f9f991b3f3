package client

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Why OpenPrivate and CreatePrivate refuse a path. Each is wrapped with the
// path.
var (
	ErrSymlink  = errors.New("is a symbolic link: ehlo does not write through one (name the file itself)")
	ErrNotOwned = errors.New("belongs to another user: ehlo writes session data only into a file of its own, with mode 0600")
	ErrNoReader = errors.New("is a FIFO with no reader: start the reader first (for example: cat FILE)")
)

// OpenPrivate opens path for writing session data (flag adds O_TRUNC or
// O_APPEND) as a file only its owner may read (SAFETY.md):
//
//   - a final symbolic link is refused (ErrSymlink), so a link planted
//     where the file should go cannot make ehlo write, truncate or chmod
//     its target, nor create it; the system's own links to a descriptor
//     the process holds (/dev/stdout, /dev/stderr, /dev/fd/N) are
//     followed;
//   - a new file is created with mode 0600; an existing regular file must
//     be the user's (else ErrNotOwned, untouched) and is set to 0600, then
//     truncated if asked;
//   - anything else keeps its mode: "--transcript /dev/stderr" must not
//     make the user's terminal private, nor /dev/null unwritable;
//   - a FIFO is opened only when a reader has it open (else ErrNoReader at
//     once): ehlo never waits for a reader before it starts.
func OpenPrivate(path string, flag int) (*os.File, error) {
	f, err := openOutput(path, os.O_WRONLY|os.O_CREATE|flag&^os.O_TRUNC)
	if err != nil {
		return nil, openErr(path, err)
	}
	if err := makePrivate(f, flag&os.O_TRUNC != 0); err != nil {
		f.Close()
		return nil, pathErr(path, err)
	}
	return f, nil
}

// maxTries bounds CreatePrivate's search for a free name.
const maxTries = 100

// CreatePrivate creates a new file for session data, with mode 0600,
// never opening one that exists (O_EXCL, which follows no link either):
// path, or when that name is taken, the same name with "-2", "-3"... before
// its extension. It returns the file and the name it has. For names ehlo
// makes up, which anyone could guess and plant something at.
func CreatePrivate(path string) (*os.File, string, error) {
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	for i := 1; i <= maxTries; i++ {
		name := path
		if i > 1 {
			name = stem + "-" + strconv.Itoa(i) + ext
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		switch {
		case err == nil:
			return f, name, f.Chmod(0o600)
		case !errors.Is(err, fs.ErrExist):
			return nil, name, err
		}
	}
	return nil, path, fmt.Errorf("%s: %d names taken, from it to %s", path, maxTries, stem+"-"+strconv.Itoa(maxTries)+ext)
}

// makePrivate checks what was opened and makes it private, as OpenPrivate
// says.
func makePrivate(f *os.File, truncate bool) error {
	fi, err := f.Stat()
	switch {
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return nil
	case !ownedByUser(fi):
		return ErrNotOwned
	}
	if fi.Mode().Perm() != 0o600 {
		if err := f.Chmod(0o600); err != nil {
			return err
		}
	}
	if truncate {
		return f.Truncate(0)
	}
	return nil
}

// openErr names why path could not be opened.
func openErr(path string, err error) error {
	switch {
	case isLink(path, err):
		return pathErr(path, ErrSymlink)
	case isNoReader(err):
		return pathErr(path, ErrNoReader)
	}
	return err
}

// pathErr puts the path before err: "FILE is a symbolic link: ...".
func pathErr(path string, err error) error {
	if errors.Is(err, ErrSymlink) || errors.Is(err, ErrNotOwned) || errors.Is(err, ErrNoReader) {
		return fmt.Errorf("%s %w", path, err)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// isLink reports an open refused because path's last element is a
// symbolic link.
func isLink(path string, err error) bool {
	if !isLoop(err) {
		return false
	}
	fi, lerr := os.Lstat(path)
	return lerr == nil && fi.Mode()&fs.ModeSymlink != 0
}

// systemLink reports the system's own links to a descriptor the process
// holds, which OpenPrivate follows: they live in /dev, which only root
// may change.
func systemLink(path string) bool {
	p := filepath.Clean(path)
	return p == "/dev/stdout" || p == "/dev/stderr" || strings.HasPrefix(p, "/dev/fd/") || strings.HasPrefix(p, "/proc/self/fd/")
}

// ReplacePrivate writes data to path as a file only its owner may read
// (0600), in a directory made 0700 if missing: it writes a new file beside
// path and renames it over path, so that a reader sees the old file or the
// new one, and a symbolic link at path is replaced, never followed (a link
// planted there cannot redirect the write).
func ReplacePrivate(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*") // O_EXCL, mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadPrivate reads path, at most limit bytes, if it is a regular file
// and not a symbolic link: what ReplacePrivate wrote, and nothing a link
// planted there points at.
func ReadPrivate(path string, limit int64) ([]byte, error) {
	before, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	switch {
	case before.Mode()&fs.ModeSymlink != 0:
		return nil, pathErr(path, ErrSymlink)
	case !before.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, before.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if now, err := f.Stat(); err != nil || !os.SameFile(before, now) {
		return nil, fmt.Errorf("%s: replaced while opened", path)
	}
	return io.ReadAll(io.LimitReader(f, limit))
}
